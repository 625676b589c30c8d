"""manage.py check_ledger: compare the subsidy ledger with the policies, report every difference, and change
nothing unless --repair is given (then each correction is a new entry with an audit event; nothing is edited)."""
from django.core.management.base import BaseCommand, CommandError

from singlewindow.policies.models import Policy
from singlewindow.subsidies import services


class Command(BaseCommand):
    help = "补贴台账核对：逐份保单比较台账与“生效保费 × 资助比例”，列出差异；加 --repair 以新记录补正。"

    def add_arguments(self, parser):
        parser.add_argument("--scheme", type=int, help="只核对此方案（编号）的保单")
        parser.add_argument("--repair", action="store_true",
                            help="以新的台账记录补正差异（冲回不符的承担记录，再按现行规则承担），每份保单记一条审计事件")

    def handle(self, *args, scheme=None, repair=False, **options):
        policies = Policy.objects.all()
        if scheme is not None:
            policies = policies.filter(scheme_id=scheme)
        found = services.differences(policies)
        if not found:
            self.stdout.write("补贴台账与保单一致。")
            return
        for difference in found:
            self.stdout.write(str(difference))
        if repair:
            count = services.repair(found)
            self.stdout.write(f"已补记 {count} 份保单（新增台账记录，原记录未改动）。")
            return
        raise CommandError(f"共 {len(found)} 处差异，未作改动。核实后可用 --repair 补记。")
