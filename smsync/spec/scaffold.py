"""`smsync init`: a commented project ready for the local sandbox."""

from __future__ import annotations

import json
from pathlib import Path

from smsync.errors import SmsyncError
from smsync.outfile import write_atomically

PROJECT_TEMPLATE = """\
# smsync project file: the gateway, defaults, which spec files to read, safety limits.
# Check it with `smsync validate`. Full reference: `smsync schema project` prints its schema.
#
# The password is never written here. smsync takes it from SMSYNC_PASSWORD, from
# --password-file FILE, or from ~/.config/smsync/credentials (a `username: password`
# mapping that only you may read: chmod 600). The sandbox below needs no password.
version: 1

gateway:
  # sandbox://PATH is a local sandbox gateway kept in a SQLite file (relative to this
  # file). For the real gateway use e.g.  endpoint: http://send.smsmasking.co.id:8080
  endpoint: {endpoint}
  username: {username}
  # page_size: 100            # records per page when reading the phonebook

defaults:
  region: ID                  # numbers written as 08… are read as Indonesian numbers

# Spec files (Group / Broadcast documents). Default: every *.yaml / *.yml under this
# directory except smsync.yaml and dot-directories.
# spec:
#   - groups/*.yaml
#   - broadcasts/*.yaml

safety:
  max_delete_share: 0.30      # plan refuses to delete more than 30% of existing contacts…
  max_update_share: 0.30      # …or to change more than 30% of them…
  min_existing: 10            # …once at least this many contacts exist
  max_recipients: 1000        # broadcast caps (a Broadcast may set lower ones)
  max_segments_per_message: 3
  max_total_segments: 3000

# suppression_file: suppression.txt   # numbers never to message, one per line
# ledger: .smsync/ledger.sqlite       # record of sent broadcasts (default shown)
"""

GROUP_TEMPLATE = """\
# A phonebook group. `smsync plan` shows what would change on the gateway,
# `smsync apply` makes it so. Optional fields that are left out are not managed.
kind: Group
name: Teman
contacts:
  - name: Budi Santoso
    mobile: "081234567890"          # 08…, 628… and +62 8… all mean the same number
    address: Jl. Merdeka No. 10, Bandung
    birth: 1990-08-17
    desc: Teman kuliah
  - name: Siti Rahayu
    mobile: "+62 857-1234-5678"
  - name: Andi Wijaya
    mobile: "6281398765432"
    protect: true                   # apply refuses to delete her, even with --force. To
                                    # remove her: drop `protect: true` first and apply, then
                                    # remove her and apply (smsync remembers the flag).
"""

GITIGNORE = ".smsync/\n"


DEFAULT_ENDPOINT = "sandbox://.smsync/sandbox.sqlite"
DEFAULT_USERNAME = "demo"
_ENDPOINT_SCHEMES = ("http://", "https://", "sandbox://")


def project_text(endpoint: str = DEFAULT_ENDPOINT, username: str = DEFAULT_USERNAME) -> str:
    """smsync.yaml as init writes it. Raises SmsyncError for values smsync could not use."""
    if not endpoint.startswith(_ENDPOINT_SCHEMES):
        raise SmsyncError("--endpoint must start with http://, https:// or sandbox://")
    if any(c in endpoint for c in "@?#") and not endpoint.startswith("sandbox://"):
        # a password in user:pw@host would be committed with the file
        raise SmsyncError("--endpoint must be scheme://host[:port][/prefix] (no user@, ?, #)")
    if not username or not username.isprintable():
        raise SmsyncError("--username must be a non-empty name without control characters")
    return PROJECT_TEMPLATE.format(endpoint=_scalar(endpoint), username=_scalar(username))


def _scalar(value: str) -> str:
    # The sample's own values stay as they read; anything else is a quoted YAML scalar (JSON's
    # string syntax is YAML's double-quoted one).
    if value in (DEFAULT_ENDPOINT, DEFAULT_USERNAME):
        return value
    return json.dumps(value, ensure_ascii=False)


def init_project(
    root: Path,
    *,
    endpoint: str = DEFAULT_ENDPOINT,
    username: str = DEFAULT_USERNAME,
    force: bool = False,
) -> list[Path]:
    """Write smsync.yaml and groups/teman.yaml (and .gitignore if absent). Refuses to overwrite
    smsync.yaml unless ``force``: raises SmsyncError naming it, writing nothing. The example
    group is written only where no file is: even ``force`` never replaces a spec file."""
    config = root / "smsync.yaml"
    targets = {config: project_text(endpoint, username)}
    example = root / "groups" / "teman.yaml"
    if not example.exists():
        targets[example] = GROUP_TEMPLATE
    if config.exists() and not force:
        raise SmsyncError(f"refusing to overwrite {config} (--force replaces it)")
    if not (root / ".gitignore").exists():
        targets[root / ".gitignore"] = GITIGNORE
    written = []
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path == config and force:
            write_atomically(path, text)
        else:
            with path.open("x", encoding="utf-8") as f:  # "x": never clobber, even on a race
                f.write(text)
        written.append(path)
    return written
