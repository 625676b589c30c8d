"""manage.py restore ARCHIVE [--force]: the archive checked whole, then restored, then the audit chain verified."""
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from singlewindow.backups import services


class Command(BaseCommand):
    help = ("恢复 manage.py backup 写的备份文件：先逐个校验清单中的 SHA-256，任何不符都拒绝且不作改动；数据库不是空的、"
            "或卡认证中心、签章、文件目录已有文件时拒绝，除非加 --force（原有文件移到 .before-restore-* 目录保留）。"
            "恢复后运行 verify_audit 并报告。请先停止网站和后台任务，恢复后再启动。")

    def add_arguments(self, parser):
        parser.add_argument("archive", help="备份文件路径")
        parser.add_argument("--force", action="store_true", help="覆盖非空的数据库和已有文件的目录")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")

    def handle(self, *args, archive, force=False, database="default", **options):
        try:
            restored = services.restore(archive, database, force=force)
        except services.Refused as error:
            raise CommandError(str(error)) from None
        manifest = restored.manifest
        files = "，".join(f"{name} {count}" for name, count in restored.files.items())
        self.stdout.write(_("已从 %(path)s 恢复 %(created)s 的备份：%(vendor)s 数据库；文件：%(files)s。") % {
            "path": archive, "created": manifest["created_at"], "vendor": manifest["database"]["vendor"],
            "files": files})
        for folder in restored.set_aside:
            self.stdout.write(_("原有文件已移到 %(path)s，核对后可删除。") % {"path": folder})
        if restored.unapplied:
            self.stdout.write(_("本程序比备份新 %(count)s 个迁移：请运行 manage.py migrate。") % {
                "count": len(restored.unapplied)})
        if restored.head != manifest["audit"]["head"]:
            raise CommandError(_("恢复后的审计链尾 %(restored)s 与备份清单记录的 %(archived)s 不同。") % {
                "restored": restored.head, "archived": manifest["audit"]["head"]})
        if restored.stored:
            self.stdout.write(_("文件核对：%(counts)s，%(verdict)s。") % {
                "counts": "，".join(f"{kind} {count} 份" for kind, count in restored.stored.items()),
                "verdict": _("%(count)s 份有问题") % {"count": len(restored.problems)} if restored.problems
                else _("SHA-256 全部与记录相符")})
        for line in restored.problems[:20]:
            self.stderr.write(f"  {line}")
        call_command("verify_audit", stdout=self.stdout, stderr=self.stderr)
        if restored.problems:
            raise CommandError(_("%(count)s 份文件没有完整恢复（见上）。") % {"count": len(restored.problems)})
