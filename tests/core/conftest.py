"""Fixtures for tests that run `firstline` as a real process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

FIRSTLINE = Path(sys.executable).with_name("firstline")


@pytest.fixture(scope="session")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where child interpreters keep compiled modules. The environment may forbid writing bytecode
    (PYTHONDONTWRITEBYTECODE), which makes every `firstline` process compile everything again
    (seconds, and it would distort start-up timings); a cache outside the source tree keeps that cost
    to one warm-up run here. Children get PYTHONPYCACHEPREFIX pointing at it."""
    cache = tmp_path_factory.getbasetemp() / "pycache"
    if not cache.exists():
        env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run(
            [FIRSTLINE, "--help"],
            env={**env, "PYTHONPYCACHEPREFIX": str(cache)},
            capture_output=True,
            check=True,
            timeout=120,
        )
    return cache
