"""Where generated documents are kept: SW_DOCUMENT_DIR/issued, outside the web root, each under a random name of
ours (0600 in a 0700 directory), written atomically (a temporary file, fsync, rename) so a crash leaves either
the whole file or nothing. The name is the row's; the browser is given the document's own file name."""
import errno
import hashlib
import logging
import os
import re
import secrets
from pathlib import Path

from django.conf import settings

from singlewindow.atomicfiles import sync_directory

log = logging.getLogger(__name__)

_NAME = re.compile(r"\A[0-9a-f]{32}\.pdf\Z")


def directory():
    path = Path(settings.SW_DOCUMENT_DIR) / "issued"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write(data):
    """Keep `data`; returns (stored name, SHA-256 of what was written)."""
    folder = directory()
    name = secrets.token_hex(16) + ".pdf"
    temporary = folder / f".{secrets.token_hex(16)}.part"
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                if not written:
                    raise OSError(errno.EIO, "write returned 0")
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, folder / name)
        sync_directory(folder)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    return name, hashlib.sha256(data).hexdigest()


def path_of(name):
    """The file's path; FileNotFoundError for any name write() does not make."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise FileNotFoundError(errno.ENOENT, "not a stored document name", str(name)[:100])
    return directory() / name


def exists(name):
    try:
        return path_of(name).is_file()
    except FileNotFoundError:
        return False


def discard(name):
    try:
        path_of(name).unlink(missing_ok=True)
    except OSError as error:
        log.warning("document %r not discarded: %s", str(name)[:100], error)


def open_stored(name):
    return open(path_of(name), "rb")
