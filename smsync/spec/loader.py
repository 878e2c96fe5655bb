"""Spec files -> DesiredState, collecting every problem (structural and semantic) of a run."""

from __future__ import annotations

import csv
import io
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsync.gateway.names import group_key
from smsync.numbers import InvalidNumberError, normalize
from smsync.spec.csvcell import unescape_cell
from smsync.spec.csvcolumns import plain_contacts
from smsync.spec.csvtext import read_csv_text
from smsync.spec.csvtext import separator as csv_separator
from smsync.spec.errors import SpecErrors, SpecProblem
from smsync.spec.hours import parse_sending_hours
from smsync.spec.localfile import LocalFileError, read_text_file
from smsync.spec.model import (
    Audience,
    BroadcastSpec,
    ContactSelector,
    ContactSpec,
    DesiredState,
    GroupSpec,
    Location,
    Scalar,
    Schedule,
    SendingHours,
)
from smsync.spec.project import PROJECT_FILE, Project
from smsync.spec.schema import (
    SPEC_SCHEMA,
    StringRules,
    field_name,
    schema_def,
    string_rules,
    validate_doc,
)
from smsync.spec.yamldoc import JsonPath, YamlDoc, load_yaml_file

#: A contacts CSV larger than this is refused (a million contacts fit in well under it).
MAX_CSV_BYTES = 200_000_000
#: A suppression list larger than this is refused (a million numbers fit in a fifth of it).
MAX_SUPPRESSION_BYTES = 100_000_000
CSV_COLUMNS = ("name", "mobile", "address", "birth", "desc", "protect")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


# --- which files ----------------------------------------------------------------------------


def discover_spec_files(project: Project) -> list[Path]:
    """The spec files: the project's globs, or every *.yaml/*.yml under the root except
    smsync.yaml and anything inside a dot-directory."""
    root = project.root
    found: set[Path] = set()
    if project.spec_globs:
        for pattern in project.spec_globs:
            if not pattern or Path(pattern).is_absolute():  # pathlib would raise on these
                raise SpecErrors(
                    [
                        SpecProblem(
                            Location(_shown(root / PROJECT_FILE), 1),
                            "spec",
                            f"pattern {pattern!r} must be a non-empty path relative to the project",
                        )
                    ]
                )
            matched = [p for p in root.glob(pattern) if p.is_file()]
            if not matched:
                # A typo in a glob must not make a project look empty (and valid).
                raise SpecErrors(
                    [
                        SpecProblem(
                            Location(_shown(root / PROJECT_FILE), 1),
                            "spec",
                            f"pattern {pattern!r} matches no file under {_shown(root)}",
                        )
                    ]
                )
            found.update(matched)
    else:
        unreadable: list[OSError] = []
        # os.walk, not rglob: rglob skips a directory it cannot read without a word, and a
        # project that silently loses a folder of groups would plan to delete their members.
        for folder, dirs, files in os.walk(root, onerror=unreadable.append):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in files:
                if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                    path = Path(folder) / name
                    if path.is_file():
                        found.add(path)
        if unreadable:
            raise SpecErrors(
                [
                    SpecProblem(
                        Location(_shown(Path(e.filename or root))),
                        "",
                        f"cannot read this directory ({e.strerror})",
                    )
                    for e in unreadable
                ]
            )
    found.discard(root / PROJECT_FILE)
    return sorted(found)


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- entry points ---------------------------------------------------------------------------


def load_desired_state(project: Project, files: list[Path] | None = None) -> DesiredState:
    """Read and check every spec file (``files`` or the discovered ones). Raises SpecErrors
    listing every problem found."""
    return start_desired_state(project, files).finish()


def start_desired_state(
    project: Project, files: list[Path] | None = None, *, keep_contacts: bool = True
) -> SpecLoad:
    """The first, quick part of :func:`load_desired_state`: the YAML documents read and
    checked, the contacts files only counted (see :class:`SpecLoad`).

    ``keep_contacts=False`` is for a caller that wants the problems and the counts, never the
    contacts (validate): the contacts of a file whose rows are all plainly fine are then
    counted (:meth:`SpecLoad.declared_contacts`) and not added to their group."""
    paths = discover_spec_files(project) if files is None else files
    b = _Builder(project, defer=True, keep_contacts=keep_contacts)
    for p in paths:
        b.load_file(p)
    return SpecLoad(b, list(paths))


class SpecLoad:
    """A spec loaded in two parts, so that a plan can read the gateway during the slow one.

    The first part (:func:`start_desired_state`) reads every YAML document: the groups, their
    states and renames, the broadcasts, and how many contacts each contacts file declares (its
    non-blank rows, which is exactly the group's contact count whenever the spec is valid).
    :meth:`finish` does the rest, each document checked against the schema and each CSV row
    checked and its number normalised, and returns
    what :func:`load_desired_state` returns, or raises the same SpecErrors, problems in the
    same order. Until then ``groups`` are the very GroupSpec objects :meth:`finish` fills.
    :meth:`finish` may run on another thread; it runs once, and every caller gets its outcome.
    """

    def __init__(self, builder: _Builder, files: list[Path]) -> None:
        self._builder = builder
        self.files = files
        self.groups = builder.groups
        self.broadcasts = builder.broadcasts
        #: the state :meth:`finish` returns: complete but for the contacts files' rows until then
        self.state = DesiredState(groups=self.groups, broadcasts=self.broadcasts, files=files)
        self._lock = threading.Lock()
        self._outcome: DesiredState | SpecErrors | None = None

    @property
    def done(self) -> bool:
        return self._outcome is not None

    @property
    def has_problems(self) -> bool:
        """Whether the first part already found a problem (finish will raise)."""
        return bool(self._builder.problems)

    def declared_contacts(self, group: GroupSpec) -> int:
        """The contacts ``group`` declares: its YAML list and the rows of its contacts file
        (call before :meth:`finish` starts, or after it returned)."""
        if self.done:
            return len(group.contacts) + self._builder.unkept.get(id(group), 0)
        return len(group.contacts) + self._builder.csv_rows(group)

    def finish(self) -> DesiredState:
        with self._lock:
            if self._outcome is None:
                try:
                    self._builder.finish(self.files)
                    self._outcome = self.state
                except SpecErrors as e:
                    self._outcome = e
        if isinstance(self._outcome, SpecErrors):
            raise SpecErrors(self._outcome.problems)
        return self._outcome


def load_suppression(project: Project) -> frozenset[str]:
    """The suppression list (E.164 numbers never to message): one number per line, blank lines
    and ``#`` comments ignored. Empty when none is configured. Raises SpecErrors."""
    path = project.suppression_file
    if path is None:
        return frozenset()
    shown = _shown(path)
    try:
        text = read_text_file(path, max_bytes=MAX_SUPPRESSION_BYTES)
    except LocalFileError as e:
        raise SpecErrors([SpecProblem(Location(shown), "suppression_file", e.reason)]) from None
    out: set[str] = set()
    problems: list[SpecProblem] = []
    for i, line in enumerate(text.splitlines(), 1):
        raw = line.split("#", 1)[0].strip()
        if not raw:
            continue
        try:
            out.add(normalize(raw, project.region))
        except InvalidNumberError as e:
            problems.append(SpecProblem(Location(shown, i, 1), "number", str(e)))
    if problems:
        raise SpecErrors(problems)
    return frozenset(out)


# --- the builder ----------------------------------------------------------------------------


@dataclass
class _Limits:
    """Rules for CSV cells, read from the schema so the schema stays the single source."""

    name: StringRules
    address: StringRules
    desc: StringRules

    @classmethod
    def from_schema(cls) -> _Limits:
        d = schema_def(SPEC_SCHEMA, "contact")["properties"]
        return cls(*(string_rules(SPEC_SCHEMA, d[col]) for col in ("name", "address", "desc")))


@dataclass
class _Later:
    """A check left for SpecLoad.finish: a contacts file's rows, or a document's schema."""

    at: int  # where its problems go among the others: len(problems) when it was met
    run: Callable[[], None] | None  # adds its problems to the builder's; None once run


@dataclass
class _Builder:
    project: Project
    problems: list[SpecProblem] = field(default_factory=list)
    groups: list[GroupSpec] = field(default_factory=list)
    broadcasts: list[BroadcastSpec] = field(default_factory=list)
    _limits: _Limits = field(default_factory=_Limits.from_schema)
    defer: bool = False  # leave the slow checks to finish (SpecLoad)
    jobs: list[_Later] = field(default_factory=list)
    #: id(GroupSpec) -> the text of its contacts file, or its non-blank rows once counted
    #: (deferred files only, until finish; counted when asked: validate never asks)
    csv_texts: dict[int, str | int] = field(default_factory=dict)
    #: make a ContactSpec of each contact of a contacts file; else, where every row of the
    #: file is plainly fine (smsync.spec.csvcolumns), only count them (validate needs no more)
    keep_contacts: bool = True
    #: id(GroupSpec) -> contacts counted but not kept (keep_contacts False)
    unkept: dict[int, int] = field(default_factory=dict)

    def finish(self, files: list[Path]) -> DesiredState:
        """Run the checks left for later (contacts files, documents' schemas), each one's
        problems where they would have been reported had it run when it was met; then the
        checks across documents."""
        self.csv_texts = {}
        before, self.problems = self.problems, []
        merged: list[SpecProblem] = []
        taken = 0
        for job in self.jobs:
            merged.extend(before[taken : job.at])
            taken = job.at
            if job.run is not None:
                job.run()
            merged.extend(self.problems)
            self.problems = []
            job.run = None  # let a file's text go
        merged.extend(before[taken:])
        self.problems = merged
        self.jobs = []
        self.check_cross_document()
        if self.problems:
            raise SpecErrors(self.problems)
        return DesiredState(groups=self.groups, broadcasts=self.broadcasts, files=list(files))

    def _defer_csv(
        self, g: GroupSpec, path: Path, ref: Location, seen: dict[str, Location]
    ) -> None:
        try:
            text: str | None = read_csv_text(path, max_bytes=MAX_CSV_BYTES)
        except LocalFileError:
            text = None
        self.jobs.append(
            _Later(len(self.problems), partial(self._csv_contacts, g, path, ref, seen, text))
        )
        self.csv_texts[id(g)] = text if text is not None else 0

    def csv_rows(self, g: GroupSpec) -> int:
        """The non-blank rows of the contacts file of ``g`` (0 if none, or unreadable), before
        finish."""
        text = self.csv_texts.get(id(g), 0)
        if isinstance(text, str):
            text = self.csv_texts[id(g)] = _count_rows(text)
        return text

    def _schema(self, doc: YamlDoc) -> None:
        self.problems.extend(validate_doc(doc, SPEC_SCHEMA))

    def err(self, where: Location, fld: str, message: str) -> None:
        self.problems.append(SpecProblem(where, fld, message))

    def load_file(self, path: Path) -> None:
        docs, problems = load_yaml_file(path, _shown(path))
        self.problems.extend(problems)
        for doc in docs:
            if doc.data is None:
                continue
            if self.defer:
                self.jobs.append(_Later(len(self.problems), partial(self._schema, doc)))
            else:
                self._schema(doc)
            data = doc.data
            if not isinstance(data, dict):
                continue
            # Semantic checks run even when the structure is broken elsewhere in the document,
            # so one run reports everything; each check skips values of the wrong type.
            if data.get("kind") == "Group":
                self._group(doc, path)
            elif data.get("kind") == "Broadcast":
                self._broadcast(doc)

    # --- groups -----------------------------------------------------------------------------

    def _group(self, doc: YamlDoc, path: Path) -> None:
        d: dict[str, Any] = doc.data
        name = d.get("name")
        if not isinstance(name, str):
            return
        state = d.get("state", "present")
        protect = d.get("protect", False) is True
        renamed = d.get("renamed_from", ())
        renamed = (renamed,) if isinstance(renamed, str) else renamed
        g = GroupSpec(
            name=name,
            state=state if state in ("present", "absent") else "present",
            protect=protect,
            where=doc.locate(("name",)),
            # the schema reports values of the wrong type
            renamed_from=tuple(r for r in renamed if isinstance(r, str) and r)
            if isinstance(renamed, (list, tuple))
            else (),
        )
        if g.renamed_from and g.state == "absent":
            self.err(
                doc.locate_key((), "renamed_from"),
                "renamed_from",
                "a group with 'state: absent' cannot be renamed",
            )
        if g.state == "absent":
            for key in ("contacts", "contacts_file"):
                if key in d:
                    self.err(
                        doc.locate_key((), key),
                        key,
                        "a group with 'state: absent' cannot list contacts",
                    )
            if protect:
                self.err(
                    doc.locate_key((), "protect"),
                    "protect",
                    "a protected group cannot be 'state: absent'",
                )
        if "contacts" in d and "contacts_file" in d:
            self.err(
                doc.locate_key((), "contacts_file"),
                "contacts_file",
                "use either 'contacts' or 'contacts_file', not both",
            )
        seen: dict[str, Location] = {}
        contacts = d.get("contacts")
        if isinstance(contacts, list):
            for i, c in enumerate(contacts):
                spec = self._yaml_contact(doc, ("contacts", i), c)
                if spec is not None:
                    self._add_unique(g, spec, seen, ("contacts", i), doc)
        cf = d.get("contacts_file")
        if isinstance(cf, str) and cf:
            csv_path = path.parent / cf
            g.contacts_file = csv_path
            if self.defer:
                self._defer_csv(g, csv_path, doc.locate(("contacts_file",)), seen)
            else:
                self._csv_contacts(g, csv_path, doc.locate(("contacts_file",)), seen)
        self.groups.append(g)

    def _add_unique(
        self,
        g: GroupSpec,
        spec: ContactSpec,
        seen: dict[str, Location],
        path: JsonPath | None,
        doc: YamlDoc | None,
    ) -> None:
        first = seen.get(spec.mobile)
        if first is not None:
            where = doc.locate((*path, "mobile")) if doc and path else spec.where
            fld = field_name((*path, "mobile")) if path else "mobile"
            self.err(
                where, fld, f"{spec.mobile} appears twice in group '{g.name}' (first at {first})"
            )
            return
        seen[spec.mobile] = spec.where
        g.contacts.append(spec)

    def _yaml_contact(self, doc: YamlDoc, path: JsonPath, c: Any) -> ContactSpec | None:
        if not isinstance(c, dict):
            return None
        ok = True
        name, mobile = c.get("name"), c.get("mobile")
        if (
            not isinstance(name, str)
            or not isinstance(mobile, str | int)
            or isinstance(mobile, bool)
        ):
            ok = False
        e164 = ""
        if ok:
            try:
                e164 = normalize(str(mobile), self.project.region)
            except InvalidNumberError as e:
                self.err(doc.locate((*path, "mobile")), field_name((*path, "mobile")), str(e))
                ok = False
        birth: date | None = None
        if "birth" in c:
            b = c["birth"]
            birth = _parse_date(b) if isinstance(b, str) else None
            # A value that is no string at all (null, a number) is the schema's to report:
            # one problem, one message.
            if birth is None and isinstance(b, str):
                # Reported, but the contact is still returned so that the duplicate check runs;
                # any problem makes the whole load fail, so this spec is never used.
                self.err(
                    doc.locate((*path, "birth")),
                    field_name((*path, "birth")),
                    f"'{b}' is not a date (YYYY-MM-DD)",
                )
        if not ok:
            return None
        address, desc = c.get("address"), c.get("desc")
        return ContactSpec(
            name=str(name),
            mobile=e164,
            address=address if isinstance(address, str) else None,
            birth=birth,
            desc=desc if isinstance(desc, str) else None,
            protect=c.get("protect") is True,
            where=doc.locate(path),
        )

    def _csv_contacts(
        self,
        g: GroupSpec,
        path: Path,
        ref: Location,
        seen: dict[str, Location],
        text: str | None = None,
    ) -> None:
        shown = _shown(path)
        if text is None:
            try:
                text = read_csv_text(path, max_bytes=MAX_CSV_BYTES)
            except LocalFileError as e:
                self.err(ref, "contacts_file", f"{shown} {e.reason}")
                return
        sep = csv_separator(text)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as e:
            self.err(Location(shown, 1), "header", f"broken CSV: {e}")
            return
        if header is None:
            self.err(Location(shown, 1), "header", "empty CSV file (needs a header line)")
            return
        cols = [h.strip().lower() for h in header]
        bad = False
        for h in cols:
            if h not in CSV_COLUMNS:
                self.err(
                    Location(shown, 1),
                    "header",
                    f"unknown column '{h}'; allowed: {', '.join(CSV_COLUMNS)}",
                )
                bad = True
        for req in ("name", "mobile"):
            if req not in cols:
                self.err(Location(shown, 1), "header", f"missing column '{req}'")
                bad = True
        if len(set(cols)) != len(cols):
            self.err(Location(shown, 1), "header", "a column appears twice")
            bad = True
        if bad:
            return
        if not seen:  # else the file's numbers must also be checked against the YAML's
            lim = self._limits
            plain = plain_contacts(
                text,
                sep,
                cols,
                {"name": lim.name, "address": lim.address, "desc": lim.desc},
                self.project.region,
            )
            if plain is not None:
                if self.keep_contacts:
                    g.contacts.extend(plain.specs(shown))
                else:
                    self.unkept[id(g)] = len(plain)
                return
        idx = {h: i for i, h in enumerate(cols)}
        quick = self._quick_row(idx)
        prev_end = reader.line_num
        try:
            for row in reader:
                start = prev_end + 1
                prev_end = reader.line_num
                if len(row) != len(cols):
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # blank line
                    self.err(
                        Location(shown, start),
                        "row",
                        f"{len(row)} fields, but the header has {len(cols)}",
                    )
                    continue
                where = Location(shown, start)
                spec = quick(row, where)
                if spec is None:  # something to report, or to look at closer: the full rules
                    spec = self._csv_row(row, idx, where)
                    if spec is None:
                        continue
                if spec.mobile in seen:
                    self._add_unique(g, spec, seen, None, None)  # reports the duplicate
                else:
                    seen[spec.mobile] = where
                    g.contacts.append(spec)
        except csv.Error as e:
            # the reader cannot resynchronise reliably after a quoting error
            self.err(Location(shown, prev_end + 1), "row", f"broken CSV row: {e}")

    def _quick_row(
        self, idx: dict[str, int]
    ) -> Callable[[list[str], Location], ContactSpec | None]:
        """The contact of a CSV row whose cells are all plainly fine, else None (the caller
        then runs :meth:`_csv_row`, which reports each problem in its words).

        A large CSV is almost all such rows; checking them here, with the column positions and
        rules looked up once per file, is most of what made loading 100k contacts cheap. It
        decides nothing :meth:`_csv_row` would decide otherwise: any doubt goes there."""
        region = self.project.region
        name_i, mobile_i = idx["name"], idx["mobile"]
        address_i, desc_i = idx.get("address"), idx.get("desc")
        others = [idx[c] for c in ("birth", "protect") if c in idx]
        name_ok = self._limits.name.passes
        address_ok = self._limits.address.passes
        desc_ok = self._limits.desc.passes

        def text(row: list[str], i: int | None, ok: Callable[[str], bool]) -> str | bool | None:
            # the cell's value, None when blank (not managed), False when the rules object
            if i is None:
                return None
            v = row[i]
            if v.startswith("'"):
                v = v[1:]
            if not v.strip():
                return None
            return v if ok(v) else False

        def plain(row: list[str], where: Location) -> ContactSpec | None:
            # name and mobile only: the shape of most large files
            name = row[name_i]
            if name.startswith("'"):
                name = name[1:]
            mobile = row[mobile_i].strip()
            if mobile.startswith("'"):
                mobile = mobile[1:]
            if not mobile or not name_ok(name) or not name.strip():
                return None
            try:
                return ContactSpec(name=name, mobile=normalize(mobile, region), where=where)
            except InvalidNumberError:
                return None

        if len(idx) == 2:
            return plain

        def quick(row: list[str], where: Location) -> ContactSpec | None:
            if any(row[i].strip() for i in others):
                return None
            name = text(row, name_i, name_ok)
            address = text(row, address_i, address_ok)
            desc = text(row, desc_i, desc_ok)
            mobile = row[mobile_i].strip()
            if mobile.startswith("'"):
                mobile = mobile[1:]
            if not isinstance(name, str) or address is False or desc is False or not mobile:
                return None
            try:
                e164 = normalize(mobile, region)
            except InvalidNumberError:
                return None
            return ContactSpec(
                name=name,
                mobile=e164,
                address=address if isinstance(address, str) else None,
                desc=desc if isinstance(desc, str) else None,
                where=where,
            )

        return quick

    def _csv_row(self, row: list[str], idx: dict[str, int], where: Location) -> ContactSpec | None:
        lim = self._limits

        def cell(col: str) -> str | None:
            i = idx.get(col)
            if i is None:
                return None
            v = unescape_cell(row[i].strip())
            return v or None  # an empty cell means "not managed", like a missing YAML key

        def text(col: str, rules: StringRules) -> str | None:
            # Text cells keep their spaces (the schema's rules decide which are allowed);
            # a blank cell is "not managed".
            i = idx.get(col)
            if i is None:
                return None
            v = unescape_cell(row[i])
            if not v.strip():
                return None
            for message in rules.problems(v):
                self.err(where, col, message)
            return v

        name = text("name", lim.name)
        if name is None:
            self.err(where, "name", "must not be empty")
        raw_mobile = cell("mobile")
        e164 = ""
        if raw_mobile is None:
            self.err(where, "mobile", "must not be empty")
        else:
            try:
                e164 = normalize(raw_mobile, self.project.region)
            except InvalidNumberError as e:
                self.err(where, "mobile", str(e))
        address = text("address", lim.address)
        desc = text("desc", lim.desc)
        birth_raw = cell("birth")
        birth = _parse_date(birth_raw) if birth_raw is not None else None
        if birth_raw is not None and birth is None:
            self.err(where, "birth", f"'{birth_raw}' is not a date (YYYY-MM-DD)")
        protect_raw = (cell("protect") or "false").lower()
        if protect_raw not in _TRUE | _FALSE:
            self.err(where, "protect", f"'{protect_raw}' is not true or false")
        if name is None or not e164:
            return None  # other problems are reported; the contact still joins the dup check
        return ContactSpec(
            name=name,
            mobile=e164,
            address=address,
            birth=birth,
            desc=desc,
            protect=protect_raw in _TRUE,
            where=where,
        )

    # --- broadcasts -------------------------------------------------------------------------

    def _broadcast(self, doc: YamlDoc) -> None:
        d: dict[str, Any] = doc.data
        name, template, aud = d.get("name"), d.get("template"), d.get("audience")
        ok = isinstance(name, str) and isinstance(template, str) and isinstance(aud, dict)
        channel = d.get("channel", "sms")
        fallback = d.get("fallback")
        if fallback is not None and channel != "whatsapp":
            self.err(
                doc.locate(("fallback",)),
                "fallback",
                "a fallback only makes sense with 'channel: whatsapp'",
            )
            ok = False
        times: dict[str, datetime | None] = {}
        for key in ("not_before", "not_after"):
            times[key] = None
            if key not in d:
                continue
            nb = d[key]
            when = times[key] = _parse_datetime(nb) if isinstance(nb, str) else None
            if when is None:
                self.err(
                    doc.locate((key,)),
                    key,
                    f"'{nb}' is not an ISO 8601 time (e.g. 2025-01-31T09:00:00+07:00)",
                )
                ok = False
            elif when.tzinfo is None:
                self.err(
                    doc.locate((key,)),
                    key,
                    "needs a UTC offset (e.g. +07:00), or it would depend on the machine",
                )
                ok = False
        not_before, not_after = times["not_before"], times["not_after"]
        schedule = self._schedule(doc, d)
        hours = parse_sending_hours(d["sending_hours"]) if "sending_hours" in d else None
        if isinstance(hours, str):
            self.err(doc.locate(("sending_hours",)), "sending_hours", hours)
            ok = False
        if (schedule is None) != (d.get("mode") != "recurring"):
            where = ("schedule",) if "schedule" in d else ("mode",) if "mode" in d else ("name",)
            self.err(
                doc.locate(where),
                "schedule",
                "a recurring broadcast needs a schedule, and only a recurring one takes it "
                "(mode: recurring)",
            )
            ok = False
        if d.get("via") == "group-call" and not (isinstance(aud, dict) and "group" in aud):
            self.err(
                doc.locate(("via",)),
                "via",
                "'via: group-call' is one SendSMSGroup call to a group: it needs audience.group",
            )
            ok = False
        elif d.get("via") == "group-call" and d.get("mode", "once") != "once":
            self.err(
                doc.locate(("via",)),
                "via",
                f"'via: group-call' is one call to the whole group, which mode {d.get('mode')} "
                "cannot be (it sends per member): leave via out",
            )
            ok = False
        if isinstance(template, str):
            import jinja2  # here: a spec of groups alone (most large ones) never needs it

            try:
                jinja2.Environment().parse(template)
            except jinja2.TemplateSyntaxError as e:
                self.err(
                    doc.locate(("template",)),
                    "template",
                    f"template syntax error (template line {e.lineno}): {e.message}",
                )
                ok = False
        audience = self._audience(doc, aud) if isinstance(aud, dict) else None
        if audience is None or not ok:
            return
        assert isinstance(name, str) and isinstance(template, str)
        vars_ = d.get("vars", {})
        self.broadcasts.append(
            BroadcastSpec(
                name=name,
                audience=audience,
                template=template,
                channel="whatsapp" if channel == "whatsapp" else "sms",
                fallback="sms" if fallback == "sms" else None,
                not_before=not_before,
                mode=d["mode"] if d.get("mode") in ("ongoing", "recurring") else "once",
                via="group-call" if d.get("via") == "group-call" else "per-member",
                not_after=not_after,
                schedule=schedule,
                sending_hours=hours if isinstance(hours, SendingHours) else None,
                vars={str(k): v for k, v in vars_.items() if isinstance(v, Scalar)}
                if isinstance(vars_, dict)
                else {},
                max_recipients=_int_or_none(d.get("max_recipients")),
                max_segments_per_message=_int_or_none(d.get("max_segments_per_message")),
                max_total_segments=_int_or_none(d.get("max_total_segments")),
                where=doc.locate(("name",)),
            )
        )

    def _schedule(self, doc: YamlDoc, d: dict[str, Any]) -> Schedule | None:
        """``schedule:`` (shape checked by the schema); None when absent or wrong."""
        raw = d.get("schedule")
        if not isinstance(raw, dict) or raw.get("on") not in ("birth", "monthly", "weekly"):
            return None
        on, day = raw["on"], raw.get("day")
        problem = None
        if on == "monthly" and not isinstance(day, int):
            problem = ("day", "a monthly schedule needs day: 1-31")
        elif on == "weekly" and day not in WEEKDAYS:
            problem = ("day", f"a weekly schedule needs day: one of {', '.join(WEEKDAYS)}")
        elif on == "birth" and day is not None:
            problem = ("day", "a birthday schedule takes no day (each contact's birth is)")
        zone = raw.get("timezone", "Asia/Jakarta")
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            problem = ("timezone", f"'{zone}' is not a time zone (e.g. Asia/Jakarta)")
        if problem is not None:
            self.err(doc.locate(("schedule", problem[0])), f"schedule.{problem[0]}", problem[1])
            return None
        hh, _, mm = str(raw.get("time", "09:00")).partition(":")
        return Schedule(
            on=on,
            day=WEEKDAYS.index(day) if on == "weekly" else day if isinstance(day, int) else 1,
            time=dt_time(int(hh), int(mm)),
            timezone=str(zone),
            grace=timedelta(hours=int(raw.get("grace_hours", 24))),
        )

    def _audience(self, doc: YamlDoc, aud: dict[str, Any]) -> Audience | None:
        if isinstance(aud.get("group"), str) and len(aud) == 1:
            return Audience(group=aud["group"])
        sel = aud.get("contacts")
        if not isinstance(sel, dict) or len(aud) != 1:
            return None
        ok = True
        numbers: list[str] = []
        raw_numbers = sel.get("numbers", [])
        for i, n in enumerate(raw_numbers if isinstance(raw_numbers, list) else []):
            p: JsonPath = ("audience", "contacts", "numbers", i)
            if isinstance(n, bool) or not isinstance(n, str | int):
                ok = False
                continue
            try:
                numbers.append(normalize(str(n), self.project.region))
            except InvalidNumberError as e:
                self.err(doc.locate(p), field_name(p), str(e))
                ok = False
        where: dict[str, tuple[str, ...]] = {}
        raw_where = sel.get("where", {})
        for k, v in raw_where.items() if isinstance(raw_where, dict) else []:
            values = v if isinstance(v, list) else [v]
            where[k] = tuple(_scalar_text(x) for x in values)
        groups = sel.get("groups", [])
        if not ok or not isinstance(groups, list):
            return None
        return Audience(
            contacts=ContactSelector(
                groups=tuple(str(g) for g in groups), where=where, numbers=tuple(numbers)
            )
        )

    # --- across documents -------------------------------------------------------------------

    def check_cross_document(self) -> None:
        seen: dict[str, GroupSpec] = {}
        for g in self.groups:
            key = group_key(g.name)
            if key in seen:
                # both places: whichever the user opens first must tell them of the other
                first = seen[key]
                self.err(
                    first.where,
                    "name",
                    f"group '{first.name}' is declared twice (again at {g.where})",
                )
                self.err(
                    g.where,
                    "name",
                    f"group '{g.name}' is declared twice (first at {first.where})",
                )
            else:
                seen[key] = g
        self._check_renames(seen)
        seen_b: dict[str, BroadcastSpec] = {}
        for b in self.broadcasts:
            if b.name in seen_b:
                self.err(
                    b.where,
                    "name",
                    f"broadcast '{b.name}' is declared twice (first at {seen_b[b.name].where})",
                )
            else:
                seen_b[b.name] = b

    def _check_renames(self, declared: dict[str, GroupSpec]) -> None:
        """A rename takes the old group from the gateway: never a group another document
        declares (it would be renamed away from under it), never one claimed twice."""
        claimed: dict[str, GroupSpec] = {}
        for g in self.groups:
            for old in g.renamed_from:
                key = group_key(old)
                if key == group_key(g.name):
                    continue  # a case-only rename needs no renamed_from: harmless
                other = declared.get(key)
                if other is not None:
                    self.err(
                        g.where,
                        "renamed_from",
                        f"group '{g.name}' is renamed from '{old}', which is declared as a group "
                        f"of its own at {other.where}: remove one of the two",
                    )
                elif key in claimed:
                    self.err(
                        g.where,
                        "renamed_from",
                        f"group '{g.name}' and group '{claimed[key].name}' "
                        f"(at {claimed[key].where}) are both renamed from '{old}'",
                    )
                else:
                    claimed[key] = g


def _count_rows(text: str) -> int:
    """The non-blank data rows of a contacts CSV, as :meth:`_Builder._csv_contacts` reads them
    (a broken file counts what it can: it fails the load anyway)."""
    sep = csv_separator(text)
    if '"' not in text:
        return _count_plain_rows(text, sep)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    rows, header = 0, True
    try:
        for row in reader:
            if header:  # the first row is the header, whatever it holds
                header = False
            elif len(row) > 1 or (row and row[0].strip()):
                rows += 1
    except csv.Error:
        pass
    return rows


def _count_plain_rows(text: str, sep: str) -> int:
    """:func:`_count_rows` of a CSV without quotes, where a row is a line (``\\n``, ``\\r\\n``
    or ``\\r``, as csv splits them) and a blank row is whitespace without a separator: counted
    with a few passes over the text instead of a row object per line (a million rows in
    milliseconds, before the first request)."""
    flat = text.replace("\r\n", "\n").replace("\r", "\n")
    if not flat:
        return 0
    if flat.endswith("\n"):
        flat = flat[:-1]  # csv makes no row of what follows the last line break
    blank = re.compile(f"^[^\\S\\n{re.escape(sep)}]*$", re.MULTILINE)
    blanks = len(blank.findall(flat))
    end = flat.find("\n")
    header = flat if end < 0 else flat[:end]
    header_blank = sep not in header and not header.strip()
    return flat.count("\n") - (blanks - header_blank)


def _parse_date(s: str) -> date | None:
    if not _ISO_DATE.match(s):
        return None
    try:
        return date.fromisoformat(s)
    except ValueError:
        return None


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _parse_datetime(s: str) -> datetime | None:
    try:
        return datetime.fromisoformat(s.strip())
    except ValueError:
        return None


def _int_or_none(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _scalar_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
