"""Reading the numbers a delivery report shows (`smsync status --report`), from its HTML or from
the DOM a browser rendered: the tables' ``data-`` attributes say what each number is."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Section:
    """One broadcast's section, as numbers."""

    name: str
    kind: str
    lifecycle: str
    funnel: dict[str, int] = field(default_factory=dict)
    operators: dict[str, dict[str, int]] = field(default_factory=dict)
    occurrences: dict[str, dict[str, int]] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    retry: list[list[str]] = field(default_factory=list)  # number, operator, outcome[, occurrence]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, Section] = {}
        self.section: Section | None = None
        self.row: dict[str, str] = {}  # the data- attributes of the <tr> being read
        self.cell: dict[str, str] | None = None  # those of the <td> being read
        self.cells: list[tuple[dict[str, str], str]] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section" and "data-broadcast" in a:
            self.section = Section(a["data-broadcast"], a["data-kind"], a["data-lifecycle"])
            self.sections[self.section.name] = self.section
        elif tag == "tr":
            self.row, self.cells = {**a, "class": a.get("class", "")}, []
        elif tag in ("td", "th"):
            self.cell, self.text = a, ""

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.cells.append((self.cell, self.text.strip()))
            self.cell = None
        elif tag == "tr" and self.section is not None:
            self._row(self.section)
        elif tag == "section":
            self.section = None

    def _row(self, s: Section) -> None:
        row, tds = self.row, [(a, t) for a, t in self.cells]
        by_stage = {a["data-stage"]: int(t) for a, t in tds if "data-stage" in a}
        if "data-operator" in row:
            s.operators[row["data-operator"]] = by_stage
        elif "data-occurrence" in row:
            s.occurrences[row["data-occurrence"]] = by_stage
        elif "data-stage" in row:
            s.funnel[row["data-stage"]] = int(tds[1][1])
        elif "data-outcome" in row:
            s.outcomes[row["data-outcome"]] = int(tds[1][1])
        elif row["class"] == "retry":
            s.retry.append([t for _, t in tds])


def read_report(html: str) -> dict[str, Section]:
    """The sections of a report page, by broadcast name."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.sections
