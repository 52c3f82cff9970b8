"""The five pages of the board workbook: Overview, Schedule, Finance, Living Labs, Risks and issues.

Each builder takes the master as read (``MasterView``) and the figures, and
writes one sheet through ``layout.Page``; none computes a figure of its own
beyond what ``figures`` gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.workbook import Workbook

from nc_excel.board.figures import (
    FAR_ABOVE,
    FAR_BELOW,
    Figures,
    deviating,
    key_messages,
    missing_or_rejected,
    return_problems,
)
from nc_excel.board.layout import DEFAULT_ROW, EURO, ROW, Formats, Page, Show
from nc_excel.board.read import MasterView
from nc_excel.excel.style import BORDER, LOCKED_FILL, NAVY
from nc_excel.excel.write import (
    fit_row,
    write_value,
)
from nc_excel.master.glance import Tile, tile_figures
from nc_excel.master.schema import (
    STATUS_COLOURS,
    TIMELINE_ACTIVE,
    BudgetLineRow,
    FinancePositionRow,
    HistoryRow,
    RegionRow,
    ScheduleRow,
    ShortlistRow,
    WorkPackageRow,
    month_field,
)
from nc_excel.setup.models import ProjectSetup

SERIES = ("#1F3864", "#8EA9DB", "#D9D9D9")  # chart series: dark, middle, light


def overview(wb: Workbook, fmt: Formats, view: MasterView, f: Figures, setup: ProjectSetup) -> Page:
    """One A4 page: title, status band, five tiles of key figures, key messages, the work packages."""
    tile, gap = 12.5, 1.6
    widths = [1.5] + [w for i in range(5) for w in ((tile, tile) if i == 4 else (tile, tile, gap))] + [1.5]
    s = Page(wb, fmt, "Overview", widths)
    last = len(widths) - 2
    s.put(0, 1, last, f"{setup.project.name}: board summary", fmt(bold=True, font_size=20, font_color=NAVY))
    s.set_row(0, 30)
    s.put(1, 1, last, f"{view.period_text}  |  figures as of {view.as_of:%d %B %Y}  |  {setup.project.programme}", fmt(font_size=11, font_color="#404040"))
    s.set_row(1, 18)
    band = fmt(bold=True, font_size=12, text_wrap=True, valign="vcenter", border=2, border_color="#404040",
               bg_color="#C6E0B4" if view.dashboard.on_track else "#F8CBAD", font_color="#000000")
    s.put(3, 1, last, f"Project status: {view.dashboard.status_line}", band)
    s.set_row(3, fit_row([(f"Project status: {view.dashboard.status_line}", s.span_width(1, last))], font_size=12, least=26))
    _tiles(wb, s, tile_figures(view, f, setup), top=5)
    s.row = 10
    _key_messages(s, key_messages(view, f, setup), last)
    s.row += 1
    s.put(s.row, 1, last, "Work packages", fmt(bold=True, font_size=13, font_color=NAVY, bottom=2, bottom_color=NAVY))
    s.set_row(s.row, 22)
    s.row += 1
    s.table(view.work_packages, WorkPackageRow, [
        Show("code", first=1), Show("title", kind="text", first=2, last=7), Show("status", first=8, last=10, status=True, align="center"),
        Show("percent_complete", first=11, last=12, align="center"), Show("deliverables_done", first=13, align="center"),
        Show("lead", first=14, align="center"),
    ])
    s.row += 1
    s.put(s.row, 1, last, f"Source: master.xlsx, rebuilt for period {view.period} as of {view.as_of:%d %B %Y}. "
          "Every figure equals the master's; details on the following sheets.", fmt(italic=True, font_size=9, font_color="#595959"))
    s.row += 1
    s.widths = widths  # print area over every column
    return s


def _tiles(wb: Workbook, s: Page, tiles: Sequence[Tile], *, top: int) -> None:
    """Five tiles side by side from row ``top``; each figure is a named cell (``board_<name>``)."""
    fmt, ws = s.fmt, s.ws
    for row, height in zip(range(top, top + 4), (20, 40, 15, 30)):
        s.set_row(row, height)
    edge = {"border_color": "#7F7F7F"}
    big = {"bold": True, "font_size": 22, "font_color": NAVY, "align": "center", "valign": "vcenter", "bg_color": LOCKED_FILL, "top": 0}
    small = {"font_size": 9, "font_color": "#404040", "align": "center", "bg_color": LOCKED_FILL}
    for i, t in enumerate(tiles):
        label, values, detail = t.label, t.values, t.detail
        a, b = 1 + 3 * i, 2 + 3 * i
        s.put(top, a, b, label, fmt(bold=True, font_size=11, font_color="#FFFFFF", bg_color=NAVY, align="center", valign="vcenter", border=2, **edge))
        if len(values) == 1:
            value, num, caption, name = values[0]
            s.put(top + 1, a, b, value, fmt(num_format=num, left=2, right=2, **big, **edge))
            s.put(top + 2, a, b, caption, fmt(left=2, right=2, **small, **edge))
            wb.define_name(f"board_{name}", f"=Overview!${_letter(a)}${top + 2}")
        else:
            for col, (value, num, caption, name), side in zip((a, b), values, ("left", "right")):
                wb.define_name(f"board_{name}", f"=Overview!${_letter(col)}${top + 2}")
                shown = f"{value:,.0f}" + (num.split('"')[1] if '"' in num else "")
                size = next(size for length, size in ((5, 22), (7, 17), (9, 14), (99, 12)) if len(shown) <= length)  # millions fit the tile too
                write_value(ws, top + 1, col, value, fmt(num_format=num, **{side: 2}, **{**big, "font_size": size}, **edge))
                write_value(ws, top + 2, col, caption, fmt(**{side: 2}, **small, **edge))
        s.put(top + 3, a, b, detail, fmt(font_size=9, text_wrap=True, align="center", left=2, right=2, bottom=2, bg_color=LOCKED_FILL, **edge))


def _key_messages(s: Page, messages: Sequence[str], last: int) -> None:
    fmt = s.fmt
    s.put(s.row, 1, last, "Key messages", fmt(bold=True, font_size=13, font_color=NAVY, bottom=2, bottom_color=NAVY))
    s.set_row(s.row, 22)
    s.row += 1
    width = s.span_width(1, last)
    for n, msg in enumerate(messages, start=1):
        s.ws.write_string(s.row, 0, "", fmt())
        s.put(s.row, 1, last, f"{n}.  {msg}", fmt(font_size=11, text_wrap=True))
        s.set_row(s.row, fit_row([(f"{n}.  {msg}", width)], font_size=11, least=15.5))
        s.row += 1


def _letter(col: int) -> str:
    return xl_col_to_name(col)


MONTH_LETTERS = "JFMAMJJASOND"


def schedule(wb: Workbook, fmt: Formats, view: MasterView) -> Page:
    """The timeline month by month, then the work packages and the deliverables overdue or at risk."""
    m0 = 3  # the first month's column
    widths = [7, 44, 10] + [2.3] * len(view.months)
    s = Page(wb, fmt, "Schedule", widths)
    last = s.last_col
    s.heading(f"Schedule as of {view.as_of:%d %B %Y}", view.dashboard.status_line)

    _timeline(s, view, m0)

    spans = _spans(m0, last, [8, 6, 6])
    s.section("Work packages")
    s.table(view.work_packages, WorkPackageRow, [
        Show("code", header="Code"), Show("title", first=1), Show("status", first=2, status=True),
        Show("percent_complete", first=spans[0][0], last=spans[0][1], align="center"),
        Show("deliverables_done", first=spans[1][0], last=spans[1][1], align="center"), Show("lead", first=spans[2][0], last=spans[2][1], align="center"), Show("why", first=spans[2][1] + 1, last=last),
    ])
    late = view.deliverables[view.deliverables["status"].isin(["Overdue", "At risk"])]
    s.section("Deliverables overdue or at risk")
    spans = _spans(m0, last, [7, 5, 6])
    s.table(late, ScheduleRow, [
        Show("code", header="Code"), Show("title", first=1), Show("status", first=2, status=True),
        Show("due", first=spans[0][0], last=spans[0][1], align="center"), Show("days_late", first=spans[1][0], last=spans[1][1], align="center"),
        Show("responsible", first=spans[2][0], last=spans[2][1], align="center"), Show("why", first=spans[2][1] + 1, last=last),
    ], empty="No deliverable is overdue or at risk.")
    return s


def _timeline(s: Page, view: MasterView, m0: int) -> None:
    """Work packages and their deliverables against the project's months, from column ``m0``."""
    fmt, ws = s.fmt, s.ws
    tl, months = view.timeline, view.months
    s.section("Timeline", "Shaded months: the work package runs. \u25c6 a deliverable is due, \u2713 it was done (coloured by its status). "
                          "The current month is marked in the header.", need=2 * ROW + 13 * len(tl))
    current = f"{view.as_of:%Y-%m}"
    years: dict[str, list[int]] = {}
    for i, m in enumerate(months):
        years.setdefault(m[:4], []).append(m0 + i)
    head = s.row
    s.set_row(head, ROW)
    s.set_row(head + 1, ROW)
    for c, text in ((0, "Code"), (1, "Work package / deliverable"), (2, "Status")):
        ws.merge_range(head, c, head + 1, c, text, fmt.header())
    for year, cols in years.items():
        s.put(head, cols[0], cols[-1], year, fmt.header(align="center"))
    for i, m in enumerate(months):
        now = m == current
        cell = fmt(bold=True, font_size=8, align="center", border=1, border_color=BORDER,
                   bg_color="#000000" if now else "#D9D9D9", font_color="#FFFFFF" if now else "#000000")
        ws.write_string(head + 1, m0 + i, MONTH_LETTERS[int(m[5:]) - 1], cell)
    r = head + 2
    for row in tl.itertuples(index=False):
        rec = dict(zip(tl.columns, row))
        is_wp = rec["kind"] == "WP"
        weight = {"bold": True} if is_wp else {}
        s.put(r, 0, 0, rec["code"], fmt.cell(**weight))
        s.put(r, 1, 1, rec["title"] if is_wp else f"   {rec['title']}", fmt.cell(**weight))
        s.put(r, 2, 2, rec["status"], fmt.status(rec["status"]))
        for i, m in enumerate(months):
            _month_cell(s, r, m0 + i, str(rec.get(month_field(m)) or ""), str(rec["status"]), current=m == current)
        s.set_row(r, 13)
        r += 1
    s.row = r
    ws.freeze_panes(head + 2, 3)


def _month_cell(s: Page, row: int, col: int, mark: str, status: str, *, current: bool) -> None:
    """One month of a timeline row: shaded while the work package runs, a mark where a deliverable is due or done."""
    fmt = s.fmt
    line = {"border": 1, "border_color": "#E7E6E6", "align": "center", "font_size": 8, "valign": "vcenter"}
    if current:
        line.update(left=2, right=2, left_color="#000000", right_color="#000000")
    if mark == "active":
        s.ws.write_blank(row, col, None, fmt(bg_color=TIMELINE_ACTIVE, **line))
    elif mark in ("due", "done"):
        fill, color = STATUS_COLOURS["Done"] if mark == "done" else STATUS_COLOURS.get(status, ("#FFFFFF", "#000000"))
        s.ws.write_string(row, col, "\u2713" if mark == "done" else "\u25c6", fmt(bg_color=fill, font_color=color, bold=True, **line))
    else:
        s.ws.write_blank(row, col, None, fmt(**line))


def _spans(start: int, last: int, sizes: Sequence[int]) -> list[tuple[int, int]]:
    out, c = [], start
    for n in sizes:
        out.append((c, min(c + n - 1, last)))
        c += n
    return out


def _series_fill(i: int) -> dict[str, Any]:
    return {"fill": {"color": SERIES[i]}, "border": {"color": "#404040", "width": 0.5}}


def finance(wb: Workbook, fmt: Formats, view: MasterView, f: Figures) -> Page:
    widths = [8, 34, 8, 13, 13, 13, 11, 13, 13, 13, 12, 12, 8]
    s = Page(wb, fmt, "Finance", widths)
    ws = s.ws
    s.heading(f"Finance and first level control, period {view.period}",
              f"Spent so far = cumulative declared costs of the accepted returns. Expected = {f.elapsed:.1%} of the project time elapsed on "
              f"{view.as_of:%d %B %Y}. ERDF due and Norwegian funding due = co-financing on the certified costs, by the partner's funding source. Ready = reported, certified and without open errors.")
    p = view.partners.copy()
    p["expected"] = float(f.elapsed)
    s.section("Per partner")
    first, last_row = s.table(p, FinancePositionRow, [
        Show("partner"), Show("partner_name"), Show("country", align="center"), Show("budget"),
        Show("declared_period"), Show("cumulative", header="Spent so far (EUR)"),
        Show("absorption_pct"), Show("expected", header="Expected %", kind="share"),
        Show("flc_status", align="center"), Show("certified"), Show("erdf_due"), Show("norway_due"),
        Show("ready", align="center"),
    ])
    totals = [("Total", 0, 2), (float(f.budget), 3, 3), (float(f.declared_period), 4, 4), (float(f.cumulative), 5, 5),
              (float(f.absorption), 6, 6), (float(f.elapsed), 7, 7), (f"{f.certified_partners} certified", 8, 8),
              (float(f.certified), 9, 9), (float(f.erdf_due), 10, 10), (float(f.norway_due), 11, 11), (f"{f.ready} ready", 12, 12)]
    kinds = {3: "money", 4: "money", 5: "money", 6: "share", 7: "share", 9: "money", 10: "money", 11: "money"}
    for value, a, b in totals:
        s.put(s.row, a, b, value, fmt.cell(kinds.get(a, "text"), bold=True, top=2))
    ws.freeze_panes(first, 2)
    s.row += 1

    s.keep(20 + 2 * DEFAULT_ROW + 28 + DEFAULT_ROW * (len(f.categories) + 1) + 330 * 0.75 + 10)  # the categories with their charts
    s.section("Per cost category", "Summed over the partners' budget lines.")
    cat_first, cat_last = s.table(f.categories, None, [
        Show("category", header="Cost category", kind="text", first=0, last=2), Show("budget", header="Budget (EUR)", kind="money", first=3), Show("declared", header="Declared in period (EUR)", kind="money", first=4),
        Show("cumulative", header="Spent so far (EUR)", kind="money", first=5), Show("absorption", header="Absorption %", kind="share", first=6), Show("remaining", header="Remaining (EUR)", kind="money", first=7),
    ])
    category_totals = [("Total", 0, 2, "text"), (float(f.budget), 3, 3, "money"), (float(f.declared_period), 4, 4, "money"),
                       (float(f.cumulative), 5, 5, "money"), (float(f.absorption), 6, 6, "share"), (float(f.budget - f.cumulative), 7, 7, "money")]
    for value, a, b, kind in category_totals:
        s.put(s.row, a, b, value, fmt.cell(kind, bold=True, top=2))
    s.row += 1
    sheet = ws.get_name()
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"name": "Spent so far (share of budget)", "categories": [sheet, first, 0, last_row, 0],
                      "values": [sheet, first, 6, last_row, 6], "gap": 60, **_series_fill(0)})
    line = wb.add_chart({"type": "line"})
    line.add_series({"name": f"Time elapsed ({f.elapsed:.1%})", "categories": [sheet, first, 0, last_row, 0],
                     "values": [sheet, first, 7, last_row, 7], "line": {"color": "#C00000", "width": 2, "dash_type": "dash"}, "marker": {"type": "none"}})
    chart.combine(line)
    chart.set_title({"name": "Spending against budget per partner (%)", "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"name": "Partner", "num_font": {"size": 8}, "name_font": {"size": 9}})
    chart.set_y_axis({"name": "Share of the partner's budget", "min": 0, "num_format": "0%", "name_font": {"size": 9}, "num_font": {"size": 8},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": {"size": 9}})
    chart.set_size({"width": 610, "height": 330})
    chart_row = s.chart(chart, 0, 330, description=(
        f"Column chart: each partner's spending so far as a share of its budget, against the {f.elapsed} % of the project's time "
        f"that has passed (dashed line). All partners together have spent {float(f.absorption):.1f} % of the budget; the figures are in the table above."))

    cats = wb.add_chart({"type": "bar"})
    for i, (name, col) in enumerate((("Budget", 3), ("Spent so far", 5))):
        cats.add_series({"name": name, "categories": [sheet, cat_first, 0, cat_last, 0], "values": [sheet, cat_first, col, cat_last, col],
                         "gap": 80, **_series_fill(1 if i == 0 else 0)})
    cats.set_title({"name": "Budget and spending per cost category (EUR)", "name_font": {"size": 11, "bold": True}})
    # In a bar chart the x axis is the value axis (horizontal) and the y axis holds the categories.
    cats.set_x_axis({"name": "EUR thousand", "min": 0, "num_format": '#,##0,', "name_font": {"size": 9}, "num_font": {"size": 8},
                     "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    cats.set_y_axis({"num_font": {"size": 8}, "reverse": True})
    cats.set_legend({"position": "bottom", "font": {"size": 9}})
    cats.set_size({"width": 470, "height": 330})
    s.chart(cats, 6, 330, row=chart_row, x_offset=30, description=(
        "Bar chart: the budget and the spending so far per cost category, in EUR thousand; the figures are in the table above."))
    _spending_curve(wb, s, view)
    return s


def _spending_curve(wb: Workbook, s: Page, view: MasterView) -> None:
    """The cumulative spending, declared and certified, against the plan, period by period up to this one."""
    h = view.history.copy()
    h["label"] = [f"P{int(n)}" for n in h["period"]]
    h["dates"] = [f"{a:%d %b %Y} to {b:%d %b %Y}" for a, b in zip(h["start"], h["end"])]
    if len(h):  # the curves start from nothing spent at the project's start
        start = {"label": "Start", "dates": f"{h['start'].iloc[0]:%d %b %Y}", "cumulative": 0, "certified_cumulative": 0, "plan": 0, "spent_share": 0, "plan_share": 0}
        h = pd.concat([pd.DataFrame([start]), h], ignore_index=True)
    s.keep(20 + 2 * ROW + 28 + ROW * len(h) + 330 * 0.75 + 10)
    s.section("Spending against the plan, period by period",
              "Cumulative amounts at the end of each period, from nothing at the project's start. Plan = the budget times the share of project months over by then.")
    first, last = s.table(h, HistoryRow, [
        Show("label", header="Period", kind="text", align="center"), Show("dates", header="From - to", kind="text", first=1, last=2),
        Show("cumulative", header="Declared", kind="money", first=3), Show("certified_cumulative", header="Certified", kind="money"),
        Show("plan", header="Plan", kind="money"), Show("spent_share", header="Declared / budget", kind="share"),
        Show("plan_share", header="Plan / budget", kind="share"),
    ])
    sheet = s.ws.get_name()
    chart = wb.add_chart({"type": "line"})
    lines = (("Declared (cumulative)", 3, SERIES[0], "solid"), ("Certified by FLC (cumulative)", 4, "#2E75B6", "solid"),
             ("Plan", 5, "#C00000", "dash"))
    for name, col, colour, dash in lines:
        chart.add_series({"name": name, "categories": [sheet, first, 0, last, 0], "values": [sheet, first, col, last, col],
                          "line": {"color": colour, "width": 2.25, "dash_type": dash},
                          "marker": {"type": "circle", "size": 6, "fill": {"color": colour}, "border": {"color": colour}}})
    chart.set_title({"name": "Cumulative spending against the plan (EUR)", "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"name": "Reporting period", "num_font": {"size": 8}, "name_font": {"size": 9}})
    chart.set_y_axis({"name": "Cumulative amount", "min": 0, "num_format": EURO, "name_font": {"size": 9}, "num_font": {"size": 8},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": {"size": 9}})
    chart.set_size({"width": 700, "height": 330})
    s.chart(chart, 0, 330, description=(
        "Line chart: the cumulative spending declared by the partners and certified by their controllers at the end of each period, "
        "against the plan (the budget times the share of the project's months over), from nothing at the project's start; the figures are in the table above."))


def living_labs(wb: Workbook, fmt: Formats, view: MasterView, setup: ProjectSetup) -> Page:
    widths = [18, 6, 30, 14, 16, 7, 14, 52]
    s = Page(wb, fmt, "Living Labs", widths)
    ws = s.ws
    per = setup.project.shortlist_per_region
    s.heading(f"Living labs: the shortlist ({per} per region)",
              "Ranked by weighted score (0 to 100) within each region; ties go to more proposers, then more companies. "
              "Place names are as the partners wrote them.")
    s.section("Shortlist")
    s.table(view.shortlist, ShortlistRow, [
        Show("region"), Show("rank", align="center"), Show("name"), Show("municipality"),
        Show("theme"), Show("score", kind="score", align="center"), Show("proposers", kind="wrap"), Show("reason"),
    ], empty="No place is shortlisted yet.")
    s.section("Candidates per region", "Regions with fewer eligible candidates than places are flagged.")
    reg_first, reg_last = s.table(view.regions, RegionRow, [
        Show("region"), Show("candidates", first=1, last=2, align="center"), Show("eligible", first=3, align="center"),
        Show("shortlisted", first=4, align="center"), Show("flag", first=5, last=7),
    ])
    sheet = ws.get_name()
    chart = wb.add_chart({"type": "column"})
    for i, (name, col) in enumerate((("Candidates", 1), ("Eligible", 3), ("Shortlisted", 4))):
        chart.add_series({"name": name, "categories": [sheet, reg_first, 0, reg_last, 0], "values": [sheet, reg_first, col, reg_last, col],
                          "gap": 60, **_series_fill([2, 1, 0][i])})
    chart.set_title({"name": "Living-lab candidates and shortlisted places per region", "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"name": "Region", "num_font": {"size": 8, "rotation": -45}, "name_font": {"size": 9}})
    chart.set_y_axis({"name": "Places", "min": 0, "major_unit": 2, "num_format": "0", "name_font": {"size": 9}, "num_font": {"size": 8},
                      "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": {"size": 9}})
    chart.set_size({"width": 1000, "height": 330})
    s.chart(chart, 0, 330, description=(
        "Column chart: per region, the living-lab candidates proposed, those eligible and the places shortlisted; "
        "the figures are in the table above."))
    return s


def risks(wb: Workbook, fmt: Formats, view: MasterView, f: Figures) -> Page:
    """For the Policy Coordination Group: every section lists what needs a decision or a reminder, or says that nothing does."""
    widths = [9, 30, 14, 12, 12, 70]
    s = Page(wb, fmt, "Risks and issues", widths)
    s.heading(f"Risks and issues, period {view.period}",
              f"For the Policy Coordination Group: what needs a decision or a reminder. As of {view.as_of:%d %B %Y}; "
              f"{f.elapsed:.1%} of the project time has passed.")
    d = view.deliverables
    s.section("Deliverables overdue or at risk")
    s.table(d[d["status"].isin(["Overdue", "At risk"])], ScheduleRow, [
        Show("code"), Show("title"), Show("status", status=True),
        Show("due"), Show("days_late"), Show("why"),
    ], empty="No deliverable is overdue or at risk.")

    s.section("Returns missing or rejected")
    s.table(missing_or_rejected(view, f), FinancePositionRow, [
        Show("partner"), Show("partner_name"), Show("state", header="Return", kind="text", align="center"),
        Show("files", header="Rejected files", kind="int", align="center"), Show("why", header="Blocking the joint report", kind="wrap", first=4, last=5),
    ], empty="Every partner has an accepted return for the period.")

    s.section("Spending far from the time elapsed",
              f"Reported partners below {float(FAR_BELOW) * 100:.0f} % or above {float(FAR_ABOVE) * 100:.0f} % of the expected share "
              f"({f.elapsed:.1%} of the budget).")
    dev = deviating(view, f)
    dev["expected"] = float(f.elapsed)
    dev["gap"] = [float(a) - float(f.elapsed) for a in dev["absorption"]]
    dev["absorption"] = dev["absorption"].map(float)
    s.table(dev, FinancePositionRow, [
        Show("partner"), Show("partner_name"), Show("absorption", header="Spent %", kind="share"), Show("expected", header="Expected %", kind="share"),
        Show("gap", header="Gap (points)", kind="gap"), Show("note", header="Note", kind="text"),
    ], empty="No reported partner is far from the expected spending.")

    s.section("Office flat rate not right")
    flat = view.lines[view.lines["flat_rate_ok"] == False]  # noqa: E712 - None: not an office line
    s.table(flat, BudgetLineRow, [
        Show("partner"), Show("partner_name"), Show("declared_period", header="Declared"), Show("budget"),
        Show("absorption_pct"), Show("source"),
    ], empty="Every reported office and administration line equals the flat rate on staff costs.")

    s.section("First level control not certified", "Reported partners whose controller has not certified the period's costs yet.")
    p = view.partners
    flc = p[(p["reported"] == True) & (p["flc_status"] != "Certified")]  # noqa: E712
    s.table(flc, FinancePositionRow, [
        Show("partner"), Show("partner_name"), Show("flc_status"), Show("declared_period", header="Declared"),
        Show("ready", align="center"), Show("blocking"),
    ], empty="Every reported partner is certified.")

    s.section("Problems in the latest returns", "One line per partner whose latest return for the period has problems; "
              "the partner's feedback workbook and the master's Issues sheet show where each one is.")
    s.table(return_problems(view), None, [
        Show("partner", header="Partner", kind="text"), Show("partner_name", header="Name", kind="wrap"),
        Show("problem", header="Latest return", kind="wrap", first=2, last=5),
    ], empty="No problems in the latest returns.")

    if view.living_labs:
        s.section("Living labs: regions flagged")
        flagged = view.regions[view.regions["flag"].notna()]
        s.table(flagged, RegionRow, [
            Show("region", first=0, last=1), Show("candidates", first=2, align="center"), Show("eligible", first=3, align="center"),
            Show("shortlisted", first=4, align="center"), Show("flag", first=5),
        ], empty="Every region has its places filled.")
    return s
