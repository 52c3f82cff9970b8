"""A blank project: one example row per setup sheet, for a partnership to overwrite with its own.

``nc-excel init DIR --blank`` writes it. Every example is valid, so the project
runs as soon as the coordinator has replaced what the examples say; living labs are
off until the coordinator switches them on on the Project sheet.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from nc_excel.setup.models import (
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

EXAMPLE = "example: replace with your own"

INSTRUCTIONS = (
    ("Start here", ("This workbook is the master of your project. Fill in the setup sheets (Project to Choices) in Excel, "
                    "save, and run the nc-excel commands on this folder.")),
    ("1. Project", ("Name, acronym (used in file names), programme, dates, budget and the rules of your programme. "
                    "Set Living labs to Yes only if partners propose living-lab places.")),
    ("2. Tables", ("Regions, Partners, Work packages, Deliverables, Indicators, Periods (and Criteria for living labs) "
                   "hold one example row each: overwrite it and add a row per item. Columns marked 'required' need a value in every row.")),
    ("3. Rates", ("Partners outside the euro area declare in their own currency (Currency on the Partners sheet). Keep the Commission's "
                  "monthly accounting rate (InforEuro) for each month and currency on the Rates sheet: a report is converted at the rate of its month of submission.")),
    ("4. Choices", ("The countries, currencies, partner types and living-lab themes the other sheets pick from. "
                    "Add a value at the bottom of its column; delete the ones you do not need.")),
    ("5. Check", "Run `nc-excel templates --period 1 --project <this folder>`: every mistake in the setup is listed with its sheet and cell."),
    ("6. Cycle", "Send the partner workbooks of outbox/1/, put the returns in inbox/, then run collect, build and summary."),
)
"""The Instructions sheet of a blank project: (step, what to do)."""


def blank_setup(template_key: str, today: dt.date | None = None) -> ProjectSetup:
    """One example row per sheet, dated from the first of next month for three years."""
    today = today or dt.date.today()
    start = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    end = start.replace(year=start.year + 3) - dt.timedelta(days=1)
    first_end = (start + dt.timedelta(days=31 * 6)).replace(day=1) - dt.timedelta(days=1)  # six months
    staff = Decimal(60_000)
    budget = {"staff": staff, "office": flat_rate(staff, Decimal(15)), "travel": Decimal(10_000), "external": Decimal(20_000),
              "equipment": Decimal(0), "infrastructure": Decimal(0)}
    total, rate = sum(budget.values(), Decimal(0)), Decimal(80)
    project = Project(
        name="Your project name", acronym="PRJ", programme="Your Interreg programme", start=start, end=end,
        total_budget=total, erdf=total * rate / 100, cofinancing_rate=rate, office_flat_rate=Decimal(15),
        living_labs=False, coordinator="Your organisation, lead partner", coordinator_email="coordinator@example.eu", template_key=template_key,
    )
    return ProjectSetup(
        project=project,
        regions=[Region(code="R1", name="Example region", country="FI")],
        partners=[Partner(number=1, code="LP", name="Example lead partner organisation", short_name="Lead partner", country="FI", region="R1",
                          type="Regional authority", role="Lead partner", funding="ERDF", cofinancing_rate=rate, **{f"budget_{k}": v for k, v in budget.items()},
                          contact="Name of the contact", email="contact@example.eu")],
        work_packages=[WorkPackage(code="WP1", title="Project management", lead="LP", start=start, end=end, partners=["LP"], note=EXAMPLE)],
        deliverables=[Deliverable(code="D1.1", work_package="WP1", title="Partnership agreement", responsible="LP", due=first_end, note=EXAMPLE)],
        indicators=[Indicator(code="O1.1", title="Example output indicator", unit="events", target=Decimal(1), work_package="WP1", partners=["LP"], note=EXAMPLE)],
        periods=[Period(number=1, start=start, end=first_end, partner_deadline=first_end + dt.timedelta(days=30),
                        flc_deadline=first_end + dt.timedelta(days=75), note=EXAMPLE)],
        criteria=[Criterion(key="users", label="User involvement (example criterion)", kind="score", weight=Decimal(1), scale_min=1, scale_max=5)],
        rates=[Rate(month=start, currency="DKK", rate=Decimal("7.4500"), note=EXAMPLE)],
    )
