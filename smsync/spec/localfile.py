"""Reading a local text file the user names: contacts CSVs, the suppression list, password,
credentials and token files.

The one way smsync reads such a file, so that every one of them behaves the same:
- only a regular file is read: a device (/dev/zero never ends), a FIFO (opening it blocks until
  someone writes) or a directory is refused. The file is opened non-blocking and checked again
  on the open descriptor, so a FIFO swapped in after the first check cannot block either;
- at most ``max_bytes`` are read: a file that is larger is refused, not loaded;
- bytes that are not text in the encoding are refused without saying where: these files hold
  secrets, and a position inside a password is a hint about it.
Messages name the file and the problem, never the content.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from smsync.errors import SmsyncError

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOCTTY = getattr(os, "O_NOCTTY", 0)


class LocalFileError(SmsyncError):
    """A local file cannot be read as text. ``reason`` reads after the file's name ("does not
    exist", "is a directory", "cannot be read (Permission denied)"); callers that show the file
    their own way (relative to the project, with the option that named it) use it alone."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path} {reason}")


def read_text_file(path: Path, *, max_bytes: int, encoding: str = "utf-8-sig") -> str:
    """The text of the regular file ``path``, at most ``max_bytes`` bytes long. Raises
    LocalFileError (does not exist, is a directory, is not a regular file, is larger than …,
    is not UTF-8 text, or the system's reason)."""
    try:
        require_regular(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | _NONBLOCK | _NOCTTY)
    except FileNotFoundError:
        raise LocalFileError(path, "does not exist") from None
    except OSError as e:
        raise LocalFileError(path, _reason(e)) from None
    try:
        require_regular(path, os.fstat(fd).st_mode)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise LocalFileError(path, _reason(e)) from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise LocalFileError(path, f"is larger than {_size(max_bytes)}")
    try:
        return b"".join(chunks).decode(encoding)
    except UnicodeDecodeError:
        name = "UTF-8" if encoding.replace("_", "-").lower().startswith("utf-8") else encoding
        raise LocalFileError(path, f"is not {name} text") from None


def require_regular(path: Path, mode: int) -> None:
    """Raise LocalFileError unless ``mode`` (from a stat of ``path``) is a regular file's."""
    if stat.S_ISDIR(mode):
        raise LocalFileError(path, "is a directory")
    if not stat.S_ISREG(mode):
        raise LocalFileError(path, "is not a regular file")


def _reason(e: OSError) -> str:
    return f"cannot be read ({e.strerror or type(e).__name__})"


def _size(n: int) -> str:
    for unit, factor in (("MB", 1_000_000), ("kB", 1_000)):
        if n >= factor:
            return f"{n // factor} {unit}"
    return f"{n} bytes"
