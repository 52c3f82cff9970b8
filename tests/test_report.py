"""The joint progress report and the reminder drafts, on two periods of the Northern Connections demo.

The demo writes, after each period's master, the joint report and the reminders: in
period 1 Scottish Enterprise (SCE) has sent nothing by the as-of day, after the
deadline; in period 2 it catches up and every partner's latest return is accepted.
"""

from __future__ import annotations

import datetime as dt
import email
import json
import shutil
from decimal import Decimal
from email import policy
from pathlib import Path

import openpyxl
import pytest
from conftest import sheet_values
from test_summary import table as board_table
from typer.testing import CliRunner

from nc_excel.cli import app
from nc_excel.demo import AS_OF, MISSING, SEED, DemoResult
from nc_excel.excel.libreoffice import convert_to_pdf
from nc_excel.excel.read import read_frame
from nc_excel.excel.schema import HEADER_ROW, columns
from nc_excel.excel.values import open_values
from nc_excel.intake.archive import Archive, Register
from nc_excel.intake.sniff import Limits
from nc_excel.master.schema import CERTIFICATES as MASTER_CERTIFICATES
from nc_excel.master.schema import (
    FINANCE_POSITION,
    CertificateRow,
    FinancePositionRow,
    StatementRow,
)
from nc_excel.master.schema import STATEMENT as MASTER_STATEMENT
from nc_excel.partner.schema import PROGRESS, template_name
from nc_excel.partner.simulate import fill_workbook, partner_entries
from nc_excel.report.remind import DUE, LATE, REJECTED
from nc_excel.report.schema import (
    CERTIFICATES,
    STATEMENT,
    SUMMARY,
    TEXTS,
    TOPICS,
    CertificateListRow,
    WorkPackageText,
)
from nc_excel.setup.demo import northern_connections
from nc_excel.workspace import Workspace

SETUP = northern_connections(template_key=f"demo-{SEED}")


@pytest.fixture(scope="module")
def demo(demo_played: dict[int, DemoResult]) -> DemoResult:
    return demo_played[2]


def frame(path: Path, sheet: str, model: type):
    return read_frame(open_values(path, {sheet})[sheet], model)


def texts(path: Path):
    return frame(path, TEXTS.name, WorkPackageText)


def copy(demo: DemoResult, to: Path) -> Workspace:
    return Workspace(Path(shutil.copytree(demo.root, to / "project")))


# ---------------------------------------------------------------- the report


@pytest.mark.parametrize("period", [1, 2])
def test_each_accepted_partners_texts_are_in_the_report_under_its_name_in_partner_order(demo: DemoResult, period: int) -> None:
    report = demo.periods[period].report[0]
    assert report.name == f"NC_progress_P{period}.xlsx"
    rows = texts(report)
    archive = Archive(demo.root, Register(demo.root), SETUP, Limits())
    accepted_then = [p.code for p in SETUP.partners if not (period == 1 and p.code in MISSING)]  # SCE's period-1 report came in period 2
    order = [p.code for p in SETUP.partners]
    for field, topic in TOPICS:
        for wp in SETUP.work_packages:
            mine = rows[(rows["work_package"] == wp.code) & (rows["topic"] == topic)]
            assert mine["kind"].iloc[0] == SUMMARY  # the coordinator's row comes first
            written = dict(zip(mine["kind"].iloc[1:], mine["text"].iloc[1:]))
            expected = {}
            for code in accepted_then:
                for r in archive.latest(code, period).rows(PROGRESS.name):
                    if r["work_package"] == wp.code and r.get(field):
                        expected[code] = f"{SETUP.partner(code).short_name} ({code}): {r[field].strip()}"
            if expected:
                assert written == expected
                assert list(written) == sorted(written, key=order.index)
    assert not (rows["kind"] == "SCE").any() if period == 1 else (rows["kind"] == "SCE").any()


def test_partner_text_that_looks_like_a_formula_stays_text(demo: DemoResult) -> None:
    ws = openpyxl.load_workbook(demo.periods[1].report[0])[TEXTS.name]
    [cell] = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cell.data_type == "s" and cell.value.startswith("Oslo (OSL): =HYPERLINK(")


def test_the_statement_and_the_certificates_total_what_the_master_says(demo: DemoResult) -> None:
    report, master = demo.periods[2].report[0], demo.root / "master.xlsx"
    ours, theirs = frame(report, STATEMENT.name, StatementRow), frame(master, MASTER_STATEMENT.name, StatementRow)
    assert ours.to_dict("records") == theirs.to_dict("records")
    claimed = ours.iloc[-1]
    *partners, project = frame(master, FINANCE_POSITION.name, FinancePositionRow).to_dict("records")
    for name in ("certified", "erdf_due", "norway_due"):
        assert claimed[name] == sum((p[name] for p in partners), Decimal(0)) == project[name], name
    assert claimed["norway_due"] > 0
    certificates = frame(report, CERTIFICATES.name, CertificateListRow)
    assert certificates.iloc[-1]["certified"] == claimed["certified"]
    each = certificates.iloc[:-1]
    assert each["controller"].notna().all() and each["certificate_date"].notna().all()
    by_workbook = each[each["certified_by"] == "FLC certificate"]
    assert len(by_workbook) and set(by_workbook["period"]) == {1}  # the period-1 certificates came in period 2
    lines = frame(master, MASTER_CERTIFICATES.name, CertificateRow)
    assert sum(by_workbook["certified"], Decimal(0)) == lines[lines["partner"] == "Project"].iloc[0]["certified"]


def test_a_coordinators_summary_survives_a_rebuild(demo: DemoResult, tmp_path: Path) -> None:
    ws = copy(demo, tmp_path)
    path = ws.reports / "NC_progress_P2.xlsx"
    wb = openpyxl.load_workbook(path)
    sheet = wb[TEXTS.name]
    fields = [c.name for c in columns(WorkPackageText)]
    col = {name: fields.index(name) + 1 for name in fields}
    row = next(r for r in range(HEADER_ROW + 2, sheet.max_row + 1)
               if (sheet.cell(r, col["work_package"]).value, sheet.cell(r, col["topic"]).value, sheet.cell(r, col["kind"]).value) == ("WP3", "Main achievements", SUMMARY))
    sheet.cell(row, col["text"]).value = "The cluster survey reached 212 enterprises in nine regions."
    wb.save(path)

    result = ws.report(2)

    assert result.summaries_kept == 1
    rows = texts(path)
    kept = rows[(rows["work_package"] == "WP3") & (rows["topic"] == "Main achievements") & (rows["kind"] == SUMMARY)]
    assert list(kept["text"]) == ["The cluster survey reached 212 enterprises in nine regions."]
    assert rows[rows["kind"] == SUMMARY]["text"].notna().sum() == 1  # the other summary rows stay empty


def test_a_report_for_a_period_the_master_was_not_built_for_says_what_to_run(demo: DemoResult) -> None:
    run = CliRunner().invoke(app, ["report", "--period", "1", "--project", str(demo.root)])
    assert run.exit_code == 2 and "build --period 1" in run.output


def test_the_report_opens_in_libreoffice_and_prints(demo: DemoResult, tmp_path: Path) -> None:
    from lo.lo import require_soffice

    require_soffice()
    workbook = Path(shutil.copy(demo.periods[2].report[0], tmp_path))
    pdf, problem = convert_to_pdf(workbook)
    assert problem is None and pdf is not None and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000


# ---------------------------------------------------------------- funding per partner


def test_a_norwegian_partner_is_due_norwegian_funding_and_no_erdf_on_the_master_and_the_board(demo: DemoResult) -> None:
    position = frame(demo.root / "master.xlsx", FINANCE_POSITION.name, FinancePositionRow).set_index("partner")
    for code in ("OSL", "ORC"):
        assert position.loc[code, "erdf_due"] == 0 and position.loc[code, "norway_due"] > 0
        half = position.loc[code, "certified"] / 2  # claimed per report (two so far), each truncated to the cent
        assert half - Decimal("0.02") < position.loc[code, "norway_due"] <= half
    assert position.loc["AAL", "erdf_due"] > 0 and position.loc["AAL", "norway_due"] == 0
    board = {r["Partner"]: r for r in board_table(sheet_values(demo.periods[2].board[0], "Finance"), "Partner", "Name")}
    assert board["OSL"]["ERDF due to date (EUR)"] == 0 and board["OSL"]["Norwegian funding due to date (EUR)"] == float(position.loc["OSL", "norway_due"])


# ---------------------------------------------------------------- reminders


def parse(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_period_1_has_one_reminder_to_the_partner_who_sent_nothing_with_its_template(demo: DemoResult) -> None:
    reminders = demo.periods[1].reminders
    [draft] = reminders.drafts
    [partner] = MISSING
    assert (draft.partner, draft.state, draft.path.parent) == (partner, LATE, demo.root / "outbox" / "mail" / "1")
    message = parse(draft.path)
    assert message["To"].addresses[0].addr_spec == SETUP.partner(partner).email
    assert message["From"].addresses[0].addr_spec == SETUP.project.coordinator_email
    [attachment] = list(message.iter_attachments())
    template = demo.root / "outbox" / "1" / template_name(SETUP, 1, partner)
    assert attachment.get_filename() == template.name and attachment.get_content() == template.read_bytes()
    body = message.get_body(("plain",)).get_content()
    assert "was due on 13 October 2017" in body and f"by {AS_OF + dt.timedelta(days=7):%d %B %Y}" in body


def test_a_rejected_return_gets_its_feedback_workbook_and_nobody_else_is_chased(demo: DemoResult, tmp_path: Path) -> None:
    ws = copy(demo, tmp_path)
    partner = "HCU"
    entries = partner_entries(SETUP, partner, 2, seed=SEED, as_of=SETUP.period(2).end)
    bad = ws.inbox / "later" / f"{partner}_P2_again.xlsx"
    fill_workbook(ws.outbox(2) / template_name(SETUP, 2, partner), bad, entries, SETUP, overrides={("Progress", "C5"): "Completed", ("Progress", "D5"): 85})
    [got] = ws.collect(ws.inbox / "later", now=dt.datetime(2018, 6, 5, 9)).collected
    assert got.entry.status == "rejected"

    result = ws.remind(2, today=dt.date(2018, 6, 6))

    assert [(d.partner, d.state) for d in result.drafts] == [(partner, REJECTED)]
    [draft] = result.drafts
    message = parse(draft.path)
    assert message["To"].addresses[0].addr_spec == SETUP.partner(partner).email
    [attachment] = list(message.iter_attachments())
    feedback = ws.resolve(got.entry.feedback)
    assert attachment.get_filename() == feedback.name and attachment.get_content() == feedback.read_bytes()
    assert "rejected" in draft.reason and bad.name in message.get_body(("plain",)).get_content()


def test_once_everybody_has_reported_the_earlier_drafts_are_removed(demo: DemoResult, tmp_path: Path) -> None:
    ws = copy(demo, tmp_path)
    assert (ws.mail(1) / "NC_P1_SCE_reminder.eml").is_file()  # drafted in period 1; SCE caught up in period 2
    run = CliRunner().invoke(app, ["remind", "--period", "1", "--json", "--project", str(ws.root)])
    assert run.exit_code == 0, run.output
    summary = json.loads(run.stdout)
    assert summary["drafts"] == [] and [Path(p).name for p in summary["removed"]] == ["NC_P1_SCE_reminder.eml"]
    assert not list(ws.mail(1).glob("*.eml"))


def test_before_the_deadline_partners_are_reminded_it_is_due_and_a_template_not_written_yet_is_named(demo: DemoResult, tmp_path: Path) -> None:
    ws = copy(demo, tmp_path)
    result = ws.remind(3, today=dt.date(2018, 11, 1))  # period 3's templates were never written in a two-period demo
    assert [d.partner for d in result.drafts] == [p.code for p in SETUP.partners] and {d.state for d in result.drafts} == {DUE}
    assert all(d.attachment is None and f"templates --period 3 --partner {d.partner}" in d.missing_attachment for d in result.drafts)
    message = parse(result.drafts[0].path)
    assert "is due by 30 November 2018" in message.get_body(("plain",)).get_content() and not list(message.iter_attachments())
    run = CliRunner().invoke(app, ["remind", "--period", "3", "--json", "--project", str(ws.root)])
    assert run.exit_code == 1  # drafts written, but not one can go out as it is
    assert json.loads(run.stdout)["drafts"][0]["missing_attachment"].startswith("no template NC_P3_AAL.xlsx in outbox/3")
