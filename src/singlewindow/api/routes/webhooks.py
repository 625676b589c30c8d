"""事件订阅 (webhooks): a token subscribes its organisation's system to events, reads the delivery log, and asks for
a delivery again. Signing and delivery: webhooks.py."""
from ninja import Path, Query, Router

from .. import pagination, webhooks
from ..models import WebhookDelivery, WebhookSubscription
from ..schemas import DeliveryOut, DeliveryPage, WebhookIn, WebhookOut, WebhookPage
from .common import MAX_ID, acting, ip

router = Router(tags=["事件订阅"])


def subscription_out(subscription, secret=None):
    return {"id": subscription.pk, "url": subscription.url, "events": subscription.events,
            "active": subscription.active, "created_at": subscription.created_at, "secret": secret}


def delivery_out(delivery):
    return {"id": delivery.pk, "subscription_id": delivery.subscription_id, "event": delivery.event,
            "event_id": delivery.event_id, "status": delivery.status, "attempts": delivery.attempts,
            "last_status": delivery.last_status, "last_error": delivery.last_error, "created_at": delivery.created_at,
            "next_attempt_at": delivery.next_attempt_at, "delivered_at": delivery.delivered_at,
            "replay_of": delivery.replay_of_id}


def _subscriptions(request):
    acting(request)
    return WebhookSubscription.objects.filter(token=request.api_token)


@router.post("/webhooks", response={201: WebhookOut}, summary="订阅事件",
             description="事件发生后向 url 投递（POST，JSON）。签名：Sw-Webhook-Signature: v1=HMAC-SHA256(secret, "
                         "\"{Sw-Webhook-Timestamp}.{body}\") 的十六进制；接收方应拒绝与其时钟相差超过 5 分钟的时间戳。"
                         "未返回 2xx 时按指数退避重试。只投递本令牌能看到的对象。")
def subscribe(request, data: WebhookIn):
    acting(request)
    subscription = webhooks.subscribe(request.api_token, url=data.url, events=[e.value for e in data.events],
                                      ip=ip(request))
    return 201, subscription_out(subscription, secret=subscription.secret)


@router.get("/webhooks", response=WebhookPage, summary="事件订阅列表")
def list_subscriptions(request, limit: int = Query(pagination.DEFAULT_LIMIT, ge=1, le=pagination.MAX_LIMIT),
                       after: str | None = Query(None, max_length=200)):
    return pagination.page("webhooks", _subscriptions(request), limit=limit, after=after, serialize=subscription_out)


@router.post("/webhooks/{subscription_id}/disable", response=WebhookOut, summary="停止订阅")
def unsubscribe(request, subscription_id: int = Path(..., ge=1, le=MAX_ID)):
    acting(request)
    return subscription_out(webhooks.unsubscribe(request.api_token, subscription_id, ip=ip(request)))


@router.get("/webhooks/{subscription_id}/deliveries", response=DeliveryPage, summary="投递记录")
def deliveries(request, subscription_id: int = Path(..., ge=1, le=MAX_ID),
               limit: int = Query(pagination.DEFAULT_LIMIT, ge=1, le=pagination.MAX_LIMIT),
               after: str | None = Query(None, max_length=200)):
    subscription = _subscriptions(request).get(pk=subscription_id)
    return pagination.page("webhook-deliveries", WebhookDelivery.objects.filter(subscription=subscription),
                           limit=limit, after=after, serialize=delivery_out)


@router.post("/webhook-deliveries/{delivery_id}/replay", response={202: DeliveryOut}, summary="重新投递",
             description="同一事件（同一 id 与内容）作为新的投递重新发送，重新签名。")
def replay(request, delivery_id: int = Path(..., ge=1, le=MAX_ID)):
    acting(request)
    return 202, delivery_out(webhooks.replay(request.api_token, delivery_id, ip=ip(request)))
