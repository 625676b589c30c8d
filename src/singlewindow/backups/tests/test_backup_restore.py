"""manage.py backup and restore: a running system's database, both CAs and its stored files brought back into a
new database and empty directories with nothing lost; a damaged archive, or a database in use, is refused and
nothing changes."""
import hashlib
import io
import json
import os
import stat
import tarfile
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from singlewindow.audit.models import AuditHead
from singlewindow.claims import services as claims
from singlewindow.claims import uploads
from singlewindow.claims.models import ClaimDocument
from singlewindow.claims.tests.conftest import claim_for, pdf
from singlewindow.documents import services as documents
from singlewindow.documents import signing, storage
from singlewindow.documents.models import PolicyDocument
from singlewindow.documents.tests.conftest import make_effective
from singlewindow.documents.tests.test_pdf import status_of
from singlewindow.enterprises import imports
from singlewindow.enterprises.models import ImportJob
from singlewindow.enterprises.tests.conftest import CITY, csv_bytes, new_uscc
from singlewindow.eport import authority as card_authority
from singlewindow.eport.tests.conftest import card_login, demo_holder, last_attempt
from singlewindow.policies.models import Policy


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def every_row():
    """Each table's row count and the SHA-256 of its rows in key order (every model, the many-to-many tables),
    and the migration records: two databases hold the same rows when these are equal."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            values = list(model._base_manager.order_by("pk").values_list())
            rows[model._meta.db_table] = (len(values), sha256(repr(values).encode()))
    rows["django_migrations"] = sorted(MigrationRecorder(connection).applied_migrations())
    return rows


def backup(path, stderr=None):
    out = io.StringIO()
    call_command("backup", str(path), stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


def restore(path, *options):
    out = io.StringIO()
    call_command("restore", str(path), *options, stdout=out)
    return out.getvalue()


def manifest_of(path):
    with tarfile.open(path) as tar:
        return json.load(tar.extractfile("manifest.json"))


def empty_areas(settings, root):
    """This system's CA, signing, document and import directories moved to `root`, where nothing exists yet."""
    settings.EPORT_DIR = root / "eport"
    settings.SW_SIGNING_DIR = ""  # inside EPORT_DIR, as by default
    settings.SW_DOCUMENT_DIR = root / "documents"
    settings.SW_IMPORT_DIR = root / "imports"


@contextmanager
def new_database(tmp_path):
    """A new, empty database of the same vendor; the default connection points at it inside the block."""
    original = connection.settings_dict["NAME"]
    if connection.vendor == "postgresql":
        name = f"{original}_restored"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    else:
        name = str(tmp_path / "restored.sqlite3")
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        yield name
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_claim_document(world):
    """A claim on demo's 2020 policy with an invoice uploaded."""
    insured = SimpleNamespace(
        policy=Policy.objects.select_related("scheme").get(enterprise=world.demo.enterprise_id, scheme__year=2020),
        buyer=claims.add_buyer(world.demo, {"name_latin": "Hamburg Trading GmbH", "country": "DE",
                                            "address": "Speicherstadt 1, Hamburg"}),
        user=world.demo, insurer=world.insurer)
    return claims.add_document(world.demo, claim_for(insured).pk, "invoice", pdf())


@pytest.fixture
def running(live_world, settings, tmp_path):
    """The demo world committed, plus what a backup must carry: a policy confirmed and approved with its signed
    电子保单, an import, a refused one whose error report is on disk, and a claim with a document."""
    world = live_world
    settings.SW_IMPORT_DIR = tmp_path / "imports"  # the run's own var/imports is shared by other runs
    policy = make_effective(world)
    document, made = documents.ensure_policy_document(policy.pk)
    assert made
    job = imports.submit(world.bureau, SimpleUploadedFile("exports.csv", csv_bytes([
        [new_uscc(1), "备份测试出口企业有限公司", CITY, world.scheme.basis_year, "4000000"]])))
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE
    refused = imports.submit(world.bureau, SimpleUploadedFile("exports.csv", csv_bytes([
        [new_uscc(2), "备份测试出口企业有限公司", CITY, world.scheme.basis_year, "四百万"]])))
    assert ImportJob.objects.get(pk=refused.pk).status == ImportJob.Status.REJECTED
    claim_document = add_claim_document(world)
    return SimpleNamespace(world=world, document=document, refused=refused, claim_document=claim_document,
                           card_ca=card_authority.fingerprint(card_authority.authority().certificate),
                           document_ca=signing.fingerprint(signing.authority().certificate),
                           report=imports.report_file(refused).read_bytes())


def test_a_restore_into_a_new_database_and_empty_directories_brings_everything_back(running, settings, tmp_path):
    archive = tmp_path / "backup.tar"
    said = backup(archive)
    rows = every_row()
    assert "0600" in said and "含私钥" in said
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600
    manifest = manifest_of(archive)
    assert manifest["audit"]["head"] == AuditHead.objects.get(pk=1).last_hash
    assert manifest["migrations"] == [f"{app}.{name}" for app, name in rows["django_migrations"]]
    assert manifest["members"]["eport/ca/ca.key"]["sha256"] == sha256(
        (Path(settings.EPORT_DIR) / "ca" / "ca.key").read_bytes())

    empty_areas(settings, tmp_path / "new")
    with new_database(tmp_path):
        said = restore(archive)
        assert "audit chain intact" in said and "SHA-256 全部与记录相符" in said
        assert every_row() == rows
        # the stored files, at their new place, are the bytes the rows name
        for row in PolicyDocument.objects.all():
            assert sha256(storage.path_of(row.stored_name).read_bytes()) == row.sha256
        for row in ClaimDocument.objects.all():
            assert sha256(uploads.path_of(row.stored_name).read_bytes()) == row.sha256
        assert storage.path_of(running.document.stored_name).is_relative_to(tmp_path / "new")
        assert ClaimDocument.objects.filter(pk=running.claim_document.pk).exists()
        assert imports.report_file(running.refused).read_bytes() == running.report
        # the same two CAs, not new ones made on first use
        assert signing.fingerprint(signing.authority().certificate) == running.document_ca
        assert card_authority.fingerprint(card_authority.authority().certificate) == running.card_ca
        status = status_of(storage.path_of(running.document.stored_name).read_bytes(), signing.trust_root())
        assert status.bottom_line and status.intact and status.valid and status.trusted, status.summary()
        # a card still logs in, and what it writes goes on the restored chain
        response = card_login(Client(), demo_holder("demo-legal"))
        assert response.redirect_chain[-1][0] == "/" and last_attempt().ok, last_attempt().code
        out = io.StringIO()
        call_command("verify_audit", stdout=out)
        assert "audit chain intact" in out.getvalue()
        assert every_row() != rows

        # the same archive again over this now-running system: only with --force, and what was there is set aside
        with pytest.raises(CommandError, match="不是空的"):
            restore(archive)
        said = restore(archive, "--force")
        assert "audit chain intact" in said and "原有文件已移到" in said
        assert every_row() == rows
        (kept,) = (tmp_path / "new" / "eport").glob(".before-restore-*")
        assert (kept / "ca" / "ca.key").read_bytes() == (tmp_path / "new" / "eport" / "ca" / "ca.key").read_bytes()


def test_a_tampered_archive_is_refused_even_with_force_and_nothing_changes(world, settings, tmp_path):
    settings.SW_IMPORT_DIR = tmp_path / "imports"
    archive = tmp_path / "backup.tar"
    backup(archive)
    with tarfile.open(archive) as tar:
        offset = tar.getmember("eport/ca/ca.key").offset_data
    data = bytearray(archive.read_bytes())
    data[offset + 40] ^= 0x01
    archive.write_bytes(bytes(data))
    rows = every_row()
    empty_areas(settings, tmp_path / "new")

    with pytest.raises(CommandError) as refused:
        restore(archive, "--force")
    assert "未通过校验，未作任何改动" in str(refused.value) and "eport/ca/ca.key" in str(refused.value)
    assert every_row() == rows
    assert not (tmp_path / "new").exists()


def test_a_cut_off_archive_is_refused(world, settings, tmp_path):
    settings.SW_IMPORT_DIR = tmp_path / "imports"
    archive = tmp_path / "backup.tar"
    backup(archive)
    archive.write_bytes(archive.read_bytes()[:archive.stat().st_size // 2])
    empty_areas(settings, tmp_path / "new")

    with pytest.raises(CommandError) as refused:
        restore(archive, "--force")
    assert "未通过校验，未作任何改动" in str(refused.value)
    assert not (tmp_path / "new").exists()


def test_it_will_not_overwrite_a_database_in_use_without_force(world, settings, tmp_path):
    settings.SW_IMPORT_DIR = tmp_path / "imports"
    archive = tmp_path / "backup.tar"
    backup(archive)
    rows = every_row()
    empty_areas(settings, tmp_path / "new")

    with pytest.raises(CommandError) as refused:
        restore(archive)
    assert "不是空的" in str(refused.value) and "--force" in str(refused.value)
    assert every_row() == rows
    assert not (tmp_path / "new").exists()


def test_a_backup_never_overwrites_an_existing_file(db, tmp_path):
    archive = tmp_path / "backup.tar"
    archive.write_bytes(b"an older backup")
    with pytest.raises(CommandError) as refused:
        backup(archive)
    assert "已存在" in str(refused.value)
    assert archive.read_bytes() == b"an older backup"
    assert [path.name for path in tmp_path.iterdir()] == ["backup.tar"]


def test_a_backup_names_the_documents_it_cannot_find_on_this_host(world, settings, tmp_path):
    settings.SW_IMPORT_DIR = tmp_path / "imports"
    lost = add_claim_document(world)
    uploads.path_of(lost.stored_name).unlink()
    archive, warned = tmp_path / "backup.tar", io.StringIO()
    said = backup(archive, stderr=warned)
    assert "已备份" in said
    assert "找不到" in warned.getvalue() and f"索赔材料 {lost.stored_name}：文件缺失" in warned.getvalue()
    assert f"索赔材料 {lost.stored_name}：文件缺失" in manifest_of(archive)["stored"]["missing"]


def test_a_disk_that_fills_during_a_backup_leaves_no_half_archive(world, settings, tmp_path, monkeypatch):
    import errno

    from singlewindow.backups import archive as archives

    settings.SW_IMPORT_DIR = tmp_path / "imports"
    written = archives.Writer.add_file

    def fill_up(self, name, path):
        if name.startswith("documents/"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return written(self, name, path)

    monkeypatch.setattr(archives.Writer, "add_file", fill_up)
    with pytest.raises(CommandError) as refused:
        backup(tmp_path / "backup.tar")
    assert "备份未完成，没有留下备份文件" in str(refused.value) and "No space left on device" in str(refused.value)
    assert [path.name for path in tmp_path.iterdir()] == []


def rewritten(path, change):
    """The archive with its manifest changed by `change` and its checksum made to match (what a newer version of
    the code, or the other database, would have written)."""
    copy = path.with_name("rewritten.tar")
    with tarfile.open(path) as source, tarfile.open(copy, "w", format=tarfile.PAX_FORMAT) as target:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = body = json.dumps(manifest).encode()
            elif member.name == "manifest.sha256":
                continue
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
        info = tarfile.TarInfo("manifest.sha256")
        digest = (sha256(body) + "\n").encode()
        info.size = len(digest)
        target.addfile(info, io.BytesIO(digest))
    return copy


@pytest.mark.parametrize("change, refusal", [
    (lambda manifest: manifest["migrations"].append("policies.9999_from_the_future"), "备份来自更新版本的程序"),
    (lambda manifest: manifest["database"].update(vendor={"sqlite": "postgresql"}.get(connection.vendor, "sqlite")),
     "不能恢复到"),
])
def test_an_archive_from_newer_code_or_the_other_database_is_refused(world, settings, tmp_path, change, refusal):
    settings.SW_IMPORT_DIR = tmp_path / "imports"
    backup(tmp_path / "backup.tar")
    archive = rewritten(tmp_path / "backup.tar", change)
    empty_areas(settings, tmp_path / "new")

    with pytest.raises(CommandError, match=refusal):
        restore(archive, "--force")
    assert not (tmp_path / "new").exists()
