"""The forms of 理赔审核 (the insurer's desk) and of the figures page. The rules stay in services.py: these only
read what was typed; a service's ValidationError lands on the field it names (singlewindow.forms.add_service_errors)."""
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role, User
from singlewindow.policies.models import REASON_MAX_LENGTH
from singlewindow.regions.models import Region, within

from .models import Buyer, Cause, Claim, LossNotice, NoticeMessage, SettlementConsent

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SEARCH_MAX_LENGTH = 100

NOTICES, CLAIMS = "notices", "claims"
TABS = ((NOTICES, _("报损")), (CLAIMS, _("索赔")))
WAITING, ALL = "waiting", "all"  # the status filter's two pseudo-statuses: what awaits the insurer, everything
ME, NOBODY = "me", "none"


def branch_colleagues(user):
    """The insurer users of `user`'s branch, who may be a claim's 经办人."""
    if not user.insurer_branch_id:
        return User.objects.none()
    return User.objects.filter(role=Role.INSURER, is_active=True,
                               insurer_branch_id=user.insurer_branch_id).order_by("display_name", "username")


def branch_counties(user):
    """The counties of the insurer's regions (inside a city or the province, or a region itself)."""
    regions = list(user.insurer_branch.regions.all()) if user.insurer_branch_id else []
    return Region.objects.filter(within(regions, "parent") | Q(pk__in=[r.pk for r in regions]),
                                 level=Region.Level.COUNTY)


class QueueFilter(forms.Form):
    """The desk's filters. `status` holds a notice's or a claim's status depending on the tab."""

    status = forms.ChoiceField(label=_("状态"), required=False)
    county = forms.ModelChoiceField(label=_("县区"), queryset=Region.objects.none(), required=False,
                                    empty_label=_("全部县区"),
                                    error_messages={"invalid_choice": _("请选择列表中的县区。")})
    cause = forms.ChoiceField(label=_("损失原因"), required=False, choices=[("", _("全部原因")), *Cause.choices])
    assignee = forms.ChoiceField(label=_("经办人"), required=False)

    def __init__(self, user, tab, *args, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = LossNotice.Status if tab == NOTICES else Claim.Status
        self.fields["status"].choices = [(WAITING, _("待本机构处理")), (ALL, _("全部状态")), *statuses.choices]
        self.fields["county"].queryset = branch_counties(user)
        self.fields["assignee"].choices = [("", _("全部")), (ME, _("我")), (NOBODY, _("未分配")),
                                           *[(str(u.pk), str(u)) for u in branch_colleagues(user)]]
        if tab == NOTICES:
            del self.fields["assignee"]  # a notice has no 经办人; its claim does


class MessageForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), widget=forms.RadioSelect, initial=NoticeMessage.Kind.QUESTION,
                             choices=[(NoticeMessage.Kind.QUESTION, NoticeMessage.Kind.QUESTION.label),
                                      (NoticeMessage.Kind.ADVICE, NoticeMessage.Kind.ADVICE.label)])
    body = forms.CharField(label=_("内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    """同意 / 不同意 a settlement plan, with the written opinion the enterprise receives."""

    decision = forms.ChoiceField(label=_("决定"), widget=forms.RadioSelect,
                                 choices=[(SettlementConsent.Decision.CONSENTED, _("同意")),
                                          (SettlementConsent.Decision.REFUSED, _("不同意"))])
    text = forms.CharField(label=_("书面意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("经办人"), queryset=User.objects.none(), empty_label=None,
                                      error_messages={"invalid_choice": _("请选择本机构的经办人。")})

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = branch_colleagues(user)


class RequestInfoForm(forms.Form):
    """要求补充材料: documents to upload (`items`) and questions to answer in writing (`questions`), a line each;
    at least one of the two."""

    items = forms.CharField(label=_("需要企业补充的材料"), max_length=4000, required=False,
                            help_text=_("企业须上传文件的材料，每行写一项，最多20项，每项不超过200字。"),
                            widget=forms.Textarea(attrs={"rows": 4}))
    questions = forms.CharField(label=_("需要企业书面说明的问题"), max_length=4000, required=False,
                                help_text=_("企业以文字答复、无需上传文件的问题，每行写一个，最多20个。"),
                                widget=forms.Textarea(attrs={"rows": 3}))

    @staticmethod
    def _lines(text):
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean_items(self):
        return self._lines(self.cleaned_data["items"])

    def clean_questions(self):
        return self._lines(self.cleaned_data["questions"])

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("items") and not data.get("questions"):
            self.add_error("items", _("请逐行写明需要企业补充的材料，或在下一栏写明需要企业说明的问题。"))
        return data


class ApproveForm(forms.Form):
    """The rate the insurer states (1 unit of the invoice currency in US dollars) and its date."""

    usd_rate = forms.DecimalField(label=_("汇率（1单位原币折合美元）"), max_digits=12, decimal_places=6,
                                  min_value=0, localize=False,
                                  error_messages={"invalid": _("请填写汇率（1单位原币折合美元，最多6位小数）。")})
    rate_date = forms.DateField(label=_("汇率日期"), widget=DATE)

    def __init__(self, claim, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = claim.notice.currency
        if self.currency == "USD":  # a claim in US dollars: the rate is 1, not asked
            self.fields["usd_rate"].required = False
            self.fields["usd_rate"].widget = forms.HiddenInput()
            self.initial.setdefault("usd_rate", "1")
        else:
            self.fields["usd_rate"].label = _("汇率（1 %(currency)s 折合美元）") % {"currency": self.currency}


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("拒赔原因"), max_length=REASON_MAX_LENGTH,
                             help_text=_("原因将告知企业。"), widget=forms.Textarea(attrs={"rows": 3}))


class PayForm(forms.Form):
    paid_on = forms.DateField(label=_("赔付日期"), widget=DATE)
    amount_usd = forms.DecimalField(label=_("赔付金额（美元）"), max_digits=15, decimal_places=2, localize=False)
    reference = forms.CharField(label=_("付款凭证号"), max_length=60)


class RecoveryForm(forms.Form):
    amount_usd = forms.DecimalField(label=_("追回金额（美元）"), max_digits=15, decimal_places=2, localize=False)
    received_on = forms.DateField(label=_("到账日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class BuyerSearch(forms.Form):
    q = forms.CharField(label=_("买方名称"), required=False, max_length=SEARCH_MAX_LENGTH)
    sort = forms.ChoiceField(label=_("排序"), required=False,
                             choices=[("country", _("按国家（地区）")), ("name", _("按名称"))])


class MergeForm(forms.Form):
    """合并买方: the buyer to keep and the ones that are the same buyer."""

    keep = forms.ModelChoiceField(label=_("保留的买方"), queryset=Buyer.objects.none(), widget=forms.HiddenInput,
                                  error_messages={"required": _("请选择要保留的买方。"),
                                                  "invalid_choice": _("请选择要保留的买方。")})
    duplicates = forms.ModelMultipleChoiceField(
        label=_("与之重复的买方"), queryset=Buyer.objects.none(), widget=forms.MultipleHiddenInput,
        error_messages={"required": _("请选择与之重复的买方。"), "invalid_choice": _("请选择与之重复的买方。"),
                        "invalid_pk_value": _("请选择与之重复的买方。")})

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scope = Buyer.objects.visible_to(user)
        self.fields["keep"].queryset = scope.filter(merged_into=None)
        self.fields["duplicates"].queryset = scope

    def clean(self):
        data = super().clean()
        keep, duplicates = data.get("keep"), data.get("duplicates")
        if keep is not None and duplicates is not None:
            data["duplicates"] = [buyer for buyer in duplicates if buyer.pk != keep.pk]
            if not data["duplicates"]:
                self.add_error("duplicates", _("请选择与之重复的买方。"))
        return data
