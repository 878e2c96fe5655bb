"""`smsync import`: write spec files from the remote phonebook, so that a plan right after
shows no changes.

One YAML file per group. Groups with more than ``csv_threshold`` contacts (default 200) get
``contacts_file: <slug>.csv`` beside the YAML instead of an inline list: a CSV diffs and loads
better at that size. Numbers are written exactly as the gateway holds them (``08…`` or
``628…``); empty remote fields are left out (not managed), which keeps the round trip exact.
CSV cells that a spreadsheet would run as formulas are escaped (smsync.spec.csvcell); the
loader undoes exactly that escaping.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from smsync.errors import SmsyncError
from smsync.gateway.models import Contact, Group, Page
from smsync.gateway.provider import PhonebookReader
from smsync.numbers import InvalidNumberError, normalize, try_normalize
from smsync.spec.csvcell import escape_cell
from smsync.spec.errors import SpecErrors
from smsync.spec.loader import CSV_COLUMNS, discover_spec_files, load_desired_state
from smsync.spec.project import Project

DEFAULT_CSV_THRESHOLD = 200
#: The first line of every file import writes: how a later import knows its own files.
IMPORT_HEADER = "# Imported from the gateway by `smsync import`"
Progress = Callable[[str, int], None]  # (phase, rows done) -> None; called from threads


@dataclass
class ImportOptions:
    out_dir: Path
    groups: list[str] = field(default_factory=list)  # empty: every remote group
    csv_threshold: int = DEFAULT_CSV_THRESHOLD
    force: bool = False  # overwrite existing files
    details: bool = True  # fetch address/birth/desc when the gateway lists short records
    prune: bool = False  # remove earlier imports' files this import did not write


@dataclass
class ImportResult:
    files: list[Path] = field(default_factory=list)
    groups: int = 0
    contacts: int = 0
    warnings: list[str] = field(default_factory=list)
    #: files an earlier import wrote that this one did not (their groups left the gateway):
    #: kept and reported, or removed with ``prune``
    stale: list[Path] = field(default_factory=list)
    pruned: list[Path] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report of `smsync import --format json` (schemas/import.schema.json)."""
        return {
            "version": 1,
            "groups": self.groups,
            "contacts": self.contacts,
            "files": [str(p) for p in self.files],
            "stale": [str(p) for p in self.stale],
            "pruned": [str(p) for p in self.pruned],
            "warnings": list(self.warnings),
        }


def progress_hook(progress: Progress) -> Callable[[str, object], None]:
    """A gateway client ``on_result`` hook reporting the rows an import reads, for the
    progress bar (called from the reading threads)."""

    def hook(method: str, result: object) -> None:
        if isinstance(result, Page) and method in ("phbkGetList", "phbkGetListbyGroup"):
            progress("contacts", len(result.items))
        elif method == "phbkGetCompleteData":
            progress("details", 1)

    return hook


def slug(name: str) -> str:
    s = "".join(ch if ch.isalnum() else "-" for ch in name.casefold())
    return re.sub(r"-+", "-", s).strip("-") or "group"


def import_phonebook(
    client: PhonebookReader,
    project: Project,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportResult:
    """Write spec files from the remote phonebook read through ``client``. ``progress`` gets
    the totals it announces (``details-total``); the rows read are reported by the client's
    ``on_result`` hook (:func:`progress_hook`)."""
    # Imported here: plan.fetch is the one reader of the remote phonebook, so import sees
    # exactly what plan will see.
    from smsync.plan.fetch import fetch_details, group_key, read_remote

    # Checked before the (possibly long) read of the remote phonebook.
    out = options.out_dir
    nearest = next((p for p in (out, *out.parents) if p.exists()), None)
    if nearest is not None and not nearest.is_dir():
        raise SmsyncError(
            f"cannot write spec files into {out}: "
            f"{'it' if nearest == out else nearest} is not a directory"
        )
    result = ImportResult()
    wanted = options.groups
    if not wanted:
        # The group list first (plan's reader needs the names of the groups to read).
        wanted = [g.name for g in read_remote(client, [], page_size=project.page_size).groups]
    state = read_remote(client, wanted, page_size=project.page_size)
    chosen = _select(state.groups, options.groups)
    if options.details:
        short = {c.id for rows in state.contacts.values() for c in rows if not c.complete}
        if short:
            if progress:
                progress("details-total", len(short))
            fetch_details(client, state, short)

    rows_by_group = {
        g.name: _dedupe(
            state.contacts.get(group_key(g.name), []), g.name, project.region, result.warnings
        )
        for g in chosen
    }
    targets = _targets(chosen, options, {n: len(r) for n, r in rows_by_group.items()})
    existing = [p for pair in targets.values() for p in pair if p is not None and p.exists()]
    if existing and not options.force:
        raise SmsyncError(
            "refusing to overwrite existing file(s) (use --force): "
            + ", ".join(str(p) for p in existing)
        )
    try:
        options.out_dir.mkdir(parents=True, exist_ok=True)
        for g in chosen:
            rows = rows_by_group[g.name]
            yaml_path, csv_path = targets[g.name]
            if csv_path is not None:
                csv_path.write_text(render_csv(rows), encoding="utf-8", newline="")
                result.files.append(csv_path)
            yaml_path.write_text(
                render_group(g.name, rows, csv_path.name if csv_path else None), encoding="utf-8"
            )
            result.files.append(yaml_path)
            result.groups += 1
            result.contacts += len(rows)
    except OSError as e:
        # e.g. a parent of --out is a file, or a target is a directory or not writable.
        where = f" ({e.filename})" if e.filename and Path(e.filename) != out else ""
        raise SmsyncError(
            f"cannot write spec files into {out}: {e.strerror or type(e).__name__}{where}"
        ) from None
    if not options.groups:  # with --group, the other groups' files are meant to stay
        _stale_files(options, result)
    _check_written(project, result)
    return result


def _stale_files(options: ImportOptions, result: ImportResult) -> None:
    """Files an earlier import wrote in ``out_dir`` that this one did not: their groups are
    gone from the gateway, and the next plan would add them back. Only files that still
    carry import's header (and their CSV) count: a file the user wrote is never touched."""
    written = {p.resolve() for p in result.files}
    for path in sorted(options.out_dir.glob("*.yaml")):
        if path.resolve() in written or not _imported(path):
            continue
        stale = [path, *(c for c in [path.with_suffix(".csv")] if c.is_file())]
        stale = [p for p in stale if p.resolve() not in written]
        if options.prune:
            for p in stale:
                try:
                    p.unlink()
                except OSError as e:
                    raise SmsyncError(f"cannot remove {p}: {e.strerror or e}") from None
            result.pruned.extend(stale)
        else:
            result.stale.extend(stale)
    if result.stale:
        result.warnings.append(
            f"{len(result.stale)} file(s) from an earlier import were not written now (their "
            f"groups are no longer on the gateway; the next plan would add them back): "
            f"{', '.join(str(p) for p in result.stale)}; --prune removes them"
        )


def _imported(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as f:
            return f.readline().startswith(IMPORT_HEADER)
    except (OSError, UnicodeDecodeError):
        return False


def _select(remote: list[Group], wanted: list[str]) -> list[Group]:
    if not wanted:
        return sorted(remote, key=lambda g: g.name.casefold())
    by_key = {g.name.casefold(): g for g in remote}
    missing = [w for w in wanted if w.casefold() not in by_key]
    if missing:
        raise SmsyncError(f"no such group on the gateway: {', '.join(missing)}")
    return [by_key[w.casefold()] for w in dict.fromkeys(wanted)]


def _targets(
    groups: list[Group], options: ImportOptions, sizes: dict[str, int]
) -> dict[str, tuple[Path, Path | None]]:
    """group name -> (YAML path, CSV path or None). The same slug for two names ("Sales",
    "sales!") gets a numeric suffix."""
    used: set[str] = set()
    out: dict[str, tuple[Path, Path | None]] = {}
    for g in groups:
        base = slug(g.name)
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        big = sizes.get(g.name, 0) > options.csv_threshold
        out[g.name] = (
            options.out_dir / f"{name}.yaml",
            options.out_dir / f"{name}.csv" if big else None,
        )
    return out


def _dedupe(rows: list[Contact], group: str, region: str, warnings: list[str]) -> list[Contact]:
    """One row per number (a spec cannot declare a number twice in a group): the oldest id is
    kept; plan will then propose deleting the others."""
    seen: dict[str, Contact] = {}
    for c in sorted(rows, key=lambda c: c.id):
        key = try_normalize(c.mobile, region) or "raw:" + re.sub(r"\D", "", c.mobile)
        if key in seen:
            warnings.append(
                f"group '{group}': contact id {c.id} has the same number as id "
                f"{seen[key].id}; only id {seen[key].id} was written (plan will "
                "propose deleting the duplicate)"
            )
            continue
        seen[key] = c
        try:
            normalize(c.mobile, region)
        except InvalidNumberError as e:
            warnings.append(
                f"group '{group}': contact id {c.id}: {e}; written as is, "
                "fix or remove it before plan"
            )
    return list(seen.values())


def _contact_dict(c: Contact) -> dict[str, Any]:
    d: dict[str, Any] = {"name": c.name, "mobile": _Quoted(c.mobile)}
    if c.complete:
        # Empty remote fields are left out: "not managed" keeps the round trip exact and does
        # not make the file claim the field must stay empty.
        if c.address:
            d["address"] = c.address
        if c.birth is not None:
            d["birth"] = c.birth
        if c.desc:
            d["desc"] = c.desc
    return d


class _Quoted(str):
    """A value always written quoted: numbers like 0812… must stay text for every YAML reader
    (a YAML 1.2 parser would read an unquoted 081234567890 as an integer)."""


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key (``contacts:\n  - name: …``), as people write it."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_IndentedDumper.add_representer(
    _Quoted,
    lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="'"),
)


def render_group(name: str, rows: list[Contact], csv_name: str | None) -> str:
    doc: dict[str, Any] = {"kind": "Group", "name": name}
    if csv_name is not None:
        doc["contacts_file"] = csv_name
    else:
        doc["contacts"] = [_contact_dict(c) for c in rows]
    n = len(rows)
    header = f"{IMPORT_HEADER} ({n} contact{'s' * (n != 1)}).\n"
    body = yaml.dump(
        doc,
        Dumper=_IndentedDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return header + body


def render_csv(rows: list[Contact]) -> str:
    """The contacts as CSV; every cell escaped so that no remote value can become a
    spreadsheet formula (smsync.spec.csvcell states the rule the loader undoes)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = [c for c in CSV_COLUMNS if c != "protect"]
    w.writerow(cols)
    for c in rows:
        d = _contact_dict(c)
        birth = d.get("birth")
        cells = [
            d["name"],
            d["mobile"],
            d.get("address", ""),
            birth.isoformat() if birth is not None else "",
            d.get("desc", ""),
        ]
        w.writerow([escape_cell(str(v)) for v in cells])
    return buf.getvalue()


def _check_written(project: Project, result: ImportResult) -> None:
    """Warn when the written files would not validate or would not be read by plan."""
    yaml_files = [p for p in result.files if p.suffix == ".yaml"]
    read = {p.resolve() for p in discover_spec_files(project)}
    outside = [p for p in yaml_files if p.resolve() not in read]
    if outside:
        result.warnings.append(
            f"{len(outside)} written file(s) are not matched by the project's spec files "
            f"(e.g. {outside[0]}); adjust `spec:` in smsync.yaml or use --out"
        )
    try:
        load_desired_state(project, yaml_files)
    except SpecErrors as e:
        result.warnings.extend(f"needs fixing: {p}" for p in e.problems[:20])
        if len(e.problems) > 20:
            result.warnings.append(f"… and {len(e.problems) - 20} more (smsync validate)")


@contextmanager
def rich_progress(enabled: bool) -> Iterator[Progress]:
    """A progress bar on stderr (only on a terminal): contacts listed, then details fetched."""
    if not enabled:
        yield lambda _phase, _n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        listing = bar.add_task("reading contacts", total=None)
        details: list[Any] = []

        def report(phase: str, n: int) -> None:
            if phase == "contacts":
                bar.advance(listing, n)
            elif phase == "details-total":
                details.append(bar.add_task("reading contact details", total=n))
            elif phase == "details" and details:
                bar.advance(details[0], n)

        yield report
