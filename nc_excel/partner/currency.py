"""A return's amounts in euros: at the Rates sheet's rate of the month the partner submitted it.

The one place intake, the next template's carry-over, the FLC certificates and the
master turn a partner's own currency into euros, so they all use the same rate for
the same report. The workbook's own euro cells are never used: a partner could type
over them, and the coordinator's Rates sheet is the authority. A correction, or a
later period, is converted at the rate of its own month of submission.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from nc_excel.partner.read import Return
from nc_excel.partner.schema import SUBMISSION_FORM
from nc_excel.setup.currency import month_of, rate_of, to_eur
from nc_excel.setup.models import EUR, ProjectSetup


@dataclass(frozen=True)
class Conversion:
    """How one report's amounts become euros: its currency, the month of the rate and the rate (units per euro)."""

    currency: str
    month: dt.date | None  # None for the euro
    rate: Decimal

    def eur(self, amount: Decimal | None) -> Decimal:
        """``amount`` of the report's currency in euros, to the cent (None as 0)."""
        return to_eur(amount or Decimal(0), self.rate)


IN_EUROS = Conversion(EUR, None, Decimal(1))


def submitted(ret: Return, received: dt.date | None = None) -> dt.date | None:
    """The day whose month sets a return's rate: its date of submission, else (a return that gave none) the day it was received."""
    day = ret.form(SUBMISSION_FORM).get("submitted_on")
    return day if isinstance(day, dt.date) else received


def conversion(ret: Return, setup: ProjectSetup, received: dt.date | None = None) -> Conversion:
    """The conversion of a return; ``MissingRate`` when the Rates sheet lacks its currency's rate for its month.

    A return in euros needs no rate; one in another currency without any date is
    not converted either (it is rejected for the missing date, and counts nowhere).
    """
    day = submitted(ret, received)
    if ret.currency == EUR or day is None:
        return IN_EUROS if ret.currency == EUR else Conversion(ret.currency, None, Decimal(1))
    return Conversion(ret.currency, month_of(day), rate_of(setup.rates, ret.currency, day))
