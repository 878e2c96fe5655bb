"""A contacts CSV checked column by column, when every row of it is plainly fine.

Most large contacts files are exports: no quotes, one row a line, every cell valid. Such a file
is split into columns with a few passes over its text, and each column is checked in one call
(:meth:`StringRules.all_pass`, :func:`normalize_plain_mobiles`), with no Python code run per
row: the row-by-row reading was most of the time of checking 100k contacts.

It decides nothing the row-by-row reading (``smsync.spec.loader``) would decide otherwise. A
file it is not sure of, whatever the reason (a quote, a blank line, a cell that breaks a rule,
a number it does not read, a duplicate, a birth date), is left to that reading, which reports
each problem in its words: :func:`plain_contacts` answers None, never a problem.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import repeat

from smsync.numbers import normalize_plain_mobiles
from smsync.spec.csvcell import ESCAPE, unescape_cell
from smsync.spec.model import ContactSpec, contact_specs
from smsync.spec.schema import StringRules

#: Columns whose cells must all be blank here (a value needs the row-by-row reading).
_BLANK_ONLY = ("birth", "protect")


@dataclass(frozen=True)
class PlainContacts:
    """The contacts of a plainly fine file, column by column: row ``i`` is at line ``i + 2``
    (no blank line, no quoted line break). A text column is None when the file has none; a
    blank cell in it is None (not managed)."""

    names: list[str]
    mobiles: list[str]  # E.164, no two alike
    addresses: list[str | None] | None
    descs: list[str | None] | None

    def __len__(self) -> int:
        return len(self.mobiles)

    def specs(self, shown: str) -> list[ContactSpec]:
        """The rows as ContactSpecs, as the row-by-row reading makes them (``shown``: the
        file's name in messages)."""
        blank = [None] * len(self.mobiles)
        return contact_specs(
            shown, 2, self.names, self.mobiles, self.addresses or blank, self.descs or blank
        )


def plain_contacts(
    text: str, sep: str, cols: list[str], rules: Mapping[str, StringRules], region: str
) -> PlainContacts | None:
    """The contacts of the CSV ``text`` (separator ``sep``, header ``cols``: known, unique,
    with name and mobile) when every row is plainly fine; else None (see the module).

    ``rules``: the StringRules of each text column (name, address, desc)."""
    if '"' in text:
        return None  # quoted cells can hold separators and line breaks: rows are not lines
    # rows are lines as csv splits them: at \n, \r\n or \r; nothing follows the last break
    flat = text.replace("\r\n", "\n").replace("\r", "\n")
    if flat.endswith("\n"):
        flat = flat[:-1]
    end = flat.find("\n")
    body = flat[end + 1 :] if end >= 0 else ""
    width = len(cols)
    lines = body.split("\n") if body else []
    if lines and set(map(str.count, lines, repeat(sep))) != {width - 1}:
        return None  # a blank line, or a row with too few or too many cells
    if len(body) > csv.field_size_limit() and max(map(len, lines)) > csv.field_size_limit():
        return None  # a cell csv may refuse (it is no longer than its line): let it say so
    cells = body.replace("\n", sep).split(sep) if lines else []
    escaped = ESCAPE in body
    column = {name: cells[i::width] for i, name in enumerate(cols)}

    def unescaped(values: list[str]) -> list[str]:
        return list(map(unescape_cell, values)) if escaped else values

    if any(any(map(str.strip, column[c])) for c in _BLANK_ONLY if c in column):
        return None
    names = unescaped(column["name"])
    if not all(map(str.strip, names)) or not rules["name"].all_pass(names):
        return None
    raw_mobiles = column["mobile"]
    if escaped:
        raw_mobiles = [unescape_cell(m.strip()) for m in raw_mobiles]
    mobiles = normalize_plain_mobiles(raw_mobiles, region)
    if mobiles is None or len(set(mobiles)) != len(mobiles):
        return None
    texts: dict[str, list[str | None] | None] = {}
    for c in ("address", "desc"):
        if c not in column:
            texts[c] = None
            continue
        values = [v if v.strip() else None for v in unescaped(column[c])]
        if not rules[c].all_pass([v for v in values if v is not None]):
            return None
        texts[c] = values
    return PlainContacts(names, mobiles, texts["address"], texts["desc"])
