"""Rows written into an Excel sheet as data, never as instructions (#26).

Every Excel export (the station's lists, the national-platform file, the district's pages) writes its rows
through ``append_row``:
- a text starting with = + - @ (or a tab or carriage return) is written as text, with Excel's quote prefix,
  not as a formula (OWASP's CSV-injection rule: a team named "=HYPERLINK(…)" became a live formula in the
  district's overview.xlsx);
- characters a sheet cannot hold (control characters such as the \\x0b of Word's Shift+Enter, stored by
  older releases) become spaces instead of failing the whole export with openpyxl's IllegalCharacterError.
"""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def sheet_value(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub(" ", value)
    return value


def append_row(ws, values) -> None:
    ws.append([sheet_value(v) for v in values])
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"  # openpyxl took it for a formula
            cell.quotePrefix = True  # and Excel/WPS keep it text when the cell is edited
