"""Who may open what (issue 15 #7): every URL pattern of the project — the pages, the admin and the API's /api/v1/
routes — visited as anonymous, as each role and as another party, with real records of the test world. One table,
MATRIX, decides each answer; a pattern missing from it fails until someone says who may open it.

The records are the demo enterprise's (城区, the 粤东 branch's area) unless a row names another: its policy, its
notice, the 城区 bureau's 名单公示, the 汕尾市 bureau's import job and reminders; the claims, the loss notices and the
电子保单 are the exporter's (海丰县). So `ent2` is another enterprise for demo's records, `haifeng` another county's
bureau for them (and `chengqu` for the exporter's), `insurer2` (广州) another branch's insurer for all of them.

Pages are fetched with GET; a POST-only view (method "POST") is sent an empty form, and a refused party's POST
must change nothing. API routes are called with the party's organisation token: none for anonymous and staff
(the API takes no session), a read-only one of demo's enterprise in the operator's column.

Outcomes: A answered (anything but a refusal, never 5xx), L sent to log in (302 to the login page; 401 from the
API), D refused (403 or 404). All visits run once per module in one transaction rolled back at the end, each in a
savepoint of its own.
"""
import datetime
import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from singlewindow.accounts import services as accounts
from singlewindow.accounts.models import Role, User
from singlewindow.alerts.models import Alert
from singlewindow.api import tokens, webhooks
from singlewindow.api.models import WebhookDelivery, WebhookEvent
from singlewindow.api.tests.conftest import token_for
from singlewindow.audit.models import AuditEvent
from singlewindow.claims import services as claims
from singlewindow.claims.models import Buyer, Claim, ClaimDocument
from singlewindow.documents import services as documents
from singlewindow.documents.tests.conftest import _root_conftest
from singlewindow.enterprises import imports, publication
from singlewindow.enterprises.models import Enterprise, ExportRecord
from singlewindow.enterprises.tests.conftest import csv_bytes, new_uscc
from singlewindow.eport import package
from singlewindow.notifications.models import Notice
from singlewindow.policies import issuance
from singlewindow.policies.models import IssuanceRun, Policy, PolicyStatus
from singlewindow.policies.tests.conftest import LOCAL_ACCOUNT
from singlewindow.portal.tests.test_no_500 import rolled_back
from singlewindow.portal.tests.urlwalk import routes
from singlewindow.reminders import services as reminders
from singlewindow.reminders.models import Channel, ReminderTemplate
from singlewindow.subsidies.tests.conftest import draft

PARTIES = ("anon", "legal", "operator", "ent2", "exporter", "chengqu", "haifeng", "city", "province", "insurer",
           "insurer2", "staff")
ALLOW, LOGIN, DENY, SKIP = "A", "L", "D", "-"
TODAY = timezone.localdate().isoformat()


@dataclass(frozen=True)
class Row:
    outcomes: dict
    method: str = "GET"
    kwargs: dict = field(default_factory=dict)
    path: str = ""  # for a regex route, which converters cannot fill
    body: dict = field(default_factory=dict)  # an API POST's JSON: valid, so that what refuses is the scope
    query: dict = field(default_factory=dict)


def row(codes, method="GET", path="", body=None, query=None, **kwargs):
    """`codes`: one letter per party, in the order of PARTIES ("-": not visited). A kwarg, or a value of `body` or
    `query`, names a record of `records_of` or is taken as written."""
    letters = codes.split()
    assert len(letters) == len(PARTIES) and set(letters) <= {ALLOW, LOGIN, DENY, SKIP}, codes
    return Row(dict(zip(PARTIES, letters)), method, kwargs, path, body or {}, query or {})


# The Django admin (read-only: readonly_admin.py): staff only, by admin_view; anyone else goes to the admin's login.
# Every admin pattern, present and future, is held to ADMIN, or ADMIN_WRITE for its add and delete views (refused
# even to staff), unless MATRIX lists it by name. admin_view asks only is_staff, so one user of each role stands
# for the rest.
ADMIN = row("L L - - - - - L - L - A")
ADMIN_WRITE = row("L L - - - - - L - L - D")

# Who may open what. Columns, in the order of PARTIES:
#         anon legal operator ent2 exporter chengqu haifeng city province insurer insurer2 staff
MATRIX = {
    # --- the Django admin patterns that are not a model's list, view or history page ---
    "admin:login": row("A A - - - - - A - A - A"),
    "admin:logout": row("A A - - - - - A - A - A", "POST"),
    "admin:app_list": row("L L - - - - - L - L - A", app_label="policies"),
    "admin:autocomplete": row("L L - - - - - L - L - D"),  # no model asks for it: refused even to staff
    "admin:view_on_site": row("L L - - - - - L - L - D"),  # no model has a public page
    # the admins Django and django-axes bring stay writable for staff: groups (the API-token permission), lockouts
    "admin:auth_group_add": row("L L - - - - - L - L - A"),
    "admin:auth_group_delete": row("L L - - - - - L - L - A"),
    "admin:axes_accessattempt_delete": row("L L - - - - - L - L - A"),
    "admin:axes_accessfailurelog_delete": row("L L - - - - - L - L - A"),
    "admin:axes_accesslog_delete": row("L L - - - - - L - L - A"),
    "/admin/(?P<url>.*)$": row("L L - - - - - L - L - D", path="/admin/nowhere/"),  # a 404 even for staff
    # --- public pages, and the steps of registering and recovering an account (they check their own session) ---
    "set_language": row("A A A A A A A A A A A A"),
    "portal:home": row("A A A A A A A A A A A A"),
    "portal:login": row("A A A A A A A A A A A A"),
    "portal:logout": row("A A A A A A A A A A A A", "POST"),
    "portal:features": row("A A A A A A A A A A A A"),
    "portal:faq": row("A A A A A A A A A A A A"),
    "portal:register": row("A A A A A A A A A A A A"),
    "portal:register_check": row("A A A A A A A A A A A A", "POST"),
    "portal:forgot_password": row("A A A A A A A A A A A A"),
    "portal:forgot_username": row("A A A A A A A A A A A A"),
    "portal:control_download": row("A A A A A A A A A A A A"),
    "accounts:register_verify": row("A A A A A A A A A A A A"),
    "accounts:recover_verify": row("A A A A A A A A A A A A", kind="password"),
    "accounts:recover_reset": row("A A A A A A A A A A A A"),
    "accounts:recover_result": row("A A A A A A A A A A A A"),
    "eport:challenge": row("A A A A A A A A A A A A", "POST"),
    "eport:login": row("L L L L L L L L L L L L", "POST"),  # a card login that fails goes back to the login page
    "eport:agent_download": row("A A A A A A A A A A A A", filename="wheel"),
    "documents:verify": row("A A A A A A A A A A A A"),
    "documents:ca": row("A A A A A A A A A A A A"),
    "/insure/stats/": row("A A A A A A A A A A A A"),  # a permanent redirect to /bureau/
    # --- accounts: one's own profile; the enterprise's legal person manages its operators ---
    "portal:staff": row("L D D D D D D D D D D A"),
    "accounts:locked": row("L D D D D D D D D D D A"),
    "accounts:bind": row("L A A A A D D D D D D D"),
    "accounts:profile": row("L A A A A A A A A A A A"),
    "accounts:password": row("L A A A A A A A A A A A"),
    "accounts:mobile": row("L A A A A A A A A A A A"),
    "accounts:operators": row("L A D A A D D D D D D D"),
    "accounts:operator_add": row("L A D A A D D D D D D D"),
    "accounts:operator_action": row("L A D D D D D D D D D D", "POST", pk="operator", action="disable"),
    # --- the enterprise's policies (demo's 待确认 policy; the receipt is the exporter's effective one's) ---
    "policies:list": row("L A A A A D D D D D D D"),
    "policies:detail": row("L A A D D D D D D D D D", pk="policy"),
    "policies:confirm": row("L A A D D D D D D D D D", "POST", pk="policy"),
    "policies:submitted": row("L A A D D D D D D D D D", pk="policy"),
    "policies:receipt": row("L D D D A D D D D D D D", pk="effective_policy"),
    "policies:decline": row("L A A D D D D D D D D D", pk="policy"),
    "policies:eligibility": row("L A A A A D D D D D D D"),
    "policies:apply": row("L A A A A D D D D D D D", "POST", scheme_id="scheme"),
    "eport:sign_confirm": row("L A A A A D D D D D D D", "POST", pk="policy"),  # ent2's 400 "not yours" says nothing
    "eport:sign_decline": row("L A A A A D D D D D D D", "POST", pk="policy"),
    # --- the insurer's workbench (the 粤东 branch's; 广州 is another branch); staff keep the schemes ---
    "insurer:list": row("L D D D D D D D D A A D"),
    "insurer:approve_selected": row("L D D D D D D D D A A D", "POST"),
    "insurer:issue": row("L D D D D D D D D A A D"),
    "insurer:schemes": row("L D D D D D D D D A A A"),
    "insurer:scheme_new": row("L D D D D D D D D A A A"),
    "insurer:scheme_edit": row("L D D D D D D D D A D A", pk="scheme"),
    "insurer:batch": row("L D D D D D D D D A A D"),
    "insurer:batch_run": row("L D D D D D D D D A D D", pk="run"),
    "insurer:applications": row("L D D D D D D D D A A D"),
    "insurer:application_issue": row("L D D D D D D D D A D D", "POST", pk="application"),
    "insurer:detail": row("L D D D D D D D D A D D", pk="policy"),
    "insurer:action": row("L D D D D D D D D A D D", "POST", pk="policy", action="cancel"),
    # --- enterprises: eligibility, the customs import (the 汕尾市 bureau's job), the 城区 bureau's 名单公示 ---
    "enterprises:eligible": row("L D D D D A A A A A A A"),
    "enterprises:imports": row("L D D D D A A A A D D A"),
    "enterprises:import_template_xlsx": row("L D D D D A A A A D D A"),
    "enterprises:import_template_csv": row("L D D D D A A A A D D A"),
    "enterprises:import_job": row("L D D D D D D A A D D A", pk="import_job"),
    "enterprises:import_report": row("L D D D D D D A A D D A", pk="import_job"),
    "enterprises:publications": row("L A A A A A A A A A A A"),
    "enterprises:publication": row("L A A D D A D A A A D A", pk="listing"),
    "enterprises:publication_object": row("L A A D D A D A A D D D", "POST", pk="listing"),
    "enterprises:objection_answer": row("L D D D D A D A A D D D", "POST", pk="listing", objection_id="objection"),
    "enterprises:publication_confirm": row("L D D D D A D A A D D D", pk="listing"),
    "enterprises:publication_withdraw": row("L D D D D A D A A D D D", pk="listing"),
    # --- notices (the popup and 通知), demo's ---
    "notifications:center": row("L A A A A D D D D D D D"),
    "notifications:open": row("L A A D D D D D D D D D", "POST", pk="notice"),
    "notifications:read_all": row("L A A A A D D D D D D D", "POST"),
    "notifications:popup": row("L A A A A D D D D D D D"),
    "notifications:dismiss": row("L A A A A D D D D D D D", "POST"),
    # --- 报损与索赔: the exporter's notice, claim and documents; the insurer's 理赔审核 desk ---
    "claims:overview": row("L A A A A D D D D D D D"),
    "claims:buyers": row("L A A A A D D D D D D D"),
    "claims:buyer_new": row("L A A A A D D D D D D D"),
    "claims:buyer_edit": row("L D D D A D D D D D D D", pk="buyer"),
    "claims:notice_new": row("L D D D A D D D D D D D", query={"policy": "effective_policy"}),
    "claims:notice_deadline": row("L D D D A D D D D D D D", query={"policy": "effective_policy"}),
    "claims:notice_detail": row("L D D D A D D D D D D D", pk="loss_notice"),
    "claims:notice_withdraw": row("L D D D A D D D D D D D", pk="loss_notice"),
    "claims:notice_answer": row("L D D D A D D D D D D D", "POST", pk="loss_notice"),
    "claims:settlement_propose": row("L D D D A D D D D D D D", "POST", pk="loss_notice"),
    "claims:claim_new": row("L D D D A D D D D D D D", pk="loss_notice"),
    "claims:claim_detail": row("L D D D A D D D D D D D", pk="claim"),
    "claims:document_upload": row("L D D D A D D D D D D D", "POST", pk="claim"),
    "claims:claim_resubmit": row("L D D D A D D D D D D D", "POST", pk="claim"),
    "claims:claim_withdraw": row("L D D D A D D D D D D D", pk="claim"),
    "claims:document": row("L D D D A D D D D A D D", pk="claim_document"),
    "claims:desk": row("L D D D D D D D D A A D"),
    "claims:desk_notice": row("L D D D D D D D D A D D", pk="loss_notice"),
    "claims:desk_notice_acknowledge": row("L D D D D D D D D A D D", "POST", pk="loss_notice"),
    "claims:desk_notice_message": row("L D D D D D D D D A D D", "POST", pk="loss_notice"),
    "claims:desk_settlement_decide": row("L D D D D D D D D A D D", "POST", pk="settlement"),
    "claims:desk_claim": row("L D D D D D D D D A D D", pk="claim"),
    "claims:desk_claim_take": row("L D D D D D D D D A D D", "POST", pk="claim"),
    "claims:desk_claim_assign": row("L D D D D D D D D A D D", "POST", pk="claim"),
    "claims:desk_claim_request": row("L D D D D D D D D A D D", "POST", pk="claim"),
    "claims:desk_claim_approve": row("L D D D D D D D D A D D", "POST", pk="claim"),
    "claims:desk_claim_reject": row("L D D D D D D D D A D D", "POST", pk="claim"),
    "claims:desk_claim_pay": row("L D D D D D D D D A D D", "POST", pk="claim"),
    "claims:desk_claim_recovery": row("L D D D D D D D D A D D", "POST", pk="claim"),
    "claims:desk_buyers": row("L D D D D D D D D A A D"),
    "claims:figures": row("L D D D D A A A A A A A"),
    # --- 风险预警: the 粤东 branch's alert, sent to the exporter ---
    "alerts:list": row("L A A A A D D D D D D D"),
    "alerts:archive": row("L A A A A D D D D D D D"),
    "alerts:detail": row("L D D D A D D D D D D D", pk="alert"),
    "alerts:country": row("L A A A A D D D D A A D", code="US"),
    "alerts:manage": row("L D D D D D D D D A A D"),
    "alerts:new": row("L D D D D D D D D A A D"),
    "alerts:manage_detail": row("L D D D D D D D D A D D", pk="alert"),
    "alerts:edit": row("L D D D D D D D D A D D", pk="alert"),
    "alerts:publish": row("L D D D D D D D D A D D", "POST", pk="alert"),
    "alerts:withdraw": row("L D D D D D D D D A D D", "POST", pk="alert"),
    # --- the bureaus' 统计分析, the exporter's 电子保单 ---
    "bureaus:dashboard": row("L D D D D A A A A D D A"),
    "bureaus:enterprises": row("L D D D D A A A A D D A"),
    "documents:download": row("L D D D A D D D D A D D", pk="document"),
    # --- the API (/api/v1/, organisation tokens: see the module's docstring) ---
    "api:v1:openapi-json": row("A A A A A A A A A A A A"),
    "api:v1:openapi-view": row("A A A A A A A A A A A A"),
    "api:v1:api-root": row("D D D D D D D D D D D D"),
    "/api/^v1/": row("D D D D D D D D D D D D", path="/api/v1/nowhere"),
    "api:v1:me": row("L A A A A A A A A A A L"),
    "api:v1:schemes": row("L A A A A A A A A A A L"),
    "api:v1:list_policies": row("L A A A A D D D D A A L"),
    "api:v1:issue_policy": row("L D D D D D D D D A A L", "POST",
                               body={"scheme_id": "scheme", "uscc": "newcomer_uscc"}),
    "api:v1:get_policy": row("L A A D D D D D D A D L", policy_id="policy"),
    "api:v1:list_documents": row("L A A D D D D D D A D L", policy_id="policy"),
    "api:v1:policy_document_file": row("L D D D A D D D D A D L", document_id="document"),
    "api:v1:approve_policy": row("L D D D D D D D D A D L", "POST", policy_id="policy"),
    "api:v1:return_policy": row("L D D D D D D D D A D L", "POST", body={"reason": "联系电话有误"},
                                policy_id="policy"),
    "api:v1:cancel_policy": row("L D D D D D D D D A D L", "POST", body={"reason": "企业已注销"}, policy_id="policy"),
    "api:v1:list_alerts": row("L D D D D D D D D A A L"),
    "api:v1:create_alert": row("L D D D D D D D D A A L", "POST", body={
        "title": "测试预警", "body": "买方付款延迟。", "level": "high", "kind": "country", "valid_from": TODAY,
        "valid_until": TODAY, "countries": ["US"]}),
    "api:v1:get_alert": row("L D D D D D D D D A D L", alert_id="alert"),
    "api:v1:publish_alert": row("L D D D D D D D D A D L", "POST", alert_id="alert"),
    "api:v1:withdraw_alert": row("L D D D D D D D D A D L", "POST", body={"reason": "信息有误"}, alert_id="alert"),
    "api:v1:list_notices": row("L A A A A D D D D A A L"),
    "api:v1:get_notice": row("L D D D A D D D D A D L", notice_id="loss_notice"),
    "api:v1:acknowledge_notice": row("L D D D D D D D D A D L", "POST", notice_id="loss_notice"),
    "api:v1:list_claims": row("L A A A A D D D D A A L"),
    "api:v1:get_claim": row("L D D D A D D D D A D L", claim_id="claim"),
    "api:v1:take_claim": row("L D D D D D D D D A D L", "POST", claim_id="claim"),
    "api:v1:request_info": row("L D D D D D D D D A D L", "POST", body={"items": ["发票"]}, claim_id="claim"),
    "api:v1:approve_claim": row("L D D D D D D D D A D L", "POST", body={"rate_date": TODAY, "usd_rate": "1"},
                                claim_id="claim"),
    "api:v1:reject_claim": row("L D D D D D D D D A D L", "POST", body={"reason": "不在承保范围"}, claim_id="claim"),
    "api:v1:pay_claim": row("L D D D D D D D D A D L", "POST",
                            body={"paid_on": TODAY, "amount_usd": "100.00", "reference": "PAY-1"}, claim_id="claim"),
    "api:v1:figures_by_county": row("L D D D D A A A A D D L"),
    "api:v1:upload_exports": row("L D D D D A A A A D D L", "POST", body={"file": "exports.csv"}),
    "api:v1:list_imports": row("L D D D D A A A A D D L"),
    "api:v1:get_import": row("L D D D D D D A A D D L", job_id="import_job"),
    "api:v1:import_errors": row("L D D D D D D A A D D L", job_id="import_job"),
    "api:v1:subscribe": row("L A D A A A A A A A A L", "POST",
                            body={"url": "https://hooks.example.com/sw", "events": ["policy.confirmed"]}),
    "api:v1:list_subscriptions": row("L A A A A A A A A A A L"),
    "api:v1:unsubscribe": row("L D D D D D D D D A D L", "POST", subscription_id="subscription"),
    "api:v1:deliveries": row("L D D D D D D D D A D L", subscription_id="subscription"),
    "api:v1:replay": row("L D D D D D D D D A D L", "POST", delivery_id="delivery"),
    # --- the API's pages: problem types (public), 接口令牌 (staff, and an enterprise's legal person for its own) ---
    "api:problem_type": row("A A A A A A A A A A A A", code="forbidden"),
    "api:tokens": row("L A D A A D D D D D D A"),
    "api:revoke": row("L A D D D D D D D D D A", pk="token"),
    "api:webhooks": row("L A D A A D D D D D D A"),
    "api:webhook_replay": row("L D D D D D D D D D D A", "POST", pk="delivery"),
    # --- 提醒: the 汕尾市 bureau's run and template (a bureau sees its own region's runs and those below it) ---
    "reminders:runs": row("L D D D D A A A A D D D"),
    "reminders:new": row("L D D D D A A A A D D D"),
    "reminders:run": row("L D D D D D D A A D D D", pk="reminder_run"),
    "reminders:resume": row("L D D D D D D A A D D D", "POST", pk="reminder_run"),
    "reminders:templates": row("L D D D D A A A A D D D"),
    "reminders:template_new": row("L D D D D A A A A D D D"),
    "reminders:template_edit": row("L D D D D D D A D D D D", pk="template"),
    "reminders:schedules": row("L D D D D A A A A D D D"),
    "reminders:schedule_edit": row("L D D D D D D A A D D D", scheme_id="scheme"),
    # --- 补贴: the 粤东 branch's 申请拨付 of the city's share, reviewed by 汕尾市 (the payer) ---
    "subsidies:applications": row("L D D D D D D D D A A D"),
    "subsidies:application_new": row("L D D D D D D D D A A D"),
    "subsidies:application": row("L D D D D D D D D A D D", pk="funding"),
    "subsidies:application_invoices": row("L D D D D D D D D A D D", "POST", pk="funding"),
    "subsidies:application_fill": row("L D D D D D D D D A D D", "POST", pk="funding"),
    "subsidies:application_drop": row("L D D D D D D D D A D D", "POST", pk="funding"),
    "subsidies:application_submit": row("L D D D D D D D D A D D", "POST", pk="funding"),
    "subsidies:application_withdraw": row("L D D D D D D D D A D D", "POST", pk="funding"),
    "subsidies:application_xlsx": row("L D D D D D D A A A D D", pk="funding"),
    "subsidies:application_pdf": row("L D D D D D D A A A D D", pk="funding"),
    "subsidies:review": row("L D D D D A A A A D D D"),
    "subsidies:review_detail": row("L D D D D D D A A D D D", pk="funding"),
    # the province sees the city's application; an empty form is answered (400) before the payer is checked
    "subsidies:review_approve": row("L D D D D D D A D D D D", "POST", pk="funding"),
    "subsidies:review_return": row("L D D D D D D A A D D D", "POST", pk="funding"),
    "subsidies:review_pay": row("L D D D D D D A A D D D", "POST", pk="funding"),
    "subsidies:review_reconcile": row("L D D D D D D A D D D D", "POST", pk="funding"),
    "subsidies:budgets": row("L D D D D A A A A D D D"),
    "subsidies:ledger": row("L D D D D A A A A A A D"),
}

ROUTES = list(routes())
NAMED = re.compile(r"<(?:\w+:)?(\w+)>")


def row_for(route):
    if route.key in MATRIX or not route.route.startswith("/admin/"):
        return MATRIX.get(route.key)
    return ADMIN_WRITE if route.key.endswith(("_add", "_delete")) else ADMIN


def is_api(route):
    return route.key.startswith("api:v1:") or route.route.startswith("/api/^v1/")


def url_of(route, entry, records):
    def value(name):
        return records.get(name, name)

    if entry.path:
        url = entry.path
    else:
        values = {name: value(record) for name, record in entry.kwargs.items()}
        if route.regex:
            url = reverse(route.key, kwargs=values)
        else:  # an admin object id the row does not name: 1 (the admin answers the same for any id)
            default = 1 if route.route.startswith("/admin/") else None
            url = NAMED.sub(lambda m: str(values.get(m[1], default)), route.route)
            assert "None" not in url, f"{route.key}: the row names no record for {route.route}"
    if entry.query:
        url += "?" + urlencode({name: value(record) for name, record in entry.query.items()})
    return url


# --- the records and the parties ---------------------------------------------------------------------------------

def records_of(world, people):
    """The records the rows name: real ids, made through the services where the demo world has none."""
    demo, bureau, insurer, exporter = world.demo, world.bureau, world.insurer, people["exporter"]
    today = timezone.localdate()
    listing = publication.publish(people["chengqu"], world.scheme.pk, starts_on=today,
                                  ends_on=today + datetime.timedelta(days=6))
    reminders.templates_for(bureau)
    template = ReminderTemplate.objects.filter(region=bureau.region).order_by("pk").first()
    chosen = reminders.check_criteria(bureau, scheme=world.scheme.pk, county=None, statuses=["pending"],
                                      within_days=None, day=reminders.reminder_day(None))
    effective = Policy.objects.filter(enterprise=exporter.enterprise, status=PolicyStatus.EFFECTIVE).first()
    subscription = webhooks.subscribe(tokens.authenticate(people["keys"]["insurer"].secret),
                                      url="https://hooks.example.com/sw", events=[WebhookEvent.POLICY_CONFIRMED])
    claim = (Claim.objects.filter(notice__policy__enterprise=exporter.enterprise)
             .exclude(status__in=["paid", "rejected", "withdrawn"]).order_by("pk").first())
    application = newcomers_application(world)
    return {
        "policy": world.pending.pk, "effective_policy": effective.pk, "scheme": world.scheme.pk,
        "operator": people["operator"].pk,
        "notice": Notice.objects.filter(enterprise=demo.enterprise).order_by("pk").first().pk,
        "import_job": imports.submit(bureau, SimpleUploadedFile("exports.csv", csv_bytes([]))).pk,
        "listing": listing.pk, "objection": publication.object_to(demo, listing.pk, text="我司上年度出口额有误。").pk,
        "application": application.pk, "newcomer_uscc": application.enterprise.uscc,
        "run": IssuanceRun.objects.create(scheme=world.scheme, started_by=insurer).pk,
        "loss_notice": claim.notice_id, "claim": claim.pk,
        "settlement": claims.propose_settlement(exporter, claim.notice_id, "买方分三期付清，每月一期。").pk,
        "claim_document": ClaimDocument.objects.filter(claim=claim).order_by("pk").first().pk,
        "buyer": Buyer.objects.filter(enterprise=exporter.enterprise).order_by("pk").first().pk,
        "alert": Alert.objects.order_by("pk").first().pk,
        "document": documents.ensure_policy_document(effective.pk)[0].pk,
        "token": people["keys"]["legal"].pk, "subscription": subscription.pk,
        "delivery": WebhookDelivery.objects.create(subscription=subscription, event=WebhookEvent.POLICY_CONFIRMED,
                                                   event_id=uuid.uuid4().hex, body="{}").pk,
        "reminder_run": reminders.start_run(bureau, chosen, template, list(Channel.values)).pk,
        "template": template.pk, "funding": draft(world).pk, "wheel": package.build_wheel()[0],
    }


def newcomers_application(world):
    """申领 of an eligible 城区 enterprise without a policy (as policies/tests/test_applications.py makes one)."""
    enterprise = Enterprise.objects.create(uscc=new_uscc(1), name="测试申领企业有限公司", region_id="441502")
    ExportRecord.objects.create(enterprise=enterprise, year=world.scheme.basis_year, export_usd=Decimal(120000))
    user = User.objects.create_user("newcomer", password="Demo@2020", role=Role.ENTERPRISE, enterprise=enterprise)
    accounts.quick_register(user, username="newlocal", password="Local2020x", contact_name="王强",
                            contact_phone="13800138009")
    user.refresh_from_db()
    return issuance.apply(user, world.scheme.pk)


def people_of(world):
    users = {
        "legal": world.demo, "operator": User.objects.get(username="demo_op"), "ent2": world.demo2,
        "exporter": User.objects.get(username="exporter"),
        "chengqu": User.objects.create_user("chengqu", password="Bureau@2020", role=Role.BUREAU,
                                            region_id="441502"),
        "haifeng": world.county, "city": world.bureau,
        "province": User.objects.create_user("province", password="Bureau@2020", role=Role.BUREAU,
                                             region_id="440000"),
        "insurer": world.insurer, "insurer2": world.other_insurer, "staff": world.admin,
    }
    # 地方特色应用 pages send an enterprise user without a local account to 老用户账号绑定 first
    for name in ("legal", "operator"):
        accounts.bind_existing(users[name], **LOCAL_ACCOUNT)
    for name in ("ent2", "exporter"):
        accounts.quick_register(users[name], username=f"local{name}", password="Local2020x", contact_name="王强",
                                contact_phone="13800138009")
    admin = world.admin

    def organisation(user):
        return {Role.ENTERPRISE: user.enterprise, Role.BUREAU: user.region,
                Role.INSURER: user.insurer_branch}.get(user.role)

    # an organisation token per party (none for staff: the API takes no session); the operator's is read-only
    keys = {name: token_for(organisation(user), user.role, by=admin, name=f"矩阵{name}")
            for name, user in users.items() if name not in ("operator", "staff")}
    keys["operator"] = token_for(world.demo.enterprise, Role.ENTERPRISE, by=admin, name="矩阵只读", access="read")
    return {**users, "keys": keys}


# --- the visits --------------------------------------------------------------------------------------------------

def fingerprint():
    """Every table's row count and the audit chain's head: what a refused POST must leave as it was. Not counted:
    sessions, the log of failed card logins, and what the API keeps of every call whatever its answer (its
    api.call audit event, the answer kept for the Idempotency-Key)."""
    tables = sorted({model._meta.db_table for model in apps.get_models() if model._meta.managed}
                    - {"django_session", "eport_cardattempt", "api_idempotentrequest", "audit_auditevent"})
    counts = ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(table)})" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        found = dict(zip(tables, cursor.fetchone()))
    found["audit events"] = AuditEvent.objects.exclude(action="api.call").order_by("-pk").values_list(
        "pk", flat=True).first()
    return found


def visit(client, route, entry, url, token, records):
    """One request; the client's cookies are put back after it (a POST to 退出 must not log the party out)."""
    cookies = client.cookies
    client.cookies = cookies.__class__(cookies)
    try:
        if not is_api(route):
            return client.get(url) if entry.method == "GET" else client.post(url, {})
        headers = {"Authorization": f"Bearer {token.secret}"} if token else {}
        if entry.method == "GET":
            return client.get(url, headers=headers)
        headers["Idempotency-Key"] = uuid.uuid4().hex
        body = {name: records.get(value, value) if isinstance(value, str) else value
                for name, value in entry.body.items()}
        if "file" in body:
            return client.post(url, {"file": SimpleUploadedFile("exports.csv", csv_bytes([]))}, headers=headers)
        return client.post(url, json.dumps(body), content_type="application/json", headers=headers)
    finally:
        client.cookies = cookies


LOGIN_PAGES = ("/login/", "/admin/login/")


def outcome(route, response):
    status = response.status_code
    if status >= 500:
        return f"a server error {status}"
    if status in (403, 404):
        return DENY
    if status == 401 and is_api(route):
        return LOGIN
    if status == 302 and urlsplit(response["Location"]).path in LOGIN_PAGES:
        return LOGIN
    return ALLOW


@dataclass
class Seen:
    outcome: str
    status: int
    request: str
    changed: list


@pytest.fixture(scope="module")
def seen(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """Every (pattern, party) visit, once per module, in one transaction rolled back at the end."""
    shared = _root_conftest(request.config)
    answers = {}
    with (django_db_blocker.unblock(), override_settings(SW_IMPORT_DIR=tmp_path_factory.mktemp("imports")),
          transaction.atomic()):
        world = shared.find_world() or shared.build_world()
        people = people_of(world)
        records = records_of(world, people)
        clients = {party: Client(raise_request_exception=False) for party in PARTIES}
        for party in PARTIES[1:]:
            clients[party].force_login(people[party])
        for route in ROUTES:
            entry = row_for(route)
            if entry is None:
                continue
            url = url_of(route, entry, records)
            before = fingerprint() if entry.method == "POST" else {}  # the same before each visit: each is rolled back
            for party in (party for party in PARTIES if entry.outcomes[party] != SKIP):
                with rolled_back():
                    response = visit(clients[party], route, entry, url, people["keys"].get(party), records)
                    answer = outcome(route, response)
                    after = fingerprint() if before and answer != ALLOW else before
                answers[route.key, party] = Seen(
                    answer, response.status_code,
                    f"{entry.method} {url} -> {response.status_code} {response.get('Location', '')}".strip(),
                    sorted(name for name in before if before[name] != after[name]))
        transaction.set_rollback(True)
    return answers


# --- the tests ---------------------------------------------------------------------------------------------------

def test_every_url_pattern_is_in_the_table():
    missing = sorted(route.key for route in ROUTES if row_for(route) is None)
    assert not missing, (
        f"URL patterns missing from the authorization matrix: {missing}. Add each to MATRIX in "
        f"src/{__name__.replace('.', '/')}.py with what each party (PARTIES) gets there: A, L or D.")


def test_the_table_lists_no_pattern_that_is_gone():
    assert sorted(set(MATRIX) - {route.key for route in ROUTES}) == []


@pytest.mark.parametrize("key", sorted({route.key for route in ROUTES if row_for(route)}))
def test_each_party_is_let_in_or_refused_as_the_table_says(seen, db, key):
    entry = MATRIX.get(key) or row_for(next(route for route in ROUTES if route.key == key))
    got = {party: seen[key, party] for party in PARTIES if entry.outcomes[party] != SKIP}
    wrong = {party: f"the table says {entry.outcomes[party]}, the answer was {s.outcome} ({s.request})"
             for party, s in got.items() if s.outcome != entry.outcomes[party]}
    assert not wrong, wrong
    changed = {party: s.changed for party, s in got.items() if s.outcome != ALLOW and s.changed}
    assert not changed, f"a refused POST changed {changed}"
