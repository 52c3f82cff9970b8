"""Money in a partner's own currency, counted in euros as the programme counts it.

Interreg converts what a partner outside the euro area declares at the Commission's
monthly accounting rate (InforEuro) of the month in which the partner submits its
report. The coordinator keeps these rates on the Rates setup sheet (month x
currency); everything here looks them up there and nowhere else, so the template,
intake, the master and the board all use the same rate for the same report.

A converted amount is rounded to the cent, half away from zero (Excel's ROUND), per
line: the partner workbook's EUR cells, the master's lines and every total added up
from them tie to the cent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from nc_excel.setup.models import EUR, Rate

CENT = Decimal("0.01")


class MissingRate(LookupError):
    """The Rates sheet has no rate for a currency in a month that a report needs."""

    def __init__(self, currency: str, month: dt.date) -> None:
        self.currency, self.month = currency, month
        super().__init__(
            f"The Rates sheet has no {currency} rate for {month:%B %Y}, the month a {currency} report was submitted in. "
            f"Add a row for {month:%Y-%m-01} and {currency} with the Commission's accounting rate of that month (InforEuro) "
            "to the Rates sheet of master.xlsx, save it and run the command again."
        )


def month_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s month: the key of a monthly rate."""
    return day.replace(day=1)


def rate_of(rates: Sequence[Rate], currency: str, day: dt.date) -> Decimal:
    """Units of ``currency`` per euro in the month of ``day``; 1 for the euro; ``MissingRate`` when the sheet lacks it."""
    if currency == EUR:
        return Decimal(1)
    month = month_of(day)
    found = next((r.rate for r in rates if r.currency == currency and month_of(r.month) == month), None)
    if found is None:
        raise MissingRate(currency, month)
    return found


def to_eur(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount in a currency at ``rate`` units per euro, in euros to the cent (half away from zero, as ROUND)."""
    return (amount / rate).quantize(CENT, rounding=ROUND_HALF_UP) if rate != 1 else amount


def rates_of(rates: Sequence[Rate], currency: str) -> list[Rate]:
    """The rates of one currency, month by month: what a partner template carries."""
    return sorted((r for r in rates if r.currency == currency), key=lambda r: r.month)
