"""Downloads: the policy's enterprise and its insurer branch get the signed PDF; everyone else signed in gets 404 by
the URL and id, as if it did not exist. The policy detail pages link to the documents."""
import pytest
from django.urls import reverse

from singlewindow.documents import storage
from singlewindow.policies.tests.conftest import bound_demo, page_text  # noqa: F401 (a fixture)


def url_of(document):
    return reverse("documents:download", args=[document.pk])


@pytest.mark.parametrize("who", ["demo", "colleague", "insurer"])
def test_the_policy_s_enterprise_and_insurer_download_the_signed_pdf(documented, world, client_for, who):
    response = client_for(getattr(world, who)).get(url_of(documented.document))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == documented.pdf
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("who", ["demo2", "other_insurer", "bureau", "county", "admin"])
def test_anyone_else_gets_404(documented, world, client_for, who):
    assert client_for(getattr(world, who)).get(url_of(documented.document)).status_code == 404


def test_an_anonymous_visitor_is_asked_to_log_in(documented, client):
    response = client.get(url_of(documented.document))
    assert response.status_code == 302 and reverse("portal:login") in response["Location"]


@pytest.mark.parametrize("pk", ["0", "99999999", "99999999999999999999"])
def test_an_unknown_id_gets_404(world, client_for, pk):
    assert client_for(world.demo).get(f"/documents/{pk}/").status_code == 404


def test_a_lost_file_gets_404_not_an_error(documented, world, client_for):
    storage.path_of(documented.document.stored_name).unlink()
    assert client_for(world.demo).get(url_of(documented.document)).status_code == 404


def test_the_enterprise_s_policy_page_links_the_pdf_and_the_receipt(documented, bound_demo, client_for):  # noqa: F811
    from singlewindow.documents import services

    services.ensure_receipts(documented.policy.pk)
    response = client_for(bound_demo).get(reverse("policies:detail", args=[documented.policy.pk]))
    html = response.content.decode()
    assert f'href="{url_of(documented.document)}"' in html
    text = page_text(response)
    assert "下载电子保单" in text and "下载确认回执" in text and f"验证码 {documented.document.shown_code}" in text


def test_the_insurer_s_policy_page_links_the_pdf(documented, world, client_for):
    response = client_for(world.insurer).get(reverse("insurer:detail", args=[documented.policy.pk]))
    assert f'href="{url_of(documented.document)}"' in response.content.decode()


def test_an_effective_policy_without_its_pdf_yet_says_it_is_being_made(effective, world, client_for):
    response = client_for(world.insurer).get(reverse("insurer:detail", args=[effective.pk]))
    assert "电子保单正在生成，请稍后刷新本页。" in page_text(response)
