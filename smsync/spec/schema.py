"""JSON Schema validation with errors mapped back to YAML positions and phrased for humans.

The schemas in ``schemas/`` (shipped as ``smsync.schemas``) are the single source of truth for
structure; this module only loads them and turns jsonschema's errors into SpecProblems.
jsonschema is imported only for a document that is not valid (smsync.spec.validity says which
are): a valid spec, the usual one, is read without it.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from smsync.spec.errors import SpecProblem
from smsync.spec.patterns import compile_pattern
from smsync.spec.validity import is_valid
from smsync.spec.yamldoc import JsonPath, YamlDoc

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

PROJECT_SCHEMA = "project.schema.json"
SPEC_SCHEMA = "spec.schema.json"

_JSON_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "empty",
}


@cache
def load_schema(name: str) -> dict[str, Any]:
    text = files("smsync.schemas").joinpath(name).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def schema_validator(name: str) -> Draft202012Validator:
    """jsonschema's Draft 2020-12 validator of schema ``name``, patterns read as ECMA-262."""
    from jsonschema import Draft202012Validator, validators
    from jsonschema.exceptions import ValidationError

    def pattern(validator: Any, patrn: str, instance: Any, schema: Any) -> Iterator[Any]:
        # as jsonschema's own, with the pattern read as ECMA-262 reads it (smsync.spec.patterns)
        if validator.is_type(instance, "string") and not compile_pattern(patrn).search(instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    ecma = validators.extend(Draft202012Validator, {"pattern": pattern})  # type: ignore[no-untyped-call]
    validator: Draft202012Validator = ecma(load_schema(name))
    return validator


def schema_def(name: str, definition: str) -> dict[str, Any]:
    d: dict[str, Any] = load_schema(name)["$defs"][definition]
    return d


@dataclass(frozen=True)
class StringRules:
    """The string constraints of one schema fragment, for values checked without jsonschema
    (CSV cells: a validator call per cell would dominate loading a large file)."""

    max_length: int | None
    patterns: tuple[tuple[re.Pattern[str], str], ...]  # (pattern, message when it fails)

    def problems(self, value: str) -> list[str]:
        out = []
        if self.max_length is not None and len(value) > self.max_length:
            out.append(f"too long ({len(value)} characters; at most {self.max_length})")
        out.extend(msg for pattern, msg in self.patterns if not pattern.search(value))
        return out

    @cached_property
    def passes(self) -> Callable[[str], bool]:
        """Whether a value breaks none of the rules (``not self.problems(value)``), with one
        regular expression for all of the patterns when each is anchored at the start:
        ``^a`` and ``^b`` both match ``v`` exactly when ``(?=^a)(?=^b)`` matches it at 0."""
        joined = self._joined
        limit = self.max_length
        if joined is None:
            return lambda v: not self.problems(v)
        if limit is None:
            return lambda v: joined(v) is not None
        return lambda v: len(v) <= limit and joined(v) is not None

    def all_pass(self, values: Sequence[str]) -> bool:
        """Whether every one of ``values`` passes (:attr:`passes`): a column of 100k cells
        checked with no Python code run per value. A pattern that only forbids characters
        (``^[^X]*$``) is tried once, on all the values end to end: when they hold no X
        together, none of them holds one."""
        if self.max_length is not None and max(map(len, values), default=0) > self.max_length:
            return False
        everything: str | None = None
        for pattern, _ in self.patterns:
            if _only_forbids_characters(pattern):
                if everything is None:
                    everything = "".join(values)
                if pattern.search(everything) is not None:
                    continue
                # one value holds one: each value decides (and says which)
            if not all(map(pattern.search, values)):
                return False
        return True

    @cached_property
    def _joined(self) -> Callable[[str], re.Match[str] | None] | None:
        if not all(p.pattern.startswith("^") and p.flags == re.UNICODE for p, _ in self.patterns):
            return None
        return re.compile("".join(f"(?:(?={p.pattern}))" for p, _ in self.patterns)).match


_ONLY_FORBIDS = re.compile(r"\^\[\^((?:[^\\\]^]|\\.)(?:[^\\\]]|\\.)*)\]\*\\Z")


@cache
def _only_forbids_characters(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` is ``^[^X]*$`` (compiled: ``^[^X]*\\Z``): a text passes it when it
    holds no X, so a concatenation that passes it is made of texts that do."""
    return _ONLY_FORBIDS.fullmatch(pattern.pattern) is not None and pattern.flags == re.UNICODE


def string_rules(schema_name: str, fragment: dict[str, Any]) -> StringRules:
    """maxLength and patterns of ``fragment``, following local ``$ref``s and ``allOf``."""
    max_length: int | None = None
    patterns: list[tuple[re.Pattern[str], str]] = []

    def walk(node: dict[str, Any]) -> None:
        nonlocal max_length
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            walk(schema_def(schema_name, ref.removeprefix("#/$defs/")))
        for sub in node.get("allOf", []):
            walk(sub)
        if "maxLength" in node:
            n = int(node["maxLength"])
            max_length = n if max_length is None else min(max_length, n)
        if "pattern" in node:
            patterns.append((compile_pattern(node["pattern"]), _pattern_message(node, "")))

    walk(fragment)
    return StringRules(max_length, tuple(patterns))


def validate_doc(doc: YamlDoc, schema_name: str) -> list[SpecProblem]:
    if is_valid(load_schema(schema_name), doc.data):
        return []
    problems: list[SpecProblem] = []
    for err in schema_validator(schema_name).iter_errors(doc.data):
        problems.extend(_problems_for(doc, err))
    return problems


def field_name(path: JsonPath) -> str:
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += ("." if out else "") + item
    return out


def _problems_for(doc: YamlDoc, err: ValidationError) -> list[SpecProblem]:
    path: JsonPath = tuple(err.absolute_path)
    v = err.validator
    # jsonschema types these attributes as unions with its Unset marker; on a real error
    # from iter_errors they are always set.
    schema: Any = err.schema
    vv: Any = err.validator_value
    inst: Any = err.instance
    if v == "additionalProperties" and isinstance(inst, dict):
        allowed = list(schema.get("properties", {}))
        extra = [k for k in inst if k not in allowed]
        out = []
        for key in extra:
            hint = difflib.get_close_matches(key, allowed, n=1)
            msg = f"unknown key '{key}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")
            if allowed:
                msg += f"; allowed: {', '.join(allowed)}"
            out.append(SpecProblem(doc.locate_key(path, key), field_name((*path, key)), msg))
        if out:
            return out
    if "propertyNames" in err.absolute_schema_path:
        # jsonschema reports a bad key as an error of the key's schema (here an enum), at the
        # mapping's path, with the key as the instance.
        key = str(inst)
        allowed = schema.get("enum", [])
        return [
            SpecProblem(
                doc.locate_key(path, key),
                field_name((*path, key)),
                f"unknown field '{key}'; allowed: {', '.join(map(str, allowed))}",
            )
        ]
    if v == "required":
        missing = [k for k in vv if not _has(inst, k)]
        return [
            SpecProblem(doc.locate(path), field_name((*path, k)), "missing (required)")
            for k in missing
        ]
    return [SpecProblem(doc.locate(path), field_name(path), _message(err))]


def _has(instance: Any, key: str) -> bool:
    return isinstance(instance, dict) and key in instance


def _short(value: Any) -> str:
    s = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    return s if len(s) <= 40 else s[:40] + "…"


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    for name, t in (
        ("object", dict),
        ("array", list),
        ("string", str),
        ("integer", int),
        ("number", float),
    ):
        if isinstance(value, t):
            return name
    return type(value).__name__


def _pattern_message(schema: dict[str, Any], instance: Any) -> str:
    # The reason for a constraint is written beside it in the schema (errorMessage, as
    # ajv-errors spells it), so the schema stays the one place that states it.
    given = schema.get("errorMessage")
    if isinstance(given, str):
        return given
    pattern = str(schema["pattern"])
    if pattern.startswith("^[^\\u0000"):
        return "contains a control character (newline, tab, …)"
    if "sandbox" in pattern:
        return "must start with http://, https:// or sandbox://"
    return f"'{_short(instance)}' does not match {pattern}"


def _message(err: ValidationError) -> str:
    v = err.validator
    vv: Any = err.validator_value
    inst: Any = err.instance
    schema: Any = err.schema
    if v == "type":
        wanted = [vv] if isinstance(vv, str) else list(vv)
        names = " or ".join(_JSON_TYPES.get(t, t) for t in wanted)
        return f"must be {names}, not {_JSON_TYPES.get(_type_of(inst), _type_of(inst))}"
    if v == "enum":
        return f"'{_short(inst)}' is not one of: {', '.join(map(str, vv))}"
    if v == "const":
        return f"must be {vv!r}"
    if v == "maxLength":
        return f"too long ({len(inst)} characters; at most {vv})"
    if v == "minLength":
        return "must not be empty" if vv == 1 else f"too short (at least {vv} characters)"
    if v == "pattern":
        return _pattern_message(schema, inst)
    if v in ("minimum", "maximum"):
        return f"must be {'at least' if v == 'minimum' else 'at most'} {vv}"
    if v == "minItems":
        return "must not be empty" if vv == 1 else f"needs at least {vv} items"
    if v in ("minProperties", "maxProperties"):
        keys = list(schema.get("properties", {}))
        if schema.get("maxProperties") == 1 and keys:
            return f"needs exactly one of: {', '.join(keys)}"
        return "must not be empty" if v == "minProperties" else f"at most {vv} keys"
    if v == "anyOf":
        return f"'{_short(inst)}' must be a value or a list of values"
    msg = err.message
    return msg if len(msg) <= 120 else msg[:120] + "…"
