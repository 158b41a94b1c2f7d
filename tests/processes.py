"""Running real `firstline` processes from tests: start, wait until ready, read their output."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

READY_SECONDS = 60
STOP_SECONDS = 30
BANNER_END = "Press Ctrl-C to stop."


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    """One `firstline demo` process; its output goes to files so that it can never block on a pipe."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    base_url: str
    started: float

    def output(self) -> str:
        return f"stdout:\n{self.stdout.read_text()}\nstderr:\n{self.stderr.read_text()}"

    async def wait_ready(self) -> float:
        """Seconds from the start of the process to the first 200 from /readyz."""
        deadline = self.started + READY_SECONDS
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while True:
                assert self.process.poll() is None, f"exited with {self.process.returncode}\n{self.output()}"
                try:
                    async with session.get(f"{self.base_url}/readyz") as response:
                        if response.status == 200:
                            return time.monotonic() - self.started
                except (aiohttp.ClientError, TimeoutError):
                    pass
                assert time.monotonic() < deadline, f"not ready within {READY_SECONDS} s\n{self.output()}"
                await asyncio.sleep(0.05)

    async def banner(self) -> str:
        deadline = time.monotonic() + STOP_SECONDS
        while BANNER_END not in (printed := self.stdout.read_text()):
            assert time.monotonic() < deadline, f"no banner\n{self.output()}"
            await asyncio.sleep(0.05)
        return printed

    async def wait_exit(self) -> int:
        deadline = time.monotonic() + STOP_SECONDS
        while (code := self.process.poll()) is None:
            assert time.monotonic() < deadline, f"still running {STOP_SECONDS} s later\n{self.output()}"
            await asyncio.sleep(0.05)
        return code
