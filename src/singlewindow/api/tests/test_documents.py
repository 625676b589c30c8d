"""An enterprise's software reads its policy's documents through the API: the versions with their hashes and
verification codes, and the signed PDF itself; nobody else's."""
import hashlib

from singlewindow.documents.tests.conftest import documented, effective  # noqa: F401 (fixtures)

from .conftest import is_problem


def test_the_enterprise_lists_its_policys_documents_and_downloads_the_pdf(api, keys, documented):  # noqa: F811
    listed = api.get(f"/policies/{documented.policy.pk}/documents", keys.demo)
    assert listed.status_code == 200, listed.content
    [row] = [d for d in listed.data if d["kind"] == "policy"]
    assert (row["version"], row["current"], row["sha256"]) == (1, True, documented.document.sha256)
    assert row["verification_code"] == documented.document.code
    pdf = api.client.get(row["download"], headers={"Authorization": f"Bearer {keys.demo.secret}"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(pdf.streaming_content)).hexdigest() == documented.document.sha256


def test_another_enterprise_a_bureau_and_another_branch_are_refused(api, keys, documented):  # noqa: F811
    policy, document = documented.policy.pk, documented.document.pk
    for token in (keys.demo2, keys.other_insurer):
        is_problem(api.get(f"/policies/{policy}/documents", token), 404, "not_found")
        is_problem(api.get(f"/documents/{document}", token), 404, "not_found")
    assert api.get(f"/policies/{policy}/documents", keys.bureau).status_code == 403
    assert api.get(f"/documents/{document}", keys.bureau).status_code == 403
    assert api.get(f"/policies/{policy}/documents", keys.insurer).status_code == 200  # its own branch's
