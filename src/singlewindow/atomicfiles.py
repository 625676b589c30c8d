"""Files written whole or not at all: a temporary file beside the target, fsync, rename, fsync of the directory.

A reader (the download of an import's error report, the worker reading an upload) sees the finished file or
none; a full disk (ENOSPC) or a crash mid-write leaves no half file under the final name, and the temporary
one is removed when the write fails. documents/storage.py (the signed PDFs) and claims/uploads.py (claim
documents, hashed as they stream) write their own temporary files, with O_EXCL and mode 0600, and sync the
directory with sync_directory.
"""
import errno
import os
import secrets
from pathlib import Path


def is_disk_full(error):
    """The write failed for want of space or quota: the operator's problem, said so to the user."""
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def sync_directory(folder):
    """A rename into `folder` made durable (POSIX: the directory's entry is on disk only once it is synced)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicFile:
    """open(path, mode, …) whose content appears at `path` only on commit(); discard() (or any failure of
    commit) leaves nothing. Text or binary, as `mode` says ("w" or "wb")."""

    def __init__(self, path, mode="w", **options):
        self.path = Path(path)
        self.temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(8)}.part")
        self.file = open(self.temporary, mode, **options)  # noqa: SIM115 (closed by commit() or discard())

    def write(self, data):
        return self.file.write(data)

    def commit(self):
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.temporary, self.path)
            sync_directory(self.path.parent)
        except BaseException:
            self.discard()
            raise

    def discard(self):
        try:
            self.file.close()
        except OSError:
            pass  # a full disk fails the close's flush too; the file goes anyway
        self.temporary.unlink(missing_ok=True)


def write_chunks(path, chunks):
    """Write the byte strings of `chunks` to `path`, whole or not at all."""
    out = AtomicFile(path, "wb")
    try:
        for chunk in chunks:
            out.write(chunk)
    except BaseException:
        out.discard()
        raise
    out.commit()
