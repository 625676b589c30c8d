import pytest
from axes.models import AccessAttempt
from django.test import Client

from singlewindow.http import server_error


def test_it_answers_an_unknown_page_in_chinese(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_it_sends_a_form_posted_before_binding_to_the_binding_page_without_replaying_it(world, client):
    client.force_login(world.demo)
    response = client.post(f"/insure/{world.pending.pk}/confirm/", {"contact_name": "李锐"})
    assert response.status_code == 302
    assert response["Location"] == "/local/bind/"
    world.pending.refresh_from_db()
    assert world.pending.status == "pending"


# --- the edge (issue 9 #17, #18) --------------------------------------------------

@pytest.mark.parametrize("url", [
    "/enterprises/eligible/?county=%00", "/enterprises/eligible/?county=4415%00", "/insure/?status=%00pending",
    "/insurer/?q=%00", "/insurer/?%00=1", "/notices/%00/", "/insure/%00",
])
def test_nul_in_a_path_or_query_is_refused_before_any_view(world, client, url):
    client.force_login(world.bureau if "eligible" in url else world.insurer if "insurer" in url else world.demo)
    response = client.get(url)
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()


def test_nul_in_any_header_is_kept_as_a_replacement_character(world):
    client = Client(HTTP_USER_AGENT="Mozilla/5.0\x00(evil)", HTTP_ACCEPT_LANGUAGE="zh\x00",
                    HTTP_X_ANYTHING="\x00\ud800")
    response = client.post("/login/", {"username": "demo", "password": "wrong"})
    assert response.status_code == 200 and "用户名或密码不正确" in response.content.decode()
    assert AccessAttempt.objects.get(username="demo").user_agent == "Mozilla/5.0\ufffd(evil)"


@pytest.mark.parametrize("content_type", [
    "application/x-www-form-urlencoded; charset=latin-1", "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=gb2312",
])
@pytest.mark.parametrize("path", ["/login/", "/register/", "/forgot-password/", "/eport/login/", "/no-such-page/"])
def test_a_form_in_another_charset_gets_the_400_page_not_a_500(db, path, content_type):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    body = f"csrfmiddlewaretoken={token}&username=a%E9&password=x".encode()
    response = client.generic("POST", path, body, content_type=content_type)
    assert response.status_code == (404 if path == "/no-such-page/" else 400)
    assert ("页面不存在" if path == "/no-such-page/" else "请求无法处理") in response.content.decode()


def test_the_500_page_reads_nothing_of_the_request(rf):
    request = rf.generic("POST", "/", b"\xff", content_type="application/x-www-form-urlencoded; charset=latin-1")
    response = server_error(request)
    assert response.status_code == 500 and "系统繁忙" in response.content.decode()
