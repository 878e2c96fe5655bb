"""Guarantee 6 under fuzzing (hypothesis): gateway responses over real HTTP, near-valid spec
files through `smsync validate` and `smsync plan`, delivery-report requests to the receiver,
and template sandbox escapes. Each gets a clear error, never a traceback, a hang, or (for
templates) anything sent. The password never shows in what they print (guarantee 7).

(tests/spec/test_spec_fuzz.py and tests/broadcast/test_render_fuzz.py fuzz the loader and
the renderer as libraries; these go through the client and the CLI.)"""

from __future__ import annotations

import http.client
import random
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsync.broadcast import Ledger
from smsync.broadcast.dlr import DlrServer
from smsync.cli import cli
from smsync.gateway import Client
from smsync.gateway.errors import SmsyncError
from smsync.sandbox import SandboxServer
from tests.support.numbers import gw, number
from tests.support.sandbox import PASSWORD, USERNAME

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- gateway responses -----------------------------------------------------------------------


class CannedServer(ThreadingHTTPServer):
    """Answers every GET with ``body``, whatever it is (no Content-Type either)."""

    body = b""
    daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _Canned(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        assert isinstance(self.server, CannedServer)
        body = self.server.body
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def canned() -> Iterator[CannedServer]:
    server = CannedServer(("127.0.0.1", 0), _Canned)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


CALLS: dict[str, Callable[[Client], object]] = {
    "send_sms": lambda c: c.send_sms("081234567890", "hi", trxid="t1"),
    "send_wa": lambda c: c.send_wa("081234567890", "hi", trxid="t1"),
    "send_group": lambda c: c.send_group("G", "hi"),
    "add_contact": lambda c: c.add_contact("A", "081234567890", "G", birth=date(1990, 1, 2)),
    "edit_contact": lambda c: c.edit_contact(1, "A", "081234567890", "G"),
    "delete_contact": lambda c: c.delete_contact(1),
    "list_contacts": lambda c: c.list_contacts(1, 10),
    "list_contacts_by_group": lambda c: c.list_contacts_by_group("G", 2, 10),
    "get_contact": lambda c: c.get_contact(1),
    "find_by_number": lambda c: c.find_by_number("0812"),
    "add_group": lambda c: c.add_group("G"),
    "list_groups": lambda c: c.list_groups(),
    "find_group": lambda c: c.find_group("G"),
    "credits": lambda c: c.credits(),
    "report": lambda c: c.report("123"),
}
# Pieces of valid bodies, so that examples are often nearly valid.
PIECES = [
    b"1701",
    b"1702",
    b"1703",
    b"1704",
    b"1799",
    b",",
    b":",
    b"|",
    b"\x80",
    b"\x81",
    b"\xc2\x80",
    b"\xc2\x81",
    b"\xe2\x82\xac",
    b"12",
    b"-5",
    b"99999999999999999999",
    b"A",
    b"0812345",
    b"628123",
    b"Office",
    b"19450817",
    b"17 Aug 1945",
    b"1945-02-30",
    b"31/12/1999",
    b"DELIVRD",
    b"SENT",
    b"Unable to process your request",
    b" ",
    b"\r\n",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x00",
    b"1.5",
    b"NaN",
    b"1e9999",
]
bodies = st.one_of(
    st.binary(max_size=300), st.lists(st.sampled_from(PIECES), max_size=30).map(b"".join)
)


@FUZZ
@given(method=st.sampled_from(sorted(CALLS)), body=bodies)
def test_any_gateway_answer_is_a_result_or_a_clear_error(
    canned: CannedServer, method: str, body: bytes
) -> None:
    canned.body = body
    with Client(canned.url, USERNAME, PASSWORD, retries=0, read_timeout=5) as client:
        try:
            CALLS[method](client)
        except SmsyncError as exc:
            message = str(exc)
            assert PASSWORD not in message and PASSWORD not in repr(exc)
            assert "\n" not in message.strip() and len(message) < 1000, message


# --- near-valid spec files -------------------------------------------------------------------

VALID = """\
kind: Group
name: Kantor
contacts:
  - name: Budi
    mobile: "0812-3456-7890"
    birth: 1980-08-17
    desc: Direktur
  - name: Siti
    mobile: "+62 812 9876 5432"
---
kind: Broadcast
name: rapat
audience:
  contacts:
    groups: [Kantor]
template: "Halo {{ name }}, rapat jam {{ jam }}."
vars: {jam: "10"}
max_recipients: 5
"""
NOISE = [
    "",
    " ",
    "\t",
    ":",
    "- ",
    "---",
    "&a ",
    "*a",
    "{",
    "}",
    "[",
    "]",
    "'",
    '"',
    "#",
    "!!python/object/apply:os.system ['true']",
    "<<: *a",
    "~",
    "null",
    "0x1F",
    "1e999",
    "\u202e",
    "\x00",
    "\ufeff",
    "{{",
    "}}",
    "{% for %}",
    "kind: Group",
    "state: absent",
    "protect: yes",
    "contacts_file: ../../../etc/passwd",
    "contacts_file: /dev/zero",
    "name: " + "x" * 300,
    "mobile: 0",
    "mobile: 081234567890",
    "not_before: 2025-13-01",
    "channel: fax",
    "audience: {group: Nope}",
    "template: '{{ x.__class__ }}'",
]


@st.composite
def near_valid(draw: st.DrawFn) -> str:
    lines = VALID.splitlines()
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["insert", "replace", "delete", "splice", "dup"]))
        noise = draw(st.sampled_from(NOISE))
        if op == "insert":
            lines.insert(i, " " * draw(st.integers(0, 6)) + noise)
        elif op == "replace":
            lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())] + noise
        elif op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "splice":
            cut = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:cut] + noise + lines[i][cut:]
        else:
            lines.insert(i, lines[i])
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def spec_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as srv:
        srv.store.ensure_account(USERNAME, PASSWORD, credit=10)
        yield srv


@FUZZ
@given(text=near_valid())
def test_near_valid_spec_is_validated_or_a_clear_error(
    tmp_path_factory: pytest.TempPathFactory, spec_sandbox: SandboxServer, text: str
) -> None:
    root = tmp_path_factory.mktemp("spec")
    (root / "smsync.yaml").write_text(
        yaml.safe_dump(
            {"version": 1, "gateway": {"endpoint": spec_sandbox.url, "username": USERNAME}}
        )
    )
    (root / "spec.yaml").write_text(text)
    env = {"SMSYNC_PASSWORD": PASSWORD, "CI": "1"}
    for args in (["validate", str(root)], ["plan", str(root)]):
        result = CliRunner().invoke(cli, args, env=env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code in (0, 1), result.output
        assert PASSWORD not in result.output
        if result.exit_code == 1:
            assert "Error" in result.output or ":" in result.output, result.output
    # Planning never writes: the sandbox holds no contacts and sent no message.
    snap = spec_sandbox.store.snapshot()
    assert not snap["contacts"] and not snap["messages"]


# --- delivery-report receiver ----------------------------------------------------------------

TOKEN = "t0ken-for-fuzzing-0123456789"


@pytest.fixture(scope="module")
def dlr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DlrServer]:
    ledger = Ledger(tmp_path_factory.mktemp("dlr") / "ledger.sqlite")
    server = DlrServer(("127.0.0.1", 0), ledger, TOKEN)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()
    ledger.close()


paths = st.one_of(
    st.text(st.characters(codec="ascii", exclude_characters="\r\n "), max_size=80),
    st.lists(
        st.sampled_from(
            [
                f"/{TOKEN}",
                "/dlr",
                "/",
                "?",
                "&",
                "msgid=",
                "status=",
                "DELIVRD",
                "undelivrd",
                "%",
                "%00",
                "%zz",
                "123",
                "=",
                "..",
                "%2F",
                "msgid",
                "MSGID=1",
                ";",
                "#",
                "x" * 50,
            ]
        ),
        max_size=12,
    ).map("".join),
)


def raw_status(server: DlrServer, request: bytes) -> int:
    """Send raw bytes (any path, control characters included); the answer's status code."""
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), int(port)), timeout=5) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


@FUZZ
@given(path=paths, method=st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "BREW"]))
def test_any_delivery_report_request_gets_a_status(dlr: DlrServer, path: str, method: str) -> None:
    target = path if path.startswith("/") else "/" + path
    status = raw_status(
        dlr, f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode("latin-1")
    )
    assert status in (200, 400, 403, 404, 405, 413, 414, 501), status
    if not path.startswith(f"/{TOKEN}"):
        assert status in (400, 403, 404, 405, 501)


def test_delivery_report_receiver_survives_garbage_bytes(dlr: DlrServer) -> None:
    rng = random.Random(7)
    host, port = dlr.server_address[:2]
    for _ in range(30):
        with socket.create_connection((str(host), int(port)), timeout=5) as s:
            s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))))
            s.shutdown(socket.SHUT_WR)
            s.settimeout(5)
            while s.recv(4096):
                pass
    conn = http.client.HTTPConnection(str(host), int(port), timeout=5)
    conn.request("GET", f"/{TOKEN}/dlr?msgid=999&status=DELIVRD")
    assert conn.getresponse().status == 404  # alive, and an unknown msgid is refused
    conn.close()


# --- template sandbox escapes ----------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ name.__class__.__base__.__subclasses__() }}",
    "{{ self.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ config }}",
    "{{ request }}",
    "{% for c in ''.__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ name|attr('__class__') }}",
    "{{ (name|attr('\\x5f\\x5fclass\\x5f\\x5f')) }}",
    "{{ ''['__cl'~'ass__'] }}",
    "{{ 'x' * 100000000 }}",
    "{{ 'x'.center(100000000) }}",
    "{{ range(100000000)|list }}",
    "{{ 9 ** (9 ** 9) }}",
    "{% set x = [] %}{% for i in range(99999999) %}{{ x.append(i) }}{% endfor %}",
    "{{ '{x.__class__.__mro__}'.format_map({'x': name}) }}",
    "{{ '{0.__class__}'.format(name) }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{% extends '/etc/passwd' %}",
]


@pytest.mark.parametrize("template", ESCAPES)
def test_template_sandbox_escape_is_refused_and_nothing_is_sent(
    template: str, make_sandbox: Callable[..., SandboxServer], tmp_path: Path
) -> None:
    srv = make_sandbox()
    srv.store.add_contact(USERNAME, "Budi", gw(1), "Kantor")
    (tmp_path / "smsync.yaml").write_text(
        yaml.safe_dump({"version": 1, "gateway": {"endpoint": srv.url, "username": USERNAME}})
    )
    (tmp_path / "b.yaml").write_text(
        yaml.safe_dump_all(
            [
                {
                    "kind": "Group",
                    "name": "Kantor",
                    "contacts": [{"name": "Budi", "mobile": number(1)}],
                },
                {
                    "kind": "Broadcast",
                    "name": "jahat",
                    "audience": {"contacts": {"groups": ["Kantor"]}},
                    "template": template,
                },
            ]
        )
    )
    result = CliRunner().invoke(
        cli,
        ["apply", str(tmp_path), "--auto-approve"],
        env={"SMSYNC_PASSWORD": PASSWORD, "CI": "1"},
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 1, result.output
    assert "jahat" in result.output, result.output  # names the broadcast
    assert "Traceback" not in result.output and PASSWORD not in result.output
    assert not srv.store.snapshot()["messages"]
