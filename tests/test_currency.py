"""Money in a partner's own currency: a Danish partner declares in DKK, the programme counts in EUR.

The rate is the Rates sheet's for the month of submission (the Interreg rule); the
master keeps both amounts and says which rate it used; a missing rate stops intake
with a message naming the month and the currency.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import GENERATED_AT, sheet_values
from lo.lo import fill_with_libreoffice, require_soffice

from nc_excel.excel.values import open_values
from nc_excel.partner.schema import (
    FLC_FORM,
    META_SHEET,
    SUBMISSION_FORM,
    Entries,
    template_name,
)
from nc_excel.partner.simulate import fill_workbook, partner_entries
from nc_excel.partner.write import write_partner_workbook
from nc_excel.setup.currency import rate_of
from nc_excel.setup.models import ProjectSetup, Rate
from nc_excel.setup.sheets import read_setup
from nc_excel.workspace import RateMissing, Workspace

D = Decimal
OCTOBER, NOVEMBER = dt.date(2017, 10, 10), dt.date(2017, 11, 20)


def eur(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount / rate).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def layout(path: Path) -> dict[str, Any]:
    meta = {row[0].value: row[1].value for row in openpyxl.load_workbook(path)[META_SHEET].iter_rows(max_col=2)}
    return json.loads(meta["layout"])


def finance_rows(master: Path, partner: str) -> list[dict[str, Any]]:
    """The master's Finance sheet (rebuilt: header in row 4) as dicts by header, for one partner."""
    grid = sheet_values(master, "Finance")
    header = grid[3]
    return [dict(zip(header, row)) for row in grid[4:] if row and row[0] == partner]


def returned(ws: Workspace, setup: ProjectSetup, partner: str, submitted: dt.date, name: str, **scale: Decimal) -> tuple[Path, Entries]:
    """The partner's period-1 template filled in as a simulated partner would, sent on ``submitted``."""
    entries = partner_entries(setup, partner, 1)
    entries.forms[SUBMISSION_FORM]["submitted_on"] = submitted
    entries.forms[FLC_FORM] = {"flc_status": "Not sent"}  # not controlled yet: nothing to tie to the changed amounts
    for row in entries.tables["Finance"]:
        row["declared"] = (row["declared"] * scale.get("by", D(1))).quantize(D("0.01"))
    out = fill_workbook(ws.outbox(1) / template_name(setup, 1, partner), ws.inbox / name, entries, setup)
    return out, entries


@pytest.fixture
def project(tmp_path: Path, demo_setup: ProjectSetup) -> tuple[Workspace, ProjectSetup]:
    ws = Workspace.create(tmp_path / "project", demo_setup)
    ws.generate_templates(1, ["AAL", "FHH"], now=GENERATED_AT)
    return ws, ws.setup()


def test_the_demo_partners_declare_in_their_own_currencies_with_demo_rates_for_every_month(demo_setup: ProjectSetup) -> None:
    currencies = {p.code: p.currency for p in demo_setup.partners}
    assert (currencies["AAL"], currencies["BRG"], currencies["OSL"], currencies["SCE"], currencies["FHH"]) == ("DKK", "SEK", "NOK", "GBP", "EUR")
    months = {(r.month, r.currency) for r in demo_setup.rates}
    assert len(months) == 44 * 4  # November 2016 to June 2020, four currencies
    assert all(r.note and r.note.startswith("demo data") for r in demo_setup.rates)
    assert D("7.40") < rate_of(demo_setup.rates, "DKK", OCTOBER) < D("7.50")


def test_a_dkk_return_reaches_the_master_in_dkk_and_in_eur_at_the_rate_of_its_month(project: tuple[Workspace, ProjectSetup]) -> None:
    ws, setup = project
    _, entries = returned(ws, setup, "AAL", OCTOBER, "aal.xlsx")
    result = ws.collect(now=dt.datetime(2017, 10, 12, 9))
    assert [c.entry.status for c in result.collected] == ["accepted"]
    ws.build(as_of=dt.date(2017, 10, 31), period=1)
    rate = rate_of(setup.rates, "DKK", OCTOBER)
    rows = finance_rows(ws.master, "AAL")
    staff = next(r for r in rows if r["Cost category"] == "Staff costs")
    typed = entries.tables["Finance"][0]["declared"]
    assert (staff["Currency"], D(str(staff["Declared in currency"])), D(str(staff["Rate (per EUR)"]))) == ("DKK", typed, rate)
    assert staff["Rate of"] == dt.date(2017, 10, 1)
    assert D(str(staff["Declared in period (EUR)"])) == eur(typed, rate)


def test_a_correction_sent_a_month_later_is_converted_at_that_months_rate(project: tuple[Workspace, ProjectSetup]) -> None:
    ws, setup = project
    returned(ws, setup, "AAL", OCTOBER, "aal.xlsx")
    ws.collect(now=dt.datetime(2017, 10, 12, 9))
    _, corrected = returned(ws, setup, "AAL", NOVEMBER, "aal_corrected.xlsx", by=D("0.9"))
    second = ws.collect(now=dt.datetime(2017, 11, 21, 9))
    assert [c.entry.accepted for c in second.collected] == [True]
    ws.build(as_of=dt.date(2017, 11, 30), period=1)
    november = rate_of(setup.rates, "DKK", NOVEMBER)
    assert november != rate_of(setup.rates, "DKK", OCTOBER)
    [staff] = [r for r in finance_rows(ws.master, "AAL") if r["Cost category"] == "Staff costs"]  # the correction replaced the return
    assert staff["Rate of"] == dt.date(2017, 11, 1)
    assert D(str(staff["Declared in period (EUR)"])) == eur(corrected.tables["Finance"][0]["declared"], november)


def test_a_missing_rate_stops_collect_naming_month_and_currency_and_collects_nothing(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    setup = demo_setup.model_copy(update={"rates": [r for r in demo_setup.rates if not (r.currency == "DKK" and r.month == dt.date(2017, 10, 1))]})
    ws = Workspace.create(tmp_path / "project", setup)
    ws.generate_templates(1, ["AAL"], now=GENERATED_AT)
    returned(ws, setup, "AAL", OCTOBER, "aal.xlsx")
    with pytest.raises(RateMissing) as stopped:
        ws.collect(now=dt.datetime(2017, 10, 12, 9))
    assert stopped.value.exit_code == 2
    assert "DKK" in str(stopped.value) and "October 2017" in str(stopped.value) and "Rates sheet" in str(stopped.value)
    assert ws.returns() == []  # the file waits in the inbox for the next collect
    assert (ws.inbox / "aal.xlsx").exists()


def test_the_partner_workbook_asks_for_dkk_and_names_every_currency_in_its_headers(project: tuple[Workspace, ProjectSetup]) -> None:
    ws, _ = project
    aal = sheet_values(ws.outbox(1) / "NC_P1_AAL.xlsx", "Finance")
    fhh = sheet_values(ws.outbox(1) / "NC_P1_FHH.xlsx", "Finance")
    assert aal[3][:5] == ["Cost category", "Budget (EUR)", "Declared before (EUR)", "Declared this period (DKK)", "Declared this period (EUR)"]
    assert fhh[3][:4] == ["Cost category", "Budget (EUR)", "Declared before (EUR)", "Declared this period (EUR)"]
    start = sheet_values(ws.outbox(1) / "NC_P1_AAL.xlsx", "Start")
    assert start[8][0] == "Exchange rate (DKK per EUR)" and "month of your date of submission" in start[8][2]


def test_a_setup_without_rates_for_a_partners_currency_or_with_a_rate_of_zero_is_an_error_at_the_cell(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    rates = [r for r in demo_setup.rates if r.currency != "NOK"] + [Rate.model_construct(month=dt.date(2017, 1, 1), currency="SEK", rate=D(0), note=None)]
    ws = Workspace.create(tmp_path / "project", demo_setup.model_copy(update={"rates": rates}))
    _, issues = read_setup(ws.master)
    found = {(i.code, i.sheet, i.cell) for i in issues}
    partners = sheet_values(ws.master, "Partners")
    currency_col = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[partners[3].index("Currency")]
    osl_row = next(n for n, row in enumerate(partners) if row and row[1] == "OSL") + 1
    assert ("setup-no-rates", "Partners", f"{currency_col}{osl_row}") in found
    rates_grid = sheet_values(ws.master, "Rates")
    zero_row = next(n for n, row in enumerate(rates_grid) if len(row) > 2 and row[2] == 0) + 1
    assert ("out-of-range", "Rates", f"C{zero_row}") in found


def test_the_euros_tie_across_the_partner_workbook_the_master_and_the_board(project: tuple[Workspace, ProjectSetup]) -> None:
    ws, setup = project
    returned(ws, setup, "AAL", OCTOBER, "aal.xlsx")
    returned(ws, setup, "FHH", OCTOBER, "fhh.xlsx")
    ws.collect(now=dt.datetime(2017, 10, 12, 9))
    ws.build(as_of=dt.date(2017, 10, 31), period=1)
    rate = rate_of(setup.rates, "DKK", OCTOBER)
    master_eur = sum(D(str(r["Declared in period (EUR)"])) for r in finance_rows(ws.master, "AAL"))
    typed = [D(str(r["Declared in currency"])) for r in finance_rows(ws.master, "AAL")]
    assert master_eur == sum(eur(a, rate) for a in typed)  # line by line, as the workbook's EUR cells
    position = sheet_values(ws.master, "Finance position")
    header = position[3]
    aal = dict(zip(header, next(row for row in position[4:] if row and row[0] == "AAL")))
    assert D(str(aal["Declared in period (EUR)"])).quantize(D("0.01")) == master_eur
    ws.summary(1)
    board = open_values(next((ws.root / "board").glob("*.xlsx")))
    found = [v for grid in board.values() for row in grid for v in row if isinstance(v, float)]
    total = sum(D(str(r["Declared in period (EUR)"])) for code in ("AAL", "FHH") for r in finance_rows(ws.master, code))
    assert float(total) in found


def typed_in_libreoffice(tmp_path: Path, setup: ProjectSetup) -> tuple[Path, dict[str, Any], int]:
    """Aalborg's (DKK) template as LibreOffice saves it after typing an October submission date and
    100,000.50 DKK of staff costs: the saved file, the Finance table's layout and its first row."""
    require_soffice()
    template = tmp_path / "NC_P1_AAL.xlsx"
    write_partner_workbook(template, setup, "AAL", 1, generated_at=GENERATED_AT)
    place = layout(template)
    fin, day = place["tables"]["Finance"], place["forms"][SUBMISSION_FORM]["cells"]["submitted_on"]
    first = fin["header_row"] + 2
    typed = [{"sheet": "Start", "cell": day, "value": OCTOBER.isoformat(), "type": "date"},
             {"sheet": fin["sheet"], "cell": f"{fin['columns']['declared']}{first}", "value": 100000.5, "type": "number"}]
    out = tmp_path / "return.xlsx"
    fill_with_libreoffice(template, typed, [out])
    return out, fin, first


def test_libreoffice_computes_the_dkk_amount_in_euros_at_the_rate_of_the_month_of_submission(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    out, fin, first = typed_in_libreoffice(tmp_path, demo_setup)
    grid = sheet_values(out, "Finance")
    rate = rate_of(demo_setup.rates, "DKK", OCTOBER)
    col = "ABCDEFGHIJ".index(fin["columns"]["declared_eur"])
    assert D(str(grid[first - 1][col])) == eur(D("100000.5"), rate)
    office = grid[first][col]  # the flat rate on staff costs, in euros too
    assert D(str(office)) == eur((D("100000.5") * 15 / 100).quantize(D("0.01"), rounding="ROUND_DOWN"), rate)


def test_while_the_months_rate_is_unknown_the_euro_figures_stay_blank_never_an_error(tmp_path: Path, demo_setup: ProjectSetup) -> None:
    setup = demo_setup.model_copy(update={"rates": [r for r in demo_setup.rates if r.month < dt.date(2017, 10, 1)]})  # October not published yet
    out, fin, first = typed_in_libreoffice(tmp_path, setup)
    grid = sheet_values(out, "Finance")
    euros = ["ABCDEFGHIJ".index(fin["columns"][name]) for name in ("declared_eur", "cumulative", "remaining", "absorption")]
    rows = range(first - 1, first + 6)  # the six cost categories and the total
    assert all(grid[r][c] == "" for r in rows for c in euros)
    assert not any(isinstance(v, str) and v.startswith("#") for row in grid for v in row)
    assert sheet_values(out, "Start")[8][1] == ""
