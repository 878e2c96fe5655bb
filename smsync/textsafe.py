"""Text from the gateway or the spec, made safe to print for people.

A contact name is data, but a terminal executes some characters: ``\\r`` returns to the start
of the line, ESC starts a control sequence (erase the line, set the title, recolour), a C1 CSI
does the same in one byte, U+2028/U+2029 break lines in some viewers and bidi overrides
(U+202A-U+202E, U+2066-U+2069) reorder what is shown. A name like
``"x\\r\\x1b[2K~ change ..."`` could then hide its own ``- delete`` line behind a fake one.

Every line of human output goes through ``escape_controls``: those characters become visible
escapes (``\\r``, ``\\x1b``, ``\\u202e``), everything else (accents, emoji, scripts) is kept.
JSON output needs nothing: JSON escapes what it must and is read by programs.
"""

from __future__ import annotations

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

_CONTROL_CODE_POINTS = [
    *range(0x00, 0x20),  # C0, tab and newline included: a value is never a line break
    0x7F,  # DEL
    *range(0x80, 0xA0),  # C1 (0x9B is a one-byte CSI on many terminals)
    0x2028,
    0x2029,  # line and paragraph separators
    *range(0x202A, 0x202F),  # bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO)
    *range(0x2066, 0x206A),  # bidi isolates (LRI, RLI, FSI, PDI)
    0x200E,
    0x200F,
    0x061C,  # bidi marks (LRM, RLM, ALM)
]


def _escape(cp: int) -> str:
    ch = chr(cp)
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}"


_TABLE = {cp: _escape(cp) for cp in _CONTROL_CODE_POINTS}
_TABLE_KEEPING_NEWLINES = {cp: e for cp, e in _TABLE.items() if cp != ord("\n")}


def escape_controls(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every character a terminal or viewer would act on shown as an escape.

    ``keep_newlines`` is for text whose lines are ours (a list of problems); a single line of
    output escapes them too, so a value can never fake a line of its own.
    """
    return text.translate(_TABLE_KEEPING_NEWLINES if keep_newlines else _TABLE)
