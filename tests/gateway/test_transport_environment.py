"""The client reads its proxy and compression settings from the environment as users of
curl-like tools expect (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY, credentials in the proxy URL), and
decodes compressed answers under the same size cap, over real sockets: a real forwarding proxy
in front of the sandbox, and a scripted server that gzips."""

from __future__ import annotations

import base64
import contextlib
import gzip
import http.client
import shutil
import socket
import ssl
import subprocess
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from smsync.gateway.client import Client
from smsync.gateway.errors import ResponseTooLarge, TransportError
from smsync.sandbox import SandboxServer
from tests.support.hiccup_proxy import reply
from tests.support.scripted_server import ScriptedServer, closed_port_url


class ForwardProxy:
    """A plain HTTP forward proxy: takes absolute-form requests, records each target and its
    Proxy-Authorization header, and forwards them (never through the environment's proxy)."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.auth: list[str | None] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_CONNECT(self) -> None:
                proxy.targets.append(f"CONNECT {self.path}")
                proxy.auth.append(self.headers.get("Proxy-Authorization"))
                host, _, port = self.path.rpartition(":")
                upstream = socket.create_connection((host, int(port)))
                self.send_response(200, "Connection established")
                self.end_headers()
                self.close_connection = True
                _pipe(self.connection, upstream)

            def do_GET(self) -> None:
                proxy.targets.append(self.path)
                proxy.auth.append(self.headers.get("Proxy-Authorization"))
                target = urlsplit(self.path)
                upstream = http.client.HTTPConnection(target.hostname or "", target.port)
                try:
                    upstream.request("GET", f"{target.path}?{target.query}")
                    answer = upstream.getresponse()
                    data, status = answer.read(), answer.status
                finally:
                    upstream.close()
                reply(self, status, data, "text/plain; charset=utf-8")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes (a CONNECT tunnel)."""

    def copy(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    back = threading.Thread(target=copy, args=(upstream, client), daemon=True)
    back.start()
    copy(client, upstream)
    back.join(5)
    upstream.close()


@pytest.fixture
def forward_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ForwardProxy]:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    proxy = ForwardProxy()
    try:
        yield proxy
    finally:
        proxy.stop()


def _groups(sandbox: SandboxServer) -> list[str]:
    with Client(sandbox.url, "demo", "demo-pass", retries=0) as client:
        client.add_group("Kantor")
        return [g.name for g in client.list_groups().items]


def test_http_proxy_from_the_environment_carries_every_request(
    sandbox: SandboxServer, forward_proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://{forward_proxy.address}")

    assert _groups(sandbox) == ["Kantor"]
    assert len(forward_proxy.targets) == 2
    assert all(t.startswith(f"{sandbox.url}/web2sms/api/") for t in forward_proxy.targets)
    assert forward_proxy.auth == [None, None]


def test_lower_case_all_proxy_without_a_scheme_is_taken_as_http(
    sandbox: SandboxServer, forward_proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("all_proxy", forward_proxy.address)

    assert _groups(sandbox) == ["Kantor"]
    assert len(forward_proxy.targets) == 2


def test_credentials_in_the_proxy_url_become_basic_proxy_authentication(
    sandbox: SandboxServer, forward_proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://ops%40kantor:s%3Acret@{forward_proxy.address}")

    _groups(sandbox)

    expected = "Basic " + base64.b64encode(b"ops@kantor:s:cret").decode()
    assert forward_proxy.auth == [expected, expected]


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "127.0.0.0/8", "*", "localhost,127.0.0.1"])
def test_no_proxy_sends_the_gateway_direct(
    sandbox: SandboxServer,
    forward_proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://{forward_proxy.address}")
    monkeypatch.setenv("NO_PROXY", no_proxy)

    assert _groups(sandbox) == ["Kantor"]
    assert forward_proxy.targets == []


def test_no_proxy_for_another_host_still_uses_the_proxy(
    sandbox: SandboxServer, forward_proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://{forward_proxy.address}")
    monkeypatch.setenv("NO_PROXY", "gateway.example.com,10.0.0.0/8")

    _groups(sandbox)

    assert len(forward_proxy.targets) == 2


def test_an_unreachable_proxy_is_a_write_never_sent(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HTTP_PROXY", closed_port_url())

    with (
        Client(sandbox.url, "demo", "demo-pass", retries=0) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.add_group("Kantor")

    assert caught.value.maybe_applied is False
    assert "could not connect" in str(caught.value)
    assert "demo-pass" not in str(caught.value)


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    try:
        yield server
    finally:
        server.stop()


def _group_list_body(sandbox: SandboxServer) -> bytes:
    """A real groupGetList answer (two groups), as the sandbox sends it."""
    with Client(sandbox.url, "demo", "demo-pass", retries=0) as client:
        client.add_group("Kantor")
        client.add_group("Gudang")
    captured: list[bytes] = []
    with Client(
        sandbox.url,
        "demo",
        "demo-pass",
        retries=0,
        on_exchange=lambda exchange: captured.append(exchange.body.encode()),
    ) as client:
        client.list_groups()
    return captured[0]


def test_a_gzipped_answer_is_decoded(sandbox: SandboxServer, scripted: ScriptedServer) -> None:
    body = gzip.compress(_group_list_body(sandbox))
    scripted.always(body, headers={"Content-Encoding": "gzip"})

    with Client(scripted.url, "demo", "pw", retries=0) as client:
        groups = client.list_groups().items

    assert sorted(g.name for g in groups) == ["Gudang", "Kantor"]


def test_a_gzipped_answer_is_capped_on_its_decoded_size(scripted: ScriptedServer) -> None:
    # 40 KB of zeros compress to a few dozen bytes: the cap is on what the answer becomes
    bomb = gzip.compress(b"1;" + b"0" * 40_000)
    scripted.always(bomb, headers={"Content-Encoding": "gzip"})

    with (
        Client(scripted.url, "demo", "pw", retries=0, max_body_bytes=10_000) as client,
        pytest.raises(ResponseTooLarge),
    ):
        client.list_groups()


@pytest.mark.parametrize("raw", [False, True], ids=["zlib-deflate", "raw-deflate"])
def test_a_deflated_answer_is_decoded_in_both_forms_servers_send(
    sandbox: SandboxServer, scripted: ScriptedServer, raw: bool
) -> None:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
    body = packer.compress(_group_list_body(sandbox)) + packer.flush()
    scripted.always(body, headers={"Content-Encoding": "deflate"})

    with Client(scripted.url, "demo", "pw", retries=0) as client:
        groups = client.list_groups().items

    assert sorted(g.name for g in groups) == ["Gudang", "Kantor"]


def test_a_corrupt_compressed_answer_is_a_failure_not_garbage(scripted: ScriptedServer) -> None:
    corrupt = b"\x1f\x8b\x08\x00garbage that is not gzip"
    scripted.always(corrupt, headers={"Content-Encoding": "gzip"})

    with (
        Client(scripted.url, "demo", "pw", retries=0) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.list_groups()

    assert "could not be read" in str(caught.value)


def test_an_idle_connection_the_gateway_closed_is_not_used_for_a_write(
    scripted: ScriptedServer,
) -> None:
    """The gateway closes kept-alive connections after a while. A write sent on such a
    connection fails after it may have left (so it would be "maybe applied"): the transport
    notices the closed socket first and opens a new connection."""
    scripted.always(b"1701,1")
    with Client(scripted.url, "demo", "pw", retries=0) as client:
        client.send_sms("08126531971", "satu", trxid="t1")
        scripted.close_idle_connections()
        result = client.send_sms("08126531971", "dua", trxid="t2")

    assert result is not None
    assert [seen.params["message"] for seen in scripted.seen] == ["satu", "dua"]


def test_an_unsupported_proxy_scheme_is_named_and_nothing_is_sent(
    scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")

    with (
        Client(scripted.url, "demo", "pw", retries=0) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.add_group("Kantor")

    assert caught.value.maybe_applied is False
    assert "http:// URL" in str(caught.value) and "socks5://" in str(caught.value)
    assert scripted.seen == []


class TlsGateway:
    """An https server (self-signed for 127.0.0.1) answering every request with a two-group
    list."""

    def __init__(self, directory: Path, body: bytes) -> None:
        self.cert = directory / "cert.pem"
        key = directory / "key.pem"
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
                *("-keyout", str(key), "-out", str(self.cert), "-subj", "/CN=127.0.0.1"),
                *("-addext", "subjectAltName=IP:127.0.0.1"),
            ],
            check=True,
            capture_output=True,
        )

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl for a certificate")
def test_https_goes_through_the_proxy_in_a_connect_tunnel_with_the_certificate_checked(
    sandbox: SandboxServer,
    forward_proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    gateway = TlsGateway(tmp_path, _group_list_body(sandbox))
    try:
        monkeypatch.setenv("HTTPS_PROXY", f"http://ops:pw@{forward_proxy.address}")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(gateway.cert))
        with Client(gateway.url, "demo", "pw", retries=0) as client:
            groups = client.list_groups().items
        assert sorted(g.name for g in groups) == ["Gudang", "Kantor"]
        assert forward_proxy.targets == [f"CONNECT 127.0.0.1:{gateway.port}"]
        assert forward_proxy.auth == ["Basic " + base64.b64encode(b"ops:pw").decode()]

        monkeypatch.delenv("REQUESTS_CA_BUNDLE")  # certifi's bundle does not know this one
        with (
            Client(gateway.url, "demo", "pw", retries=0) as client,
            pytest.raises(TransportError) as caught,
        ):
            client.add_group("Kantor")
        assert caught.value.maybe_applied is False
        assert "certificate" in str(caught.value)
    finally:
        gateway.stop()
