"""The money rules of a claim, written once: the indemnity and its working, the recovery shares.

Every figure is a Decimal rounded to the cent with ROUND_HALF_UP at each step the working shows, so the lines
the enterprise reads add up to what is paid. No floats anywhere.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ROUNDING_NOTE = gettext_lazy("各步计算结果按四舍五入（ROUND_HALF_UP）保留到分。")


def to_cent(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _usd(value):
    return f"USD {value:,.2f}"


# What a working is computed from and what it found, as a claim keeps them (Claim.working): Decimals as their
# exact text, the rate date as YYYY-MM-DD. The lines are written from these when read, in the reader's language.
FIGURES = ("amount", "usd_rate", "ratio", "maximum_usd", "already_usd", "loss_usd", "by_ratio_usd",
           "remaining_usd", "indemnity_usd")


@dataclass(frozen=True)
class Indemnity:
    currency: str
    rate_date: str
    amount: Decimal
    usd_rate: Decimal
    ratio: Decimal
    maximum_usd: Decimal
    already_usd: Decimal
    loss_usd: Decimal
    by_ratio_usd: Decimal
    remaining_usd: Decimal
    indemnity_usd: Decimal

    @property
    def lines(self):
        """(what, how, result) for the page, in the order computed and the language of the moment."""
        return (
            (_("核定损失"), _("索赔金额 %(currency)s %(amount)s × 汇率 %(rate)s（%(date)s，1 %(currency)s 折合美元）") % {
                "currency": self.currency, "amount": f"{self.amount:,.2f}", "rate": f"{self.usd_rate:f}",
                "date": self.rate_date}, _usd(self.loss_usd)),
            (_("按赔偿比例"), _("%(loss)s × %(ratio)s%%") % {"loss": _usd(self.loss_usd), "ratio": f"{self.ratio:f}"},
             _usd(self.by_ratio_usd)),
            (_("剩余赔偿限额"), _("本保单年度最高赔偿限额 %(maximum)s − 已核赔 %(already)s") % {
                "maximum": _usd(self.maximum_usd), "already": _usd(self.already_usd)}, _usd(self.remaining_usd)),
            (_("赔款"), _("取以上两者中较小者"), _usd(self.indemnity_usd)),
        )

    def as_json(self):
        """The figures, not the lines: what Claim.working keeps."""
        return {"currency": self.currency, "rate_date": self.rate_date,
                **{name: str(getattr(self, name)) for name in FIGURES}}

    @classmethod
    def from_json(cls, data):
        """The working as approved, read back from as_json: its figures as stored, never computed again."""
        return cls(currency=data["currency"], rate_date=data["rate_date"],
                   **{name: Decimal(data[name]) for name in FIGURES})


def compute(*, amount, currency, usd_rate, rate_date, ratio, maximum_usd, already_usd):
    """The indemnity of a claim of `amount` in `currency`, converted at `usd_rate` (USD per unit, dated
    `rate_date`): min(loss in USD × `ratio` %, `maximum_usd` less `already_usd` counted on the policy year),
    never negative."""
    amount, usd_rate, ratio = Decimal(amount), Decimal(usd_rate), Decimal(ratio)
    maximum_usd, already_usd = Decimal(maximum_usd), Decimal(already_usd)
    loss = to_cent(amount * usd_rate)
    by_ratio = to_cent(loss * ratio / 100)
    remaining = max(to_cent(maximum_usd - already_usd), ZERO)
    indemnity = max(min(by_ratio, remaining), ZERO)
    return Indemnity(currency=str(currency), rate_date=str(rate_date), amount=amount, usd_rate=usd_rate,
                     ratio=ratio, maximum_usd=maximum_usd, already_usd=already_usd, loss_usd=loss,
                     by_ratio_usd=by_ratio, remaining_usd=remaining, indemnity_usd=indemnity)


@dataclass(frozen=True)
class Shares:
    insurer_usd: Decimal
    enterprise_usd: Decimal


def recovery_shares(*, amount_usd, ratio, indemnity_usd, insurer_before_usd):
    """Split money recovered from the buyer by the indemnity ratio: the insurer takes `ratio` % of it, but in
    all never more than it paid (`indemnity_usd`, of which `insurer_before_usd` already came back); the rest
    is the enterprise's. The two shares add up to the amount exactly."""
    amount = to_cent(amount_usd)
    owed = max(to_cent(Decimal(indemnity_usd) - Decimal(insurer_before_usd)), ZERO)
    insurer = min(to_cent(amount * Decimal(ratio) / 100), owed)
    return Shares(insurer, amount - insurer)
