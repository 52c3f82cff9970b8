"""FLC certificates that arrive after the return.

The controller certifies a partner's period-1 report weeks after it was sent, during
period 2. The partner gets a small certificate workbook prefilled from its accepted
return (``nc-excel templates --period 1 --flc``), types what the controller
certified, and sends it back; ``collect`` reads it like a return, checks it against
the return line by line, and the master keeps declared, certified and deducted.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import GENERATED_AT, copy_project, sheet_values
from lo.lo import fill_with_libreoffice, require_soffice
from test_collect import NOW, codes_at, make_return, status_of
from typer.testing import CliRunner

from nc_excel.certificate.simulate import fill_certificate
from nc_excel.cli import app
from nc_excel.excel.formula import AsNumber, Ref
from nc_excel.excel.read import read_frame
from nc_excel.intake.archive import Archive, Register
from nc_excel.intake.sniff import Limits
from nc_excel.master.schema import (
    CERTIFICATES,
    FINANCE,
    CertificateRow,
    FinanceReported,
)
from nc_excel.setup.currency import to_eur as eur
from nc_excel.setup.models import COST_CATEGORIES, ProjectSetup
from nc_excel.workspace import Workspace

IN_PERIOD_2 = dt.datetime(2017, 12, 4, 10, 0)
CERTIFIED_ON = dt.date(2017, 11, 28)


@pytest.fixture(scope="module")
def accepted(tmp_path_factory: pytest.TempPathFactory, demo_setup: ProjectSetup) -> Workspace:
    """Period 1 with AAL's and HOE's returns accepted."""
    ws = Workspace.create(tmp_path_factory.mktemp("certificates") / "project", demo_setup)
    ws.generate_templates(1, ["AAL", "HOE"], now=GENERATED_AT)
    make_return(ws, demo_setup, "AAL")
    make_return(ws, demo_setup, "HOE")
    result = ws.collect(now=NOW)
    assert all(c.entry.accepted for c in result.collected)
    return ws


@pytest.fixture()
def project(accepted: Workspace, tmp_path: Path) -> Workspace:
    """A copy of the project with AAL's and HOE's returns accepted, for the test to change."""
    return copy_project(accepted, tmp_path)


def declared(ws: Workspace, partner: str, period: int = 1) -> dict[str, Decimal]:
    """What the partner's current accepted return declared per cost category, read back from the archive."""
    ret = Archive(ws.root, Register(ws.root), ws.setup(), Limits()).latest(partner, period)
    return {key: row["declared"] for (key, _), row in zip(COST_CATEGORIES, ret.rows("Finance"))}


def certificate(ws: Workspace, partner: str, name: str, lines: dict[str, dict], *, period: int = 1, **form) -> Path:
    """The partner's certificate workbook, filled in and dropped in the inbox."""
    details = {"controller": "Mette Kjær", "organisation": "Revisionsfirma Nord", "certificate_date": CERTIFIED_ON,
               "reference": f"FLC-{partner}-P{period}", "confirm": True, **form}
    template = ws.outbox(period) / "flc" / f"NC_P{period}_{partner}_FLC.xlsx"
    return fill_certificate(template, ws.root / "inbox" / name, lines, details)


def in_full(amounts: dict[str, Decimal], **changes: dict) -> dict[str, dict]:
    """Every line certified as declared (office follows staff by its formula), with ``changes``."""
    return {key: {"certified": amount, **changes.get(key, {})} for key, amount in amounts.items() if key != "office"}


def test_the_template_is_prefilled_with_the_declared_amounts_of_the_accepted_return(project: Workspace) -> None:
    made = project.generate_certificates(1, now=IN_PERIOD_2)
    assert [p.name for p in made.written] == ["NC_P1_AAL_FLC.xlsx", "NC_P1_HOE_FLC.xlsx"]
    assert "RSD" in made.without_return and "AAL" not in made.without_return
    grid = sheet_values(made.written[0], "Certificate")
    amounts = declared(project, "AAL")
    shown = {key: Decimal(str(grid[11 + n][1])) for n, (key, _) in enumerate(COST_CATEGORIES)}
    assert shown == amounts
    assert grid[10][:5] == ["Cost category", "Declared in the report", "Certified by FLC", "Deducted", "Reason for the deduction"]
    assert grid[9][0] == "Amounts per cost category (DKK)"  # Aalborg's controller certifies in DKK, as the report declared
    currency = next(row for row in grid if row and row[0] == "Currency")
    assert "Certify in DKK" in currency[1] and "DKK per EUR" in currency[1]
    wb = openpyxl.load_workbook(made.written[0])
    ws = wb["Certificate"]
    assert ws.protection.sheet and ws["B12"].protection.locked and not ws["C12"].protection.locked
    certified = AsNumber(Ref("certified")).text(lambda _: "C12")  # a certified amount pasted as text counts too
    assert ws["D12"].value == f"=B12-{certified}" and ws["C13"].value == f"=ROUNDDOWN({certified}*15/100,2)"  # deducted; office by the flat rate
    meta = {r[0].value: r[1].value for r in wb["_nc_meta"].iter_rows(max_col=2)}
    assert meta["kind"] == "certificate" and meta["certifies"] == Register(project.root).latest_accepted("AAL", 1).sha256


def test_cli_templates_flc_names_the_partners_without_a_return(project: Workspace) -> None:
    run = CliRunner().invoke(app, ["templates", "--project", str(project.root), "--period", "1", "--flc"])
    assert run.exit_code == 0, run.output
    assert "Wrote 2 FLC certificate workbook(s)" in run.stdout and "No certificate template for" in run.stdout
    assert sorted(p.name for p in (project.outbox(1) / "flc").iterdir()) == ["NC_P1_AAL_FLC.xlsx", "NC_P1_HOE_FLC.xlsx"]


def test_a_later_certificate_shows_on_the_master_with_declared_certified_and_deducted(project: Workspace) -> None:
    project.generate_certificates(1, now=IN_PERIOD_2)
    amounts = declared(project, "AAL")
    staff = amounts["staff"]
    ninety = (staff * Decimal("0.9")).quantize(Decimal("0.01"))
    certificate(project, "AAL", "scan of AAL FLC.xlsx", in_full(amounts, staff={"certified": ninety, "reason": "Hours without timesheets"}))
    result = project.collect(now=IN_PERIOD_2)
    assert status_of(result, "scan of AAL FLC.xlsx") == "accepted"
    entry = result.collected[0].entry
    assert (entry.kind, entry.partner, entry.period) == ("certificate", "AAL", 1)
    assert entry.archived.startswith("archive/1/AAL/")
    assert Register(project.root).latest_accepted("AAL", 1).kind == "return"  # the return still counts as the return

    built = project.build(as_of=IN_PERIOD_2.date(), period=2)
    rows = read_frame(sheet_values(built.path, CERTIFICATES.name), CertificateRow)
    aal = rows[(rows["partner"] == "AAL") & (rows["period"] == 1)].set_index("category_label")
    office = aal.index[1]
    # Aalborg's controller certifies in DKK, as the report declared; the master shows euros at the return's own rate.
    finance = read_frame(sheet_values(built.path, FINANCE.name), FinanceReported)
    [rate] = set(finance[(finance["partner"] == "AAL") & (finance["period"] == 1)]["rate"])
    assert aal.loc["Staff costs", "declared"] == eur(staff, rate)
    assert aal.loc["Staff costs", "certified"] == eur(ninety, rate)
    assert aal.loc["Staff costs", "deducted"] == eur(staff, rate) - eur(ninety, rate)
    assert aal.loc["Staff costs", "reason"] == "Hours without timesheets"
    assert aal.loc[office, "deducted"] > 0  # the flat rate follows the certified staff costs
    total = rows[(rows["partner"] == "AAL") & rows["period"].isna()].iloc[0]
    assert total["declared"] == sum(eur(amount, rate) for amount in amounts.values())
    assert total["certified"] == sum(aal["certified"]) and total["deducted"] == sum(aal["deducted"])
    project_total = rows[rows["partner"] == "Project"].iloc[0]
    assert project_total["certified"] == total["certified"]  # only AAL has a certificate
    dashboard = {r[0]: r[1] for r in sheet_values(built.path, "Dashboard") if r and r[0]}
    assert Decimal(str(dashboard["FLC certified to date (EUR)"])) >= total["certified"]  # period 1 still counts in period 2


def test_a_certificate_of_a_withdrawn_return_stays_in_euros_and_no_longer_counts(project: Workspace) -> None:
    """Aalborg's controller certified its period-1 report in DKK; the coordinator then withdraws that report.
    The certificate stays on the master, converted at the withdrawn report's own rate (never kroner shown as
    euros), and no longer counts: nothing is certified for a report that does not count."""
    project.generate_certificates(1, now=IN_PERIOD_2)
    amounts = declared(project, "AAL")
    certificate(project, "AAL", "aal flc.xlsx", in_full(amounts))
    project.collect(now=IN_PERIOD_2)
    built = project.build(as_of=IN_PERIOD_2.date(), period=2)
    finance = read_frame(sheet_values(built.path, FINANCE.name), FinanceReported)
    [rate] = set(finance[(finance["partner"] == "AAL") & (finance["period"] == 1)]["rate"])

    project.withdraw("AAL", 1, "the wrong file was accepted", now=IN_PERIOD_2)
    rebuilt = project.build(as_of=IN_PERIOD_2.date(), period=2)
    rows = read_frame(sheet_values(rebuilt.path, CERTIFICATES.name), CertificateRow)
    aal = rows[(rows["partner"] == "AAL") & (rows["period"] == 1)].set_index("category_label")
    assert aal.loc["Staff costs", "declared"] == eur(amounts["staff"], rate) != amounts["staff"]
    assert aal.loc["Staff costs", "certified"] == eur(amounts["staff"], rate)
    assert not aal["counts"].any()
    total = rows[(rows["partner"] == "AAL") & rows["period"].isna()].iloc[0]
    assert total["certified"] == 0


def test_certified_above_declared_is_rejected_at_the_cell(project: Workspace) -> None:
    project.generate_certificates(1, now=IN_PERIOD_2)
    amounts = declared(project, "HOE")
    certificate(project, "HOE", "HOE FLC.xlsx", in_full(amounts, travel={"certified": amounts["travel"] + 100}))
    result = project.collect(now=IN_PERIOD_2)
    assert status_of(result, "HOE FLC.xlsx") == "rejected"
    assert ("certified-above-declared", "Certificate", "C14") in codes_at(result, "HOE FLC.xlsx")
    entry = result.collected[0].entry
    assert entry.archived is None and Register(project.root).certificates() == []
    feedback = openpyxl.load_workbook(project.root / entry.feedback)
    assert feedback.sheetnames[:2] == ["Feedback", "Certificate"]
    assert feedback["Feedback"]["C5"].value == "Certificate!C14" and feedback["Certificate"]["C14"].comment is not None


def test_a_deduction_needs_a_reason_and_the_date_follows_the_submission(project: Workspace) -> None:
    project.generate_certificates(1, now=IN_PERIOD_2)
    amounts = declared(project, "HOE")
    certificate(project, "HOE", "HOE FLC.xlsx", in_full(amounts, external={"certified": amounts["external"] - 50}),
                certificate_date=dt.date(2017, 2, 1))
    result = project.collect(now=IN_PERIOD_2)
    found = codes_at(result, "HOE FLC.xlsx")
    assert ("deduction-without-reason", "Certificate", "E15") in found
    assert ("control-before-submission", "Certificate", "B23") in found


def test_a_certificate_without_an_accepted_return(project: Workspace, demo_setup: ProjectSetup) -> None:
    project.generate_certificates(1, now=IN_PERIOD_2)
    amounts = declared(project, "AAL")
    path = certificate(project, "AAL", "AAL FLC.xlsx", in_full(amounts))
    other = Workspace.create(project.root.parent / "other", demo_setup)  # the same setup, no return of AAL
    shutil.copy(path, other.inbox)
    result = other.collect(now=IN_PERIOD_2)
    assert status_of(result, "AAL FLC.xlsx") == "rejected"
    issue = result.collected[0].issues[-1]
    assert (issue.code, issue.level, issue.partner, issue.period) == ("certificate-without-return", "file", "AAL", 1)
    assert result.collected[0].entry.feedback is None  # nothing to prefill it from: the issue says to send the report first


def test_a_second_certificate_replaces_the_first(project: Workspace) -> None:
    project.generate_certificates(1, now=IN_PERIOD_2)
    amounts = declared(project, "AAL")
    certificate(project, "AAL", "AAL FLC.xlsx", in_full(amounts, travel={"certified": Decimal(0), "reason": "No boarding passes"}))
    project.collect(now=IN_PERIOD_2)
    certificate(project, "AAL", "AAL FLC amended.xlsx", in_full(amounts), reference="FLC-AAL-P1-rev1")
    project.collect(now=IN_PERIOD_2 + dt.timedelta(days=3))
    register = Register(project.root)
    first, second = [e for e in register.entries if e.kind == "certificate"]
    assert first.superseded_by == second.sha256 and register.certificates() == [second]
    built = project.build(as_of=IN_PERIOD_2.date(), period=2)
    rows = read_frame(sheet_values(built.path, CERTIFICATES.name), CertificateRow)
    aal = rows[(rows["partner"] == "AAL") & (rows["period"] == 1)]
    assert set(aal["reference"]) == {"FLC-AAL-P1-rev1"} and sum(aal["deducted"]) == 0


def test_a_correction_after_the_template_asks_for_a_new_certificate(project: Workspace, demo_setup: ProjectSetup) -> None:
    project.generate_certificates(1, now=IN_PERIOD_2)
    amounts = declared(project, "HOE")
    make_return(project, demo_setup, "HOE", "HOE corrected.xlsx", overrides={("Finance", "D7"): float(amounts["travel"] + 10)})
    project.collect(now=NOW + dt.timedelta(days=1))
    certificate(project, "HOE", "HOE FLC.xlsx", in_full(amounts))
    result = project.collect(now=IN_PERIOD_2)
    assert ("certificate-declared-changed", "Certificate", "B14") in codes_at(result, "HOE FLC.xlsx")
    feedback = sheet_values(project.root / result.collected[0].entry.feedback, "Certificate")
    assert Decimal(str(feedback[13][1])) == amounts["travel"] + 10  # the feedback workbook shows the corrected report's amount


def test_a_certificate_filled_in_libreoffice_is_accepted_and_renders(project: Workspace, tmp_path: Path) -> None:
    require_soffice()
    [template] = project.generate_certificates(1, ["HOE"], now=IN_PERIOD_2).written
    amounts = declared(project, "HOE")
    staff = amounts["staff"] - 100
    typed = [
        {"sheet": "Certificate", "cell": "C12", "value": float(staff), "type": "number"},
        {"sheet": "Certificate", "cell": "E12", "value": "Overtime not eligible", "type": "text"},
        *[{"sheet": "Certificate", "cell": f"C{14 + n}", "value": float(amounts[key]), "type": "number"}
          for n, key in enumerate(("travel", "external", "equipment", "infrastructure"))],
        {"sheet": "Certificate", "cell": "B21", "value": "Lars Holm", "type": "text"},
        {"sheet": "Certificate", "cell": "B22", "value": "Revisionsfirma Nord", "type": "text"},
        {"sheet": "Certificate", "cell": "B23", "value": "2017-11-30", "type": "date"},
        {"sheet": "Certificate", "cell": "B24", "value": "FLC-2017-117", "type": "text"},
        {"sheet": "Certificate", "cell": "B25", "value": "Yes", "type": "text"},
    ]
    saved, pdf = project.inbox / "HOE FLC.xlsx", tmp_path / "HOE FLC.pdf"
    fill_with_libreoffice(template, typed, [saved, pdf])
    assert pdf.read_bytes().startswith(b"%PDF")
    grid = sheet_values(saved, "Certificate")
    assert Decimal(str(grid[11][3])) == 100  # LibreOffice computed the deduction
    result = project.collect(now=IN_PERIOD_2)
    assert status_of(result, "HOE FLC.xlsx") == "accepted", result.collected[0].issues
    cert = result.collected[0].certificate
    assert cert.values("staff")["certified"] == staff and cert.details()["reference"] == "FLC-2017-117"


def test_cli_collect_names_the_certificate_and_exits_1_when_it_is_rejected(project: Workspace) -> None:
    project.generate_certificates(1, ["HOE"], now=IN_PERIOD_2)
    amounts = declared(project, "HOE")
    certificate(project, "HOE", "certificate.xlsx", in_full(amounts, equipment={"certified": amounts["equipment"] + 1}))
    run = CliRunner().invoke(app, ["collect", "--project", str(project.root), "--json"])
    assert run.exit_code == 1, run.output
    payload = json.loads(run.stdout)
    assert [(r["kind"], r["partner"], r["period"], r["status"]) for r in payload["returns"]] == [("certificate", "HOE", 1, "rejected")]
    assert [(i["code"], i["level"], i["cell"]) for i in payload["issues"]] == [("certified-above-declared", "cell", "C16")]
