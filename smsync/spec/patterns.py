"""JSON Schema ``pattern``s read as JSON Schema means them (ECMA-262), with Python's ``re``.

The two dialects agree on everything the schemas use but one: ``$``. In ECMA-262 (without the
``m`` flag) it matches only at the end of the text; in Python it also matches just before a
final line break. ``^[^\\u0000-\\u001f]*$`` then let ``"Budi\\n"`` through in Python: a name
the client refuses to send, so every apply failed and every plan proposed it again. Each
unescaped ``$`` outside a character class is therefore read as ``\\Z`` (the very end)."""

from __future__ import annotations

import re
from functools import cache

__all__ = ["compile_pattern", "ecma_to_python"]


def ecma_to_python(pattern: str) -> str:
    """``pattern`` with each end-of-text ``$`` written as Python's ``\\Z``."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])  # an escape: the next character is literal
            i += 2
            continue
        if in_class:
            # "[]" and "[^]" do not close at once in Python: a "]" first is literal
            if ch == "]" and not (out[-1] == "[" or (out[-1:] == ["^"] and out[-2:-1] == ["["])):
                in_class = False
        elif ch == "[":
            in_class = True
        elif ch == "$":
            ch = r"\Z"
        out.append(ch)
        i += 1
    return "".join(out)


@cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The compiled Python form of the JSON Schema ``pattern`` (use ``.search``, as JSON Schema
    patterns are not anchored unless they say so)."""
    return re.compile(ecma_to_python(pattern))
