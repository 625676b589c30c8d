"""Form helpers shared by the apps' views, and the one way a field is shown (FORM_RENDERER: templates/forms/field.html
through `{{ form.name.as_field_group }}`)."""
from django import forms
from django.forms.renderers import TemplatesSetting
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

# Bootstrap's class for each kind of widget (BoundField.widget_type); the rest are form-control.
WIDGET_CLASSES = {"select": "form-select", "selectmultiple": "form-select", "checkbox": "form-check-input",
                  "radioselect": "form-check-input", "checkboxselectmultiple": "form-check-input"}


class BoundField(forms.BoundField):
    """Every widget gets its Bootstrap class, and is-invalid with errors. Django marks it aria-invalid itself and
    describes it by `<id>_helptext`; with errors it is described by `<id>_error` alone (the ids
    templates/forms/field.html gives them)."""

    def build_widget_attrs(self, attrs, widget=None):
        widget = widget or self.field.widget
        attrs = super().build_widget_attrs(attrs, widget)
        if widget.is_hidden:
            return attrs
        classes = [*widget.attrs.get("class", "").split(), *attrs.get("class", "").split(),
                   *WIDGET_CLASSES.get(self.widget_type, "form-control").split()]
        if self.errors:
            classes.append("is-invalid")
            if self.auto_id and not widget.attrs.get("aria-describedby") and not self.use_fieldset:
                attrs["aria-describedby"] = f"{self.auto_id}_error"  # what is wrong, not the help read again
        attrs["class"] = " ".join(dict.fromkeys(classes))
        return attrs


SELECT_TEMPLATE = "django/forms/widgets/select.html"


def select_html(widget):
    """Django's select.html and select_option.html, written in Python: the templates include two templates per
    option, which made the insurer's county filter (120 options) 8 ms slower on this project's 2-core machine;
    this is the same markup, boolean attributes bare, False and None left out."""
    groups = []
    for group_name, options, _index in widget["optgroups"]:
        rows = format_html_join("", "\n  <option value=\"{}\"{}>{}</option>",
                                ((str(o["value"]), flatatt(o["attrs"]), o["label"]) for o in options))
        groups.append(format_html("\n  <optgroup label=\"{}\">{}\n  </optgroup>", group_name, rows)
                      if group_name else rows)
    return format_html("<select name=\"{}\"{}>{}\n</select>", widget["name"], flatatt(widget["attrs"]),
                       format_html_join("", "{}", ((g,) for g in groups)))


class Renderer(TemplatesSetting):
    """The project's templates render forms (so forms/field.html is found) with the BoundField above; a select
    (Select, SelectMultiple, NullBooleanSelect: their template is the same) by `select_html`."""

    field_template_name = "forms/field.html"
    bound_field_class = BoundField

    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE:
            return select_html(context["widget"])
        return super().render(template_name, context, request)


def add_service_errors(form, error):
    """Show a service's ValidationError next to the fields it names, the rest at the top of the form."""
    details = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    for field, messages in details.items():
        field = getattr(form, "error_fields", {}).get(field, field)  # a service's name for a form field
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def record_id(value):
    """A primary key as a page sends it (a hidden field, a checkbox), or None: ASCII digits only ("²" is a digit to
    str.isdigit) and short enough for any database's integer (a 30-digit key overflows SQLite's)."""
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def message_label(label):
    """A field's label as a message in field.error_messages names it. Django %-formats such a message with the
    validator's params only on some paths (a DecimalField's NaN is 'invalid' with the value, a bad number is
    'invalid' without), so a label's own % (赔偿比例（%）) can be neither left nor doubled: it is written ％."""
    return str(label).replace("%", "％")
