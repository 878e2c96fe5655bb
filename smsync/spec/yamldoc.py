"""Safe YAML reading that keeps node positions.

The file is *composed* into nodes (never constructed with PyYAML's constructors) and converted
to plain JSON-like data by hand, so that:
- every value can be traced back to its line and column (``YamlDoc.locate(path)``),
- duplicate keys are errors (PyYAML silently keeps the last one),
- alias expansion is bounded (a "billion laughs" file is refused, not expanded),
- YAML 1.1 surprises are avoided: ``0812…`` and other leading-zero integers stay strings
  (YAML 1.1 would read ``0211234567`` as an octal number), timestamps stay their ISO text
  (the spec layer parses dates itself, with locations), keys are always their source text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from smsync.spec.errors import SpecProblem
from smsync.spec.model import Location

# libyaml is ~10x faster for large files; both produce nodes with marks.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DECIMAL = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_MAX_DEPTH = 64
# Every node of a document costs at least a byte or two of source text unless it is reached
# through an alias, so a generous multiple of the file size bounds legitimate alias use while
# refusing exponential expansion.
_NODES_PER_BYTE = 10
_MIN_BUDGET = 10_000

PathItem = str | int
JsonPath = tuple[PathItem, ...]


class _Fatal(Exception):
    def __init__(self, node: Node, message: str) -> None:
        self.node = node
        self.message = message


@dataclass
class YamlDoc:
    """One document of a YAML file: its converted data and its node tree."""

    file: str  # as shown in messages
    index: int  # 0-based position in the file
    root: Node
    data: Any

    @property
    def where(self) -> Location:
        return mark_location(self.file, self.root)

    def node_at(self, path: JsonPath) -> tuple[Node, bool]:
        """The node at ``path`` (or the deepest existing ancestor; then the flag is False)."""
        node = self.root
        for item in path:
            child = _child(node, item)
            if child is None:
                return node, False
            node = child
        return node, True

    def locate(self, path: JsonPath) -> Location:
        return mark_location(self.file, self.node_at(path)[0])

    def locate_key(self, path: JsonPath, key: str) -> Location:
        """Where the *key* ``key`` of the mapping at ``path`` is written."""
        node, found = self.node_at(path)
        if found and isinstance(node, MappingNode):
            for k, _v in node.value:
                if isinstance(k, ScalarNode) and k.value == key:
                    return mark_location(self.file, k)
        return mark_location(self.file, node)


def mark_location(file: str, node: Node) -> Location:
    m = node.start_mark
    return Location(file, m.line + 1, m.column + 1)


def _child(node: Node, item: PathItem) -> Node | None:
    if isinstance(node, SequenceNode) and isinstance(item, int):
        return node.value[item] if 0 <= item < len(node.value) else None
    if isinstance(node, MappingNode) and isinstance(item, str):
        found: Node | None = None
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == item:
                found = v  # the *first* occurrence is the one kept on duplicates
                break
            if isinstance(k, ScalarNode) and k.tag == "tag:yaml.org,2002:merge":
                merged = _merge_sources(v)
                for src in merged:
                    hit = _child(src, item)
                    if hit is not None and found is None:
                        found = hit
        return found
    return None


def _merge_sources(v: Node) -> list[Node]:
    if isinstance(v, MappingNode):
        return [v]
    if isinstance(v, SequenceNode):
        return [n for n in v.value if isinstance(n, MappingNode)]
    return []


def load_yaml_file(path: Path, shown: str) -> tuple[list[YamlDoc], list[SpecProblem]]:
    """Read every document of ``path``. Problems have locations; never raises for bad input."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        return [], [SpecProblem(Location(shown), "", f"cannot read file: {e.strerror or e}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return [], [SpecProblem(Location(shown), "", f"not UTF-8 text (byte {e.start})")]
    return load_yaml_text(text, shown)


def load_yaml_text(text: str, shown: str) -> tuple[list[YamlDoc], list[SpecProblem]]:
    problems: list[SpecProblem] = []
    docs: list[YamlDoc] = []
    budget = [max(_MIN_BUDGET, _NODES_PER_BYTE * len(text))]
    try:
        for i, root in enumerate(_compose_all(text)):
            if root is None:
                continue
            conv = _Converter(shown, budget, problems)
            try:
                data = conv.convert(root, 0)
            except _Fatal as f:
                problems.append(SpecProblem(mark_location(shown, f.node), "", f.message))
                continue
            docs.append(YamlDoc(shown, i, root, data))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = Location(shown, mark.line + 1, mark.column + 1) if mark else Location(shown)
        problems.append(SpecProblem(where, "", _yaml_message(e, text)))
    except yaml.YAMLError as e:
        problems.append(SpecProblem(Location(shown), "", f"invalid YAML: {e}"))
    except RecursionError:
        problems.append(SpecProblem(Location(shown), "", "invalid YAML: nesting too deep"))
    return docs, problems


def _compose_all(text: str) -> Iterator[Node | None]:
    loader = _Loader(text)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        loader.dispose()


def _yaml_message(e: yaml.MarkedYAMLError, text: str) -> str:
    problem = e.problem or "syntax error"
    mark = e.problem_mark
    at = ""
    if mark is not None:
        lines = text.splitlines()
        if 0 <= mark.line < len(lines) and 0 <= mark.column < len(lines[mark.line]):
            at = lines[mark.line][mark.column]
    if at == "\t" or "'\\t'" in problem:
        return "invalid YAML: a tab character is not allowed here (indent with spaces)"
    ctx = f" ({e.context})" if e.context else ""
    return f"invalid YAML: {problem}{ctx}"


class _Converter:
    def __init__(self, file: str, budget: list[int], problems: list[SpecProblem]) -> None:
        self.file = file
        self.budget = budget
        self.problems = problems

    def convert(self, node: Node, depth: int) -> Any:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise _Fatal(node, "document too large after expanding aliases (alias bomb?)")
        if depth > _MAX_DEPTH:
            raise _Fatal(node, f"nesting deeper than {_MAX_DEPTH} levels (recursive alias?)")
        if isinstance(node, ScalarNode):
            return _scalar(node)
        if isinstance(node, SequenceNode):
            return [self.convert(n, depth + 1) for n in node.value]
        if isinstance(node, MappingNode):
            return self._mapping(node, depth)
        raise _Fatal(node, "unsupported YAML node")

    def _mapping(self, node: MappingNode, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for knode, vnode in node.value:
            if isinstance(knode, ScalarNode) and knode.tag == "tag:yaml.org,2002:merge":
                for src in reversed(_merge_sources(vnode)):
                    merged.update(self._mapping(src, depth + 1))  # type: ignore[arg-type]
                if not _merge_sources(vnode):
                    raise _Fatal(vnode, "'<<' (merge) needs a mapping or a list of mappings")
                continue
            if not isinstance(knode, ScalarNode):
                raise _Fatal(knode, "a mapping key must be a plain value, not a list or mapping")
            key = knode.value
            if key in out:
                self.problems.append(
                    SpecProblem(
                        mark_location(self.file, knode),
                        key,
                        f"duplicate key (first at line {_first_key_line(node, key)})",
                    )
                )
                continue
            out[key] = self.convert(vnode, depth + 1)
        for k, v in merged.items():
            out.setdefault(k, v)
        return out


def _first_key_line(node: MappingNode, key: str) -> int:
    for k, _v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return int(k.start_mark.line) + 1
    return 0


def _scalar(node: ScalarNode) -> Any:
    tag = node.tag
    v: str = node.value
    if tag == "tag:yaml.org,2002:str":
        return v
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return v.lower() in ("yes", "true", "on", "y")
    if tag == "tag:yaml.org,2002:int":
        # Only plain decimals are numbers; 0812…, 0o17, 0x1f, 1_000 and 1:30 stay text, so a
        # phone number is never silently turned into a different number.
        if _DECIMAL.match(v):
            return int(v)
        return v
    if tag == "tag:yaml.org,2002:float":
        try:
            return float(v.replace("_", ""))
        except ValueError:
            return v
    # timestamps, binary, unknown tags (!foo): keep the text; the schema decides.
    return v
