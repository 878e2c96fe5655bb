"""Values the gateway stores and prints back inside list records, and what they may not hold.

List answers are records joined by Chr(129) with fields joined by Chr(128): U+0081 and U+0080,
or U+20AC for Chr(128) on a server whose code page is cp1252. A gateway may print stored values
raw, so a stored value holding a separator splits its record when listed; after a U+0081 it
can even forge a whole phonebook row, with any id and any group, that a later plan would then
edit or delete outside the groups it manages. Other control characters (C0 with tab and
newline, DEL, C1) have no place in a phonebook either and are what a broken server mangles.

So the client refuses such values before any request is made (:class:`UnsafeValue`). Reads
are not checked: a search for odd text can do no harm.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from smsync.gateway.errors import UnsafeValue
from smsync.gateway.wire import FIELD_SEP, FIELD_SEP_CP1252, RECORD_SEP

# Per write method, the parameters whose values end up in list records. A group send's group
# is not stored, but it names a group, and no group with such a name can be made here.
STORED_PARAMS: dict[str, tuple[str, ...]] = {
    "phbkAdd": ("name", "mobile", "group", "address", "birth", "desc"),
    "phbkEdit": ("name", "mobile", "group", "address", "birth", "desc"),
    "groupAdd": ("group",),
    "groupEdit": ("group",),
    "SendSMSGroup": ("group",),
}

_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{FIELD_SEP_CP1252}]")
_WHY = {
    FIELD_SEP: "the field separator of list answers",
    RECORD_SEP: "the record separator of list answers",
    FIELD_SEP_CP1252: "the field separator of a cp1252 gateway",
}


def refuse_unsafe(method: str, params: Mapping[str, str]) -> None:
    """Raise UnsafeValue for the first stored parameter of ``method`` holding an unsafe
    character; return when there is none (or ``method`` stores nothing)."""
    for name in STORED_PARAMS.get(method, ()):
        found = _UNSAFE.search(params.get(name, ""))
        if found is not None:
            char = found.group()
            why = _WHY.get(char, "a control character")
            raise UnsafeValue(
                method, name, f"contains U+{ord(char):04X} ({why}) at character {found.start() + 1}"
            )
