"""The master's Dashboard: the state of the project at a glance.

From the top: the status band; the board's tiles of key figures (``master.glance``,
so the two always agree) and one for the open issues, each tile's name a link to
the sheet its figures come from; the work packages' status; the period-by-period
figures with a chart of spending against the plan and one of the returns in; then
the key figures as a labelled block (``master.schema.Dashboard``: what the board,
the joint report and the ribbon read back, by its labels in column A) and the
partners not ready for the joint report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from nc_excel.analyses.finance import FinancePosition
from nc_excel.excel.schema import column, columns
from nc_excel.excel.style import BORDER, FONT, LOCKED_FILL, NAVY
from nc_excel.excel.write import (
    Styles,
    add_format,
    color_words,
    fit_row,
    page_height,
    print_setup,
    write_form,
    write_heading,
    write_value,
)
from nc_excel.master.glance import MasterView, Tile, figures, tile_figures
from nc_excel.master.schema import (
    DASHBOARD,
    ISSUES,
    STATUS_COLOURS,
    Dashboard,
    HistoryRow,
    ReadinessRow,
    WorkPackageRow,
)
from nc_excel.setup.models import ProjectSetup

LABEL_WIDTH = 36  # column A: the key figures' labels, the work packages, the periods
TILE_WIDTH = 22  # columns B to G: a tile each
LAST = 6  # column G, the right edge of everything on the sheet
CHART_HEIGHT = 300  # pixels
RETURN_COLOURS = ("#548235", "#ED7D31", "#A50021")  # in on time, in late, missing


class Look:
    """The Dashboard's own formats (house font, top aligned), made once each."""

    def __init__(self, wb: Workbook) -> None:
        self.wb = wb
        self._cache: dict[tuple[tuple[str, Any], ...], Format] = {}

    def __call__(self, **props: Any) -> Format:
        key = tuple(sorted(props.items()))
        if key not in self._cache:
            self._cache[key] = add_format(self.wb, {"font_name": FONT, "font_size": 10, "valign": "top", **props})
        return self._cache[key]

    def section(self) -> Format:
        return self(bold=True, font_size=12, font_color=NAVY, bottom=2, bottom_color=NAVY)


def issue_tile(view: MasterView) -> Tile:
    """The open issues of the latest returns: errors and warnings the coordinator has not noted as resolved."""
    issues = view.issues
    open_ = issues[issues["resolution"].fillna("").astype(str).str.strip() == ""]
    errors, warnings = int((open_["severity"] == "error").sum()), int((open_["severity"] == "warning").sum())
    resolved = len(issues) - len(open_)
    return Tile("Open issues", [(errors, "0", "errors to correct", "issue_errors"), (warnings, "0", "warnings to check", "issue_warnings")],
                f"in the latest returns; {resolved} noted as resolved", ISSUES.name)


def write_dashboard(wb: Workbook, ws: Worksheet, styles: Styles, setup: ProjectSetup, view: MasterView, fin: FinancePosition,
                    *, merged: int, header: str) -> None:
    """The whole Dashboard sheet; see the module text for what is where."""
    look = Look(wb)
    d = view.dashboard
    p = setup.project
    ws.set_column(0, 0, LABEL_WIDTH)
    ws.set_column(1, LAST, TILE_WIDTH)
    ws.hide_gridlines(2)
    write_heading(ws, styles, f"{p.name}: master, period {d.period}",
                  f"{p.programme}. {view.period_text}, as of {d.as_of:%d %B %Y}; rebuilt from {merged} accepted return(s) in the archive. "
                  "Click a tile's name to open its sheet.", widths=[LABEL_WIDTH] + [TILE_WIDTH] * LAST)
    band = look(bold=True, font_size=12, text_wrap=True, valign="vcenter", border=2, border_color="#404040",
                bg_color="#C6E0B4" if d.on_track else "#F8CBAD")
    ws.merge_range(3, 0, 3, LAST, f"Project status: {d.status_line}", band)
    ws.set_row(3, fit_row([(f"Project status: {d.status_line}", LABEL_WIDTH + LAST * TILE_WIDTH)], font_size=12, least=26))
    f = figures(view, setup)
    tiles = tile_figures(view, f, setup)
    tiles.insert(1, issue_tile(view))
    ws.write_string(5, 0, f"Period {d.period} at a glance", look(bold=True, font_size=12, font_color=NAVY, valign="vcenter"))
    ws.write_string(6, 0, "Each figure is one of the master's own, or a sum over a sheet's rows. The name of a tile opens that sheet.", look(italic=True, font_color="#595959", text_wrap=True))
    _tiles(ws, look, tiles, top=5)
    row = _work_packages(ws, styles, look, view, top=13)
    periods = row + 1
    charts = _periods(wb, ws, styles, look, view, top=periods)
    key_figures = charts + int(CHART_HEIGHT * 0.75 / 15) + 3  # rows below a chart keep the default height of 15 points
    _key_figures(wb, ws, styles, look, d, fin, top=key_figures)
    widths = [LABEL_WIDTH] + [TILE_WIDTH] * LAST
    first_page = sum(ws.row_sizes[r][0] * 0.75 if r in ws.row_sizes else 15.0 for r in range(charts)) + CHART_HEIGHT * 0.75  # pixels to points
    ws.set_h_pagebreaks([periods, key_figures] if first_page > page_height(widths) else [key_figures])  # the charts with their table
    print_setup(ws, header=header)
    ws.print_area(0, 0, ws.dim_rowmax or 0, LAST)


def _tiles(ws: Worksheet, look: Look, tiles: Sequence[Tile], *, top: int) -> None:
    """A tile per column from B: its name (a link), one or two figures with their captions, a line of detail."""
    edge = {"border_color": "#7F7F7F", "bg_color": LOCKED_FILL, "align": "center", "left": 2, "right": 2}
    for row, height in zip(range(top, top + 5), (30, 32, 14, 24, 14)):
        ws.set_row(row, height)
    ws.set_row(top + 5, fit_row([(t.detail, TILE_WIDTH) for t in tiles], font_size=9, least=26))
    for c, tile in enumerate(tiles[:LAST], start=1):
        name = look(bold=True, font_size=10, font_color=NAVY, bg_color="#BDD7EE", align="center", valign="vcenter", text_wrap=True, border=2,
                    border_color="#7F7F7F", underline=1)  # a link: dark on light, as links are
        ws.write_url(top, c, f"internal:'{tile.sheet}'!A1", name, string=tile.label, tip=f"Open the sheet {tile.sheet}")
        (first, num, caption, _), *more = tile.values
        write_value(ws, top + 1, c, first, look(bold=True, font_size=20, font_color=NAVY, num_format=num, valign="vcenter", **edge))
        write_value(ws, top + 2, c, caption, look(font_size=9, font_color="#404040", **edge))
        second, second_num, second_caption = (more[0][0], more[0][1], more[0][2]) if more else (None, "General", None)
        write_value(ws, top + 3, c, second, look(bold=True, font_size=14, font_color=NAVY, num_format=second_num, valign="vcenter", **edge))
        write_value(ws, top + 4, c, second_caption, look(font_size=9, font_color="#404040", **edge))
        write_value(ws, top + 5, c, tile.detail, look(font_size=9, text_wrap=True, bottom=2, **edge))


def _section(ws: Worksheet, look: Look, row: int, text: str) -> None:
    ws.merge_range(row, 0, row, LAST, text, look.section())
    ws.set_row(row, 20)


def _headers(ws: Worksheet, styles: Styles, row: int, headers: Sequence[tuple[int, int, str]]) -> None:
    for first, last, text in headers:
        if last > first:
            ws.merge_range(row, first, row, last, text, styles.fmt("header"))
        else:
            ws.write_string(row, first, text, styles.fmt("header"))
    ws.set_row(row, 28)


def _work_packages(ws: Worksheet, styles: Styles, look: Look, view: MasterView, *, top: int) -> int:
    """The work packages' status table (the sheet Work package status, shortened); returns the next free row."""
    _section(ws, look, top, "Work packages")
    h = {c.name: c.header for c in columns(WorkPackageRow)}
    _headers(ws, styles, top + 1, [(0, 0, h["title"]), (1, 1, h["status"]), (2, 2, h["percent_complete"]), (3, 3, h["deliverables_done"]),
                                   (4, 4, h["lead"]), (5, LAST, h["why"])])
    text = styles.fmt("plain", "text", wrap=True)
    centred = {"border": 1, "border_color": BORDER, "align": "center"}  # short figures under wide headers
    share, short = look(num_format="0.0%", **centred), look(**centred)
    row = top + 2
    for wp in view.work_packages.to_dict("records"):
        name, why = f"{wp['code']} {wp['title']}", wp["why"] or None
        write_value(ws, row, 0, name, text)
        for c, value, fmt in ((1, wp["status"], short), (2, wp["percent_complete"], share), (3, wp["deliverables_done"], short), (4, wp["lead"], short)):
            write_value(ws, row, c, value, fmt)
        ws.merge_range(row, 5, row, LAST, None, text)
        write_value(ws, row, 5, why, text)
        if height := fit_row([(name, LABEL_WIDTH), (why, 2 * TILE_WIDTH)]):
            ws.set_row(row, height)
        row += 1
    color_words(ws, styles, top + 2, 1, max(row - 1, top + 2), STATUS_COLOURS)
    return row


def _periods(wb: Workbook, ws: Worksheet, styles: Styles, look: Look, view: MasterView, *, top: int) -> int:
    """Period by period (the History sheet's figures) and the two charts drawn from them; returns the charts' row."""
    _section(ws, look, top, "Period by period")
    h = {c.name: c.header for c in columns(HistoryRow)}
    _headers(ws, styles, top + 1, [(0, 0, h["period"]), (1, 1, h["cumulative"]), (2, 2, h["certified_cumulative"]), (3, 3, h["plan"]),
                                   (4, 4, "Returns in on time"), (5, 5, "Returns in late"), (6, 6, "Partners without an accepted return")])
    money, count, text = styles.fmt("plain", "money"), styles.fmt("plain", "int"), styles.fmt("plain", "text")
    first = row = top + 2
    periods = first  # the first period's row: the returns chart has no start
    if len(view.history):  # the spending starts from nothing at the project's start
        start = view.history["start"].iloc[0]
        write_value(ws, row, 0, f"Start, {start:%b %Y}", text)
        for c in (1, 2, 3):
            write_value(ws, row, c, 0, money)
        for c in (4, 5, 6):
            write_value(ws, row, c, None, count)
        row += 1
        periods = row
    for r in view.history.to_dict("records"):
        received, late = int(r["received"] or 0), int(r["late"] or 0)
        write_value(ws, row, 0, f"P{int(r['period'])}, to {r['end']:%b %Y}", text)
        for c, value, fmt in ((1, r["cumulative"], money), (2, r["certified_cumulative"], money), (3, r["plan"], money),
                              (4, max(received - late, 0), count), (5, late, count), (6, r["missing"], count)):
            write_value(ws, row, c, value, fmt)
        row += 1
    last = max(row - 1, first)
    sheet = ws.get_name()
    spending = wb.add_chart({"type": "line"})
    for name, c, colour, dash in (("Declared (cumulative)", 1, NAVY, "solid"), ("Certified by FLC (cumulative)", 2, "#2E75B6", "solid"), ("Plan", 3, "#C00000", "dash")):
        spending.add_series({"name": name, "categories": [sheet, first, 0, last, 0], "values": [sheet, first, c, last, c],
                             "line": {"color": colour, "width": 2.25, "dash_type": dash},
                             "marker": {"type": "circle", "size": 6, "fill": {"color": colour}, "border": {"color": colour}}})
    _axes(spending, "Spending against the plan (EUR)", "Cumulative EUR", "#,##0")
    spending.set_size({"width": 600, "height": CHART_HEIGHT})
    returns = wb.add_chart({"type": "column"})
    for (name, c), colour in zip((("In on time", 4), ("In late", 5), ("Missing", 6)), RETURN_COLOURS):
        returns.add_series({"name": name, "categories": [sheet, periods, 0, last, 0], "values": [sheet, periods, c, last, c], "gap": 80,
                            "fill": {"color": colour}, "border": {"color": "#404040", "width": 0.5}})
    _axes(returns, "Returns in per period", "Partners", "0", most=view.dashboard.partners)
    returns.set_size({"width": 560, "height": CHART_HEIGHT})
    charts = row + 1
    ws.insert_chart(charts, 0, spending, {"x_offset": 2, "y_offset": 4, "object_position": 3, "description": (
        "Line chart: the spending declared by the partners and certified by their controllers, cumulative at the end of each period, "
        "against the plan (the budget times the share of the project's months over); the figures are in the table above.")})
    ws.insert_chart(charts, 3, returns, {"x_offset": 12, "y_offset": 4, "object_position": 3, "description": (
        "Column chart: per period, the partners whose return came in on time, those whose return came in late, and those without an "
        "accepted return; the figures are in the table above.")})
    return charts


def _axes(chart: Any, title: str, axis: str, num_format: str, most: int | None = None) -> None:
    chart.set_title({"name": title, "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"num_font": {"size": 8}})
    chart.set_y_axis({"name": axis, "min": 0, **({"max": most} if most else {}), "num_format": num_format, "name_font": {"size": 9},
                      "num_font": {"size": 8}, "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
    chart.set_legend({"position": "bottom", "font": {"size": 9}})


def _key_figures(wb: Workbook, ws: Worksheet, styles: Styles, look: Look, d: Dashboard, fin: FinancePosition, *, top: int) -> None:
    """The key figures as a labelled block (read back through ``Dashboard``), then who is not ready for the joint report."""
    _section(ws, look, top, "Key figures")
    fields = columns(Dashboard)
    values = {c.name: getattr(d, c.name) for c in fields}
    form = top + 1
    write_form(ws, styles, Dashboard, values, name=DASHBOARD.name, top=form, protected=False)
    for r, field in enumerate(fields, start=form):
        if field.name == "status_line":
            colours = {"font_color": "#006100", "bg_color": "#C6EFCE"} if d.on_track else {"font_color": "#9C0006", "bg_color": "#FFC7CE"}
            status = look(font_size=11, bold=True, text_wrap=True, border=1, border_color=BORDER, **colours)  # as the ok and warn words, larger
            ws.merge_range(r, 1, r, 3, None, status)
            ws.write_string(r, 1, d.status_line, status)
            ws.set_row(r, fit_row([(d.status_line, 3 * TILE_WIDTH * 0.9)], font_size=11, least=30))  # bold and larger
        elif height := fit_row([(field.header, LABEL_WIDTH * 0.9), (values[field.name], TILE_WIDTH)]):  # bold labels are wider
            ws.set_row(r, height)
    head = form + len(fields) + 1
    _headers(ws, styles, head, [(0, 0, column(ReadinessRow, "partner_name").header), (1, 1, column(ReadinessRow, "partner").header),
                                (2, LAST, column(ReadinessRow, "reason").header)])
    text = styles.fmt("plain", "text", wrap=True)
    for r, rec in enumerate(fin.readiness.to_dict("records"), start=head + 1):
        write_value(ws, r, 0, rec["partner_name"], text)
        write_value(ws, r, 1, rec["partner"], text)
        ws.merge_range(r, 2, r, LAST, None, text)
        write_value(ws, r, 2, rec["reason"] or None, text)
        if height := fit_row([(rec["partner_name"], LABEL_WIDTH), (rec["reason"], 5 * TILE_WIDTH)]):
            ws.set_row(r, height)
