"""The portal's menus as one table: who sees each entry and on which pages it is the current one.

An entry is current on the pages its `current` keys name: "namespace:url_name" for one page, "namespace:*"
for a whole URL namespace. The most specific key wins over the whole table, whoever is looking: a page's
own name before another entry's "namespace:*". Pages are matched
by the URL they resolved to (`request.resolver_match`), never by pieces of the path.
"""
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from singlewindow.accounts.models import Role

EVERYONE = None  # visitors included


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    roles: frozenset | None = EVERYONE  # the roles that see it; EVERYONE: anyone, logged in or not
    current: tuple = ()  # more pages it is the current entry on, besides its own
    allowed: object = None  # a further test of the user (a User property's name), for what a role alone cannot say

    def shown_to(self, user):
        if self.roles is not EVERYONE and not (user.is_authenticated and user.role in self.roles):
            return False
        return self.allowed is None or bool(getattr(user, self.allowed, False))

    @property
    def keys(self):
        return (self.url_name, *self.current)


def roles(*names):
    return frozenset(names)


SIGNED_IN = roles(*Role.values)

# The main navigation, in its order (DESIGN: 地方特色应用 > 金融服务 > 出口信用 > 小微企业在线投保).
NAV = (
    Entry(_("首页"), "portal:home"),
    Entry(_("单一窗口管理"), "portal:staff", roles(Role.STAFF)),
    Entry(_("地方特色应用"), "portal:features", current=("policies:*", "accounts:bind")),
    Entry(_("保单审批"), "insurer:list", roles(Role.INSURER), current=("insurer:*",)),
    Entry(_("数据导入"), "enterprises:imports", roles(Role.BUREAU, Role.STAFF),
          current=("enterprises:import_job", "enterprises:import_report")),
    Entry(_("符合条件企业"), "enterprises:eligible", roles(Role.BUREAU, Role.STAFF)),
    Entry(_("企业名单"), "bureaus:enterprises", roles(Role.BUREAU, Role.STAFF)),
    Entry(_("名单公示"), "enterprises:publications", roles(Role.BUREAU, Role.STAFF),
          current=("enterprises:publication", "enterprises:publication_confirm", "enterprises:publication_withdraw")),
    Entry(_("方案管理"), "insurer:schemes", roles(Role.INSURER, Role.STAFF),
          current=("insurer:scheme_new", "insurer:scheme_edit")),
    Entry(_("批量出单"), "insurer:batch", roles(Role.INSURER), current=("insurer:batch_run",)),
    Entry(_("申领"), "insurer:applications", roles(Role.INSURER), current=("insurer:application_issue",)),
    Entry(_("风险预警"), "alerts:list", roles(Role.ENTERPRISE), current=("alerts:archive", "alerts:detail",
                                                                        "alerts:country")),
    Entry(_("风险预警"), "alerts:manage", roles(Role.INSURER), current=(
        "alerts:new", "alerts:edit", "alerts:manage_detail", "alerts:publish", "alerts:withdraw")),
    Entry(_("报损与索赔"), "claims:overview", roles(Role.ENTERPRISE), current=(
        "claims:buyers", "claims:buyer_new", "claims:buyer_edit", "claims:notice_new", "claims:notice_detail",
        "claims:notice_withdraw", "claims:notice_answer", "claims:settlement_propose", "claims:claim_new",
        "claims:claim_detail", "claims:document_upload", "claims:claim_resubmit", "claims:claim_withdraw")),
    Entry(_("统计分析"), "bureaus:dashboard", roles(Role.BUREAU, Role.STAFF)),
    Entry(_("理赔审核"), "claims:desk", roles(Role.INSURER),
          current=("claims:desk_notice", "claims:desk_notice_acknowledge", "claims:desk_notice_message", "claims:desk_settlement_decide", "claims:desk_claim", "claims:desk_claim_take", "claims:desk_claim_assign", "claims:desk_claim_request", "claims:desk_claim_approve", "claims:desk_claim_reject", "claims:desk_claim_pay", "claims:desk_claim_recovery", "claims:desk_buyers")),
    Entry(_("报损理赔统计"), "claims:figures", roles(Role.BUREAU, Role.STAFF)),
    Entry(_("提醒"), "reminders:runs", roles(Role.BUREAU), current=("reminders:*",)),
    Entry(_("申请拨付"), "subsidies:applications", roles(Role.INSURER), current=(
        "subsidies:application_new", "subsidies:application", "subsidies:application_invoices",
        "subsidies:application_fill", "subsidies:application_drop", "subsidies:application_submit",
        "subsidies:application_withdraw")),
    Entry(_("拨付审核"), "subsidies:review", roles(Role.BUREAU), current=(
        "subsidies:review_detail", "subsidies:review_approve", "subsidies:review_return", "subsidies:review_pay",
        "subsidies:review_reconcile", "subsidies:budgets")),
    Entry(_("补贴台账"), "subsidies:ledger", roles(Role.BUREAU)),  # the insurer reaches it from 申请拨付
    Entry(_("常见问题"), "portal:faq"),
)

# The signed-in user's tools in the header, beside the name.
TOOLS = (
    Entry(_("消息中心"), "notifications:center", roles(Role.ENTERPRISE), current=("notifications:*",)),
    Entry(_("账户设置"), "accounts:profile", SIGNED_IN, current=("accounts:password", "accounts:mobile")),
    Entry(_("操作员管理"), "accounts:operators", roles(Role.ENTERPRISE), allowed="can_manage_operators",
          current=("accounts:operator_add",)),
    Entry(_("账号解锁"), "accounts:locked", roles(Role.STAFF)),
    Entry(_("接口令牌"), "api:tokens", SIGNED_IN, allowed="can_manage_api_tokens",
          current=("api:revoke", "api:webhooks", "api:webhook_replay")),
)

ENTRIES = NAV + TOOLS


def current_entry(resolver_match):
    """The entry the resolved page belongs to, or None (a page outside the menus, or no page at all)."""
    if resolver_match is None:
        return None
    view_name = resolver_match.view_name
    namespace_key = f"{resolver_match.namespace}:*" if resolver_match.namespace else None
    for key in (view_name, namespace_key):
        for entry in ENTRIES:
            if key is not None and key in entry.keys:
                return entry
    return None


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    url_name: str
    current: bool


@dataclass(frozen=True)
class Menu:
    nav: list = field(default_factory=list)
    tools: list = field(default_factory=list)
    enterprise: bool = False  # an enterprise user: whom it acts for, with the USCC, and the 通知 popup

    @property
    def url_names(self):
        """The url names this user's menus lead to: `{% if "accounts:locked" in menu.url_names %}`."""
        return {link.url_name for link in (*self.nav, *self.tools)}


def menu_for(user, resolver_match=None):
    current = current_entry(resolver_match)

    def links(entries):
        return [Link(entry.label, reverse(entry.url_name), entry.url_name, entry is current)
                for entry in entries if entry.shown_to(user)]

    return Menu(nav=links(NAV), tools=links(TOOLS),
                enterprise=user.is_authenticated and user.role == Role.ENTERPRISE)
