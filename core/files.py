"""Where uploaded files' bytes live. `FileStore` is the port an object store (S3 and the like) can
implement; `LocalFileStore` keeps them under the data dir."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Protocol


class FileStore(Protocol):
    """To add a store: implement `put` (write bytes under a key, replacing nothing) and `get`."""

    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self._root = root.resolve()

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if not path.is_relative_to(self._root):
            raise ValueError(f"file key escapes the store: {key!r}")
        return path

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        os.replace(partial, path)  # readers never see half a file
