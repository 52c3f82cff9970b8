"""The embedded default: Northern Connections (Interreg VB North Sea Region, 2016-2020).

Partners, countries, budget, dates and the living-lab criteria follow public
sources. Work-package titles beyond WP3-WP5, deliverables, indicators, deadlines
and the split of the budget over partners are plausible demo data and say so in
their Note column, so a coordinator knows what to replace with the real figures.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal
from itertools import pairwise

from nc_excel.setup.models import (
    ERDF,
    NORWAY,
    Criterion,
    Deliverable,
    Indicator,
    Partner,
    Period,
    Project,
    ProjectSetup,
    Rate,
    Region,
    WorkPackage,
    flat_rate,
)

D = dt.date
DEMO = "demo data: official figure not found"
TOTAL_BUDGET = Decimal(5_285_707)
ERDF_TOTAL = Decimal(2_369_624)
RATE = Decimal(50)
NORWAY_BUDGET = TOTAL_BUDGET - ERDF_TOTAL * 100 / RATE
"""The Norwegian partners' share of the budget: what the ERDF at 50 % does not cover (demo split; the totals are official)."""
PUBLIC_TYPES = ("Local authority", "Regional authority", "University", "Agency")

REGIONS = (
    ("NJ", "Nordjylland", "DK"),
    ("MJ", "Midtjylland", "DK"),
    ("SD", "Syddanmark", "DK"),
    ("HS", "Hovedstaden", "DK"),
    ("HH", "Hamburg", "DE"),
    ("SH", "Schleswig-Holstein", "DE"),
    ("VG", "Västra Götaland", "SE"),
    ("SK", "Skåne", "SE"),
    ("OS", "Oslo", "NO"),
    ("GR", "Groningen", "NL"),
    ("NH", "Noord-Holland", "NL"),
    ("VL", "Vlaanderen", "BE"),
    ("SC", "Scotland", "UK"),
)

# code, name, short name, country, region, type, budget weight
PARTNERS = (
    ("AAL", "Aalborg Kommune", "Aalborg", "DK", "NJ", "Local authority", 14),
    ("HOE", "House of Energy", "House of Energy", "DK", "NJ", "Cluster organisation", 5),
    ("RNJ", "Region Nordjylland", "North Denmark Region", "DK", "NJ", "Regional authority", 4),
    ("RMJ", "Region Midtjylland", "Central Denmark Region", "DK", "MJ", "Regional authority", 5),
    ("RSD", "Region Syddanmark", "Region of Southern Denmark", "DK", "SD", "Regional authority", 5),
    ("AAR", "Aarhus Kommune", "Aarhus", "DK", "MJ", "Local authority", 5),
    ("CLN", "CLEAN", "CLEAN", "DK", "HS", "Cluster organisation", 5),
    ("FHH", "Freie und Hansestadt Hamburg", "Hamburg", "DE", "HH", "Regional authority", 6),
    ("EEH", "Erneuerbare Energien Hamburg Clusteragentur", "EEHH", "DE", "HH", "Cluster organisation", 5),
    ("HCU", "HafenCity Universität Hamburg", "HCU", "DE", "HH", "University", 4),
    ("SHL", "Schleswig-Holstein", "Schleswig-Holstein", "DE", "SH", "Regional authority", 4),
    ("BRG", "Business Region Göteborg", "BRG", "SE", "VG", "Business support", 6),
    ("SBH", "Sustainable Business Hub", "SBH", "SE", "SK", "Cluster organisation", 4),
    ("INN", "Innovatum AB", "Innovatum", "SE", "VG", "Business support", 4),
    ("OSL", "Oslo Kommune", "Oslo", "NO", "OS", "Local authority", 5),
    ("ORC", "OREEC", "OREEC", "NO", "OS", "Cluster organisation", 4),
    ("ENV", "Stichting Energy Valley", "Energy Valley", "NL", "GR", "Cluster organisation", 5),
    ("ALK", "Gemeente Alkmaar", "Alkmaar", "NL", "NH", "Local authority", 4),
    ("ICV", "i-Cleantech Vlaanderen", "i-Cleantech", "BE", "VL", "Cluster organisation", 4),
    ("SCE", "Scottish Enterprise", "Scottish Enterprise", "UK", "SC", "Agency", 5),
    ("FKC", "Falkirk Council", "Falkirk", "UK", "SC", "Local authority", 4),
)

WORK_PACKAGES = (
    ("WP1", "Project management and coordination", "AAL", D(2016, 11, 1), D(2020, 4, 30), DEMO),
    ("WP2", "Communication and dissemination", "RNJ", D(2016, 11, 1), D(2020, 4, 30), DEMO),
    ("WP3", "Knowledge: regional innovation strategies and cluster survey", "HCU", D(2016, 11, 1), D(2018, 10, 31), None),
    ("WP4", "Joint cluster toolbox", "EEH", D(2017, 2, 1), D(2019, 10, 31), None),
    ("WP5", "Policy: Political Board and Policy Coordination Group", "AAL", D(2016, 11, 1), D(2020, 4, 30), None),
    ("WP6", "Living labs", "BRG", D(2017, 3, 1), D(2020, 4, 30), "demo data: work package number inferred"),
)

DELIVERABLES = (
    ("D1.1", "WP1", "Partnership agreement and project handbook", "AAL", D(2017, 2, 28)),
    ("D1.2", "WP1", "Joint progress report, period 1", "AAL", D(2017, 12, 31)),
    ("D1.3", "WP1", "Final report", "AAL", D(2020, 4, 30)),
    ("D2.1", "WP2", "Communication strategy and visual identity", "RNJ", D(2017, 3, 31)),
    ("D2.2", "WP2", "Project website and newsletter", "RNJ", D(2017, 6, 30)),
    ("D2.3", "WP2", "Final conference", "AAL", D(2020, 4, 30)),
    ("D3.1", "WP3", "Analysis of the regional innovation strategies", "HCU", D(2017, 6, 30)),
    ("D3.2", "WP3", "Cluster survey report", "HCU", D(2017, 10, 31)),
    ("D3.3", "WP3", "Regional cluster profiles", "RMJ", D(2018, 4, 30)),
    ("D4.1", "WP4", "Cluster toolbox v1.0: Innovation Support Measures", "EEH", D(2017, 9, 30)),
    ("D4.2", "WP4", "Cluster toolbox v2.0: practical and policy tools", "EEH", D(2019, 4, 30)),
    ("D4.3", "WP4", "Toolbox training for cluster managers", "ICV", D(2019, 10, 31)),
    ("D5.1", "WP5", "Political Board terms of reference", "AAL", D(2017, 4, 30)),
    ("D5.2", "WP5", "Policy recommendations, first round", "FHH", D(2018, 10, 31)),
    ("D5.3", "WP5", "Joint policy declaration", "AAL", D(2020, 3, 31)),
    ("D6.1", "WP6", "Living-lab long list and selection criteria", "BRG", D(2017, 10, 31)),
    ("D6.2", "WP6", "Living-lab shortlist, 2 per region", "BRG", D(2017, 12, 31)),
    ("D6.3", "WP6", "Living-lab evaluation report", "ENV", D(2020, 2, 29)),
)

INDICATORS = (
    ("O3.1", "Regional innovation strategies analysed", "strategies", Decimal(1), "WP3"),
    ("O3.2", "Enterprises taking part in the cluster survey", "enterprises", Decimal(20), "WP3"),
    ("O4.1", "Cluster tools contributed to the joint toolbox", "tools", Decimal(3), "WP4"),
    ("O5.1", "Policy events with regional decision makers", "events", Decimal(2), "WP5"),
    ("O6.1", "Living-lab candidate places assessed", "places", Decimal(8), "WP6"),
    ("O6.2", "Enterprises engaged in living labs", "enterprises", Decimal(10), "WP6"),
)

PERIODS = (
    (1, D(2016, 11, 1), D(2017, 10, 31), D(2017, 10, 13), D(2017, 10, 31),
     "first report spans 12 months; deadlines demo data, set for the joint report in October 2017"),
    (2, D(2017, 11, 1), D(2018, 4, 30), D(2018, 5, 31), D(2018, 7, 15), "deadlines demo data"),
    (3, D(2018, 5, 1), D(2018, 10, 31), D(2018, 11, 30), D(2019, 1, 15), "deadlines demo data"),
    (4, D(2018, 11, 1), D(2019, 4, 30), D(2019, 5, 31), D(2019, 7, 15), "deadlines demo data"),
    (5, D(2019, 5, 1), D(2019, 10, 31), D(2019, 11, 30), D(2020, 1, 15), "deadlines demo data"),
    (6, D(2019, 11, 1), D(2020, 4, 30), D(2020, 5, 31), D(2020, 7, 15), "deadlines demo data"),
)

CRITERIA = (
    ("backing", "Strong backing from local politicians and civil servants", "must-have"),
    ("companies", "A critical mass of companies and private-sector engagement", "must-have"),
    ("market", "A real market perspective", "must-have"),
    ("investment", "Investment capacity", "must-have"),
    ("uni_lab", "Is it a university lab?", "knock-out"),
    ("incubator", "Is it a start-up incubator?", "knock-out"),
    ("trend_only", "Trend topics only?", "knock-out"),
    ("public_only", "Public-sector-only activity?", "knock-out"),
    ("users", "User involvement (ENoLL)", "score"),
    ("real_life", "Real-life setting (ENoLL)", "score"),
    ("stakeholders", "Multiple stakeholders (ENoLL)", "score"),
    ("methods", "Multiple methods (ENoLL)", "score"),
    ("cocreation", "Co-creation (ENoLL)", "score"),
)
SCORE_WEIGHTS = {"users": 3, "real_life": 2, "stakeholders": 2, "methods": 1, "cocreation": 2}

OFFICE_RATE = Decimal(15)

CURRENCY_OF = {"DK": "DKK", "SE": "SEK", "NO": "NOK", "UK": "GBP"}
"""The partners outside the euro area declare in their own currency (the rest in EUR)."""

RATE_ANCHORS: dict[str, tuple[tuple[dt.date, str], ...]] = {
    "DKK": ((D(2016, 11, 1), "7.4406"), (D(2017, 6, 1), "7.4370"), (D(2018, 1, 1), "7.4449"), (D(2018, 12, 1), "7.4630"),
            (D(2019, 6, 1), "7.4680"), (D(2020, 3, 1), "7.4720"), (D(2020, 6, 1), "7.4560")),
    "SEK": ((D(2016, 11, 1), "9.8600"), (D(2017, 3, 1), "9.5300"), (D(2017, 9, 1), "9.5200"), (D(2018, 3, 1), "10.1000"),
            (D(2018, 9, 1), "10.5500"), (D(2019, 3, 1), "10.4500"), (D(2019, 10, 1), "10.7000"), (D(2020, 6, 1), "10.5500")),
    "NOK": ((D(2016, 11, 1), "9.1200"), (D(2017, 3, 1), "8.9500"), (D(2017, 9, 1), "9.3300"), (D(2018, 3, 1), "9.6000"),
            (D(2018, 9, 1), "9.5500"), (D(2019, 3, 1), "9.7500"), (D(2019, 10, 1), "10.0500"), (D(2020, 4, 1), "10.4500"), (D(2020, 6, 1), "10.4000")),
    "GBP": ((D(2016, 11, 1), "0.8720"), (D(2017, 3, 1), "0.8570"), (D(2017, 9, 1), "0.8860"), (D(2018, 3, 1), "0.8800"),
            (D(2018, 9, 1), "0.8950"), (D(2019, 3, 1), "0.8650"), (D(2019, 9, 1), "0.9050"), (D(2020, 1, 1), "0.8500"),
            (D(2020, 4, 1), "0.9150"), (D(2020, 6, 1), "0.9000")),
}
"""A few months' demo rates per currency, near the real ones; the months between drift in a straight line."""

DEMO_RATE = "demo data: a plausible rate, not the Commission's; replace it with the InforEuro rate of the month"


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    return [D(first.year + (first.month - 1 + i) // 12, (first.month - 1 + i) % 12 + 1, 1)
            for i in range((last.year - first.year) * 12 + last.month - first.month + 1)]


def demo_rates() -> list[Rate]:
    """A rate for every month from November 2016 to June 2020 and every currency of ``CURRENCY_OF``, marked as demo data."""
    rates = []
    for currency, anchors in RATE_ANCHORS.items():
        for (start, low), (end, high) in pairwise(anchors):
            span = _months(start, end)
            for i, month in enumerate(span[:-1] if end != anchors[-1][0] else span):
                rate = Decimal(low) + (Decimal(high) - Decimal(low)) * i / (len(span) - 1)
                rates.append(Rate(month=month, currency=currency, rate=rate.quantize(Decimal("0.0001")), note=DEMO_RATE))
    return rates


def _split(total: Decimal, weights: list[int]) -> list[Decimal]:
    """``total`` over partners by weight, in whole euros; the first takes the remainder, so the sum is exact."""
    parts = [(total * w / sum(weights)).quantize(Decimal(1), rounding=ROUND_DOWN) for w in weights]
    parts[0] += total - sum(parts)
    return parts


def _budgets() -> list[dict[str, Decimal]]:
    """Split the project budget over partners by weight, then over cost categories; sums are exact.

    The ERDF partners share twice the ERDF total (50 % co-financing), the Norwegian
    partners the rest, so the Project sheet's ERDF equals the partners' budgets x rates.
    """
    norwegian = [p[3] == "NO" for p in PARTNERS]
    eu = iter(_split(TOTAL_BUDGET - NORWAY_BUDGET, [p[-1] for p, no in zip(PARTNERS, norwegian) if not no]))
    no = iter(_split(NORWAY_BUDGET, [p[-1] for p, n in zip(PARTNERS, norwegian) if n]))
    totals = [next(no) if n else next(eu) for n in norwegian]
    budgets = []
    for i, total in enumerate(totals):
        staff = (total * Decimal("0.55")).quantize(Decimal(1), rounding=ROUND_DOWN)
        office = flat_rate(staff, OFFICE_RATE)
        travel = (total * Decimal("0.06")).quantize(Decimal(1), rounding=ROUND_DOWN)
        equipment = (total * Decimal("0.03")).quantize(Decimal(1), rounding=ROUND_DOWN) if i % 3 == 0 else Decimal(0)
        external = total - staff - office - travel - equipment
        budgets.append(
            {"staff": staff, "office": office, "travel": travel, "external": external, "equipment": equipment, "infrastructure": Decimal(0)}
        )
    return budgets


def northern_connections(template_key: str) -> ProjectSetup:
    """The Northern Connections setup; ``template_key`` seals the partner templates."""
    codes = [p[0] for p in PARTNERS]
    project = Project(
        name="Northern Connections",
        acronym="NC",
        programme="Interreg VB North Sea Region 2014-2020",
        priority="Thinking Growth",
        start=D(2016, 11, 1),
        end=D(2020, 4, 30),
        total_budget=TOTAL_BUDGET,
        erdf=ERDF_TOTAL,
        cofinancing_rate=RATE,
        office_flat_rate=OFFICE_RATE,
        coordinator="Aalborg Kommune, lead partner",
        coordinator_email="northern.connections@aalborg.dk",
        template_key=template_key,
    )
    partners = [
        Partner(
            number=i + 1, code=code, name=name, short_name=short, country=country, region=region, type=kind,
            role="Lead partner" if i == 0 else "Partner",
            **{f"budget_{k}": v for k, v in budget.items()},
            contact=f"NC team at {short}", email=f"nc@{code.lower()}.example.eu",
            funding=NORWAY if country == "NO" else ERDF, cofinancing_rate=RATE,
            own_contribution="Public" if kind in PUBLIC_TYPES else "Private", currency=CURRENCY_OF.get(country, "EUR"),
        )
        for i, ((code, name, short, country, region, kind, _), budget) in enumerate(zip(PARTNERS, _budgets()))
    ]
    # Every partner takes part in management, communication, policy and living labs;
    # the knowledge and toolbox work packages are for the cluster side and the regions.
    cluster_side = [p[0] for p in PARTNERS if p[5] in ("Cluster organisation", "University", "Business support", "Agency")]
    region_side = [p[0] for p in PARTNERS if p[5] == "Regional authority"]
    members = {
        "WP1": codes, "WP2": codes, "WP3": sorted(set(cluster_side + region_side), key=codes.index),
        "WP4": cluster_side, "WP5": codes, "WP6": codes,
    }
    work_packages = [
        WorkPackage(code=c, title=t, lead=lead, start=s, end=e, partners=members[c], note=n)
        for c, t, lead, s, e, n in WORK_PACKAGES
    ]
    deliverables = [
        Deliverable(code=c, work_package=wp, title=t, responsible=r, due=due, note=DEMO if wp in ("WP1", "WP2", "WP6") else "demo data: title paraphrased")
        for c, wp, t, r, due in DELIVERABLES
    ]
    indicators = [
        Indicator(code=c, title=t, unit=u, target=target, work_package=wp, partners=members[wp], note=DEMO)
        for c, t, u, target, wp in INDICATORS
    ]
    periods = [Period(number=n, start=s, end=e, partner_deadline=pd, flc_deadline=fd, note=note) for n, s, e, pd, fd, note in PERIODS]
    criteria = [
        Criterion(
            key=k, label=label, kind=kind,
            weight=Decimal(SCORE_WEIGHTS[k]) if kind == "score" else None,
            scale_min=1 if kind == "score" else None, scale_max=5 if kind == "score" else None,
        )
        for k, label, kind in CRITERIA
    ]
    return ProjectSetup(
        project=project,
        regions=[Region(code=c, name=n, country=country) for c, n, country in REGIONS],
        partners=partners, work_packages=work_packages, deliverables=deliverables,
        indicators=indicators, periods=periods, criteria=criteria, rates=demo_rates(),
    )
