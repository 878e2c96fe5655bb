"""`smsync account change-password` against gateways that answer oddly or hostilely, through the
real CLI over real HTTP (a scripted server on a loopback socket: the sandbox always answers
well): the credentials file is rewritten only on the documented success answer, a redirect is
not called "never sent", and no answer that echoes the request can put a password on stderr.
Also: a credentials file that still holds the old password but was not the password's source
is named after the change."""

from __future__ import annotations

import html
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from smsync.account import ALLOWED, password_problem, quotes_secret
from smsync.cli import cli
from tests.support.scripted_server import ScriptedServer
from tests.support.tls import GarblingTlsGateway

USERNAME = "demo"
#: Neither password shares 4 characters in a row with the username or with any message's words:
#: a run of 4 of them in the output is a leak, not a coincidence.
PASSWORD = "0ld-Pa55-Qx7"
NEW = "N3w-Zq8_xK!#1v"
CREDENTIALS = f"# accounts\n{USERNAME}: {PASSWORD}\nother: keep-me\n"


@pytest.fixture
def gateway() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_default_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may find the machine's own ~/.config/smsync/credentials."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def project(tmp_path: Path, endpoint: str) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / "smsync.yaml").write_text(
        f"version: 1\ngateway:\n  endpoint: {endpoint}\n  username: {USERNAME}\n"
    )
    return root


def credentials_file(path: Path, text: str = CREDENTIALS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)
    return path


def project_and_credentials(tmp_path: Path, endpoint: str) -> tuple[Path, Path]:
    """A project at ``endpoint``, and a credentials file holding CREDENTIALS for it."""
    return project(tmp_path, endpoint), credentials_file(tmp_path / "secrets" / "credentials")


def change_password(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    """``smsync account change-password ROOT ARGS --new-password-stdin`` with NEW on stdin."""
    result = CliRunner().invoke(
        cli,
        ["account", "change-password", str(root), *args, "--new-password-stdin"],
        input=NEW,
        env={"SMSYNC_PASSWORD": "", "SMSYNC_CREDENTIALS_FILE": "", "CI": "1", **(env or {})},
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def password_parts_in(text: str) -> list[str]:
    """Every run of 4 characters of either password (as sent on a URL, too) found in ``text``:
    a message that shows a part of a password has leaked it."""
    forms = {f(pw) for pw in (PASSWORD, NEW) for f in (str, quote_plus)}
    return sorted({f[i : i + 4] for f in forms for i in range(len(f) - 3)} & _runs(text))


def _runs(text: str) -> set[str]:
    return {text[i : i + 4] for i in range(len(text) - 3)}


# --- the file is rewritten only on the documented success answer ----------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"1701garbage",  # not the code 1701: a word that starts with it
        b"17010",  # a number, not a code (as the client reads any other answer)
        b"1701.5",
    ],
)
def test_an_answer_that_only_starts_with_1701_does_not_rewrite_the_credentials_file(
    gateway: ScriptedServer, tmp_path: Path, body: bytes
) -> None:
    gateway.always(body)
    root, creds = project_and_credentials(tmp_path, gateway.url)

    result = change_password(root, "--credentials-file", str(creds))

    assert result.exit_code == 1, result.output
    assert "MAY OR MAY NOT have been changed" in result.stderr
    assert creds.read_text() == CREDENTIALS
    assert len(gateway.seen) == 1  # asked once, never repeated


def test_a_1701_with_an_error_status_does_not_rewrite_the_credentials_file(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    gateway.always(b"1701", status=404)
    root, creds = project_and_credentials(tmp_path, gateway.url)

    result = change_password(root, "--credentials-file", str(creds))

    assert result.exit_code == 1, result.output
    assert creds.read_text() == CREDENTIALS


@pytest.mark.parametrize("body", [b"1701", b"1701\r\n", b"1701 <html><body></body></html>"])
def test_the_documented_success_answer_rewrites_the_credentials_file(
    gateway: ScriptedServer, tmp_path: Path, body: bytes
) -> None:
    gateway.always(body)
    root, creds = project_and_credentials(tmp_path, gateway.url)

    result = change_password(root, "--credentials-file", str(creds))

    assert result.exit_code == 0, result.output
    assert creds.read_text() == CREDENTIALS.replace(f": {PASSWORD}\n", f": {NEW}\n")


def test_a_redirect_is_a_doubt_not_a_request_that_never_left(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    # A server may store the new password and then redirect (to a login page, say): the
    # request reached it, so "certainly still valid" would be a guess.
    gateway.always(b"", status=302, headers={"Location": "https://gateway.example/login"})
    root, creds = project_and_credentials(tmp_path, gateway.url)

    result = change_password(root, "--credentials-file", str(creds))

    assert result.exit_code == 1, result.output
    assert "never reached" not in result.stderr and "certainly" not in result.stderr
    assert "MAY OR MAY NOT have been changed" in result.stderr
    assert "redirect" in result.stderr  # what to fix stays said
    assert creds.read_text() == CREDENTIALS


# --- no answer can put a password on the screen ---------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "says"),
    [
        (200, f"1702 wrong old password for newpasw={NEW}", "1702 invalid username or password"),
        (200, f"1705 {PASSWORD} may not be reused", "1705 process failed"),
        (200, f"<html>Bad request: ?newpasw={quote_plus(NEW)}</html>", "ChangePassword"),
        (403, f"Forbidden: newpass={NEW}", "HTTP 403"),
        (200, f"Unable to process your request: {NEW}", "unable to process"),
        (200, f"1701{NEW}", "ChangePassword"),
        # cut where the excerpt of a long body is cut: a part of the password is a leak too
        (200, "<html>" + "x" * 110 + NEW + "</html>", "ChangePassword"),
    ],
)
def test_an_answer_that_echoes_a_password_never_shows_it(
    gateway: ScriptedServer, tmp_path: Path, status: int, body: str, says: str
) -> None:
    gateway.always(body.encode(), status=status)
    root, creds = project_and_credentials(tmp_path, gateway.url)

    result = change_password(root, "--credentials-file", str(creds))

    assert result.exit_code == 1
    assert says in result.stderr, result.stderr
    assert password_parts_in(result.output) == [], result.output
    assert creds.read_text() == CREDENTIALS


def test_an_answer_without_a_password_in_it_is_still_quoted(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    gateway.always(b"1705 password too short")
    root = project(tmp_path, gateway.url)

    result = change_password(root, env={"SMSYNC_PASSWORD": PASSWORD})

    assert result.exit_code == 1
    assert "1705 process failed (password too short)" in result.stderr


# --- every place that still holds the old password is named ---------------------------------


def test_a_credentials_file_also_holding_the_old_password_is_named_after_the_change(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    gateway.always(b"1701")
    root, creds = project_and_credentials(tmp_path, gateway.url)

    # $SMSYNC_PASSWORD comes before any credentials file: it is the password in use.
    result = change_password(
        root, "--credentials-file", str(creds), env={"SMSYNC_PASSWORD": PASSWORD}
    )

    assert result.exit_code == 0, result.output
    assert "$SMSYNC_PASSWORD still holds the OLD password" in result.stdout
    assert f"credentials file {creds} also holds the OLD password" in result.stdout
    assert creds.read_text() == CREDENTIALS  # not the password's source: left to its owner


def test_the_default_credentials_file_holding_the_old_password_is_named_too(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    gateway.always(b"1701")
    root = project(tmp_path, gateway.url)
    default = credentials_file(tmp_path / "xdg" / "smsync" / "credentials")
    pw_file = tmp_path / "pw"
    pw_file.write_text(PASSWORD)

    result = change_password(root, "--password-file", str(pw_file))

    assert result.exit_code == 0, result.output
    assert f"password file {pw_file} still holds the OLD password" in result.stdout
    assert f"credentials file {default} also holds the OLD password" in result.stdout


def test_smsync_password_also_holding_the_old_password_is_named_after_a_password_file_change(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    gateway.always(b"1701")
    root = project(tmp_path, gateway.url)
    pw_file = tmp_path / "pw"
    pw_file.write_text(PASSWORD)

    result = change_password(
        root, "--password-file", str(pw_file), env={"SMSYNC_PASSWORD": PASSWORD}
    )

    assert result.exit_code == 0, result.output
    assert f"password file {pw_file} still holds the OLD password" in result.stdout
    assert "$SMSYNC_PASSWORD also holds the OLD password" in result.stdout


def test_a_credentials_file_holding_another_password_is_not_named(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    gateway.always(b"1701")
    root = project(tmp_path, gateway.url)
    creds = credentials_file(tmp_path / "secrets" / "credentials", f"{USERNAME}: older\n")

    result = change_password(
        root, "--credentials-file", str(creds), env={"SMSYNC_PASSWORD": PASSWORD}
    )

    assert result.exit_code == 0, result.output
    assert "also holds" not in result.stdout


def test_a_lost_answer_with_a_password_file_does_not_speak_of_an_entry(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    gateway.drop()
    root = project(tmp_path, gateway.url)
    pw_file = tmp_path / "pw"
    pw_file.write_text(PASSWORD)

    result = change_password(root, "--password-file", str(pw_file))

    assert result.exit_code == 1
    assert f"put the new password in password file {pw_file}, then" in result.stderr
    assert "(entry" not in result.stderr


# --- asked once; a file that changes meanwhile ------------------------------------------------


def test_a_change_whose_answer_times_out_is_asked_once_and_is_a_doubt(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    # Asked again, a change that was applied would fail with 1702 (the old password no longer
    # authorises it) and read as "wrong password": a retry would turn a doubt into a wrong answer.
    gateway.drop(delay=3.0)  # (no answer written after the client gave up: no broken pipe)
    root = project(tmp_path, gateway.url)
    with (root / "smsync.yaml").open("a") as f:
        f.write("  timeout: 0.5\n")
    creds = credentials_file(tmp_path / "secrets" / "credentials")

    result = change_password(root, "--credentials-file", str(creds))

    assert result.exit_code == 1, result.output
    assert "MAY OR MAY NOT have been changed" in result.stderr
    assert len(gateway.seen) == 1
    assert creds.read_text() == CREDENTIALS


def test_a_credentials_file_rotated_during_the_change_is_kept_and_not_called_old(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    gateway.always(b"1701", delay=1.0)
    root, creds = project_and_credentials(tmp_path, gateway.url)
    rotated = f"{USERNAME}: set-by-another-process\nother: keep-me\n"

    def rotate() -> None:  # another process, while the gateway is still answering
        while not gateway.seen:
            time.sleep(0.01)
        credentials_file(creds, rotated)

    rotator = threading.Thread(target=rotate)
    rotator.start()
    result = change_password(root, "--credentials-file", str(creds))
    rotator.join()

    assert result.exit_code == 1, result.output
    assert "The password WAS changed on the gateway" in result.stderr
    assert "no longer holds the password in use" in result.stderr
    assert "still holds the old one" not in result.stderr
    assert creds.read_text() == rotated  # the other process's text, untouched


def test_the_new_password_goes_under_every_spelling_servers_read(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    root = project(tmp_path, gateway.url)

    result = change_password(root, env={"SMSYNC_PASSWORD": PASSWORD})

    assert result.exit_code == 0, result.output
    sent = gateway.seen[0].params
    assert [sent.get(name) for name in ("newpasw", "newpass", "newpassword")] == [NEW] * 3


# --- a TLS failure after the request was delivered ----------------------------------------------


def change_over_garbling_tls(tmp_path: Path) -> tuple[Result, GarblingTlsGateway]:
    """A password change (the password in use from $SMSYNC_PASSWORD) against a
    GarblingTlsGateway; the gateway, closed, keeps its request count."""
    gateway = GarblingTlsGateway(tmp_path)
    try:
        root = project(tmp_path, gateway.url)
        env = {"SMSYNC_PASSWORD": PASSWORD, "REQUESTS_CA_BUNDLE": str(gateway.cert)}
        return change_password(root, env=env), gateway
    finally:
        gateway.close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_a_change_is_sent_once_even_when_tls_breaks_after_the_request(tmp_path: Path) -> None:
    # The client takes any TLS error for a failed handshake (nothing sent) and repeats such a
    # write; a password change repeated after the first was applied fails with 1702.
    result, gateway = change_over_garbling_tls(tmp_path)

    assert result.exit_code == 1, result.output
    assert gateway.requests == 1


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_tls_breaking_after_the_request_is_a_doubt_not_certainly_unchanged(
    tmp_path: Path,
) -> None:
    result, _ = change_over_garbling_tls(tmp_path)

    assert result.exit_code == 1, result.output
    assert "certainly" not in result.stderr
    assert "MAY OR MAY NOT have been changed" in result.stderr


def test_a_wrong_current_password_is_checked_with_the_same_project_and_options(
    gateway: ScriptedServer, tmp_path: Path
) -> None:
    gateway.always(b"1702")
    root, creds = project_and_credentials(tmp_path, gateway.url)

    result = change_password(root, "--credentials-file", str(creds))

    assert result.exit_code == 1
    assert "password NOT changed" in result.stderr
    # A bare `smsync account balance` would look for another project and another password.
    assert f"smsync account balance {root} --credentials-file {creds}" in result.stderr


# --- the leak check itself --------------------------------------------------------------------

#: What `account change-password` lets through as a new password; half of the characters are
#: ones that an echo rewrites (escapes, percent-encoding), where a leak check is likeliest to miss.
allowed_passwords = st.text(
    st.sampled_from(sorted(ALLOWED)) | st.sampled_from("&>\"'\\%+!#"), min_size=4, max_size=24
).filter(lambda pw: password_problem(pw, "") is None)
#: How a server may write back a value it was sent: as is, URL-encoded, HTML-escaped, quoted.
ECHOES: dict[str, Callable[[str], str]] = {
    "plain": str,
    "url": quote_plus,
    "html": html.escape,
    "repr": lambda pw: repr(pw)[1:-1],
}


@given(pw=allowed_passwords, echo=st.sampled_from(sorted(ECHOES)), data=st.data())
def test_any_four_characters_of_an_echoed_password_count_as_quoting_it(
    pw: str, echo: str, data: st.DataObject
) -> None:
    form = ECHOES[echo](pw)
    start = data.draw(st.integers(0, len(form) - 4))
    end = data.draw(st.integers(start + 4, len(form)))

    assert quotes_secret(f"<p>{form[start:end]}</p>", (pw,))


def test_an_empty_password_does_not_hide_every_answer() -> None:
    assert not quotes_secret("1705 process failed (password too short)", ("", "N3w-Zq8_xK!#1v"))
