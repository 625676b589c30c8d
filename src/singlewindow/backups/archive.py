"""The archive: a plain tar of the members, then manifest.json (what it holds, each member's size and SHA-256)
and manifest.sha256 (the manifest's own), written to a temporary file (0600) that is renamed into place.

The checks find damage (a bad disk, a cut-off copy, an edited byte), not a forger: whoever can rewrite the
archive holds the private keys in it anyway.
"""
import hashlib
import io
import json
import os
import tarfile
from pathlib import PurePosixPath

from django.utils.translation import gettext as _

MANIFEST, MANIFEST_SHA256 = "manifest.json", "manifest.sha256"
FORMAT, VERSION = "singlewindow-backup", 1
_BLOCK = 1 << 20


class Damaged(Exception):
    """The archive cannot be trusted; the message says why."""


class _Hashing:
    """A file read through, its SHA-256 and length taken on the way (what tarfile copies is what is hashed)."""

    def __init__(self, handle):
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0

    def read(self, size=-1):
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


class Writer:
    """Members added one by one to an open file; close() appends the manifest."""

    def __init__(self, handle):
        self.tar = tarfile.open(fileobj=handle, mode="w", format=tarfile.PAX_FORMAT)  # noqa: SIM115 (close())
        self.members = {}

    def _info(self, name, size, mtime):
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, int(mtime), 0o600
        return info

    def add_file(self, name, path):
        with open(path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            hashing = _Hashing(handle)
            self.tar.addfile(self._info(name, stat.st_size, stat.st_mtime), hashing)
        self.members[name] = {"size": hashing.size, "sha256": hashing.digest.hexdigest()}

    def _add_bytes(self, name, data, mtime):
        self.tar.addfile(self._info(name, len(data), mtime), io.BytesIO(data))

    def close(self, manifest, mtime):
        body = json.dumps({"format": FORMAT, "version": VERSION, **manifest, "members": self.members},
                          ensure_ascii=False, indent=1, sort_keys=True).encode()
        self._add_bytes(MANIFEST, body, mtime)
        self._add_bytes(MANIFEST_SHA256, hashlib.sha256(body).hexdigest().encode() + b"\n", mtime)
        self.tar.close()


def safe_name(name):
    """A member name we write: relative, no '..', no empty or hidden part."""
    parts = PurePosixPath(name).parts
    return (len(parts) >= 2 and not name.startswith("/") and "\\" not in name
            and all(part not in ("", ".", "..") and not part.startswith(".") for part in parts))


def read(path, sink=None):
    """Read the whole archive, each member's bytes handed to `sink(name)` (a writable file, or None to only hash
    them); returns the manifest once every member matches it. Damaged for anything else, before or after."""
    found, manifest, declared = {}, None, None
    try:
        with tarfile.open(path, mode="r:") as tar:
            for member in tar:
                if member.name in (MANIFEST, MANIFEST_SHA256) and member.isfile():
                    data = tar.extractfile(member).read()
                    if member.name == MANIFEST:
                        manifest = data
                    else:
                        declared = data.decode("ascii", "replace").strip()
                    continue
                if not member.isfile() or not safe_name(member.name) or member.name in found:
                    raise Damaged(_("备份文件含有不应有的内容：%(name)s") % {"name": member.name[:100]})
                source, digest, size = tar.extractfile(member), hashlib.sha256(), 0
                target = sink(member.name) if sink else None
                try:
                    while block := source.read(_BLOCK):
                        digest.update(block)
                        size += len(block)
                        if target is not None:
                            target.write(block)
                finally:
                    if target is not None:
                        target.close()
                found[member.name] = {"size": size, "sha256": digest.hexdigest()}
    except (tarfile.TarError, EOFError) as error:  # cut short or not a tar at all
        raise Damaged(_("不是完整可读的备份文件（%(error)s）") % {"error": error}) from None
    return _checked(manifest, declared, found)


def _checked(manifest, declared, found):
    if manifest is None or declared is None:
        raise Damaged(_("备份文件缺少清单（manifest.json）"))
    if hashlib.sha256(manifest).hexdigest() != declared:
        raise Damaged(_("备份清单与其校验值不符：文件已损坏"))
    try:
        manifest = json.loads(manifest)
    except ValueError:
        raise Damaged(_("备份清单无法读取：文件已损坏")) from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise Damaged(_("不是本系统的备份文件（格式 %(format)s 第 %(version)s 版）") % {"format": FORMAT, "version": VERSION})
    members = manifest.get("members") or {}
    wrong = sorted(name for name in set(members) | set(found) if members.get(name) != found.get(name))
    if wrong:
        shown = "、".join(wrong[:5]) + ("……" if len(wrong) > 5 else "")
        raise Damaged(_("校验不符：%(count)s 个文件与清单记录的 SHA-256 或大小不一致（%(names)s）。备份文件已损坏或被改动")
                      % {"count": len(wrong), "names": shown})
    return manifest
