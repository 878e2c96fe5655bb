"""A new password put into a credentials file: that one value changes, every other byte stays,
and the file read back gives the new password, whatever printable-ASCII password it is and
whichever form (YAML, INI) and quoting the owner wrote."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsync.spec.credentials_file import replace_password, update_password
from smsync.spec.localfile import read_text_file
from smsync.spec.project import CredentialsError, parse_credentials, read_credentials_file

OLD = "old-pass"
#: The forms the reader accepts, each with a comment and another account around the entry.
FORMS = {
    "yaml plain": f"# accounts\nother: keep-me\ndemo: {OLD}  # rotated\nlast: 'z'\n",
    "yaml single-quoted": f"demo: '{OLD}'\r\nother: keep-me\r\n",
    "yaml double-quoted": f'other: "k\\"m"\ndemo: "{OLD}"\n',
    "ini section": f"; accounts\n[other]\npassword = keep-me\n\n[demo]\npassword = {OLD}\n",
    "ini lines": f"other = keep-me\ndemo={OLD}   \n# end\n",
}
#: What `account change-password` lets through: printable ASCII, no space.
passwords = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


@pytest.mark.parametrize("form", sorted(FORMS))
@given(new=passwords)
def test_any_allowed_password_replaces_only_its_own_value(form: str, new: str) -> None:
    text = FORMS[form]
    table = parse_credentials(text)
    assert table is not None

    rewritten = replace_password(text, "demo", new)

    assert rewritten is not None
    assert parse_credentials(rewritten) == {**table, "demo": new}
    old_lines, new_lines = text.split("\n"), rewritten.split("\n")
    assert len(old_lines) == len(new_lines)
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert len(changed) <= 1  # the entry's line (unchanged only if new == OLD)
    if changed:
        assert OLD in old_lines[changed[0]]


@pytest.mark.parametrize(
    "text",
    [
        f"demo: |\n  {OLD}\nother: q\n",  # a block scalar
        "other: q\n",  # no entry for the user
        "not a credentials file",
    ],
)
def test_an_entry_that_cannot_be_rewritten_in_place_gives_none(text: str) -> None:
    assert replace_password(text, "demo", "n3w") is None


def private_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_update_keeps_a_read_only_mode_and_replaces_the_file(tmp_path: Path) -> None:
    creds = private_file(tmp_path / "credentials", FORMS["yaml plain"], 0o400)
    inode = creds.stat().st_ino

    update_password(creds, "demo", OLD, "n3w!")

    assert read_credentials_file(creds)["demo"] == "n3w!"
    assert stat.S_IMODE(creds.stat().st_mode) == 0o400
    assert creds.stat().st_ino != inode
    assert os.listdir(tmp_path) == ["credentials"]


def test_update_through_a_symlink_rewrites_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "dotfiles").mkdir()
    target = private_file(tmp_path / "dotfiles" / "credentials", FORMS["ini lines"])
    link = tmp_path / "credentials"
    link.symlink_to(target)

    update_password(link, "demo", OLD, "n3w!")

    assert link.is_symlink()
    assert read_credentials_file(target)["demo"] == "n3w!"


def test_update_refuses_an_entry_that_no_longer_holds_the_old_password(tmp_path: Path) -> None:
    creds = private_file(tmp_path / "credentials", "demo: changed-meanwhile\n")

    with pytest.raises(CredentialsError, match="no longer holds the password in use") as info:
        update_password(creds, "demo", OLD, "n3w!")

    assert "changed-meanwhile" not in str(info.value) and "n3w!" not in str(info.value)
    assert creds.read_text() == "demo: changed-meanwhile\n"


def test_a_write_by_another_process_while_the_new_file_is_prepared_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = private_file(tmp_path / "credentials", FORMS["yaml plain"])
    theirs = "demo: rotated-by-them\nother: keep-me\n"
    real_fsync = os.fsync
    written: list[bool] = []

    def fsync_while_another_process_writes(fd: int) -> None:
        if not written:  # the temporary file's fsync: the slow step, before the rename
            written.append(True)
            creds.write_text(theirs)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_while_another_process_writes)

    with pytest.raises(CredentialsError, match="changed while"):
        update_password(creds, "demo", OLD, "n3w!")

    assert creds.read_text() == theirs
    assert os.listdir(tmp_path) == ["credentials"]


def test_the_entry_checked_is_the_entry_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process changes the file between the check of the entry and the read of the text
    # to rewrite: its password must not be replaced as if it were the old one.
    creds = private_file(tmp_path / "credentials", FORMS["yaml plain"])
    theirs = "demo: rotated-by-them\nother: keep-me\n"

    def read_after_another_process_wrote(path: Path, **kwargs: Any) -> str:
        creds.write_text(theirs)  # after the reader's own look at the entry
        return read_text_file(path, **kwargs)

    monkeypatch.setattr(
        "smsync.spec.credentials_file.read_text_file", read_after_another_process_wrote
    )

    with pytest.raises(CredentialsError, match="no longer holds the password in use"):
        update_password(creds, "demo", OLD, "n3w!")

    assert creds.read_text() == theirs
