"""The state of the project at a glance: the figures both the master's Dashboard and the board's Overview show.

Every figure is one of the master's or a sum over its rows, taken from a
``MasterView``: the board reads that view back from the built master, the build
makes it from the frames it is writing, so the Dashboard's tiles and the board's
always agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from nc_excel.analyses.finance import money, share
from nc_excel.master.schema import (
    CERTIFICATES,
    FINANCE_POSITION,
    LIVING_LABS,
    RETURNS,
    SCHEDULE,
    Dashboard,
)
from nc_excel.setup.models import ProjectSetup


@dataclass(frozen=True)
class MasterView:
    """The master's rebuilt sheets as the Dashboard and the board need them, typed, by field name."""

    dashboard: Dashboard
    partners: pd.DataFrame  # Finance position
    lines: pd.DataFrame  # Budget lines
    deliverables: pd.DataFrame  # Schedule
    work_packages: pd.DataFrame  # Work package status
    timeline: pd.DataFrame  # Timeline, one column per project month (``months``)
    months: list[str]
    places: pd.DataFrame  # Living Labs (long list)
    shortlist: pd.DataFrame  # Shortlist
    regions: pd.DataFrame  # Shortlist by region
    returns: pd.DataFrame  # Returns
    issues: pd.DataFrame  # Issues
    history: pd.DataFrame  # History, one row per period up to this one
    living_labs: bool = True  # the project has living labs (Project sheet); without, places, shortlist and regions are empty

    @property
    def period(self) -> int:
        return self.dashboard.period

    @property
    def as_of(self) -> dt.date:
        return self.dashboard.as_of

    @property
    def period_text(self) -> str:
        d = self.dashboard
        return f"Period {d.period}: {d.period_start:%d %b %Y} to {d.period_end:%d %b %Y}"


def eur(value: Decimal | float) -> str:
    return f"EUR {float(value):,.0f}"


@dataclass(frozen=True)
class Figures:
    """The board's numbers, all taken from (or summed over) the master's rows."""

    n_partners: int
    returns_in: int
    accepted: int
    missing: list[str]  # partner codes without an accepted return for the period
    rejected: list[str]  # partners whose latest word for the period is a rejected return
    certified_partners: int
    certified: Decimal
    erdf_due: Decimal
    norway_due: Decimal
    declared_period: Decimal
    cumulative: Decimal
    budget: Decimal
    absorption: Decimal
    elapsed: Decimal  # the share of the project time elapsed on the as-of day (0.25)
    done: int
    overdue: int
    at_risk: int
    n_deliverables: int
    places: int
    shortlisted: int
    ready: int
    categories: pd.DataFrame = field(repr=False)  # per cost category: label, budget, declared, cumulative, remaining, absorption


def _sum(values: Any) -> Decimal:
    return sum(map(money, values), Decimal(0))


def figures(view: MasterView, setup: ProjectSetup) -> Figures:
    p, d, lines, dash = view.partners, view.deliverables, view.lines, view.dashboard
    total = (setup.project.end - setup.project.start).days
    elapsed = min(max((view.as_of - setup.project.start).days, 0), total)
    cats = []
    for label in dict.fromkeys(lines["category_label"]):
        rows = lines[lines["category_label"] == label]
        budget, spent = _sum(rows["budget"]), _sum(rows["cumulative"])
        cats.append({"category": label, "budget": budget, "declared": _sum(rows["declared_period"]),
                     "cumulative": spent, "remaining": budget - spent, "absorption": share(spent, budget)})
    budget, cumulative = _sum(p["budget"]), _sum(p["cumulative"])
    return Figures(
        n_partners=dash.partners, returns_in=dash.received, accepted=dash.accepted,
        missing=list(p.loc[p["reported"] != True, "partner"]), rejected=list(p.loc[p["rejected"] == True, "partner"]),  # noqa: E712 - blanks are None
        certified_partners=int((p["flc_status"] == "Certified").sum()), certified=_sum(p["certified"]),
        erdf_due=_sum(p["erdf_due"]), norway_due=_sum(p["norway_due"]), declared_period=_sum(p["declared_period"]),
        cumulative=cumulative, budget=budget, absorption=share(cumulative, budget),
        elapsed=share(Decimal(elapsed), Decimal(total or 1)),
        done=int((d["status"] == "Done").sum()), overdue=int((d["status"] == "Overdue").sum()), at_risk=int((d["status"] == "At risk").sum()),
        n_deliverables=len(d), places=len(view.places), shortlisted=len(view.shortlist), ready=int((p["ready"] == True).sum()),  # noqa: E712
        categories=pd.DataFrame(cats, columns=["category", "budget", "declared", "cumulative", "remaining", "absorption"]),
    )


@dataclass(frozen=True)
class Tile:
    """A tile of key figures: its label, one or two (value, number format, caption, name), a line of detail,
    and the master sheet its figures come from (the Dashboard's tile links there)."""

    label: str
    values: list[tuple[Any, str, str, str]]
    detail: str
    sheet: str


def tile_figures(view: MasterView, f: Figures, setup: ProjectSetup) -> list[Tile]:
    """The tiles of the board's Overview and of the master's Dashboard."""
    missing = f"Missing: {', '.join(f.missing)}" if f.missing else "Every partner has reported."
    tiles = [
        Tile("Returns in", [(f.returns_in, f'0" of {f.n_partners}"', "partners reported", "returns_in")], f"{f.accepted} accepted. {missing}", RETURNS.name),
        Tile("FLC certified", [(f.certified_partners, f'0" of {f.n_partners}"', "partners", "flc_partners"),
                               (float(f.certified), "#,##0", "EUR certified", "flc_certified")],  # under half a board tile
             f"Due on it: ERDF {eur(f.erdf_due)}, Norway {eur(f.norway_due)}", CERTIFICATES.name),
        Tile("Spending against budget", [(float(f.absorption), "0.0%", "of the budget", "absorption"), (float(f.cumulative), "#,##0", "EUR spent", "spent")],
             f"Budget {eur(f.budget)}; {f.elapsed:.1%} of the project time has passed", FINANCE_POSITION.name),
        Tile("Deliverables", [(f.done, "0", "done", "deliverables_done"), (f.overdue, "0", "overdue", "deliverables_overdue")],
             f"of {f.n_deliverables} deliverables; {f.at_risk} at risk", SCHEDULE.name),
    ]
    if view.living_labs:
        tiles.append(Tile("Living labs", [(f.places, "0", "places proposed", "places"), (f.shortlisted, "0", "shortlisted", "shortlisted")],
                          f"{setup.project.shortlist_per_region} per region, {len(view.regions)} regions", LIVING_LABS.name))
    return tiles
