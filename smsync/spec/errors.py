"""Problems found in the user's files (each with its location) and the error carrying them all."""

from __future__ import annotations

from dataclasses import dataclass

from smsync.errors import SmsyncError
from smsync.spec.model import Location


@dataclass(frozen=True)
class SpecProblem:
    """One problem. ``where`` is None only when not even the file is known."""

    where: Location | None
    field: str
    message: str

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where is not None else ""
        field = f"{self.field}: " if self.field else ""
        return f"{prefix}{field}{self.message}"

    def sort_key(self) -> tuple[str, int, int]:
        if self.where is None:
            return ("", 0, 0)
        return (self.where.file, self.where.line, self.where.column)


class SpecErrors(SmsyncError):
    """Every problem of one run (not just the first), sorted by file and position."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        # The same error can come from several schema branches (e.g. a list where a document
        # should be): report it once.
        self.problems = sorted(dict.fromkeys(problems), key=SpecProblem.sort_key)
        n = len(self.problems)
        lines = [str(p) for p in self.problems]
        super().__init__("\n".join([*lines, f"{n} problem{'s' if n != 1 else ''} found"]))
