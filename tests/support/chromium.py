"""A page as a person sees it: Debian's headless Chromium renders a file, dumps the DOM it built,
takes a screenshot, and reports what the page wrote to its console (script errors, refused
requests), which Chromium logs to stderr as ``…:CONSOLE:…`` lines with ``--enable-logging``."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",  # root in a container has no user namespace for Chromium's sandbox
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


@dataclass
class Rendered:
    dom: str  # the DOM after loading, serialised
    console: list[str]  # every console message (errors, CSP refusals...) of both loads
    screenshot: Path


def render(page: Path, workdir: Path, *, size: str = "1100,1000") -> Rendered:
    """Load ``page`` twice (the DOM, then a PNG screenshot in ``workdir``)."""
    url = page.resolve().as_uri()
    shot = workdir / "screenshot.png"
    common = [str(CHROMIUM), *FLAGS, f"--user-data-dir={workdir / 'profile'}"]
    dom = _run([*common, "--dump-dom", url])
    shotted = _run([*common, f"--window-size={size}", f"--screenshot={shot}", url])
    return Rendered(dom.stdout, _console(dom.stderr) + _console(shotted.stderr), shot)


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
