"""名单公示 pages: the bureau publishes, answers objections, confirms or withdraws; an enterprise of the region
reads the list and objects. Thin: every rule is in publication.py."""
from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from singlewindow.accounts.decorators import role_required
from singlewindow.accounts.models import Role
from singlewindow.http import check_step, client_ip
from singlewindow.policies.models import Scheme
from singlewindow.refusals import attempt

from . import publication as services
from .models import Objection, Publication, PublicationEntry

PAGE = 100
readers = role_required(Role.BUREAU, Role.ENTERPRISE, Role.STAFF, Role.INSURER)
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"required": gettext_lazy("请填写日期。"), "invalid": gettext_lazy("请输入有效的日期，如 2020-06-01。")}


class PublishForm(forms.Form):
    scheme = forms.ModelChoiceField(label=gettext_lazy("投保方案"), queryset=Scheme.objects.none(), empty_label=None,
                                    error_messages={"invalid_choice": gettext_lazy("请选择列表中的投保方案。")})
    starts_on = forms.DateField(label=gettext_lazy("公示开始日"), widget=DATE, error_messages=DATE_ERRORS)
    ends_on = forms.DateField(label=gettext_lazy("公示截止日（含当日）"), widget=DATE, error_messages=DATE_ERRORS)
    note = forms.CharField(label=gettext_lazy("公示说明"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.visible_to(user).order_by("-cover_start", "name")


class ObjectionForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("异议内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": gettext_lazy("请填写此项。")})


class RecordedObjectionForm(ObjectionForm):
    objector = forms.CharField(label=gettext_lazy("异议人"), max_length=100,
                               error_messages={"required": gettext_lazy("请填写此项。")})
    contact = forms.CharField(label=gettext_lazy("联系方式"), max_length=50,
                              error_messages={"required": gettext_lazy("请填写此项。")})
    enterprise = forms.ModelChoiceField(label=gettext_lazy("所涉企业（可不选）"), required=False,
                                        queryset=PublicationEntry.objects.none(), to_field_name="enterprise_id",
                                        error_messages={"invalid_choice": gettext_lazy("所涉企业不在本公示的范围内。")})

    def __init__(self, publication, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["enterprise"]
        field.queryset = publication.rows.select_related("enterprise").order_by("enterprise__uscc")
        field.label_from_instance = lambda entry: str(entry.enterprise)


class AnswerForm(forms.Form):
    answer = forms.CharField(label=gettext_lazy("处理意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": gettext_lazy("请填写此项。")})
    remove = forms.BooleanField(label=gettext_lazy("异议成立，将该企业移出名单"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤回原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": gettext_lazy("请填写此项。")})


@readers
@require_http_methods(["GET", "POST"])
def publication_list(request):
    """The bureau's lists and the form to publish one; an enterprise's: the lists of its region."""
    user = request.user
    form = PublishForm(user, request.POST or None) if user.role == Role.BUREAU else None
    if request.method == "POST":
        if form is None:
            return redirect("enterprises:publications")
        if form.is_valid():
            with attempt(request, form, refused_on_form=True) as tried:
                data = form.cleaned_data
                publication = services.publish(user, data["scheme"].pk, starts_on=data["starts_on"],
                                               ends_on=data["ends_on"], note=data["note"], ip=client_ip(request))
                messages.success(request, _("已发布公示，名单共 %(n)s 家企业。") % {"n": publication.entries})
                return redirect("enterprises:publication", pk=publication.pk)
            del tried
    publications = Publication.objects.visible_to(user).select_related("scheme", "region")
    return render(request, "enterprises/publications.html", {
        "form": form, "publications": publications, "min_days": services.PUBLICATION_MIN_DAYS,
    }, status=400 if form is not None and form.errors else 200)


def _detail(request, publication, *, objection_form=None, answer_forms=None, status=200):
    user = request.user
    rows = publication.rows.select_related("enterprise__region").order_by("enterprise__uscc")
    after = request.GET.get("after", "")
    if after.isalnum() and len(after) <= 18:
        rows = rows.filter(enterprise__uscc__gt=after)
    page = list(rows[:PAGE + 1])
    objections = publication.objections.select_related("enterprise")
    if user.role == Role.ENTERPRISE:
        objections = objections.filter(filed_by__enterprise=user.enterprise_id)
    bureau = (user.role == Role.BUREAU and publication.status == Publication.Status.PUBLISHED
              and publication.region_id == user.region_id)  # the list's own bureau decides
    if objection_form is None and publication.status == Publication.Status.PUBLISHED:
        if user.role == Role.ENTERPRISE:
            objection_form = ObjectionForm()
        elif bureau:
            objection_form = RecordedObjectionForm(publication)
    today = timezone.localdate()
    return render(request, "enterprises/publication.html", {
        "publication": publication, "rows": page[:PAGE], "next_after": page[PAGE - 1].enterprise.uscc
        if len(page) > PAGE else "", "after": after, "objections": objections,
        "objection_form": objection_form, "answer_forms": answer_forms or {}, "bureau": bureau,
        "open": publication.starts_on <= today <= publication.ends_on, "today": today,
        "full_uscc": user.role != Role.ENTERPRISE,
    }, status=status)


def _publication(request, pk):
    return get_object_or_404(Publication.objects.visible_to(request.user).select_related("scheme", "region"), pk=pk)


@readers
@require_GET
def publication_detail(request, pk):
    return _detail(request, _publication(request, pk))


@role_required(Role.BUREAU, Role.ENTERPRISE)
@require_POST
def publication_object(request, pk):
    publication = _publication(request, pk)
    form = (ObjectionForm(request.POST) if request.user.role == Role.ENTERPRISE
            else RecordedObjectionForm(publication, request.POST))
    if form.is_valid():
        data = form.cleaned_data
        entry = data.get("enterprise")
        with attempt(request, form) as tried:
            services.object_to(request.user, publication.pk, text=data["text"], objector=data.get("objector", ""),
                               contact=data.get("contact", ""), enterprise_id=entry.enterprise_id if entry else None,
                               ip=client_ip(request))
            messages.success(request, _("异议已记录，商务主管部门将在确认名单前处理。"))
            return redirect("enterprises:publication", pk=publication.pk)
        if tried.refused:
            return redirect("enterprises:publication", pk=publication.pk)
    return _detail(request, publication, objection_form=form, status=400)


@role_required(Role.BUREAU)
@require_POST
def objection_answer(request, pk, objection_id):
    publication = _publication(request, pk)
    objection = get_object_or_404(Objection.objects.filter(publication=publication), pk=objection_id)
    form = AnswerForm(request.POST)
    if form.is_valid():
        with attempt(request, form) as tried:
            services.answer(request.user, publication.pk, objection.pk, answer=form.cleaned_data["answer"],
                            remove=form.cleaned_data["remove"], ip=client_ip(request))
            messages.success(request, _("已处理该异议。"))
            return redirect("enterprises:publication", pk=publication.pk)
        if tried.refused:
            return redirect("enterprises:publication", pk=publication.pk)
    return _detail(request, publication, answer_forms={objection.pk: form}, status=400)


@role_required(Role.BUREAU)
@require_http_methods(["GET", "POST"])
def publication_confirm(request, pk):
    publication = _publication(request, pk)
    back = reverse("enterprises:publication", args=[publication.pk])
    if request.method == "POST" and request.POST.get("checked") == "1":
        with attempt(request) as tried:
            services.confirm(request.user, publication.pk, ip=client_ip(request))
            messages.success(request, _("名单已确认。"))
        del tried
        return redirect(back)
    live = publication.rows.filter(removed=False).count()
    return check_step(request, title=_("确认名单"), summary=_(
        "确认后名单不能再修改；本方案要求公示时，只有名单内的 %(n)s 家企业符合出单条件。") % {"n": live},
        items=[str(publication.scheme), str(publication.region)], button=_("确认名单"), back_url=back)


@role_required(Role.BUREAU)
@require_http_methods(["GET", "POST"])
def publication_withdraw(request, pk):
    publication = _publication(request, pk)
    back = reverse("enterprises:publication", args=[publication.pk])
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with attempt(request, form) as tried:
            services.withdraw(request.user, publication.pk, reason=form.cleaned_data["reason"], ip=client_ip(request))
            messages.success(request, _("公示已撤回。"))
            return redirect(back)
        if tried.refused:
            return redirect(back)
    return render(request, "enterprises/publication_withdraw.html", {"publication": publication, "form": form},
                  status=400 if form.errors else 200)
