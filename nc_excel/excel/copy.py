"""Copy worksheets read with openpyxl into a workbook being written with XlsxWriter.

The master is written fresh with XlsxWriter at every build, but its setup sheets
belong to the coordinator: whatever they typed, coloured, widened, commented,
validated or named there must come through unchanged. openpyxl reads those few
sheets (they are small); this module writes them again cell by cell, with each
cell's own font, fill, border, alignment, number format, protection and quote
prefix, and the sheet's column widths, row heights, merged cells, tables, data
validations, conditional formats (cell-value and formula rules), comments, links,
freeze panes, print setup and visibility; ``copy_names`` carries the workbook's
defined names over.
"""

from __future__ import annotations

import colorsys
import datetime as dt
from typing import Any

from lxml import etree
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles.colors import COLOR_INDEX, Color
from openpyxl.utils.cell import range_boundaries
from openpyxl.workbook.workbook import Workbook as OpenWorkbook
from openpyxl.worksheet.worksheet import Worksheet as OpenWorksheet
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from nc_excel.excel.write import add_format, print_setup

DEFAULT_WIDTH = 8.43
"""Excel's width of a column that sets none."""

BORDER_STYLES = {
    "thin": 1, "medium": 2, "dashed": 3, "dotted": 4, "thick": 5, "double": 6, "hair": 7, "mediumDashed": 8,
    "dashDot": 9, "mediumDashDot": 10, "dashDotDot": 11, "mediumDashDotDot": 12, "slantDashDot": 13,
}
PATTERNS = {
    "solid": 1, "mediumGray": 2, "darkGray": 3, "lightGray": 4, "darkHorizontal": 5, "darkVertical": 6, "darkDown": 7, "darkUp": 8,
    "darkGrid": 9, "darkTrellis": 10, "lightHorizontal": 11, "lightVertical": 12, "lightDown": 13, "lightUp": 14, "lightGrid": 15,
    "lightTrellis": 16, "gray125": 17, "gray0625": 18,
}
UNDERLINES = {"single": 1, "double": 2, "singleAccounting": 33, "doubleAccounting": 34}
ALIGN = {"general": None, "centerContinuous": "center_across"}
VALIGN = {"center": "vcenter", "justify": "vjustify", "distributed": "vdistributed"}
CRITERIA = {
    "between": "between", "notBetween": "not between", "equal": "equal to", "notEqual": "not equal to", "greaterThan": "greater than",
    "lessThan": "less than", "greaterThanOrEqual": "greater than or equal to", "lessThanOrEqual": "less than or equal to",
}
VALIDATIONS = {None: "any", "whole": "integer", "decimal": "decimal", "list": "list", "date": "date", "time": "time",
               "textLength": "length", "custom": "custom"}
_DRAWING = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
THEME_ORDER = ("lt1", "dk1", "lt2", "dk2", "accent1", "accent2", "accent3", "accent4", "accent5", "accent6", "hlink", "folHlink")
"""Theme colour indexes as cells use them (Excel swaps the first two pairs of the theme's list)."""


def theme_colours(theme_xml: bytes | None) -> list[str]:
    """The workbook theme's colours as ``#RRGGBB``, in the order cells index them."""
    if not theme_xml:
        return []
    scheme = etree.fromstring(theme_xml).find(f".//{_DRAWING}clrScheme")
    if scheme is None:
        return []
    found = {}
    for name in THEME_ORDER:
        node = scheme.find(f"{_DRAWING}{name}")
        value = None if node is None else next(iter(node), None)
        if value is not None:
            found[name] = value.get("lastClr") or value.get("val")
    return [f"#{found[n]}" for n in THEME_ORDER if n in found]


def _tinted(rgb: str, tint: float) -> str:
    """``rgb`` lightened (tint > 0) or darkened (< 0) as Excel does with theme colours."""
    r, g, b = (int(rgb[i:i + 2], 16) / 255 for i in (1, 3, 5))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    lum = lum * (1 + tint) if tint < 0 else lum * (1 - tint) + tint
    return "#" + "".join(f"{round(v * 255):02X}" for v in colorsys.hls_to_rgb(h, min(max(lum, 0.0), 1.0), s))


class SheetCopier:
    """Copies openpyxl worksheets of one workbook into one XlsxWriter workbook, sharing formats."""

    def __init__(self, source: OpenWorkbook, target: Workbook) -> None:
        self.source, self.target = source, target
        self.theme = theme_colours(getattr(source, "loaded_theme", None))
        self._formats: dict[Any, Format] = {}

    # ---------------------------------------------------------- formats

    def colour(self, color: Color | None) -> str | None:
        if color is None:
            return None
        if color.type == "rgb" and isinstance(color.rgb, str):
            return None if color.rgb in ("00000000",) else f"#{color.rgb[-6:]}"
        if color.type == "indexed" and isinstance(color.indexed, int):
            if color.indexed < len(COLOR_INDEX) and color.indexed < 64:
                return f"#{COLOR_INDEX[color.indexed][-6:]}"
            return None  # system foreground/background: the application's default
        if color.type == "theme" and isinstance(color.theme, int) and color.theme < len(self.theme):
            base = self.theme[color.theme]
            return _tinted(base, color.tint) if color.tint else base
        return None

    def cell_format(self, cell: Cell) -> Format | None:
        """The XlsxWriter format of ``cell``'s style, made once per distinct style."""
        if not cell.has_style:
            return None
        key = cell._style  # a StyleArray: indexes into the workbook's style lists, so equal styles share it
        key = tuple(key)
        if key not in self._formats:
            self._formats[key] = add_format(self.target, self.props(cell))
        return self._formats[key]

    def props(self, cell: Cell) -> dict[str, Any]:
        p: dict[str, Any] = {}
        font = cell.font
        p["font_name"] = font.name or "Calibri"
        if font.sz:
            p["font_size"] = float(font.sz)
        for attr, key in (("b", "bold"), ("i", "italic"), ("strike", "font_strikeout"), ("outline", "font_outline"), ("shadow", "font_shadow")):
            if getattr(font, attr):
                p[key] = True
        if font.u:
            p["underline"] = UNDERLINES.get(font.u, 1)
        if font.vertAlign in ("superscript", "subscript"):
            p["font_script"] = 1 if font.vertAlign == "superscript" else 2
        if (c := self.colour(font.color)) is not None:
            p["font_color"] = c
        fill = cell.fill
        pattern = getattr(fill, "patternType", None)
        if pattern in PATTERNS:
            p["pattern"] = PATTERNS[pattern]
            fg, bg = self.colour(fill.fgColor), self.colour(fill.bgColor)
            if pattern == "solid":
                if fg:
                    p["bg_color"] = fg
            else:
                if fg:
                    p["fg_color"] = fg
                if bg:
                    p["bg_color"] = bg
        border = cell.border
        for side in ("left", "right", "top", "bottom"):
            edge = getattr(border, side)
            if edge is not None and edge.style in BORDER_STYLES:
                p[side] = BORDER_STYLES[edge.style]
                if (c := self.colour(edge.color)) is not None:
                    p[f"{side}_color"] = c
        if border.diagonal is not None and border.diagonal.style in BORDER_STYLES and (border.diagonalUp or border.diagonalDown):
            p["diag_type"] = 3 if border.diagonalUp and border.diagonalDown else 1 if border.diagonalUp else 2
            p["diag_border"] = BORDER_STYLES[border.diagonal.style]
            if (c := self.colour(border.diagonal.color)) is not None:
                p["diag_color"] = c
        a = cell.alignment
        if a.horizontal and ALIGN.get(a.horizontal, a.horizontal):
            p["align"] = ALIGN.get(a.horizontal, a.horizontal)
        if a.vertical:
            p["valign"] = VALIGN.get(a.vertical, a.vertical)
        if a.wrap_text:
            p["text_wrap"] = True
        if a.shrink_to_fit:
            p["shrink"] = True
        if a.indent:
            p["indent"] = int(a.indent)
        if a.text_rotation:
            p["rotation"] = int(a.text_rotation) if a.text_rotation <= 90 else 90 - int(a.text_rotation) if a.text_rotation != 255 else 270
        if cell.number_format and cell.number_format != "General":
            p["num_format"] = cell.number_format
        if cell.protection.locked is False:
            p["locked"] = False
        if cell.protection.hidden:
            p["hidden"] = True
        if cell.quotePrefix:
            p["quote_prefix"] = True
        return p

    # ---------------------------------------------------------- sheets

    def copy(self, ws: OpenWorksheet, *, header: str | None = None) -> Worksheet:
        """Write ``ws`` as a new sheet of the target workbook, after the sheets already there.

        A sheet without a page setup of its own gets the house one (``print_setup``), ``header`` at its top.
        """
        out = self.target.add_worksheet(ws.title)
        self._tables(ws, out)  # before the cells: a table writes its own header cells, which the copies then replace
        for (row, col), cell in ws._cells.items():
            if not isinstance(cell, MergedCell):
                self._cell(out, cell, row - 1, col - 1)
        for rng in ws.merged_cells.ranges:
            first = ws.cell(rng.min_row, rng.min_col)
            out.merge_range(rng.min_row - 1, rng.min_col - 1, rng.max_row - 1, rng.max_col - 1, None, self.cell_format(first))
            self._cell(out, first, rng.min_row - 1, rng.min_col - 1)
        self._dimensions(ws, out)
        self._validations(ws, out)
        self._conditional_formats(ws, out)
        self._sheet_settings(ws, out)
        if ws.page_setup.paperSize is None and not str(ws.oddHeader):
            print_setup(out, header=header or ws.title, widths=self._widths(ws))
        return out

    def _widths(self, ws: OpenWorksheet) -> list[float]:
        """The width of each column up to the last one used (Excel's default where none is set)."""
        widths = [DEFAULT_WIDTH] * ws.max_column
        for dim in ws.column_dimensions.values():
            if dim.min is not None and not dim.hidden and (width := _characters(dim.width) if dim.customWidth or dim.width else None):
                for c in range(dim.min - 1, min(dim.max, ws.max_column)):
                    widths[c] = width
        return widths

    def _cell(self, out: Worksheet, cell: Cell, row: int, col: int) -> None:
        fmt = self.cell_format(cell)
        value = cell.value
        if value is None:
            if fmt is not None:
                out.write_blank(row, col, None, fmt)
        elif cell.data_type == "f" or not isinstance(value, (str, int, float, bool, dt.date, dt.time, dt.timedelta)):
            text = getattr(value, "text", value)  # an array formula keeps its text
            out.write_formula(row, col, str(text), fmt, "")  # no result stored: the application calculates it on opening
        elif cell.data_type == "e":
            out.write_formula(row, col, f"={value}", fmt, value)
        elif isinstance(value, bool):
            out.write_boolean(row, col, value, fmt)
        elif isinstance(value, str):
            out.write_string(row, col, value, fmt)
        elif isinstance(value, (int, float)):
            out.write_number(row, col, value, fmt)
        else:
            out.write_datetime(row, col, value, fmt)
        if cell.hyperlink is not None:
            link = cell.hyperlink
            url = link.target or (f"internal:{link.location}" if link.location else None)
            if url:
                out.write_url(row, col, url, fmt, string=str(value) if value is not None else url, tip=link.tooltip)
        if cell.comment is not None:
            out.write_comment(row, col, cell.comment.text, {"author": cell.comment.author or ""})

    def _dimensions(self, ws: OpenWorksheet, out: Worksheet) -> None:
        for dim in ws.column_dimensions.values():
            if dim.min is None:
                continue
            width = _characters(dim.width) if dim.customWidth or dim.width else None
            fmt = self._formats.get(tuple(dim._style)) if dim.has_style else None
            options = {"hidden": bool(dim.hidden), "level": dim.outlineLevel or 0}
            if width is not None or fmt is not None or dim.hidden or dim.outlineLevel:
                out.set_column(dim.min - 1, dim.max - 1, width, fmt, options)
        for r, dim in ws.row_dimensions.items():
            if dim.ht is not None or dim.hidden or dim.outlineLevel:
                out.set_row(r - 1, dim.ht, None, {"hidden": bool(dim.hidden), "level": dim.outlineLevel or 0})

    def _tables(self, ws: OpenWorksheet, out: Worksheet) -> None:
        for table in ws.tables.values():
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
            info = table.tableStyleInfo
            options: dict[str, Any] = {
                "name": table.displayName,
                "header_row": bool(table.headerRowCount if table.headerRowCount is not None else 1),
                "autofilter": table.autoFilter is not None,
                "style": info.name if info is not None and info.name else None,
                "columns": [{"header": c.name} for c in table.tableColumns],
            }
            if info is not None:
                options.update(banded_rows=bool(info.showRowStripes), banded_columns=bool(info.showColumnStripes),
                               first_column=bool(info.showFirstColumn), last_column=bool(info.showLastColumn))
            if table.totalsRowCount:
                options["total_row"] = True
            out.add_table(min_row - 1, min_col - 1, max_row - 1, max_col - 1, options)

    def _validations(self, ws: OpenWorksheet, out: Worksheet) -> None:
        for dv in ws.data_validations.dataValidation:
            ranges = [range_boundaries(str(r)) for r in dv.sqref.ranges]
            if not ranges:
                continue
            options: dict[str, Any] = {"validate": VALIDATIONS.get(dv.type, "any"), "ignore_blank": bool(dv.allow_blank),
                                       "dropdown": not dv.showDropDown, "show_input": bool(dv.showInputMessage),
                                       "show_error": bool(dv.showErrorMessage), "error_type": dv.errorStyle or "stop"}
            if options["validate"] in ("list", "custom"):
                options["value"] = dv.formula1 or ""
            elif options["validate"] != "any":
                options["criteria"] = CRITERIA.get(dv.operator or "between", "between")
                options["value"] = dv.formula1
                if options["criteria"] in ("between", "not between"):
                    options["maximum"] = dv.formula2
            for key, attr in (("input_title", "promptTitle"), ("input_message", "prompt"), ("error_title", "errorTitle"), ("error_message", "error")):
                if getattr(dv, attr):
                    options[key] = getattr(dv, attr)
            min_col, min_row, max_col, max_row = ranges[0]
            if len(ranges) > 1:
                options["multi_range"] = " ".join(str(r) for r in dv.sqref.ranges)
            out.data_validation(min_row - 1, min_col - 1, max_row - 1, max_col - 1, options)

    def _conditional_formats(self, ws: OpenWorksheet, out: Worksheet) -> None:
        for rng in ws.conditional_formatting:
            bounds = [range_boundaries(str(r)) for r in rng.sqref.ranges]
            for rule in rng.rules:
                options: dict[str, Any]
                if rule.type == "cellIs" and rule.operator in CRITERIA:
                    options = {"type": "cell", "criteria": CRITERIA[rule.operator], "value": rule.formula[0]}
                    if len(rule.formula) > 1:
                        options.update(minimum=rule.formula[0], maximum=rule.formula[1])
                        options.pop("value")
                elif rule.type == "expression" and rule.formula:
                    options = {"type": "formula", "criteria": f"={rule.formula[0]}"}
                else:
                    continue  # colour scales, data bars and icon sets are not carried over
                options["format"] = self.target.add_format(self._dxf(rule.dxf))
                options["stop_if_true"] = bool(rule.stopIfTrue)
                if len(bounds) > 1:
                    options["multi_range"] = " ".join(str(r) for r in rng.sqref.ranges)
                min_col, min_row, max_col, max_row = bounds[0]
                out.conditional_format(min_row - 1, min_col - 1, max_row - 1, max_col - 1, options)

    def _dxf(self, dxf: Any) -> dict[str, Any]:
        """A conditional format's differential style: only what it sets."""
        p: dict[str, Any] = {}
        if dxf is None:
            return p
        if dxf.font is not None:
            if dxf.font.b:
                p["bold"] = True
            if dxf.font.i:
                p["italic"] = True
            if (c := self.colour(dxf.font.color)) is not None:
                p["font_color"] = c
        if dxf.fill is not None:
            colour = self.colour(dxf.fill.bgColor) or self.colour(dxf.fill.fgColor)
            if colour:
                p["bg_color"] = colour
        if dxf.numFmt is not None:
            p["num_format"] = dxf.numFmt.formatCode
        return p

    def _sheet_settings(self, ws: OpenWorksheet, out: Worksheet) -> None:
        if ws.freeze_panes:
            min_col, min_row, _, _ = range_boundaries(ws.freeze_panes)
            out.freeze_panes(min_row - 1, min_col - 1)
        if ws.auto_filter.ref:
            out.autofilter(ws.auto_filter.ref)
        setup = ws.page_setup
        if setup.paperSize:
            out.set_paper(int(setup.paperSize))
        if setup.orientation == "landscape":
            out.set_landscape()
        elif setup.orientation == "portrait":
            out.set_portrait()
        if ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage:
            out.fit_to_pages(int(setup.fitToWidth if setup.fitToWidth is not None else 1), int(setup.fitToHeight if setup.fitToHeight is not None else 1))
        m = ws.page_margins
        out.set_margins(left=m.left, right=m.right, top=m.top, bottom=m.bottom)
        header, footer = str(ws.oddHeader), str(ws.oddFooter)
        if header:
            out.set_header(header, {"margin": m.header})
        if footer:
            out.set_footer(footer, {"margin": m.footer})
        if ws.print_title_rows:
            first, _, last = ws.print_title_rows.partition(":")
            out.repeat_rows(int(first.lstrip("$")) - 1, int((last or first).lstrip("$")) - 1)
        if ws.print_title_cols:
            first, _, last = ws.print_title_cols.partition(":")
            out.repeat_columns(f"{first.lstrip('$')}:{(last or first).lstrip('$')}")
        if ws.print_area:
            area = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
            out.print_area(area.split("!")[-1].replace("$", ""))
        if ws.sheet_state == "hidden":
            out.hide()
        elif ws.sheet_state == "veryHidden":
            out.very_hidden()
        if (c := self.colour(ws.sheet_properties.tabColor)) is not None:
            out.set_tab_color(c)
        view = ws.sheet_view
        if view.zoomScale and view.zoomScale != 100:
            out.set_zoom(int(view.zoomScale))
        if view.showGridLines is False:
            out.hide_gridlines(2)
        if ws.protection.sheet:
            out.protect("", {key: not getattr(ws.protection, attr) for key, attr in (
                ("format_cells", "formatCells"), ("format_columns", "formatColumns"), ("format_rows", "formatRows"),
                ("insert_rows", "insertRows"), ("delete_rows", "deleteRows"), ("sort", "sort"), ("autofilter", "autoFilter"),
                ("select_locked_cells", "selectLockedCells"), ("select_unlocked_cells", "selectUnlockedCells"))})


def _characters(stored: float | None) -> float | None:
    """A column width as XlsxWriter takes it, from the width a file stores (which adds a cell's padding)."""
    if stored is None:
        return None
    return max((stored * 7 - 5) / 7, 0.0) if stored * 7 >= 12 else stored * 7 / 12


def copy_names(source: OpenWorkbook, target: Workbook) -> None:
    """The workbook's own defined names (print titles and areas come with their sheets)."""
    for name, defined in source.defined_names.items():
        if not name.startswith("_xlnm.") and defined.attr_text:
            target.define_name(name, f"={defined.attr_text}")
    for ws in source.worksheets:
        for name, defined in ws.defined_names.items():
            if not name.startswith("_xlnm.") and defined.attr_text:
                target.define_name(f"'{ws.title}'!{name}", f"={defined.attr_text}")
