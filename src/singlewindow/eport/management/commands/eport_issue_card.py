import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from singlewindow.enterprises.models import Enterprise
from singlewindow.eport.authority import CARD_DAYS
from singlewindow.eport.card_services import issue_card


class Command(BaseCommand):
    help = "Issue an e-port card (法人卡 or 操作员卡) to a card file protected by its PIN."

    def add_arguments(self, parser):
        parser.add_argument("--uscc", required=True, help="the enterprise's 统一社会信用代码")
        parser.add_argument("--kind", choices=["legal", "operator"], default="legal", help="legal = 法人卡, operator = 操作员卡")
        parser.add_argument("--holder", required=True, help="the holder's name (持卡人)")
        parser.add_argument("--ent-name", help="the enterprise's name (default: as registered in the single window)")
        parser.add_argument("--out", required=True, help="the card file to write")
        parser.add_argument("--pin", help="the card's PIN, 6-16 characters (asked for when omitted)")
        parser.add_argument("--days", type=int, default=CARD_DAYS, help="certificate validity in days")

    def handle(self, *args, uscc, kind, holder, ent_name, out, pin, days, **options):
        if not ent_name:
            enterprise = Enterprise.objects.filter(uscc=uscc.strip().upper()).first()
            if enterprise is None:
                raise CommandError("no enterprise with that USCC here: give --ent-name")
            ent_name = enterprise.name
        if not pin:
            pin = getpass.getpass("卡密码 / PIN: ")
            if getpass.getpass("再次输入 / again: ") != pin:
                raise CommandError("the two PINs differ")
        try:
            card = issue_card(uscc=uscc, ent_name=ent_name, holder=holder, kind=kind, pin=pin, path=out, days=days)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"issued {card.get_kind_display()} {card.number} to {card.holder} of {card.ent_name} "
                          f"({card.uscc}), valid until {card.not_after:%Y-%m-%d}: {out}\n")
