"""The project setup: what the coordinator keeps on the setup sheets of master.xlsx.

Each model is a table (or, for ``Project``, a form) of the master workbook; the
``Col`` annotations make the setup sheets and their read-back errors. Checks that
need more than one row (duplicate codes, unknown references, overlapping periods)
live in ``nc_excel.setup.checks`` so that they can name the cell at fault.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from nc_excel.excel.formula import Expr, Ref, RoundDown
from nc_excel.excel.schema import Col

Text = Annotated[str, Field(min_length=1)]
Code = Annotated[str, Field(min_length=1, max_length=12, pattern=r"^[A-Za-z0-9_.-]+$")]

COST_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("staff", "Staff costs"),
    ("office", "Office and administration"),
    ("travel", "Travel and accommodation"),
    ("external", "External expertise and services"),
    ("equipment", "Equipment"),
    ("infrastructure", "Infrastructure and works"),
)
"""Interreg cost categories (as in Jems); office and administration is a flat rate on staff."""



def _percent_number(value: Decimal) -> Decimal:
    """A rate as a number of percent (50 for 50 %), however the coordinator typed it: 50 and
    "50 %" read as 50, and 50 % typed into Excel, which stores the fraction 0.5, too. A
    rate of 1 % or less is no co-financing or flat rate, so no rate is misread."""
    return value * 100 if 0 < value <= 1 else value


PercentRate = Annotated[Decimal, AfterValidator(_percent_number)]
"""A rate of the setup, kept as a number of percent (50): the flat rate is Jems' base x rate / 100."""


def flat_rate_formula(base: Expr, rate: Decimal) -> Expr:
    """A flat rate as Jems computes it: base x rate / 100, truncated to 2 decimals.

    The one definition: the partner template's office-and-administration cell is
    this formula on the staff costs cell, and ``flat_rate`` evaluates it, so the
    checks, the budgets and the spreadsheet cannot disagree by a cent.
    """
    return RoundDown(base * rate / 100, 2)


def flat_rate(base: Decimal, rate: Decimal) -> Decimal:
    """``flat_rate_formula`` for an amount, e.g. the office costs due on ``base`` staff costs."""
    return flat_rate_formula(Ref("base"), rate).evaluate(lambda _: base)


COUNTRIES: tuple[str, ...] = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "EL", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
    "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH", "UK",
)
"""The default countries: the EU (Greece as EL, as the EU and Interreg write it), the EEA, Switzerland and the UK."""

CURRENCIES: tuple[str, ...] = ("EUR", "BGN", "CZK", "DKK", "HUF", "PLN", "RON", "SEK", "ISK", "NOK", "CHF", "GBP")
"""The default currencies: the euro and the currencies of the non-euro countries in ``COUNTRIES``."""

PARTNER_TYPES: tuple[str, ...] = (
    "Local authority", "Regional authority", "National authority", "Agency", "University", "Research institute",
    "Cluster organisation", "Business support", "Enterprise", "Interest group or NGO", "Other",
)
"""The default partner types (close to the Interreg legal-status categories)."""

THEMES: tuple[str, ...] = ("Energy", "Mobility", "Buildings", "Circular economy", "Water and climate", "Digital", "Other")
"""The default living-lab themes."""

EUR = "EUR"
"""The programme's currency: budgets, the master, the board and every total count in euros."""

ERDF = "ERDF"
NORWAY = "Norwegian national funding"
OTHER = "Other"
Funding = Literal["ERDF", "Norwegian national funding", "Other"]
"""Who co-finances a partner: the ERDF (EU member states), Norway's national Interreg funds, or another source."""


class SetupRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Project(SetupRow):
    name: Annotated[Text, Col("Project name", 40)]
    acronym: Annotated[Code, Col("Acronym", help="Short name used in file names, e.g. NC.")]
    programme: Annotated[Text, Col("Programme", 40)]
    priority: Annotated[str | None, Col("Priority")] = None
    start: Annotated[dt.date, Col("Start date")]
    end: Annotated[dt.date, Col("End date")]
    currency: Annotated[Code, Col("Currency", choices="currencies", help="The programme's currency: budgets and every total count in it. A partner may declare in its own (Partners sheet).")] = "EUR"
    total_budget: Annotated[Decimal, Field(gt=0), Col("Total eligible budget", money=True)]
    erdf: Annotated[Decimal, Field(ge=0), Col("ERDF", money=True, help="The ERDF partners' budgets times their co-financing rates, added up.")]
    cofinancing_rate: Annotated[PercentRate, Field(gt=0, le=100), Col("Co-financing rate %", help="Programme co-financing of eligible costs, in %.")]
    office_flat_rate: Annotated[PercentRate, Field(ge=0, le=40), Col("Office and administration flat rate %", help="Percent of staff costs.")]
    budget_error_limit: Annotated[Decimal, Field(ge=100), Col("Spending limit %", help="Cumulative spending above this share of a budget line is an error (above 100 % a warning).")] = Decimal(110)
    living_labs: Annotated[bool, Col("Living labs", help="Yes: partners propose living-lab places, which are scored and shortlisted per region. No: no living labs anywhere.")] = True
    shortlist_per_region: Annotated[int, Field(ge=0, le=10), Col("Living labs per region", help="Places shortlisted per region (1 to 10; ignored when Living labs is No).")] = 2
    at_risk_days: Annotated[int, Field(ge=0, le=365), Col("At-risk window (days)", help="A deliverable due within this many days and not started is At risk.")] = 30
    coordinator: Annotated[Text, Col("Coordinator", 30)]
    coordinator_email: Annotated[Text, Col("Coordinator e-mail", 30)]
    template_password: Annotated[str | None, Col("Template sheet password", help="Empty: sheets are protected without a password.")] = None
    template_key: Annotated[Text, Col("Template key", help="Secret used to seal partner templates; do not share.")]


class Region(SetupRow):
    code: Annotated[Code, Col("Code", 10)]
    name: Annotated[Text, Col("Region", 26)]
    country: Annotated[Code, Col("Country", 9, choices="countries")]


class Partner(SetupRow):
    number: Annotated[int, Field(ge=1), Col("No.", 6)]
    code: Annotated[Code, Col("Code", 9)]
    name: Annotated[Text, Col("Partner", 40)]
    short_name: Annotated[Text, Col("Short name", 18)]
    country: Annotated[Code, Col("Country", 9, choices="countries")]
    region: Annotated[Code, Col("Region", 10, choices="regions")]
    type: Annotated[Text, Col("Type", 20, choices="partner_types")]
    role: Annotated[Literal["Lead partner", "Partner"], Col("Role", 13)] = "Partner"
    budget_staff: Annotated[Decimal, Field(ge=0), Col("Budget staff", 13, money=True)]
    budget_office: Annotated[Decimal, Field(ge=0), Col("Budget office & admin", 13, money=True)]
    budget_travel: Annotated[Decimal, Field(ge=0), Col("Budget travel", 13, money=True)]
    budget_external: Annotated[Decimal, Field(ge=0), Col("Budget external", 13, money=True)]
    budget_equipment: Annotated[Decimal, Field(ge=0), Col("Budget equipment", 13, money=True)]
    budget_infrastructure: Annotated[Decimal, Field(ge=0), Col("Budget infrastructure", 13, money=True)]
    contact: Annotated[str | None, Col("Contact person", 22)] = None
    email: Annotated[str | None, Col("Contact e-mail", 28, help="Where reminders go (nc-excel remind).")] = None
    funding: Annotated[Funding, Col("Funding source", 24, help="ERDF for partners in EU member states; Norwegian partners are funded by Norway's national Interreg funds.")] = ERDF
    cofinancing_rate: Annotated[PercentRate, Field(ge=0, le=100), Col("Co-financing rate %", 11, help="Share of the partner's certified costs the funding source pays, in %.")] = Decimal(50)
    own_contribution: Annotated[Literal["Public", "Private"] | None, Col("Own contribution", 12, help="Whether the partner's own share is public or private money.")] = None
    currency: Annotated[Code, Col("Currency", 9, choices="currencies", help="The currency the partner declares its costs in. Not EUR: converted at the Commission's rate of the month of submission (Rates sheet).")] = EUR

    def budget(self, category: str) -> Decimal:
        return getattr(self, f"budget_{category}")

    @property
    def total_budget(self) -> Decimal:
        return sum((self.budget(key) for key, _ in COST_CATEGORIES), Decimal(0))


class WorkPackage(SetupRow):
    code: Annotated[Code, Col("Code", 8)]
    title: Annotated[Text, Col("Title", 40, wrap=True)]
    lead: Annotated[Code, Col("Lead partner", 11, choices="partners")]
    start: Annotated[dt.date, Col("Start", 11)]
    end: Annotated[dt.date, Col("End", 11)]
    partners: Annotated[list[str], Col("Participating partners", 50, wrap=True, help="Partner codes separated by commas.")]
    note: Annotated[str | None, Col("Note", 30, wrap=True)] = None


class Deliverable(SetupRow):
    code: Annotated[Code, Col("Code", 9)]
    work_package: Annotated[Code, Col("Work package", 12, choices="work_packages")]
    title: Annotated[Text, Col("Title", 48, wrap=True)]
    responsible: Annotated[Code, Col("Responsible partner", 12, choices="partners")]
    due: Annotated[dt.date, Col("Due date", 11)]
    note: Annotated[str | None, Col("Note", 30, wrap=True)] = None


class Indicator(SetupRow):
    code: Annotated[Code, Col("Code", 9)]
    title: Annotated[Text, Col("Output indicator", 48, wrap=True)]
    unit: Annotated[Text, Col("Unit", 14)]
    target: Annotated[Decimal, Field(ge=0), Col("Target (per partner)", 12)]
    work_package: Annotated[Code, Col("Work package", 12, choices="work_packages")]
    partners: Annotated[list[str], Col("Reporting partners", 50, wrap=True, help="Partner codes separated by commas.")]
    note: Annotated[str | None, Col("Note", 30, wrap=True)] = None


class Period(SetupRow):
    number: Annotated[int, Field(ge=1), Col("Period", 8)]
    start: Annotated[dt.date, Col("Start", 11)]
    end: Annotated[dt.date, Col("End", 11)]
    partner_deadline: Annotated[dt.date, Col("Partner deadline", 13)]
    flc_deadline: Annotated[dt.date, Col("FLC deadline", 13)]
    note: Annotated[str | None, Col("Note", 30, wrap=True)] = None


CriterionKind = Literal["score", "must-have", "knock-out"]


class Criterion(SetupRow):
    key: Annotated[Code, Col("Key", 14)]
    label: Annotated[Text, Col("Criterion", 44, wrap=True)]
    kind: Annotated[CriterionKind, Col("Kind", 11, help="score: rated on the scale; must-have: must be Yes; knock-out: must be No.")]
    weight: Annotated[Decimal | None, Col("Weight", 8)] = None
    scale_min: Annotated[int | None, Col("Scale from", 9)] = None
    scale_max: Annotated[int | None, Col("Scale to", 9)] = None


class Rate(SetupRow):
    """The Commission's monthly accounting rate of one currency (InforEuro), which Interreg applies to
    what a partner outside the euro area declares: the rate of the month the report is submitted."""

    month: Annotated[dt.date, Col("Month", 11, help="The month the rate applies to: its first day (any day of the month counts as that month).")]
    currency: Annotated[Code, Col("Currency", 9, choices="currencies")]
    rate: Annotated[Decimal, Field(gt=0), Col("Units per EUR", 12, number_format="0.0000", help="How many units of the currency one euro buys, as InforEuro publishes it (7.4416 DKK).")]
    note: Annotated[str | None, Col("Source", 40, wrap=True, help="Where the rate comes from.")] = None


class Choice(SetupRow):
    """One row of the Choices sheet: each column is a list the other setup sheets (and the partner templates) pick from."""

    country: Annotated[str | None, Col("Countries", 11, help="Country codes partners and regions may have.")] = None
    currency: Annotated[str | None, Col("Currencies", 11, help="Currencies the project may declare in.")] = None
    partner_type: Annotated[str | None, Col("Partner types", 26, help="Kinds of partner organisation.")] = None
    theme: Annotated[str | None, Col("Living-lab themes", 22, help="Themes a living-lab place may have.")] = None


CHOICE_LISTS = {"country": "countries", "currency": "currencies", "partner_type": "partner_types", "theme": "themes"}
"""Choices field -> the name of its list (``Col(choices=...)``)."""


def default_choices() -> list[Choice]:
    """The Choices sheet of a new project: defaults that fit an Interreg partnership in Europe."""
    lists = (COUNTRIES, CURRENCIES, PARTNER_TYPES, THEMES)
    return [
        Choice(**{name: values[i] if i < len(values) else None for name, values in zip(CHOICE_LISTS, lists)})
        for i in range(max(map(len, lists)))
    ]


def choice_lists(choices: Sequence[Choice]) -> dict[str, tuple[str, ...]]:
    """The lists of the Choices sheet by name (``countries``, ``currencies``, ``partner_types``, ``themes``), each value once."""
    return {name: tuple(dict.fromkeys(v for c in choices if (v := getattr(c, field)) is not None)) for field, name in CHOICE_LISTS.items()}


class ProjectSetup(BaseModel):
    """The whole setup, as read from (or written to) the master workbook."""

    project: Project
    regions: list[Region]
    partners: list[Partner]
    work_packages: list[WorkPackage]
    deliverables: list[Deliverable]
    indicators: list[Indicator]
    periods: list[Period]
    criteria: list[Criterion]
    choices: list[Choice] = Field(default_factory=default_choices)
    rates: list[Rate] = Field(default_factory=list)

    def partner(self, code: str) -> Partner:
        """The partner of ``code`` (a ``KeyError`` when there is none); looked up, not searched: a collect
        of 1,000 returns asks for every partner, and searching made that quadratic."""
        return self._index().partners[code]

    def period(self, number: int) -> Period:
        return next(p for p in self.periods if p.number == number)

    def region(self, code: str) -> Region:
        return next(r for r in self.regions if r.code == code)

    def lists(self) -> Mapping[str, tuple[str, ...]]:
        """The choice lists that setup-driven dropdowns (``Col(choices=...)``) draw from.

        Made once for a setup object, not at every call: every return read asks for them, and
        a setup of 1,000 partners and regions takes half a millisecond to make them. A setup is
        never changed in place (a changed one is a ``model_copy``, a new object), so the one kept
        is the last setup asked, recognised by identity."""
        return self._index().lists

    def _index(self) -> _Index:
        kept = _INDEX_OF.get("last")
        if kept is None or kept.setup is not self:
            kept = _INDEX_OF["last"] = _Index(self, MappingProxyType({
                "regions": tuple(r.code for r in self.regions),
                "region_names": tuple(r.name for r in self.regions),
                "partners": tuple(p.code for p in self.partners),
                "work_packages": tuple(w.code for w in self.work_packages),
                **choice_lists(self.choices),
            }), {p.code: p for p in reversed(self.partners)})  # reversed: the first of a code twice, as a search finds
        return kept


@dataclasses.dataclass(frozen=True)
class _Index:
    """What ``ProjectSetup`` makes once per setup object: its choice lists and its partners by code."""

    setup: ProjectSetup
    lists: Mapping[str, tuple[str, ...]]
    partners: dict[str, Partner]


_INDEX_OF: dict[str, _Index] = {}
"""The ``_Index`` of the last setup asked (a process reads one project at a time)."""


def erdf_on_budgets(partners: Sequence[Partner]) -> Decimal:
    """The ERDF the Project sheet must state: the budgets of the ERDF partners at their co-financing rates, to the cent."""
    return sum((p.total_budget * p.cofinancing_rate / 100 for p in partners if p.funding == ERDF), Decimal(0)).quantize(Decimal("0.01"))


def default_period(setup: ProjectSetup, as_of: dt.date) -> int:
    """The period whose reports are due: the one containing ``as_of``, else the last one started."""
    started = [p for p in setup.periods if p.start <= as_of]
    return (started[-1] if started else setup.periods[0]).number


def templates_period(setup: ProjectSetup, today: dt.date) -> int:
    """The period partners report on now: the earliest one that has started and whose partner deadline is ahead.

    When none is (between a deadline and the next period's start, or after the
    last deadline), the period of today or the last one started (as a build does).
    """
    open_now = [p for p in setup.periods if p.start <= today <= p.partner_deadline]
    return min(open_now, key=lambda p: p.number).number if open_now else default_period(setup, today)
