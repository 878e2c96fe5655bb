#!/usr/bin/env python3
"""The network floor of a read, as a process of its own: plain ``requests``, no parsing.

    SMSYNC_PASSWORD=... python benchmarks/floor.py URL USER STEPS_JSON

``STEPS_JSON`` is a list of steps run one after the other; a step is
``{"parallel": N, "sequences": [[method, {param: value}, pages], ...]}``: its sequences run
N at a time in a thread pool (one ``requests.Session`` per thread, as smsync keeps one
connection per worker), each sequence's pages 1..pages one after the other with ``page`` and
``size`` added by the caller's params. Prints the number of requests made.

benchmarks/run.py starts this as a fresh interpreter, next to a fresh ``smsync`` process that
reads the same pages, so both pay for start-up and imports: the ratio of the two walls is what
smsync adds to what the network costs.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

API = "web2sms/api"


def main(argv: list[str]) -> int:
    url, user, steps = argv[0], argv[1], json.loads(argv[2])
    password = os.environ["SMSYNC_PASSWORD"]
    auth = hashlib.md5((user + password).encode(), usedforsecurity=False).hexdigest()
    local = threading.local()
    count = [0]
    lock = threading.Lock()

    def sequence(method: str, params: dict[str, str], pages: int) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        for page in range(1, pages + 1):
            query = {"username": user, **params, "page": str(page), "auth": auth}
            r = session.get(f"{url}/{API}/{method}.aspx", params=query, timeout=60)
            r.raise_for_status()
            _ = r.content
            with lock:
                count[0] += 1

    for step in steps:
        with ThreadPoolExecutor(max_workers=max(1, int(step["parallel"]))) as pool:
            for future in [pool.submit(sequence, *seq) for seq in step["sequences"]]:
                future.result()
    print(count[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
