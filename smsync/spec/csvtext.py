"""Contacts CSVs as people have them: saved by Excel, whose plain "CSV" is the system's ANSI
code page (cp1252 on Western and Indonesian Windows) and whose separator follows the locale's
list separator (``;`` where the decimal mark is a comma, as in Indonesia).

- Text: UTF-8 (a BOM allowed) first; a file that is not UTF-8 is read as cp1252, the only other
  encoding Excel writes there. A file that is neither is refused naming its first bad line
  (a contacts CSV is no secret: the position may be shown).
- Separator: from the header line alone, which has no quoted commas in practice: ``;`` or a
  tab when the header has more of those than commas; else ``,``.
"""

from __future__ import annotations

from pathlib import Path

from smsync.spec.localfile import LocalFileError, read_text_file

#: Separators a header may use, the first one the default.
SEPARATORS = (",", ";", "\t")


def read_csv_text(path: Path, *, max_bytes: int) -> str:
    """The text of the CSV at ``path`` (UTF-8, else cp1252). Raises LocalFileError."""
    try:
        return read_text_file(path, max_bytes=max_bytes)
    except LocalFileError as e:
        if "UTF-8" not in e.reason:
            raise
    # latin-1 maps every byte to one character: the bytes back, already size-checked
    raw = read_text_file(path, max_bytes=max_bytes, encoding="latin-1").encode("latin-1")
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LocalFileError(
            path,
            f"is neither UTF-8 nor Windows-1252 text (line {line}, byte 0x{raw[exc.start]:02x}); "
            "save it as 'CSV UTF-8'",
        ) from None


def separator(text: str) -> str:
    """The separator the header line (the first line) uses."""
    header = text.split("\n", 1)[0]
    counts = {s: header.count(s) for s in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] > counts[","] else ","
