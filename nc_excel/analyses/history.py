"""The project's history: one row per reporting period, from the first to the one built.

``history(setup, period, finance, deliverables, indicators, returns, certified)`` is a
pure function of frames:

- ``finance``, ``deliverables`` and ``indicators`` are the tables of the latest
  accepted return of every partner and period (``master.frames.ReturnFrames``):
  what counts is already chosen, so a corrected return replaces the one it
  corrects in every period's row.
- ``returns`` is the returns register as a frame (``master.frames.register_frame``):
  who sent what for which period, and when it came (FLC certificates are left
  aside). A partner is late for a period when the register flags its return late
  (its first file for the period came after the partner deadline); missing when it
  has no accepted return for it.
- ``certified`` has one row per partner and period (``partner``, ``period``,
  ``certified``): what first level control certified, from the FLC certificate where
  one counts, else the return's FLC form (``FinancePosition.certified``).

Money is exact ``Decimal``; shares are fractions (0.25 for a quarter), rounded to a
tenth of a percent, for a ``0.0%`` number format. The planned spending at a
period's end is the budget times the share of project months over by then (the
setup holds no spending plan). Indicators count what partners achieved per period,
summed over their accepted returns (the prefilled "reported before" is not
trusted, as in finance), each partner's achievement capped at its target, against
the sum of the targets.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from nc_excel.analyses.finance import ACCEPTED, money, share
from nc_excel.analyses.schedule import project_months
from nc_excel.setup.models import ProjectSetup

HISTORY_COLUMNS = (
    "period", "start", "end", "received", "accepted", "late", "missing", "not_in", "declared", "cumulative",
    "certified", "certified_cumulative", "budget", "spent_share", "plan", "plan_share",
    "deliverables_due", "deliverables_done", "indicator_share",
)
NOT_SENT = ("duplicate", "not a return")  # register statuses that are no return of the partner
ZERO = Decimal(0)


def months_over(setup: ProjectSetup, day: dt.date) -> int:
    """Project months wholly over on ``day`` (a period ending on 31 October has October over)."""
    after = day + dt.timedelta(days=1)
    return sum(1 for m in project_months(setup.project.start, setup.project.end) if m < f"{after:%Y-%m}")


def history(setup: ProjectSetup, period: int, finance: pd.DataFrame, deliverables: pd.DataFrame, indicators: pd.DataFrame,
            returns: pd.DataFrame, certified: pd.DataFrame) -> pd.DataFrame:
    """One row per reporting period 1..``period``; see the module text for what each figure counts."""
    codes = [p.code for p in setup.partners]
    budget = sum((p.total_budget for p in setup.partners), ZERO)
    months = len(project_months(setup.project.start, setup.project.end))
    known = set(codes)
    reg = [r for r in returns.to_dict("records") if r["partner"] in known and r["period"] is not None and r["kind"] == "return"]
    finance = finance[finance["partner"].isin(codes)]
    done_dates = _done_dates(deliverables)
    targets = {(p, i.code): Decimal(i.target) for i in setup.indicators for p in i.partners if p in codes}
    achieved = _achieved(indicators, targets)
    rows, cumulative, certified_cumulative = [], ZERO, ZERO
    for per in sorted((p for p in setup.periods if p.number <= period), key=lambda p: p.number):
        n = per.number
        of_period = [r for r in reg if int(r["period"]) == n]
        accepted = {r["partner"] for r in of_period if r["status"] in ACCEPTED and not r["superseded"]}
        sent = [r for r in of_period if r["status"] not in NOT_SENT]  # good or not
        late_partners = {r["partner"] for r in sent if r["late"]}
        late = [c for c in codes if c in late_partners]
        missing = [c for c in codes if c not in accepted]
        declared = sum((money(v) for v in finance.loc[finance["period"] == n, "declared"]), ZERO)
        cumulative += declared
        certified_now = sum((money(v) for v in certified.loc[certified["period"] == n, "certified"]), ZERO) if len(certified) else ZERO
        certified_cumulative += certified_now
        plan = (budget * months_over(setup, per.end) / (months or 1)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        due = [d.code for d in setup.deliverables if d.due <= per.end]
        rows.append({
            "period": n, "start": per.start, "end": per.end,
            "received": len({r["partner"] for r in sent}), "accepted": len(accepted),
            "late": len(late), "missing": len(missing),
            "not_in": ", ".join([f"{c} (late)" for c in late] + [f"{c} (missing)" for c in missing]) or None,
            "declared": declared, "cumulative": cumulative, "certified": certified_now, "certified_cumulative": certified_cumulative,
            "budget": budget, "spent_share": share(cumulative, budget), "plan": plan, "plan_share": share(plan, budget),
            "deliverables_due": len(due), "deliverables_done": sum(1 for d in setup.deliverables if d.code in done_dates and done_dates[d.code] <= per.end),
            "indicator_share": _indicator_share(achieved, targets, n),
        })
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


def _done_dates(deliverables: pd.DataFrame) -> dict[str, dt.date]:
    """The earliest day each deliverable is reported done (a Done without a date is an error, so never accepted)."""
    done: dict[str, dt.date] = {}
    reported = deliverables.loc[deliverables["status"] == "Done"]
    for code, day in zip(reported["code"].tolist(), reported["date"].tolist(), strict=True):
        if not isinstance(day, dt.date):
            continue
        day = day.date() if isinstance(day, dt.datetime) else day
        done[code] = min(done.get(code, day), day)
    return done


def _achieved(indicators: pd.DataFrame, targets: dict[tuple[str, str], Decimal]) -> list[tuple[int, tuple[str, str], Decimal]]:
    """(period, (partner, indicator), achieved) of each reported line that has a target, read once for every period."""
    lines = zip(indicators["period"].tolist(), indicators["partner"].tolist(), indicators["code"].tolist(), indicators["achieved"].tolist(), strict=True)
    return [(int(per), (partner, code), money(value)) for per, partner, code, value in lines if (partner, code) in targets]


def _indicator_share(achieved_lines: list[tuple[int, tuple[str, str], Decimal]], targets: dict[tuple[str, str], Decimal], period: int) -> Decimal:
    achieved: dict[tuple[str, str], Decimal] = {}
    for per, key, value in achieved_lines:
        if per <= period:
            achieved[key] = achieved.get(key, ZERO) + value
    total = sum(targets.values(), ZERO)
    return share(sum((min(v, targets[k]) for k, v in achieved.items()), ZERO), total)
