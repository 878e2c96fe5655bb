"""The variables a broadcast template may use, checked before anything is planned.

A template is rendered with StrictUndefined, so a variable that is neither a contact field nor
in the broadcast's ``vars`` fails every render: that is certain from the spec alone, so
`smsync validate` says so, at the line of the template where the variable is written (not the
``name:`` line). A group call (``via: group-call``) renders one text for the whole group, with
``vars`` only; a group audience sent per member (the default) has the contact fields too.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from pathlib import Path

import jinja2
from jinja2 import nodes

from smsync.spec.model import Location
from smsync.spec.yamldoc import YamlDoc, mark_location

#: The contact fields a per-contact template can use (beside the broadcast's vars).
CONTACT_FIELDS = ("name", "mobile", "address", "birth", "desc", "group")

_ENV = jinja2.Environment()


def undefined_variables(template: str, known: Collection[str]) -> list[str]:
    """The variables ``template`` reads that are neither in ``known``, nor Jinja's globals,
    nor set anywhere in the template itself (loop targets, ``set``, macro arguments), in the
    order they first appear.

    Only the parse tree is walked, never compiled: compiling folds constants, which a hostile
    template can make arbitrarily expensive (the renderer meters that; this check has no
    meter). A name set anywhere counts as defined everywhere: never a false alarm.
    """
    try:
        ast = _ENV.parse(template)
    except jinja2.TemplateSyntaxError:
        return []  # reported on its own
    defined = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    defined.update(n.name for n in ast.find_all(nodes.Macro))
    ignored = defined | set(known) | set(_ENV.globals) | {"loop", "caller", "varargs", "kwargs"}
    missing: list[str] = []
    for n in ast.find_all(nodes.Name):
        if n.ctx == "load" and n.name not in ignored and n.name not in missing:
            missing.append(n.name)
    return missing


def fields_without_default(template: str) -> list[str]:
    """The contact fields ``template`` prints without a ``default`` filter: those an empty
    value would leave blank in the message."""
    try:
        ast = _ENV.parse(template)
    except jinja2.TemplateSyntaxError:
        return []
    defaulted = {
        id(f.node) for f in ast.find_all(nodes.Filter) if f.name in ("default", "d") and f.node
    }
    used: list[str] = []
    for n in ast.find_all(nodes.Name):
        fresh = n.name in CONTACT_FIELDS and n.name not in used
        if fresh and n.ctx == "load" and id(n) not in defaulted:
            used.append(n.name)
    return used


def template_problems(
    doc: YamlDoc, template: str, vars_: Collection[str], *, group_send: bool
) -> Iterator[tuple[Location, str]]:
    """(where, message) for each variable the template of ``doc`` uses that no render has."""
    known = set(vars_) if group_send else {*vars_, *CONTACT_FIELDS}
    for var in undefined_variables(template, known):
        if group_send and var in CONTACT_FIELDS:
            message = (
                f"'{var}' is a contact field, but a group call (via: group-call) renders one "
                "text for the whole group (vars only); leave out via to send per member"
            )
        else:
            message = (
                f"'{var}' is neither a contact field ({', '.join(CONTACT_FIELDS)}) nor in this "
                "broadcast's vars"
            )
        yield _locate(doc, var), message


def _locate(doc: YamlDoc, var: str) -> Location:
    """Where ``var`` is written inside the template's scalar. A folded (``>``) template loses
    its line breaks, so Jinja's line numbers cannot be mapped back: the file is searched."""
    node, found = doc.node_at(("template",))
    start = mark_location(doc.file, node)
    if not found:
        return start
    try:
        lines = Path(doc.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return start
    word = re.compile(rf"(?<![\w.]){re.escape(var)}(?!\w)")
    first, last = node.start_mark.line, min(node.end_mark.line, len(lines) - 1)
    for i in range(first, last + 1):
        column = node.start_mark.column if i == first else 0
        m = word.search(lines[i], column)
        if m:
            return Location(doc.file, i + 1, m.start() + 1)
    return start
