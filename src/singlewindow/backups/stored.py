"""The rows that name a stored file by its SHA-256, checked against the files: before a backup (is every file
there to be copied? a documents volume not mounted on this host would make an archive without them) and after a
restore (did every file come back with its bytes?)."""
import hashlib

from django.utils.translation import gettext as _


def _kinds():
    from singlewindow.claims import uploads
    from singlewindow.claims.models import ClaimDocument
    from singlewindow.documents import storage
    from singlewindow.documents.models import PolicyDocument

    return [(_("索赔材料"), ClaimDocument, uploads.path_of), (_("电子保单和确认回执"), PolicyDocument, storage.path_of)]


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def problems(*, compare=False):
    """(counts {kind: rows}, ["kind name: why", …]) for every row whose file is missing (or, with `compare`,
    holds other bytes than the row's SHA-256)."""
    counts, found = {}, []
    for label, model, path_of in _kinds():
        counts[label] = 0
        for name, digest in model.objects.order_by("pk").values_list("stored_name", "sha256").iterator(2000):
            counts[label] += 1
            path = path_of(name)
            if not path.is_file():
                found.append(_("%(kind)s %(name)s：文件缺失") % {"kind": label, "name": name})
            elif compare and _sha256(path) != digest:
                found.append(_("%(kind)s %(name)s：SHA-256 与记录不符") % {"kind": label, "name": name})
    return counts, found
