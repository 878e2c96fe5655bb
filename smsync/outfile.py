"""Files written for the user (``plan --out``): checked before the work, replaced atomically.

Two promises. A path that cannot be written is refused *before* the work that fills it (reading
a whole remote phonebook, say), with one line naming the path. And the file is either the old
one or the complete new one, never half of it: the text goes to a temporary file in the same
directory, which then replaces the target (``os.replace`` is atomic within a filesystem).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from smsync.errors import SmsyncError


class OutFileError(SmsyncError):
    """The output file cannot be written; the message names it."""


def _target(path: Path) -> Path:
    # Through a symlink, write the file it points to (as a plain open() would) and keep the link.
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")


def _is_special(path: Path) -> bool:
    """A device, FIFO or pipe (``--out /dev/stdout``): written in place, nothing to replace."""
    try:
        return not stat.S_ISREG(path.stat().st_mode) and not path.is_dir()
    except OSError:
        return False


def check_writable(path: Path, *, replaces: str | None = None) -> None:
    """Raise OutFileError unless ``write_atomically(path, ...)`` can succeed (space aside).

    Creates and removes a probe file next to the target, because permission bits tell nothing
    for root, read-only mounts or /sys: only trying does. ``replaces``: text an existing file
    must start with to be overwritten (an earlier output of the same kind), so that a mistyped
    path cannot destroy another file — the ledger, a spec file, ``smsync.yaml``.
    """
    if _is_special(path):
        return
    target = _target(path)
    if target.is_dir():
        raise OutFileError(f"cannot write {path}: it is a directory")
    if replaces is not None and target.is_file() and not _starts_with(target, replaces):
        raise OutFileError(
            f"cannot write {path}: it exists and is not an earlier output of this command "
            "(refusing to overwrite it; remove it first if it really should go)"
        )
    parent = target.parent
    if not parent.exists():
        raise OutFileError(f"cannot write {path}: directory {parent} does not exist")
    if not parent.is_dir():
        raise OutFileError(f"cannot write {path}: {parent} is not a directory")
    try:
        if target.exists():
            with target.open("a"):  # writable? ("a" does not truncate)
                pass
        probe = _temp_name(target)
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        raise OutFileError(f"cannot write {path}: {exc.strerror or exc}") from None


def _starts_with(path: Path, head: str) -> bool:
    try:
        with path.open("rb") as f:
            start = f.read(4096).decode("utf-8", errors="replace").lstrip()
    except OSError:
        return False
    return start.startswith(head) or not start


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``: afterwards it holds either its old content or all of
    ``text``. An existing file keeps its permission bits; a new one gets the umask's."""
    try:
        if _is_special(path):
            path.write_text(text, encoding="utf-8")
            return
        target = _target(path)
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else None
        temp = _temp_name(target)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())  # the data is on disk before the name points at it
            if mode is not None:
                os.chmod(temp, mode)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutFileError(f"cannot write {path}: {exc.strerror or exc}") from None
