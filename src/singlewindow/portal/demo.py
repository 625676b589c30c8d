"""Demo data of DESIGN.md §8, built through the real services so every record is one a user could make.

Idempotent: a second run finds the demo insurer and changes nothing.
"""
import datetime as dt
import itertools
import random
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from singlewindow.accounts.models import LocalAccount, LoginMethod, Role, User
from singlewindow.enterprises.identifiers import make_uscc
from singlewindow.enterprises.models import Enterprise, ExportRecord
from singlewindow.policies import services
from singlewindow.policies.models import Agreement, InsurerBranch, Policy, PolicyStatus, PremiumRule, Scheme
from singlewindow.regions.models import Region

SHANWEI = "441500"
COUNTIES = ["441502", "441521", "441523", "441581"]
EAST_GUANGDONG = ["440500", "441500", "445100", "445200"]  # 汕头 汕尾 潮州 揭阳: the 粤东 office's area
AGREEMENT_TEXT = Path(__file__).resolve().parent.parent / "policies" / "texts" / "agreement_sample.txt"
RISKS = "商业风险（买方破产、拖欠货款、拒收货物）和政治风险（禁止汇兑、进口国禁止贸易、战争等）"
LOGINS = [
    ("demo", "Demo@2020", "企业（汕尾市城区，待确认保单，尚未绑定本地账号）"),
    ("demo2", "Demo@2020", "企业（海丰县，另一家企业）"),
    ("demo_op", "Demo@2020", "demo 企业的操作员（可确认保单，不能管理操作员）"),
    ("exporter", "Demo@2020", "企业（已生效保单，报损与索赔，风险预警）"),
    ("insurer", "Insurer@2020", "中国信保粤东办事处"),
    ("bureau", "Bureau@2020", "汕尾市商务局"),
    ("county", "County@2020", "海丰县商务局"),
    ("admin", "Admin@2020", "单一窗口管理员"),
]
LOCAL_ACCOUNT = ("swdemo", "Local@2020")
EXPORTER = "exporter"
IP = "127.0.0.1"

WORDS = [
    "海丰", "陆丰", "陆河", "红海", "品清", "金厢", "碣石", "甲子", "南塘", "东海",
    "梅陇", "可塘", "河田", "螺溪", "新田", "马宫", "捷胜", "鲘门", "赤坑", "联安",
]
TRADES = ["进出口", "贸易", "电子", "服饰", "工艺品", "五金", "水产", "食品", "塑胶", "珠宝"]


def _user(username, password, **fields):
    user = User(username=username, **fields)
    user.set_password(password)
    user.save()
    return user


def _enterprise(rng, serial, index, region_code, name=None):
    """`serial` (one counter per build) numbers the organisation codes, which must be unique, with a
    random-looking spread: the same seed gives the same codes in every build."""
    body = f"{(next(serial) * 7_654_321 + 13_579) % 90_000_000 + 10_000_000:08d}"
    uscc = make_uscc("91", region_code, body)
    name = name or f"汕尾市{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司"
    return Enterprise.objects.create(
        uscc=uscc, name=f"{name[:-4]}{index:03d}{name[-4:]}" if index else name,
        region_id=region_code, address=f"{Region.objects.get(pk=region_code).name}示例路{index + 1}号",
        legal_representative=rng.choice("李王张陈林黄吴郑刘蔡") + rng.choice(["锐", "明", "芳", "强", "静", "伟"]),
        customs_code=f"44{rng.randrange(10**7, 10**8)}",
    )


def _exports(rng, enterprise, years, low=50_000, high=2_900_000):
    for year in years:
        ExportRecord.objects.create(
            enterprise=enterprise, year=year, export_usd=Decimal(rng.randrange(low, high)),
            source="演示数据",
        )


def _enterprise_user(enterprise):
    """The enterprise's own first account; one without a login is made for enterprises that have none."""
    user = enterprise.users.order_by("id").first()
    if user is None:
        user = User(username=f"e{enterprise.pk}", role=Role.ENTERPRISE, enterprise=enterprise,
                    is_enterprise_admin=True)
        user.set_unusable_password()
        user.save()
    return user


def _walk(policy, path, insurer, now=None):
    """Move a policy along `path` (a list of actions) through the services, at `now` (default: the clock's)."""
    user = _enterprise_user(policy.enterprise)
    for action in path:
        if action == "confirm":
            services.confirm(
                user, policy.pk, contact_name=policy.enterprise.legal_representative,
                contact_phone="13800138000", agreement_sha256=policy.scheme.agreement.sha256,
                login_method=LoginMethod.PASSWORD, ip=IP, now=now,
            )
        elif action == "approve":
            services.approve(insurer, policy.pk, ip=IP, now=now)
        elif action == "return":
            services.return_policy(insurer, policy.pk, reason="联系电话无法接通，请核实后重新确认。", ip=IP, now=now)
        elif action == "decline":
            services.decline(user, policy.pk, reason="企业已另行投保。", ip=IP, now=now)
        elif action == "cancel":
            services.cancel(insurer, policy.pk, reason="企业已注销。", ip=IP, now=now)


PATHS = {
    PolicyStatus.PENDING: [],
    PolicyStatus.CONFIRMED: ["confirm"],
    PolicyStatus.EFFECTIVE: ["confirm", "approve"],
    PolicyStatus.RETURNED: ["confirm", "return"],
    PolicyStatus.DECLINED: ["decline"],
    PolicyStatus.CANCELLED: ["cancel"],
}


def _cards(demo, others):
    """e-port cards (卡介质): the demo enterprise's, and those of an enterprise with no password account."""
    from singlewindow.eport.demo import issue_demo_cards

    issue_demo_cards(demo, others)


def build(enterprises=300, seed=2020, stdout=None):
    """Create the demo world once. Returns False when it already exists."""
    if InsurerBranch.objects.filter(code="YD").exists():
        return False
    rng = random.Random(seed)
    serial = itertools.count(1)
    say = stdout.write if stdout else (lambda *_: None)
    today = timezone.localdate()
    with transaction.atomic():
        branch = InsurerBranch.objects.create(code="YD", name="中国信保粤东办事处", hotline="13729230657")
        branch.regions.set(Region.objects.filter(pk__in=EAST_GUANGDONG))
        agreement = Agreement.objects.create(
            # The title is marked so pages in English can name the agreement; its text stays Chinese.
            version="2020.1", title=gettext_noop("中国出口信用保险公司客户网上服务协议"), body=AGREEMENT_TEXT.read_text()
        )
        common = {
            "region_id": SHANWEI, "threshold_usd": Decimal(3000000), "insurer_branch": branch,
            "indemnity_ratio": Decimal(80), "max_indemnity_usd": Decimal(150000), "risks_covered": RISKS,
            "premium_rule": PremiumRule.FIXED, "premium_fixed": Decimal(1200), "province_share": Decimal(80),
            "city_share": Decimal(20), "agreement": agreement,
        }
        # The notice's own programme (2020): long over, so its policies show the end states.
        scheme_2020 = Scheme.objects.create(
            name="2020年汕尾市小微企业出口信用保险统保方案", year=2020, basis_year=2019,
            cover_start=dt.date(2020, 3, 25), cover_end=dt.date(2021, 3, 24),
            confirm_deadline=dt.date(2020, 6, 30), **common,
        )
        # This year's programme, open now, so the notice's journey can be walked today.
        scheme = Scheme.objects.create(
            name=f"{today.year}年汕尾市小微企业出口信用保险统保方案", year=today.year, basis_year=today.year - 1,
            cover_start=dt.date(today.year, 1, 1), cover_end=today + dt.timedelta(days=365),
            confirm_deadline=today + dt.timedelta(days=90), **common,
        )
        insurer = _user("insurer", "Insurer@2020", role=Role.INSURER, insurer_branch=branch,
                        display_name="郭泽锐（粤东办事处）")
        _user("bureau", "Bureau@2020", role=Role.BUREAU, region_id=SHANWEI, display_name="汕尾市商务局")
        _user("county", "County@2020", role=Role.BUREAU, region_id="441521", display_name="海丰县商务局")
        _user("admin", "Admin@2020", role=Role.STAFF, is_staff=True, is_superuser=True,
              display_name="单一窗口管理员")

        demo = _enterprise(rng, serial, 0, "441502", name="汕尾市红海湾进出口贸易有限公司")
        demo2 = _enterprise(rng, serial, 0, "441521", name="海丰县梅陇工艺品有限公司")
        # Each enterprise's first account is its legal person's (is_enterprise_admin: manages operators).
        _user("demo", "Demo@2020", role=Role.ENTERPRISE, enterprise=demo, display_name="李锐",
              mobile="13729230657", email="lirui@example.com", is_enterprise_admin=True)
        _user("demo2", "Demo@2020", role=Role.ENTERPRISE, enterprise=demo2, display_name="陈芳",
              mobile="13800138002", is_enterprise_admin=True)
        _user("demo_op", "Demo@2020", role=Role.ENTERPRISE, enterprise=demo, display_name="黄静（操作员）",
              mobile="13800138001")
        local = LocalAccount(username=LOCAL_ACCOUNT[0], enterprise=demo, contact_name="李锐",
                             contact_phone="13729230657")
        local.set_password(LOCAL_ACCOUNT[1])
        local.save()
        others = [_enterprise(rng, serial, i, COUNTIES[i % 4]) for i in range(1, enterprises + 1)]
        for enterprise in [demo, demo2, *others]:
            _exports(rng, enterprise, [2019, today.year - 1])

        # Its history is written at the moments it happened: the services take the clock explicitly.
        issued_2020 = timezone.make_aware(dt.datetime(2020, 4, 1, 10, 0))
        old = [services.issue(insurer, scheme_2020.pk, e.pk, ip=IP, now=issued_2020) for e in [demo, *others[:60]]]
        walked_2020 = timezone.make_aware(dt.datetime(2020, 5, 10, 9, 30))
        for index, policy in enumerate(old):
            _walk(policy, ["confirm", "approve"] if index % 3 == 0 else ["decline"] if index % 7 == 1 else [],
                  insurer, now=walked_2020)
        # The calendar jobs close the 2020 programme: unconfirmed ones lapse, effective ones expire.
        services.lapse_overdue(today)
        services.expire_ended(today)

        statuses = list(PATHS)
        for index, enterprise in enumerate([demo, demo2, *others]):
            if index >= 2 and index % 5 == 4:
                continue  # some eligible enterprises still have no policy
            policy = services.issue(insurer, scheme.pk, enterprise.pk, ip=IP)
            if index >= 2:
                _walk(policy, PATHS[statuses[index % len(statuses)]], insurer)
        demo2_policy = Policy.objects.get(scheme=scheme, enterprise=demo2)
        _walk(demo2_policy, ["confirm", "return"], insurer)
        _cards(demo, others)
        _claims(scheme, insurer)
        _alerts(branch, insurer)
    say(f"demo data: {Enterprise.objects.count()} enterprises, {Policy.objects.count()} policies\n")
    return True


def _claims(scheme, insurer):
    """An insured exporter (login `exporter`) with a claim in review and a paid one (claims/demo.py)."""
    from singlewindow.claims import demo as claims_demo

    policy = (Policy.objects.filter(scheme=scheme, status=PolicyStatus.EFFECTIVE).select_related("enterprise")
              .order_by("id").first())
    user = _enterprise_user(policy.enterprise)
    user.username, user.display_name, user.mobile = EXPORTER, "周海（外贸经理）", "13800138003"
    user.set_password("Demo@2020")
    user.save()
    claims_demo.build(user, policy, insurer)


def _alerts(branch, insurer):
    """The insurer's 风险预警 to its insureds (alerts/demo.py): after the policies are walked and the exporter has its
    login, since an alert reaches only enterprises with an effective policy (the exporter among them)."""
    from singlewindow.alerts import demo as alerts_demo

    alerts_demo.build(branch, insurer)


def print_logins(stdout):
    stdout.write("\n演示账号 / demo logins (username / password):\n")
    for username, password, role in LOGINS:
        stdout.write(f"  {username:<8} {password:<14} {role}\n")
    stdout.write(f"  本地账号（账号绑定用）: {LOCAL_ACCOUNT[0]} / {LOCAL_ACCOUNT[1]}（属于 demo 的企业）\n\n")
    from singlewindow.eport.demo import print_cards

    print_cards(stdout)
