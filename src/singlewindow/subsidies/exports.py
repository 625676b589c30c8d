"""An application as files: the .xlsx (singlewindow.spreadsheets: formula-like cells neutralised) and the PDF
(weasyprint from a template, WenQuanYi Micro Hei embedded as a subset, as documents/render.py makes them). Both
are drawn from the same rows the detail page shows."""
import logging

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from singlewindow.spreadsheets import XlsxWriter

FONT_FAMILY = "WenQuanYi Micro Hei"
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def lines_of(application):
    return (application.lines.select_related("policy__enterprise__region", "entry")
            .order_by("policy__number").iterator(chunk_size=2000))


def heading(application):
    """(label, value) pairs that head both files."""
    return [
        (_("申请编号"), application.number),
        (_("投保方案"), application.scheme.name),
        (_("资助方"), application.payer_label),
        (_("期间"), f"{application.period_start:%Y-%m-%d} 至 {application.period_end:%Y-%m-%d}"),
        (_("状态"), application.get_status_display()),
        (_("保单数"), application.line_count),
        (_("保费合计（元）"), application.premium_total),
        (_("申请金额（元）"), application.total),
    ]


COLUMNS = (_("保单号"), _("被保险人"), _("统一社会信用代码"), _("县区"), _("生效日期"), _("保费（元）"),
           _("资助比例（%）"), _("申请金额（元）"), _("发票号码"))


def row(line):
    enterprise = line.policy.enterprise
    return [line.policy.number, enterprise.name, enterprise.uscc, enterprise.region.name,
            timezone.localdate(line.entry.created_at), line.premium, line.share, line.amount, line.invoice_number]


def workbook(application):
    sheet = XlsxWriter(_("申请拨付"))
    for label, value in heading(application):
        sheet.writerow([str(label), value])
    sheet.writerow([])
    sheet.writerow([str(label) for label in COLUMNS])
    for line in lines_of(application):
        sheet.writerow(row(line))
    sheet.writerow([_("合计"), "", "", "", "", application.premium_total, "", application.total, ""])
    return sheet.getvalue()


def pdf(application):
    """The application as a PDF. weasyprint may fetch nothing: the page holds everything it shows."""
    import weasyprint  # its import takes most of a second: only this download pays for it

    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string("subsidies/application.pdf.html", {
            "application": application, "heading": heading(application), "columns": COLUMNS,
            "rows": [row(line) for line in lines_of(application)], "font_family": FONT_FAMILY,
            "generated_at": timezone.localtime()})
    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
