"""`nc-excel demo --through 3`: three reporting periods of Northern Connections as a partnership lives them.

Period 1 as in the one-period demo; the coordinator then confirms the shortlist. In
period 2 the partner who sent nothing for period 1 catches up, late, a deliverable
reported Done slips back, the controllers' period-1 certificates come in (one with a
deduction), and a partner resends its report as a file saved before the first. Period 3
brings the period-2 certificates. Each period has its master and its board summary.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from conftest import sheet_values
from test_master import table
from test_trends import SHEET_CELL, board_texts

from nc_excel.demo import CATCH_UP, CORRECTED, DEDUCTION, SLIP, DemoResult
from nc_excel.excel.schema import HEADER_ROW
from nc_excel.intake.archive import Register
from nc_excel.partner.schema import FINANCE, template_name
from nc_excel.setup.demo import northern_connections
from nc_excel.setup.models import COST_CATEGORIES


@pytest.fixture(scope="module")
def demo(demo_played: dict[int, DemoResult]) -> DemoResult:
    return demo_played[3]


def money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_every_period_has_its_collects_master_and_board_summary(demo: DemoResult) -> None:
    assert sorted(demo.periods) == [1, 2, 3]
    for n, play in demo.periods.items():
        assert play.master is not None and play.master.period == n
        assert [p.name for p in play.board] == [f"NC_board_P{n}.xlsx"] and play.board[0].is_file()
    assert demo.last.master.returns_merged == 21 * 3  # every partner, every period: the late one caught up


def test_the_partner_who_missed_period_1_sends_it_late_and_it_counts_for_period_1(demo: DemoResult) -> None:
    [partner] = CATCH_UP
    [late] = [c for c in demo.periods[2].first.collected if c.entry.partner == partner and c.entry.period == 1]
    assert late.entry.accepted and late.entry.late and "late-return" in {i.code for i in late.issues}
    rows = [r for r in table(demo.root / "master.xlsx", "Returns") if r["Partner"] == partner and r["Period"] == 1]
    assert [(r["Status"], r["Late"]) for r in rows] == [(late.entry.status, "Yes")]
    # Period 3's template adds up what it declared in periods 1 and 2, the late one included.
    setup = northern_connections(template_key="demo-2017")
    finance = sheet_values(demo.root / "outbox" / "3" / template_name(setup, 3, partner), FINANCE.sheet)
    header = finance[HEADER_ROW]
    staff_before = money(finance[HEADER_ROW + 1][header.index("Declared before (EUR)")])
    staff = [money(r["Declared in period (EUR)"]) for r in table(demo.root / "master.xlsx", "Finance")
             if r["Partner"] == partner and r["Period"] in (1, 2) and r["Cost category"] == "Staff costs"]
    assert len(staff) == 2 and staff_before == sum(staff)


def test_a_correction_saved_before_the_first_file_still_replaces_it(demo: DemoResult) -> None:
    partner, period = CORRECTED
    first, second = (c for play in (demo.periods[2].first, demo.periods[2].second) for c in play.collected
                     if c.entry.partner == partner and c.entry.period == period and c.entry.kind == "return")
    assert second.path.stat().st_mtime < first.path.stat().st_mtime  # the file's time says it is older
    assert "return-replaced" in {i.code for i in second.issues}
    assert [e.file for e in Register(demo.root).current(period) if e.partner == partner] == [second.entry.file]
    rows = [r for r in table(demo.root / "master.xlsx", "Returns") if r["File"] == first.entry.file]
    assert rows[0]["Replaced by"] == second.entry.file


def test_a_deliverable_reported_done_and_now_delayed_is_a_warning_naming_both_periods(demo: DemoResult) -> None:
    partner, period, code = SLIP
    [ret] = [c for c in demo.periods[2].first.collected if c.entry.partner == partner and c.entry.period == period]
    [warning] = [i for i in ret.issues if i.code == "deliverable-reopened"]
    assert warning.sheet == "Deliverables" and code in warning.message and "period 1" in warning.message and "period 2" in warning.message


def test_the_certificates_of_earlier_periods_add_up_on_the_period_3_master(demo: DemoResult) -> None:
    lines = table(demo.root / "master.xlsx", "FLC certificates")
    periods = {r["Period"] for r in lines if r["Period"] not in ("", None)}
    assert periods == {1, 2}  # each period's certificates came during the next
    partner, category, share, reason = DEDUCTION
    [deducted] = [r for r in lines if r["Partner"] == partner and r["Period"] == 1 and r["Cost category"] == dict(COST_CATEGORIES)[category]]
    assert deducted["Reason for the deduction"] == reason
    # BRG's controller certified 95 % in SEK; in euros, each amount converted to the cent on its own
    assert abs(money(deducted["Certified (EUR)"]) - money(deducted["Declared (EUR)"]) * share) <= Decimal("0.01")
    [total] = [r for r in lines if r["Partner"] == "Project"]
    counting = [r for r in lines if r["Period"] not in ("", None) and r["Counts"] == "Yes"]
    assert money(total["Certified (EUR)"]) == sum((money(r["Certified (EUR)"]) for r in counting), Decimal(0))


def test_the_history_and_indicators_follow_the_project_across_periods(demo: DemoResult) -> None:
    history = table(demo.root / "master.xlsx", "History")
    assert [r["Period"] for r in history] == [1, 2, 3]
    cumulative = [money(r["Declared cumulative (EUR)"]) for r in history]
    assert cumulative == sorted(cumulative) and cumulative[0] > 0
    assert money(history[-1]["Certified cumulative (EUR)"]) > money(history[0]["Certified cumulative (EUR)"])
    for row in (r for r in table(demo.root / "master.xlsx", "Indicator progress") if r["Partner"] == "All partners"):
        assert money(row["Cumulative"]) == money(row["Reported before"]) + money(row["This period"] or 0)


def test_partners_report_on_the_labs_the_coordinator_selected(demo: DemoResult) -> None:
    progress = table(demo.root / "master.xlsx", "Living lab progress")
    assert {r["Period"] for r in progress} == {2, 3}
    assert all(r["Companies engaged"] and r["Activities this period"] for r in progress)


def test_no_board_summary_names_a_sheet_or_a_cell(demo: DemoResult) -> None:
    for play in demo.periods.values():
        texts = board_texts(play.board[0])
        assert texts and [t for t in texts if SHEET_CELL.search(t)] == []


def test_the_command_plays_through_a_period(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from nc_excel.cli import app

    run = CliRunner().invoke(app, ["demo", str(tmp_path / "nc"), "--no-pdf", "--through", "9"])
    assert run.exit_code == 2 and "periods 1 to 6" in run.output
