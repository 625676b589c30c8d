from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from singlewindow.eport.card_services import revoke_card
from singlewindow.eport.models import Card
from singlewindow.machines import Refused


class Command(BaseCommand):
    help = "Revoke an e-port card: it can no longer log in or sign."

    def add_arguments(self, parser):
        parser.add_argument("number", help="the card number (卡号)")
        parser.add_argument("--reason", required=True, help="why (挂失, 人员离职, ...)")

    def handle(self, *args, number, reason, **options):
        try:
            card = revoke_card(number, reason=reason)
        except Card.DoesNotExist:
            raise CommandError(f"no card {number}") from None
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        except Refused as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(f"revoked {card.number} ({card.holder}, {card.uscc}) at {card.revoked_at:%Y-%m-%d %H:%M}\n")
