"""{% policy_documents policy %}: the policy detail's 电子保单 panel (its enterprise's page and its insurer's): the
current signed PDF, earlier versions, each confirmation's 确认回执, and where a bank verifies them."""
from django import template

from singlewindow.documents.models import Kind, PolicyDocument
from singlewindow.documents.services import DOCUMENTED

register = template.Library()


@register.inclusion_tag("documents/_policy_documents.html", takes_context=True)
def policy_documents(context, policy):
    documents = list(PolicyDocument.objects.visible_to(context["request"].user).filter(policy=policy)
                     .select_related("confirmation").order_by("kind", "confirmation_id", "-version"))
    policies = [document for document in documents if document.kind == Kind.POLICY]
    return {
        "policy": policy,
        "current": next((document for document in policies if document.is_current), None),
        "earlier": [document for document in policies if not document.is_current],
        "receipts": [document for document in documents if document.kind == Kind.RECEIPT and document.is_current],
        "awaited": policy.status in DOCUMENTED and not policies,
    }
