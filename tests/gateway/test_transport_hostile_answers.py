"""Answers no well-behaved server sends, over a raw socket: each must be a failure of the right
kind (a read retried, a write "maybe applied"), never taken for a complete answer, never a
desynchronised connection, never a secret in a message."""

from __future__ import annotations

import gzip
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from smsync.gateway.client import Client
from smsync.gateway.errors import GatewayError, ProtocolError, TransportError
from smsync.gateway.transport import _bypassed
from tests.support.raw_server import RawServer, answer

Script = Callable[[RawServer, socket.socket, int], None]


@pytest.fixture
def raw() -> Iterator[Callable[[Script], RawServer]]:
    servers: list[RawServer] = []

    def start(script: Script) -> RawServer:
        servers.append(RawServer(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def every_request(reply: Callable[[int], bytes]) -> Script:
    """Answer each request of a connection with ``reply(n)`` (n counts requests overall)."""

    def script(server: RawServer, conn: socket.socket, index: int) -> None:
        while server.read_request(conn) is not None:
            conn.sendall(reply(len(server.requests)))

    return script


def test_an_answer_cut_before_its_content_length_is_not_taken_as_complete(
    raw: Callable[[Script], RawServer],
) -> None:
    """'1701,1234567890' cut after 7 bytes read as a sent message with msgid 12."""

    def cut(server: RawServer, conn: socket.socket, index: int) -> None:
        if server.read_request(conn) is not None:
            conn.sendall(answer("200 OK", {"Content-Length": "15"}, b"1701,12"))

    server = raw(cut)
    with (
        Client(server.url, "demo", "pw", retries=0) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.send_sms("08126531971", "halo", trxid="t-1")

    assert caught.value.maybe_applied is True
    assert "connection lost" in str(caught.value)


def test_a_gzip_answer_cut_short_is_not_taken_as_a_shorter_page(
    raw: Callable[[Script], RawServer],
) -> None:
    full = gzip.compress(b"1701," + b"9" * 2000)

    def cut(server: RawServer, conn: socket.socket, index: int) -> None:
        if server.read_request(conn) is not None:
            part = full[: len(full) * 2 // 3]
            headers = {"Content-Encoding": "gzip", "Content-Length": str(len(part))}
            conn.sendall(answer("200 OK", headers, part))

    server = raw(cut)
    with (
        Client(server.url, "demo", "pw", retries=0) as client,
        pytest.raises(TransportError, match="could not be read"),
    ):
        client.credits()


def test_an_interim_103_answer_does_not_shift_answers_onto_the_next_request(
    raw: Callable[[Script], RawServer],
) -> None:
    def reply(n: int) -> bytes:
        final = f"1701,msgid-{n}".encode()
        hints = answer("103 Early Hints", {"Link": "</x.css>; rel=preload"}, b"")
        return hints + answer("200 OK", {"Content-Length": str(len(final))}, final)

    server = raw(every_request(reply))
    with Client(server.url, "demo", "pw", retries=0) as client:
        first = client.send_sms("08126531971", "satu", trxid="t-1")
        second = client.send_sms("08126531972", "dua", trxid="t-2")

    assert (first.msgid, second.msgid) == ("msgid-1", "msgid-2")


def test_a_redirected_write_may_have_been_applied(raw: Callable[[Script], RawServer]) -> None:
    """A front that applied the request and then redirected: the add must be checked, not
    repeated as if it never happened."""

    def reply(n: int) -> bytes:
        return answer("302 Found", {"Location": "https://elsewhere/", "Content-Length": "0"}, b"")

    server = raw(every_request(reply))
    with (
        Client(server.url, "demo", "pw", retries=3) as client,
        pytest.raises(TransportError, match="redirect") as caught,
    ):
        client.add_group("Kantor")

    assert caught.value.maybe_applied is True
    assert len(server.requests) == 1


@pytest.mark.parametrize("encoding", ["br", "gzip, gzip"])
def test_an_encoding_never_asked_for_is_refused_not_read_as_text(
    raw: Callable[[Script], RawServer], encoding: str
) -> None:
    def reply(n: int) -> bytes:
        return answer(
            "200 OK", {"Content-Encoding": encoding, "Content-Length": "4"}, b"\x0b\x02ab"
        )

    server = raw(every_request(reply))
    with (
        Client(server.url, "demo", "pw", retries=0) as client,
        pytest.raises(TransportError, match="unsupported encoding"),
    ):
        client.credits()


def test_bytes_after_the_end_of_a_gzip_stream_are_refused_not_buffered(
    raw: Callable[[Script], RawServer],
) -> None:
    def flood(server: RawServer, conn: socket.socket, index: int) -> None:
        if server.read_request(conn) is not None:
            conn.sendall(answer("200 OK", {"Content-Encoding": "gzip"}, gzip.compress(b"125000")))
            for _ in range(64):  # and then much more than the cap, never the end
                conn.sendall(b"\0" * 65536)

    server = raw(flood)
    with (
        Client(server.url, "demo", "pw", retries=0, max_body_bytes=100_000) as client,
        pytest.raises(TransportError, match="could not be read"),
    ):
        client.credits()


def test_an_error_page_echoing_the_request_quotes_no_password(
    raw: Callable[[Script], RawServer],
) -> None:
    secret = "Hunter2-SECRET"

    def echo(server: RawServer, conn: socket.socket, index: int) -> None:
        while (head := server.read_request(conn)) is not None:
            line = head.split(b"\r\n", 1)[0]
            body = b"Cannot " + line
            conn.sendall(answer("404 " + line.decode(), {"Content-Length": str(len(body))}, body))

    server = raw(echo)
    for form in ("send_simple", "send_proxy"):
        with (
            Client(server.url, "demo", secret, retries=0, allow_plaintext_password=True) as c,
            pytest.raises(GatewayError) as caught,
        ):
            getattr(c, form)("628123456789", "hi")
        shown = f"{caught.value} {caught.value!r} {vars(caught.value)!r}"
        assert "Hunter" not in shown and "SECRET" not in shown


def test_a_200_answer_echoing_the_auth_quotes_no_auth(raw: Callable[[Script], RawServer]) -> None:
    def echo(server: RawServer, conn: socket.socket, index: int) -> None:
        while (head := server.read_request(conn)) is not None:
            body = head.split(b"\r\n", 1)[0]
            conn.sendall(answer("200 OK", {"Content-Length": str(len(body))}, body))

    server = raw(echo)
    with (
        Client(server.url, "demo", "pw", retries=0) as client,
        pytest.raises(ProtocolError) as caught,
    ):
        client.credits()

    auth = server.requests[0].split(b"auth=", 1)[1][:32].decode()
    assert "auth=***" in str(caught.value)
    assert auth not in str(caught.value)


@pytest.mark.parametrize("proxy", ["http://alice:pa55#Wd@127.0.0.1:3128", "http://a:b/c@h:1"])
def test_a_malformed_proxy_url_is_named_without_its_password(
    raw: Callable[[Script], RawServer], monkeypatch: pytest.MonkeyPatch, proxy: str
) -> None:
    server = raw(every_request(lambda n: answer("200 OK", {"Content-Length": "4"}, b"1701")))
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", proxy)

    with (
        Client(server.url, "demo", "pw", retries=0) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.add_group("Kantor")

    assert caught.value.maybe_applied is False
    assert "malformed" in str(caught.value) or "http:// URL" in str(caught.value)
    assert "pa55" not in str(caught.value) and server.requests == []


def test_a_proxy_that_trickles_its_connect_answer_is_bounded_by_the_deadline(
    raw: Callable[[Script], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    def trickle(server: RawServer, conn: socket.socket, index: int) -> None:
        if server.read_request(conn) is not None:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n")
            for _ in range(200):  # a minute of headers
                conn.sendall(b"X-Slow: 1\r\n")
                time.sleep(0.3)

    proxy = raw(trickle)
    for name in ("NO_PROXY", "no_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)

    started = time.monotonic()
    with (
        Client("https://gateway.invalid", "demo", "pw", retries=0, deadline=1.5) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.add_group("Kantor")

    assert caught.value.maybe_applied is False  # the CONNECT never finished: nothing was sent
    assert time.monotonic() - started < 20  # a 1.5 s deadline, not the proxy's minute


def test_a_proxy_refusing_the_connect_is_named_with_its_status_and_nothing_is_sent(
    raw: Callable[[Script], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(server: RawServer, conn: socket.socket, index: int) -> None:
        if server.read_request(conn) is not None:
            conn.sendall(answer("407 Proxy Authentication Required", {"Content-Length": "0"}, b""))

    proxy = raw(refuse)
    for name in ("NO_PROXY", "no_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)

    with (
        Client("https://gateway.invalid", "demo", "pw", retries=0) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.delete_contact(7)

    assert caught.value.maybe_applied is False
    assert "407" in str(caught.value)


def test_an_invalid_host_name_through_a_proxy_is_never_sent_and_quotes_no_secret(
    raw: Callable[[Script], RawServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = raw(every_request(lambda n: answer("200 OK", {"Content-Length": "4"}, b"1701")))
    for name in ("NO_PROXY", "no_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    host = "b\u00fccher" + "x" * 64 + ".example"  # a label too long for IDNA

    with (
        Client(f"http://{host}", "demo", "Hunter2-SECRET", allow_plaintext_password=True) as c,
        pytest.raises(TransportError) as caught,
    ):
        c.send_simple("628123456789", "hi")

    assert caught.value.maybe_applied is False
    assert "invalid host name" in str(caught.value)
    assert "Hunter2" not in f"{caught.value!r} {vars(caught.value)!r}"
    assert proxy.requests == []


def test_an_unreadable_ca_bundle_is_named_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))

    with (
        Client("https://127.0.0.1:9", "demo", "pw", retries=0) as client,
        pytest.raises(TransportError, match="cannot load the CA certificates") as caught,
    ):
        client.add_group("Kantor")

    assert caught.value.maybe_applied is False
    assert "REQUESTS_CA_BUNDLE" in str(caught.value)


@pytest.mark.parametrize("timeouts", [{"read_timeout": 0}, {"connect_timeout": -1}])
def test_a_timeout_of_zero_or_less_is_refused_when_the_client_is_made(
    timeouts: dict[str, float],
) -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        Client("http://127.0.0.1:9", "demo", "pw", **timeouts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "bypassed"),
    [
        ("::1", 8080, "[::1]", True),
        ("::1", 8080, "[::1]:8080", True),
        ("::1", 8080, "[::1]:9090", False),
        ("::1", 8080, "::1", True),
        ("gw.example.com", 443, ".example.com", True),
        ("gw.example.com", 443, "example.com:443", False),
        ("gw.example.com", 443, "gw.example.com:443", True),
        ("10.1.2.3", 80, "10.0.0.0/8", True),
        ("notexample.com", 80, "example.com", False),
    ],
)
def test_no_proxy_entries_name_hosts_their_domains_ports_and_networks(
    host: str, port: int, no_proxy: str, bypassed: bool
) -> None:
    assert _bypassed(host, port, no_proxy) is bypassed
