"""One way a form field is drawn (templates/forms/field.html through FORM_RENDERER): its label and required mark,
the widget with Bootstrap's class and the form field's own maxlength, errors and help tied by aria-describedby."""
import re
from pathlib import Path

from pytest_django.asserts import assertHTMLEqual

from singlewindow.accounts.forms import CodeForm, ResetPasswordForm
from singlewindow.policies.forms import ConfirmForm, IssueForm, ReasonForm
from singlewindow.policies.models import REASON_MAX_LENGTH, Scheme

SRC = Path(__file__).resolve().parents[2]

# Fields still drawn by hand, each for a reason of its own:
BY_HAND = {
    "policies/templates/policies/detail.html",  # 已认真阅读以上内容并同意: a box that posts the agreement's hash
    "accounts/templates/accounts/recover_reset.html",  # each account's radio names its enterprise and USCC
    "enterprises/templates/enterprises/imports.html",  # the upload's accept= list (the form lives in views.py)
}
HAND_DRAWN = re.compile(r"\b\w*form\.\w+\.(?:errors|id_for_label|html_name|value)\b|form\.errors\.\w+"
                        r"|includes/field\.html|\.field\.max_length")


def test_a_field_with_an_error_is_described_by_the_error(db):
    form = ReasonForm({})
    assert not form.is_valid()
    assertHTMLEqual(form["reason"].as_field_group(), f"""
        <div class="mb-3">
          <label class="form-label" for="id_reason">原因 <span class="text-danger" aria-hidden="true">*</span></label>
          <textarea name="reason" cols="40" rows="3" maxlength="{REASON_MAX_LENGTH}" required aria-invalid="true"
                    aria-describedby="id_reason_error" class="form-control is-invalid" id="id_reason"></textarea>
          <div class="invalid-feedback" id="id_reason_error">请填写原因。</div>
        </div>""")


def test_a_field_without_errors_is_described_by_its_help_and_keeps_its_browser_hints(db):
    html = CodeForm()["code"].as_field_group()
    for part in ['aria-describedby="id_code_helptext"', '<div class="form-text" id="id_code_helptext">',
                 'autocomplete="one-time-code"', 'inputmode="numeric"', 'maxlength="10"', 'class="form-control"']:
        assert part in html, part
    phone = ConfirmForm()["contact_phone"].as_field_group()
    assert 'type="tel"' in phone and 'maxlength="30"' in phone and 'autocomplete="tel"' in phone


def test_select_checkbox_and_radio_get_their_own_classes(db):
    form = IssueForm(schemes=Scheme.objects.none())
    assert 'class="form-select"' in form["scheme"].as_field_group()
    assert "本机构当前没有开放出单的投保方案。" in form["scheme"].as_field_group()
    box = form["exception"].as_field_group()
    assert '<div class="form-check mb-3">' in box and 'class="form-check-input"' in box
    radios = ResetPasswordForm({}, usernames=["a", "b"])
    radios.is_valid()
    group = radios["username"].as_field_group()
    assert group.count('class="form-check-input is-invalid"') == 2
    assert '<fieldset class="mb-3" aria-describedby="id_username_error">' in group


def test_the_insurers_reasons_are_labelled_for_their_action(db):
    assert "退回原因" in ReasonForm(prefix="return")["reason"].as_field_group()
    assert "撤销原因" in ReasonForm(prefix="cancel")["reason"].as_field_group()


def test_no_other_template_draws_a_form_field_by_hand():
    drawn = {str(path.relative_to(SRC)) for path in SRC.rglob("templates/**/*.html")
             if HAND_DRAWN.search(path.read_text(encoding="utf-8"))}
    assert drawn <= BY_HAND, drawn - BY_HAND


def test_a_select_is_drawn_as_djangos_templates_draw_it_with_every_value_escaped(db):
    """The renderer writes selects in Python (forms.select_html, for speed): the markup of Django's select.html,
    groups, the selected and boolean attributes included, with labels and values escaped."""
    from django import forms
    from django.forms.renderers import TemplatesSetting

    class Picks(forms.Form):
        one = forms.ChoiceField(choices=[("", "—"), ("x&y", "X & <b>y</b>"), ("组", [("1", "一"), ("2", "二")])])
        many = forms.MultipleChoiceField(choices=[(1, "a"), (2, "b")],
                                         widget=forms.SelectMultiple(attrs={"data-x": 'q"s', "disabled": True}))

    data = {"one": "2", "many": ["1"]}
    for name in ("one", "many"):
        ours = Picks(data)[name].as_widget(attrs={"class": "form-select"})
        djangos = Picks(data, renderer=TemplatesSetting())[name].as_widget(attrs={"class": "form-select"})
        assertHTMLEqual(ours, djangos)
    assert "X &amp; &lt;b&gt;y&lt;/b&gt;" in Picks(data)["one"].as_widget()
