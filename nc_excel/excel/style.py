"""The house style: one palette, one font, one set of number formats for every workbook.

The XlsxWriter formats (``write.Styles``) of every workbook, the master and the
board included, take their colours from here, so a colour is changed in one place. The palette prints legibly in greyscale: dark
header, pale input, paler locked cells.
"""

from __future__ import annotations

NAVY = "#1F3864"
INPUT_FILL = "#FFF2CC"
LOCKED_FILL = "#F2F2F2"
FORMULA_FILL = "#E2EFDA"
BORDER = "#BFBFBF"
FLAG_FILL = "#FFC7CE"
FLAG_BORDER = "#C00000"
NOTED_FILL = "#DDEBF7"  # a cell we read in a way the partner should know of: nothing to correct
NOTED_BORDER = "#2F75B5"
NOTE_GREY = "#595959"
FONT = "Calibri"

NUMBER_FORMATS = {
    "int": "#,##0",
    "decimal": "General",
    "money": "#,##0.00",
    "date": "yyyy-mm-dd",
    "share": "0.0%",  # a fraction (0.25): every percentage nc-excel writes is one
    "text": "@",
}
