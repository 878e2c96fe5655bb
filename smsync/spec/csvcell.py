"""The one rule for CSV cells that could run as spreadsheet formulas (CSV injection).

Contacts CSVs are opened in spreadsheets, and a cell starting with ``=``, ``+``, ``-``, ``@``,
TAB or CR may be run as a formula there (``=HYPERLINK(…)`` in a remote contact's name would be
a live link in the user's spreadsheet). So, for every cell smsync writes and reads:

- **escape** (writing): a value starting with one of ``FORMULA_STARTS`` *or with* ``'`` gets
  one more ``'`` in front; every other value is written as it is;
- **unescape** (reading): a cell starting with ``'`` loses exactly that first ``'``; every other
  cell is read as it is.

Escaping the apostrophe itself is what makes this a bijection: ``'kutip`` is written
``''kutip`` and read back as ``'kutip``, so no value is ever confused with an escaped one, and
unescape(escape(v)) == v for every text. ``'`` is also what spreadsheets take as "this is text",
so an escaped cell shows the value rather than running it. Mobile numbers written as digits
(08…, 628…) never start with any of these characters and are never changed.

A hand-written CSV therefore needs ``''`` for a value that really starts with ``'``.
"""

from __future__ import annotations

#: Leading characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
_ESCAPED_STARTS = (*FORMULA_STARTS, ESCAPE)


def escape_cell(value: str) -> str:
    """The cell to write for ``value`` (see the module's rule)."""
    return ESCAPE + value if value.startswith(_ESCAPED_STARTS) else value


def unescape_cell(cell: str) -> str:
    """The value a written cell stands for (see the module's rule)."""
    return cell[1:] if cell.startswith(ESCAPE) else cell
