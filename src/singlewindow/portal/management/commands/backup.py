"""manage.py backup [ARCHIVE]: the database, the two CAs' keys and the stored files in one tar (0600)."""
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from singlewindow.backups import services


class Command(BaseCommand):
    help = ("备份：数据库（PostgreSQL 用 pg_dump，SQLite 用在线备份）、电子口岸卡认证中心和电子文件签章认证中心的密钥、"
            "电子保单、索赔材料和导入文件，写成一个 tar 文件（含清单：时间、迁移状态、各文件 SHA-256、审计链尾）。"
            "系统运行中即可备份。备份文件含私钥，权限为 0600：请像私钥一样保管（加密存放、限制访问）。")

    def add_arguments(self, parser):
        parser.add_argument("archive", nargs="?", help="备份文件路径（默认：当前目录下的 singlewindow-backup-时间.tar）；"
                                                       "已存在的文件不覆盖")
        parser.add_argument("--database", default="default", help="数据库别名（默认 default）")

    def handle(self, *args, archive=None, database="default", **options):
        archive = archive or services.default_name()
        try:
            manifest = services.backup(archive, database)
        except services.Refused as error:
            raise CommandError(str(error)) from None
        files = "，".join(f"{name} {area['files']}" for name, area in manifest["areas"].items())
        self.stdout.write(_("已备份到 %(path)s（权限 0600，含私钥）：%(vendor)s 数据库，%(migrations)s 个迁移；文件：%(files)s；"
                            "审计事件 %(events)s 条，链尾 %(head)s。") % {
            "path": archive, "vendor": manifest["database"]["vendor"], "migrations": len(manifest["migrations"]),
            "files": files, "events": manifest["audit"]["events"], "head": manifest["audit"]["head"]})
        missing = manifest["stored"]["missing"]
        if missing:
            self.stderr.write(_("注意：%(count)s 份文件在本机找不到，备份中没有它们（文件目录是否已挂载？）：") % {
                "count": manifest["stored"]["missing_count"]})
            for line in missing[:20]:
                self.stderr.write(f"  {line}")
