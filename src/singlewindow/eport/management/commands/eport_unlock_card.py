from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cardagent.card import CardError
from singlewindow.eport.card_services import unlock_card
from singlewindow.machines import Refused


class Command(BaseCommand):
    help = "Unlock a card locked by ten wrong PINs (the authority only: the card must be one it issued)."

    def add_arguments(self, parser):
        parser.add_argument("card_file", help="the card file")

    def handle(self, *args, card_file, **options):
        try:
            card = unlock_card(card_file)
        except Refused as refused:
            raise CommandError(refused.message) from None
        except (CardError, ValidationError) as error:
            raise CommandError(getattr(error, "message", None) or "; ".join(error.messages)) from None
        self.stdout.write(f"unlocked {card.number} ({card.holder})\n")
