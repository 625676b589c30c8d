"""Display names (账户设置, 操作员管理) go through the one text rule: refused on the field, nothing stored."""
from hypothesis import HealthCheck, given, settings

from singlewindow.accounts.models import User
from singlewindow.policies.tests.conftest import page_text, refusal_on, refused_texts

from .test_operators import NEW

EXAMPLES = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def shows_refusal(response, field):
    assert response.status_code == 400
    messages = refusal_on(response.context["form"], field)
    assert messages, response.context["form"].errors
    assert all(message in page_text(response) for message in messages)


@EXAMPLES
@given(text=refused_texts())
def test_the_profile_refuses_such_a_display_name(people, login_as, text):
    response = login_as("clerk").post("/account/", {"display_name": text, "email": ""})
    shows_refusal(response, "display_name")
    people.clerk.refresh_from_db()
    assert people.clerk.display_name == "黄静"


@EXAMPLES
@given(text=refused_texts())
def test_adding_an_operator_refuses_such_a_display_name(people, login_as, text):
    response = login_as("boss").post("/account/operators/add/", {**NEW, "display_name": text})
    shows_refusal(response, "display_name")
    assert not User.objects.filter(username=NEW["username"]).exists()
