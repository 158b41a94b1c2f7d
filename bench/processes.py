"""What benchmarks share for running a server process: a free port, and waiting until it is ready."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(url: str, process: subprocess.Popen[bytes], *, deadline_seconds: float) -> None:
    """Poll `url` until it answers 200; fail early if the process exits, or after the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode} before it was ready")
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(url, timeout=1) as response,  # noqa: S310  (our own loopback URL)
        ):
            if response.status == 200:
                return
        time.sleep(0.02)  # a synchronous script between polls, not async code
    raise TimeoutError(f"{url} not ready after {deadline_seconds} s")
