"""The demo's 风险预警: a few alerts the 粤东 insurer has published to its insureds (portal/demo.py calls build)."""
import datetime as dt

from django.utils import timezone

from singlewindow.claims.models import Country

from . import services
from .models import Alert

IP = "127.0.0.1"


def build(branch, insurer):
    """Publish three alerts of `branch` written by `insurer`: a 高 country alert and a 中 industry alert current
    now, and a 低 one whose validity ended last month (in the enterprises' archive). Call it after the policies
    are walked: alerts reach only enterprises with an effective policy. Returns the alerts."""
    assert insurer.insurer_branch_id == branch.pk
    now = timezone.now()
    today = timezone.localdate(now)
    month = dt.timedelta(days=30)
    written = [
        (now, {"title": "阿根廷外汇管制收紧，买方付汇可能延迟", "level": Alert.Level.HIGH, "kind": Alert.Kind.COUNTRY,
               "countries": list(Country.objects.filter(pk="AR")), "valid_from": today, "valid_until": today + 3 * month,
               "body": "阿根廷央行近期收紧进口付汇审批，部分买方付款周期明显延长。建议对阿根廷买方的新订单采用信用证或"
                       "预付款方式，已出运的货物请密切跟踪应收账款，逾期后及时报损。"}),
        (now - dt.timedelta(days=2), {
            "title": "欧盟家具产品新规实施，关注买方拒收风险", "level": Alert.Level.MEDIUM, "kind": Alert.Kind.INDUSTRY,
            "industries": "家具、木制品", "valid_from": today - dt.timedelta(days=2), "valid_until": today + 2 * month,
            "body": "欧盟木材相关新规对产品溯源提出要求，不符合要求的货物可能被买方拒收。请在合同中明确合规责任，"
                    "出运前备齐溯源材料。"}),
        (now - 2 * month, {
            "title": "春节前后海运延误提示", "level": Alert.Level.LOW, "kind": Alert.Kind.INDUSTRY,
            "industries": "全部行业", "valid_from": today - 2 * month, "valid_until": today - month,
            "body": "春节前后港口拥堵，船期普遍延误，请与买方确认交货期，避免因迟延交货引发拒付。"}),
    ]
    alerts = []
    for at, data in written:
        alert = services.save_draft(insurer, {"audience": Alert.Audience.BRANCH, **data}, ip=IP)
        Alert.objects.filter(pk=alert.pk).update(created_at=at)
        alerts.append(services.publish(insurer, alert.pk, ip=IP, now=at))
    return alerts
