"""The directories whose files are data of record, each kept in the archive under its own name.

eport: the card authority's CA (ca/ca.key, ca/ca.pem) and the demo card files (decision 0009); signing: the
document-signing CA and every insurer branch's signing keys (decision 0027; inside eport/ unless SW_SIGNING_DIR
says otherwise); documents: claim documents and the signed 电子保单 (decision 0029); imports: the customs-list
uploads and their error reports. Names starting with a dot are a writer's temporary files (".x.part", ".ca-…")
or a restore's own, never data: they are left out. A directory that is another area's root is left to that area.
"""
import os
from pathlib import Path

from django.conf import settings

from singlewindow.documents import signing


def areas():
    """{name: directory} as this system is configured."""
    return {
        "eport": Path(settings.EPORT_DIR),
        "signing": signing.directory(),
        "documents": Path(settings.SW_DOCUMENT_DIR),
        "imports": Path(settings.SW_IMPORT_DIR),
    }


def _others(root, roots):
    root = root.resolve()
    return {other.resolve() for other in roots if other.resolve() != root}


def files(root, roots):
    """(relative POSIX path, path) of every regular file under `root`, symbolic links not followed."""
    if not root.is_dir():
        return
    others = _others(root, roots)
    for folder, subfolders, names in os.walk(root):
        here = Path(folder)
        subfolders[:] = sorted(name for name in subfolders
                               if not name.startswith(".") and (here / name).resolve() not in others)
        for name in sorted(names):
            path = here / name
            if not name.startswith(".") and path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def entries(root, roots):
    """The top-level entries of `root` that are its own (what a restore would replace)."""
    if not root.is_dir():
        return []
    others = _others(root, roots)
    return sorted(entry for entry in root.iterdir()
                  if not entry.name.startswith(".") and entry.resolve() not in others)


def place(root, staged, roots, *, aside=None):
    """Move the tree `staged` (inside `root`, so each move is a rename) into `root`. With `aside` (a name), what
    `root` held is first moved into root/aside, for the operator to inspect and remove."""
    existing = entries(root, roots)
    if existing and aside:
        keep = root / aside
        keep.mkdir(mode=0o700)
        for entry in existing:
            os.rename(entry, keep / entry.name)
    for entry in sorted(staged.iterdir()):
        os.rename(entry, root / entry.name)
    staged.rmdir()
