"""/api/: v1 (django-ninja: operations through the gateway, the OpenAPI document and docs page as they are), the
problem types, and the token page (/api/tokens/)."""
from django.urls import path, re_path

from . import views
from .gateway import gateway
from .v1 import api

app_name = "api"

DOCUMENT_VIEWS = {"openapi-json", "openapi-view", "api-root"}


def _v1():
    patterns, app, namespace = api.urls
    for pattern in patterns:
        if getattr(pattern, "name", None) not in DOCUMENT_VIEWS:
            pattern.callback = gateway(pattern.callback)
    return patterns, app, namespace


urlpatterns = [
    path("v1/", _v1()),
    re_path(r"^v1/", views.unknown),  # any other address under v1: a problem, not the site's 404 page
    path("problems/<slug:code>", views.problem_type, name="problem_type"),
    path("tokens/", views.tokens_page, name="tokens"),
    path("tokens/<int:pk>/revoke", views.revoke, name="revoke"),
    path("webhooks/", views.webhook_log, name="webhooks"),
    path("webhooks/deliveries/<int:pk>/replay", views.webhook_replay, name="webhook_replay"),
]
