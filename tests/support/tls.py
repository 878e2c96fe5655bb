"""A TLS server that breaks the session after the request: the client's "was it sent?" must
then be "maybe", never "no"."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import threading
from pathlib import Path


class GarblingTlsGateway:
    """An https gateway that reads each request whole, then writes bytes that are not TLS
    under the session: the client's TLS layer fails *after* the request was delivered (as
    with a middlebox that breaks the connection, or a server that crashes mid-answer)."""

    def __init__(self, directory: Path) -> None:
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
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed
            try:
                with self.context.wrap_socket(conn, server_side=True) as tls:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = tls.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                    self.requests += 1
                    os.write(tls.fileno(), b"\x15\x03\x03\x00\x02not TLS")
            except (OSError, ssl.SSLError):
                conn.close()

    def close(self) -> None:
        self.listener.close()
