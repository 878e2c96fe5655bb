"""The ``git`` backend: the state as an append-only journal on a branch of the project's own
repository (``state: git:smsync-state``; ``git:BRANCH@REMOTE`` for another remote or URL).

The branch holds ``journal.jsonl`` (one record per line, in the order written: replaying it
rebuilds the state) and ``locks/<account>.json`` (who holds each gateway account's apply lock,
until when). It is read and written through a private bare repository in
``.smsync/git-state.git``, never through the project's work tree or index.

Writes are pushes: every ``append`` is a commit pushed before it returns (a send's *pending*
row is on the remote before the request leaves). Concurrent writers are serialised by the
push itself: a rejected push fetches the branch, puts the new lines after the remote's journal
(records are whole row images, so appending is always a valid merge) and pushes again.

No phone number enters git history: a number (a value starting with ``+``), and a message body
kept for audit (``SMSYNC_LEDGER_KEEP_BODIES``), is stored as ``k1:`` + a keyed, deterministic
encryption of it (SIV with HMAC-SHA256 under ``SMSYNC_STATE_KEY``, a CI secret): equal numbers
give equal tokens, and only the key turns a token back into the number (plan shows who already
got a message). Broadcast and group names, states, msgids, trxids, body hashes and lock owners
are stored as they are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from smsync.state.backend import Backend, LockInfo, Record, StateError

KEY_ENV = "SMSYNC_STATE_KEY"
#: Fields stored only as tokens whatever they hold: a kept message body names its recipient.
SEALED_FIELDS = frozenset({"body"})
JOURNAL = "journal.jsonl"
#: Pushes tried before a write gives up (each rejected one re-fetches and merges).
PUSH_TRIES = 30
_TOKEN = "k1:"


def _without_userinfo(remote: str) -> str:
    parts = urlsplit(remote)
    if "://" not in remote or "@" not in parts.netloc:
        return remote
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


class NumberCipher:
    """Deterministic authenticated encryption of short strings (SIV, HMAC-SHA256)."""

    def __init__(self, key: str) -> None:
        self._key = hashlib.sha256(key.encode("utf-8")).digest()

    def _mac(self, label: bytes, data: bytes) -> bytes:
        return hmac.new(self._key, label + data, hashlib.sha256).digest()

    def _stream(self, tag: bytes, size: int) -> bytes:
        blocks = (
            self._mac(b"stream" + i.to_bytes(4, "big"), tag) for i in range((size + 31) // 32)
        )
        return b"".join(blocks)[:size]

    def seal(self, text: str) -> str:
        data = text.encode("utf-8")
        tag = self._mac(b"tag", data)[:16]
        stream = self._stream(tag, len(data))
        sealed = bytes(a ^ b for a, b in zip(data, stream, strict=True))
        return _TOKEN + base64.urlsafe_b64encode(tag + sealed).decode("ascii").rstrip("=")

    def open(self, token: str) -> str:
        raw = base64.urlsafe_b64decode(token[len(_TOKEN) :] + "=" * (-len(token) % 4))
        tag, sealed = raw[:16], raw[16:]
        stream = self._stream(tag, len(sealed))
        data = bytes(a ^ b for a, b in zip(sealed, stream, strict=True))
        if not hmac.compare_digest(self._mac(b"tag", data)[:16], tag):
            raise StateError(
                f"the git state was written with another {KEY_ENV}: use the key it was written with"
            )
        return data.decode("utf-8")

    def seal_value(self, value: Any, *, always: bool = False) -> Any:
        """A number (``+…``), or any text when ``always``, as a token; the rest as it is."""
        if isinstance(value, str) and (always or value.startswith("+")):
            return self.seal(value)
        return value

    def open_value(self, value: Any) -> Any:
        return self.open(value) if isinstance(value, str) and value.startswith(_TOKEN) else value


class GitBackend(Backend):
    KIND = "git"
    LOCK_SCOPE = "shared"

    def __init__(
        self, root: Path, branch: str, remote: str = "origin", key: str | None = None
    ) -> None:
        self.root = root
        self.branch = branch
        self.remote = remote
        key = key if key is not None else os.environ.get(KEY_ENV, "")
        if not key:
            raise StateError(
                f"state git:{branch} needs {KEY_ENV} (a CI secret): phone numbers "
                "are stored in git only encrypted under it"
            )
        self.cipher = NumberCipher(key)
        self.repo = root / ".smsync" / "git-state.git"
        self._url: str | None = None
        self._tip: str | None = None  # the branch's commit as last fetched or pushed
        self._fetched = False
        self._journal: tuple[str | None, str] = (None, "")  # (commit, its journal), cached
        self._held = ""  # lines of writes whose loss is safe, pushed with the next one

    @property
    def where(self) -> str:
        # a remote URL may carry a token (https://oauth2:TOKEN@host/...): never shown
        return f"git:{self.branch} of {_without_userinfo(self.remote)}"

    # ---- git plumbing --------------------------------------------------------------------

    def _git(
        self,
        *args: str,
        cwd: Path | None = None,
        input: str | None = None,
        env: dict[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
        if cwd is None:
            # the private repository, whatever the caller's GIT_* variables say; index
            # commands want a work tree, and never use it
            full_env.update(GIT_DIR=str(self.repo), GIT_WORK_TREE=str(self.repo))
        else:
            for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
                full_env.pop(name, None)
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd or self.repo,
                input=input,
                env=full_env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StateError(f"git failed for the state {self.where}: {exc}") from None
        if check and done.returncode != 0:
            raise StateError(
                f"git {args[0]} failed for the state {self.where}: {self._said(done.stderr)}"
            )
        return done

    def _said(self, stderr: str) -> str:
        """git's last line of complaint, without a token the remote URL may carry."""
        line = (stderr.strip().splitlines() or ["?"])[-1]
        for secret in {self._url or "", self.remote} - {""}:
            line = line.replace(secret, _without_userinfo(secret))
        return line

    @property
    def url(self) -> str:
        if self._url is None:
            if "/" in self.remote or ":" in self.remote:
                self._url = self.remote
            else:
                got = self._git("remote", "get-url", self.remote, cwd=self.root, check=False)
                if got.returncode != 0:
                    raise StateError(
                        f"state {self.where}: {self.root} is not in a git "
                        f"repository with a remote '{self.remote}'"
                    )
                self._url = got.stdout.strip()
            if not self.repo.is_dir():
                self.repo.parent.mkdir(parents=True, exist_ok=True)
                self._git("init", "--quiet", "--bare", str(self.repo), cwd=self.root)
                # how the checkout reaches its remote (CI: actions/checkout's auth header)
                found = self._git(
                    "config",
                    "--local",
                    "--get-regexp",
                    r"^(http|credential)\.",
                    cwd=self.root,
                    check=False,
                ).stdout
                for line in found.splitlines():
                    name, _, value = line.partition(" ")
                    self._git("config", "--add", name, value)
        return self._url

    def _fetch(self) -> str | None:
        """The remote branch's commit now (None: the branch does not exist yet)."""
        url = self.url
        ref = f"refs/heads/{self.branch}"
        listed = self._git("ls-remote", url, ref).stdout.split()
        if not listed:
            self._tip, self._fetched = None, True
            return None
        self._git("fetch", "--quiet", url, f"+{ref}:refs/state/{self.branch}")
        self._tip, self._fetched = listed[0], True
        return self._tip

    def _file(self, tip: str | None, path: str) -> str | None:
        if tip is None:
            return None
        got = self._git("cat-file", "-p", f"{tip}:{path}", check=False)
        return got.stdout if got.returncode == 0 else None

    def _commit(self, tip: str | None, files: dict[str, str | None], message: str) -> str:
        """A commit on ``tip`` with ``files`` written (None: removed)."""
        index = self.repo / f"index-{os.getpid()}-{id(self)}"
        env = {
            "GIT_INDEX_FILE": str(index),
            "GIT_AUTHOR_NAME": "smsync",
            "GIT_AUTHOR_EMAIL": "smsync@localhost",
            "GIT_COMMITTER_NAME": "smsync",
            "GIT_COMMITTER_EMAIL": "smsync@localhost",
        }
        try:
            if tip is None:
                self._git("read-tree", "--empty", env=env)
            else:
                self._git("read-tree", tip, env=env)
            for path, text in files.items():
                if text is None:
                    self._git("update-index", "--force-remove", path, env=env)
                else:
                    blob = self._git("hash-object", "-w", "--stdin", input=text).stdout.strip()
                    self._git(
                        "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env
                    )
            tree = self._git("write-tree", env=env).stdout.strip()
        finally:
            index.unlink(missing_ok=True)
        parents = ["-p", tip] if tip else []
        return self._git("commit-tree", tree, *parents, "-m", message, env=env).stdout.strip()

    def _push(self, commit: str) -> bool:
        done = self._git(
            "push", "--quiet", self.url, f"{commit}:refs/heads/{self.branch}", check=False
        )
        if done.returncode == 0:
            self._tip = commit
            return True
        if "rejected" in done.stderr or "fetch first" in done.stderr or "non-fast" in done.stderr:
            return False
        raise StateError(f"git push failed for the state {self.where}: {self._said(done.stderr)}")

    def _update(self, change: Any, message: str) -> Any:
        """Apply ``change(tip) -> (files, result)`` and push; a push that lost a race fetches
        and tries again (``files`` None: nothing to write)."""
        tip = self._tip if self._fetched else self._fetch()
        for attempt in range(PUSH_TRIES):
            files, result = change(tip)
            if files is None:
                return result
            if self._push(self._commit(tip, files, message)):
                return result
            time.sleep(random.uniform(0, 0.05 * (attempt + 1)))
            tip = self._fetch()
        raise StateError(
            f"the state {self.where} kept changing: {PUSH_TRIES} pushes were "
            "rejected; nothing more was written"
        )

    # ---- the interface -------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return (self._tip if self._fetched else self._fetch()) is not None

    def read(self) -> Iterator[Record]:
        text = self._file(self._fetch(), JOURNAL) or ""
        for line in text.splitlines():
            if line.strip():
                yield self._open(Record.from_json(json.loads(line)))

    def _seal(self, rec: Record) -> Record:
        c = self.cipher
        row = (
            None
            if rec.row is None
            else {k: c.seal_value(v, always=k in SEALED_FIELDS) for k, v in rec.row.items()}
        )
        return Record(rec.table, tuple(c.seal_value(k) for k in rec.key), row)

    def _open(self, rec: Record) -> Record:
        c = self.cipher
        row = None if rec.row is None else {k: c.open_value(v) for k, v in rec.row.items()}
        return Record(rec.table, tuple(c.open_value(k) for k in rec.key), row)

    def append(self, records: Sequence[Record], *, durable: bool = True) -> None:
        self._held += "".join(
            json.dumps(self._seal(r).to_json(), sort_keys=True) + "\n" for r in records
        )
        if durable:
            self.flush()

    def flush(self) -> None:
        """Push the lines held back (see Backend.append)."""
        lines = self._held
        if not lines:
            return

        def change(tip: str | None) -> tuple[dict[str, str | None], None]:
            cached_tip, text = self._journal
            if tip is None or tip != cached_tip:
                text = self._file(tip, JOURNAL) or ""
            self._journal = (None, text + lines)  # the commit is known once pushed
            return {JOURNAL: text + lines}, None

        self._update(change, f"smsync: {lines.count(chr(10))} record(s)")
        self._journal = (self._tip, self._journal[1])
        self._held = ""

    def close(self) -> None:
        self.flush()

    @staticmethod
    def _lock_path(account: str) -> str:
        return f"locks/{hashlib.sha256(account.encode('utf-8')).hexdigest()[:16]}.json"

    def try_lock(self, info: LockInfo) -> LockInfo | None:
        path = self._lock_path(info.account)

        def change(tip: str | None) -> tuple[dict[str, str | None] | None, LockInfo | None]:
            held = self._file(tip, path)
            if held:
                holder = LockInfo.from_json(held)
                if holder.id != info.id and not holder.expired:
                    return None, holder
            return {path: info.to_json() + "\n"}, None

        result: LockInfo | None = self._update(change, f"smsync: lock {info.id}")
        if result is not None:
            self._fetched = False  # wait for the holder: look again next time
        return result

    def release(self, info: LockInfo) -> None:
        self._remove_lock(info.id)

    def _remove_lock(self, lock_id: str) -> LockInfo | None:
        def change(tip: str | None) -> tuple[dict[str, str | None] | None, LockInfo | None]:
            for held in self._locks(tip):
                if held.id == lock_id:
                    return {self._lock_path(held.account): None}, held
            return None, None

        result: LockInfo | None = self._update(change, f"smsync: unlock {lock_id}")
        return result

    def _locks(self, tip: str | None) -> list[LockInfo]:
        if tip is None:
            return []
        names = self._git("ls-tree", "--name-only", f"{tip}:locks", check=False).stdout.split()
        return [LockInfo.from_json(self._file(tip, f"locks/{n}") or "{}") for n in names]

    def locks(self) -> list[LockInfo]:
        return [i for i in self._locks(self._fetch()) if not i.expired]

    def unlock(self, lock_id: str) -> LockInfo:
        self._fetched = False
        info = self._remove_lock(lock_id)
        if info is None:
            raise StateError(f"no lock {lock_id} in {self.where}")
        return info
