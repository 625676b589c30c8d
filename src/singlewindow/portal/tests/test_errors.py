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
