from .conftest import is_problem


def test_insurer_lists_its_policies(api, keys):
    response = api.get("/policies", keys.insurer)
    assert response.status_code == 200, response.content
    assert response.data["data"]


def test_no_token(api, keys):
    is_problem(api.get("/policies", None), 401, "unauthenticated")
