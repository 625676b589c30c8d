"""backup() and restore(): the database, then the areas' files, in one archive; restored all or nothing.

A backup of a running system: the database first (one snapshot), then the files. Every document, key and upload
is on disk before the row naming it commits (storage writes first, decision 0027/0029), so every row of the
snapshot finds its file; a file newer than the snapshot is only an unreferenced extra.
"""
import datetime as dt
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

from singlewindow.atomicfiles import sync_directory

from . import archive, areas, database, stored


class Refused(Exception):
    """Nothing was changed; the message says why and what to do."""


@dataclass
class Restored:
    manifest: dict
    files: dict = field(default_factory=dict)  # area → files restored
    set_aside: list = field(default_factory=list)  # directories holding what --force replaced
    unapplied: list = field(default_factory=list)  # migrations of this code newer than the archive
    head: str = ""
    stored: dict = field(default_factory=dict)  # kind → rows naming a stored file
    problems: list = field(default_factory=list)  # rows whose file did not come back whole


# --- backup -----------------------------------------------------------------------------------------------

def default_name(now=None):
    return f"singlewindow-backup-{(now or timezone.now()).astimezone(dt.UTC):%Y%m%d-%H%M%S}.tar"


def backup(output, alias="default"):
    """Write the archive to `output` (refused if it exists); returns the manifest. Rows whose file is missing on
    this host are listed in it (`stored`), and the archive is written all the same: a backup without them beats
    none."""
    output = Path(output)
    if output.exists():
        raise Refused(_("%(path)s 已存在：备份不覆盖已有文件，请换一个文件名。") % {"path": output})
    if not output.parent.is_dir():
        raise Refused(_("目录 %(path)s 不存在。") % {"path": output.parent})
    vendor = database.vendor(alias)
    if vendor not in database.MEMBER:
        raise Refused(_("不支持备份 %(vendor)s 数据库。") % {"vendor": vendor})
    scratch = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}."))  # 0700: the dump waits here
    temporary = scratch / "archive.part"
    try:
        counts, missing = stored.problems()
        created = timezone.now()
        try:
            facts = database.dump(scratch / "database", alias)
        except database.DatabaseError as error:
            raise Refused(_("数据库导出失败：%(error)s") % {"error": error}) from None
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            writer = archive.Writer(handle)
            writer.add_file(database.MEMBER[vendor], scratch / "database")
            (scratch / "database").unlink()
            manifest = {"created_at": created.isoformat(), "areas": _add_areas(writer),
                        "database": {"vendor": vendor, "member": database.MEMBER[vendor]},
                        "stored": {"rows": counts, "missing": missing[:1000], "missing_count": len(missing)}}
            writer.close({**manifest, **facts}, created.timestamp())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, output)
        sync_directory(output.parent)
    except OSError as error:  # a full disk, an unreadable file: no half archive is left
        raise Refused(_("备份未完成，没有留下备份文件：%(error)s") % {"error": error}) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return archive.read(output)


def _add_areas(writer):
    configured = areas.areas()
    counted = {}
    for name, root in configured.items():
        counted[name] = {"files": 0}
        for relative, path in areas.files(root, configured.values()):
            try:
                writer.add_file(f"{name}/{relative}", path)
            except FileNotFoundError:  # removed since listed (a finished import's upload): no longer data
                continue
            counted[name]["files"] += 1
    return counted


# --- restore ----------------------------------------------------------------------------------------------

def check(path, alias="default"):
    """The archive read through and compared with its manifest, and with this system; returns the manifest."""
    path = Path(path)
    if not path.is_file():
        raise Refused(_("备份文件 %(path)s 不存在。") % {"path": path})
    try:
        manifest = archive.read(path)
    except archive.Damaged as error:
        raise Refused(_("备份文件 %(path)s 未通过校验，未作任何改动：%(error)s") % {"path": path, "error": error}) from None
    vendor = database.vendor(alias)
    if manifest["database"]["vendor"] != vendor:
        raise Refused(_("这是 %(archived)s 数据库的备份，不能恢复到 %(vendor)s 数据库。")
                      % {"archived": manifest["database"]["vendor"], "vendor": vendor})
    strange = sorted({name.partition("/")[0] for name in manifest["members"]} - set(areas.areas())
                     - {manifest["database"]["member"].partition("/")[0]})
    if strange:
        raise Refused(_("备份文件含有本系统不认识的目录 %(names)s，未作任何改动。") % {"names": "、".join(strange)})
    unknown = sorted(set(manifest["migrations"]) - _known_migrations())
    if unknown:
        raise Refused(_("备份来自更新版本的程序（本程序没有迁移 %(names)s）：请先升级程序再恢复。")
                      % {"names": "、".join(unknown[:5])})
    return manifest


def _known_migrations():
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the code's own, without asking the database
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def occupied(alias="default"):
    """What a restore without --force would overwrite: the database if it is not empty, areas holding files."""
    found = [] if database.is_empty(alias) else [_("数据库 %(name)s 不是空的") % {
        "name": connections[alias].settings_dict["NAME"]}]
    configured = areas.areas()
    for name, root in configured.items():
        if areas.entries(root, configured.values()):
            found.append(_("目录 %(path)s（%(area)s）不是空的") % {"path": root, "area": name})
    return found


def restore(path, alias="default", *, force=False):
    """The archive at `path` into this system: refused (nothing changed) if it is damaged, from another
    database vendor or newer code, or if the database or a directory holds data and `force` is not given."""
    manifest = check(path, alias)
    in_the_way = occupied(alias)
    if in_the_way and not force:
        raise Refused(_("%(what)s。恢复会覆盖现有数据；确认要覆盖时加 --force。") % {"what": "；".join(in_the_way)})
    configured = areas.areas()
    token = secrets.token_hex(8)
    staged = {name: root / f".restore-{token}" for name, root in configured.items()}
    scratch = Path(tempfile.mkdtemp(dir=settings.VAR_DIR, prefix=".restore-"))
    try:
        for folder in staged.values():
            _private_dirs(folder)
        try:  # again, now writing: checked once more on the way, in case the file changed meanwhile
            archive.read(path, _sink(manifest, staged, scratch))
        except archive.Damaged as error:
            raise Refused(_("备份文件 %(path)s 未通过校验，未作任何改动：%(error)s") % {"path": path, "error": error}) from None
        except OSError as error:  # a full disk while unpacking: what was unpacked goes, nothing else was touched
            raise Refused(_("解包备份失败，未作任何改动：%(error)s") % {"error": error}) from None
        try:
            database.restore(scratch / "database", alias, replace=force)
        except database.DatabaseError as error:
            raise Refused(_("数据库恢复失败，数据库未作改动：%(error)s") % {"error": error}) from None
        result = Restored(manifest)
        aside = f".before-restore-{token}" if force else None
        for name, root in configured.items():
            held = bool(areas.entries(root, configured.values()))
            areas.place(root, staged[name], configured.values(), aside=aside)
            if held and aside:
                result.set_aside.append(root / aside)
            result.files[name] = manifest["areas"].get(name, {}).get("files", 0)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        for folder in staged.values():
            shutil.rmtree(folder, ignore_errors=True)
    with connections[alias].cursor() as cursor:
        restored = database.facts(cursor)
    result.head = restored["audit"]["head"]
    result.unapplied = sorted(_known_migrations() - set(restored["migrations"]))
    if not result.unapplied:  # an older schema may not have the document tables as the code reads them
        result.stored, result.problems = stored.problems(compare=True)
    return result


def _private_dirs(path):
    """`path` and each missing folder above it made 0700 (Path.mkdir(parents=True) gives the parents 0755)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)


def _sink(manifest, staged, scratch):
    """Where each member is written while the archive is read the second time."""
    database_member = manifest["database"]["member"]

    def open_for(name):
        if name == database_member:
            target = scratch / "database"
        else:
            area, _slash, relative = name.partition("/")
            target = staged[area] / relative  # check() refused any area this system does not have
        _private_dirs(target.parent)
        return os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), "wb")

    return open_for
