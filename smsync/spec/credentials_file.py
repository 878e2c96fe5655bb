"""Putting a new password into a credentials file (the file ``read_credentials_file`` reads).

The file holds other accounts' passwords and its owner's comments, and a broken one locks its
owner out, so:
- only the value of one entry changes; every other byte (other users, comments, order, quoting,
  line endings) stays as it was. The new text is read back with the reader itself and must give
  the same table with that one password changed, or nothing is written;
- the file is replaced atomically: a temporary file in the same directory, fsync'd, given the
  file's mode, then ``os.replace`` and an fsync of the directory. The file holds either the old
  text or the new one, whatever happens when;
- the temporary file is created private (0600) before the password is written into it, and
  gets the file's own mode only then: the password is never readable by others, not even for a
  moment, and a file kept at 0600 stays 0600;
- a symlink is followed: the file it points to is replaced, the link kept;
- another process's write is not overwritten: the entry is checked in the very text that is
  rewritten, and the file must be as it was read (inode, size, times) just before the rename.
  Without a lock the protocol shares with every editor, a write in the last microseconds (or
  one that keeps size and times within the clock's tick) can still be lost.

``check_update`` asks all of this before the gateway is asked to change anything: a file that
cannot be rewritten is found out while the old password is still the valid one.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, ScalarNode

from smsync.spec.localfile import LocalFileError, read_text_file
from smsync.spec.project import (
    MAX_SECRET_FILE_BYTES,
    CredentialsError,
    parse_credentials,
    read_credentials_file,
)


def replace_password(text: str, username: str, new_password: str) -> str | None:
    """``text`` (a credentials file) with ``username``'s password made ``new_password`` and
    nothing else changed; None when that cannot be done by changing that entry's value alone.

    Every rewrite is checked by reading it back: it must give the old table with that one
    password changed (YAML's quoting rules and INI's whitespace rules are not re-implemented
    here, only the location of the value)."""
    table = parse_credentials(text)
    if table is None or username not in table:
        return None
    expected = {**table, username: new_password}
    for candidate in (
        *_yaml_rewrites(text, username, new_password),
        *_ini_rewrites(text, username, new_password),
    ):
        if parse_credentials(candidate) == expected:
            return candidate
    return None


def _yaml_rewrites(text: str, username: str, new: str) -> list[str]:
    try:
        # The pure-Python loader: its marks count characters (libyaml's may count bytes).
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(node, MappingNode):
        return []
    values = [v for k, v in node.value if isinstance(k, ScalarNode) and k.value == username]
    if not values or not isinstance(values[-1], ScalarNode):
        return []
    value = values[-1]  # a repeated key: the reader keeps the last
    start, end = value.start_mark.index, value.end_mark.index
    single = "'" + new.replace("'", "''") + "'"
    double = '"' + new.replace("\\", "\\\\").replace('"', '\\"') + '"'
    # The entry's own quoting first, so that the line reads as its owner wrote it.
    forms = {None: [new, single], "'": [single], '"': [double, single]}.get(value.style, [single])
    return [text[:start] + form + text[end:] for form in forms]


_SECTION = re.compile(r"\[(?P<header>.+)\]")
_TRAILING_BLANKS = re.compile(r"[ \t\r]*\Z")


def _ini_rewrites(text: str, username: str, new: str) -> list[str]:
    """One rewrite per line that may hold the entry (``username = PW`` anywhere, or
    ``password = PW`` under ``[username]``), the last first: the reader keeps the last."""
    # Split on "\n" alone: a "\r" stays in its line (kept as found), and no other character
    # that str.splitlines() would break on can end up dropped.
    lines = text.split("\n")
    section: str | None = None
    found: list[str] = []
    for i, line in enumerate(lines):
        indented = line[:1].isspace()
        header = _SECTION.match(line.strip())
        if header is not None and not indented:
            section = header.group("header")
            continue
        key, sep, rest = line.partition("=")
        if not sep or indented or key.lstrip().startswith(("#", ";")):
            continue
        if key.strip() == username or (section == username and key.strip() == "password"):
            lead = rest[: len(rest) - len(rest.lstrip(" \t"))]
            tail = _TRAILING_BLANKS.search(rest)
            trailing = tail.group() if tail is not None else ""
            rewritten = [*lines[:i], f"{key}={lead}{new}{trailing}", *lines[i + 1 :]]
            found.append("\n".join(rewritten))
    return found[::-1]


def check_update(path: Path, username: str, old_password: str, new_password: str) -> None:
    """Raise CredentialsError unless ``update_password`` can succeed now (space aside): the
    entry holds ``old_password``, can be rewritten, and the directory takes a new file."""
    _new_text(path, username, old_password, new_password)
    target = _target(path)
    probe = _temp_name(target)
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        raise CredentialsError(
            f"cannot update credentials file {path}: no new file can be made in {target.parent} "
            f"({exc.strerror or type(exc).__name__})"
        ) from None


def update_password(path: Path, username: str, old_password: str, new_password: str) -> None:
    """Make ``username``'s entry in the credentials file ``path`` hold ``new_password``,
    atomically, keeping the file's mode and every other byte. CredentialsError when the entry
    no longer holds ``old_password`` (the file changed meanwhile) or the file cannot be
    rewritten; the file is then as it was."""
    target = _target(path)
    try:
        seen = _identity(os.stat(target))
    except OSError as exc:
        raise CredentialsError(
            f"cannot update credentials file {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    text = _new_text(path, username, old_password, new_password)
    try:
        _replace(target, text.encode("utf-8"), seen)
    except OSError as exc:
        raise CredentialsError(
            f"cannot update credentials file {path}: {exc.strerror or type(exc).__name__}"
        ) from None


def _new_text(path: Path, username: str, old_password: str, new_password: str) -> str:
    read_credentials_file(path)  # the reader's checks: regular, private, a known form
    try:
        text = read_text_file(path, max_bytes=MAX_SECRET_FILE_BYTES, encoding="utf-8")
    except LocalFileError as e:
        raise CredentialsError(f"credentials file {e}") from None
    # Checked in this text, the one rewritten: the file may have changed since the reader's.
    table = parse_credentials(text)
    if table is None or table.get(username) != old_password:
        raise CredentialsError(
            f"credentials file {path}: the entry for user {username!r} no longer holds the "
            "password in use (changed meanwhile?); not rewriting it"
        )
    new_text = replace_password(text, username, new_password)
    if new_text is None:
        raise CredentialsError(
            f"credentials file {path}: the entry for user {username!r} is written in a form "
            "smsync cannot rewrite without touching the rest of the file"
        )
    return new_text


def _target(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")


def _identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _replace(target: Path, data: bytes, seen: tuple[int, int, int, int, int]) -> None:
    st = os.stat(target)
    temp = _temp_name(target)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if os.name == "posix" and os.geteuid() == 0:
                # root rewriting a user's file: it stays the user's (or the user is locked out)
                os.fchown(f.fileno(), st.st_uid, st.st_gid)
            os.fchmod(f.fileno(), stat.S_IMODE(st.st_mode))
            os.fsync(f.fileno())  # the data is on disk before the name points at it
        if _identity(os.stat(target)) != seen:
            raise CredentialsError(
                f"credentials file {target} changed while being rewritten (another process?); "
                "not replaced"
            )
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (a crash after os.replace could otherwise undo it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not every platform opens directories; the rename has happened regardless
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
