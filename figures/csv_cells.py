"""One CSV cell as every CSV the project writes it (API exports and published datasets).

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some a tab or a
carriage return) as a formula, so a feedback title like ``=HYPERLINK(...)`` from a source
system would act in a journalist's spreadsheet. Such text cells get a leading ``'`` (OWASP's
advice), which spreadsheets show as text. Numbers stay numbers: ``-3.5`` as a float is data,
not a formula, and is written unchanged.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` ready for ``csv.writer``: empty for None, true/false for booleans, text made inert."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
