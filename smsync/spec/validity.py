"""Whether a document satisfies one of smsync's JSON Schemas: yes or no, without jsonschema.

A spec is valid nearly every time it is read, and then jsonschema has nothing to say, yet
importing it was a fifth of the time of `smsync validate` of 100k contacts. This answers the
yes-or-no question for the keywords the schemas use, as jsonschema's Draft 2020-12 validator
answers it (formats are annotations there, as here); only a document it finds invalid is
given to jsonschema (smsync.spec.schema), for the messages. The schemas stay the one statement
of the rules: a keyword this module does not know makes it answer None (ask jsonschema), and
tests/spec compares both answers on generated documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from smsync.spec.patterns import compile_pattern

__all__ = ["is_valid"]

#: Keywords that never make a document invalid (format: an annotation in Draft 2020-12
#: unless a format checker is asked for, and smsync asks for none).
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "default", "examples"}
    | {"format", "errorMessage", "then", "else"}  # then/else: read by "if"
)


class _Unknown(Exception):
    """The schema uses a keyword this module does not evaluate."""


def is_valid(schema: Mapping[str, Any], instance: Any) -> bool | None:
    """True or False as jsonschema's Draft 2020-12 validator says of ``instance`` against
    ``schema`` (a root schema: ``$ref`` is ``#/$defs/...``), or None when the schema uses a
    keyword not evaluated here."""
    try:
        return _valid(schema, schema, instance)
    except _Unknown:
        return None


def _valid(node: Any, root: Mapping[str, Any], x: Any) -> bool:
    if node is True or node is False:
        return bool(node)
    for key, value in node.items():
        check = _KEYWORDS.get(key)
        if check is None:
            if key in _ANNOTATIONS:
                continue
            raise _Unknown(key)
        if not check(value, node, root, x):
            return False
    return True


def _type(t: str, x: Any) -> bool:
    if t == "integer":
        return not isinstance(x, bool) and (
            isinstance(x, int) or (isinstance(x, float) and x.is_integer())
        )
    if t == "number":
        return not isinstance(x, bool) and isinstance(x, int | float)
    kind = _TYPES.get(t)
    if kind is None:
        raise _Unknown(f"type {t}")
    return x is None if kind is type(None) else isinstance(x, kind)


_TYPES: dict[str, type] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's equality for enum and const: ``true`` is not ``1``, also inside lists."""
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, Sequence) and isinstance(b, Sequence):
        return len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return len(a) == len(b) and all(k in b and _equal(v, b[k]) for k, v in a.items())
    if isinstance(a, bool) or isinstance(b, bool):
        return False  # a is b was checked
    return bool(a == b)


def _number(x: Any) -> bool:
    return not isinstance(x, bool) and isinstance(x, int | float)


def _ref(value: str, node: Any, root: Mapping[str, Any], x: Any) -> bool:
    if value == "#":
        return _valid(root, root, x)
    if not value.startswith("#/$defs/") or "/" in value[len("#/$defs/") :]:
        raise _Unknown(f"$ref {value}")
    return _valid(root["$defs"][value[len("#/$defs/") :]], root, x)


def _additional(value: Any, node: Any, root: Mapping[str, Any], x: Any) -> bool:
    if "patternProperties" in node:
        raise _Unknown("patternProperties")
    if not isinstance(x, dict):
        return True
    named = node.get("properties", {})
    return all(_valid(value, root, x[k]) for k in x if k not in named)


def _items(value: Any, node: Any, root: Mapping[str, Any], x: Any) -> bool:
    if "prefixItems" in node:
        raise _Unknown("prefixItems")
    return not isinstance(x, list) or all(_valid(value, root, item) for item in x)


def _if(value: Any, node: Any, root: Mapping[str, Any], x: Any) -> bool:
    branch = "then" if _valid(value, root, x) else "else"
    return branch not in node or _valid(node[branch], root, x)


_Check = Callable[[Any, Any, Mapping[str, Any], Any], bool]

_KEYWORDS: dict[str, _Check] = {
    "type": lambda v, n, r, x: any(_type(t, x) for t in ([v] if isinstance(v, str) else v)),
    "enum": lambda v, n, r, x: any(_equal(x, e) for e in v),
    "const": lambda v, n, r, x: _equal(x, v),
    "$ref": _ref,
    "allOf": lambda v, n, r, x: all(_valid(s, r, x) for s in v),
    "anyOf": lambda v, n, r, x: any(_valid(s, r, x) for s in v),
    "oneOf": lambda v, n, r, x: sum(1 for s in v if _valid(s, r, x)) == 1,
    "not": lambda v, n, r, x: not _valid(v, r, x),
    "if": _if,
    "required": lambda v, n, r, x: not isinstance(x, dict) or all(k in x for k in v),
    "properties": lambda v, n, r, x: (
        not isinstance(x, dict) or all(_valid(s, r, x[k]) for k, s in v.items() if k in x)
    ),
    "additionalProperties": _additional,
    "propertyNames": lambda v, n, r, x: not isinstance(x, dict) or all(_valid(v, r, k) for k in x),
    "minProperties": lambda v, n, r, x: not isinstance(x, dict) or len(x) >= v,
    "maxProperties": lambda v, n, r, x: not isinstance(x, dict) or len(x) <= v,
    "items": _items,
    "minItems": lambda v, n, r, x: not isinstance(x, list) or len(x) >= v,
    "maxItems": lambda v, n, r, x: not isinstance(x, list) or len(x) <= v,
    # as ECMA-262 reads it ("$": the very end), as the validator smsync.spec.schema makes
    "pattern": lambda v, n, r, x: not isinstance(x, str) or bool(compile_pattern(v).search(x)),
    "minLength": lambda v, n, r, x: not isinstance(x, str) or len(x) >= v,
    "maxLength": lambda v, n, r, x: not isinstance(x, str) or len(x) <= v,
    # written as jsonschema compares (a NaN passes them all)
    "minimum": lambda v, n, r, x: not _number(x) or not x < v,
    "maximum": lambda v, n, r, x: not _number(x) or not x > v,
    "exclusiveMinimum": lambda v, n, r, x: not _number(x) or not x <= v,
    "exclusiveMaximum": lambda v, n, r, x: not _number(x) or not x >= v,
}
