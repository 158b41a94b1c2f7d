"""Reading request bodies: JSON into pydantic models, and one uploaded file, with clear 4xx errors."""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import BodyPartReader, web
from pydantic import BaseModel, ValidationError

from core.errors import InvalidInput, InvalidJson, PayloadTooLarge

Model = TypeVar("Model", bound=BaseModel)


async def read_json(request: web.Request, model: type[Model]) -> Model:
    body = await request.read()  # over client_max_size: 413, translated by the error middleware
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidJson("The request body is not valid JSON: {reason}.", reason=str(error)) from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InvalidInput("Invalid {field}: {reason}.", field=where, reason=first["msg"]) from None


async def read_file_field(request: web.Request, *, max_bytes: int) -> tuple[str, bytes]:
    """(file name, bytes) of the `file` part of a multipart upload, refused as soon as it outgrows
    `max_bytes` (uploads are streamed, so the app-wide body limit does not apply to them)."""
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if isinstance(part, BodyPartReader) and part.name == "file":
                return part.filename or "file", await _read_capped(part, max_bytes)
    raise InvalidInput("Send the file as multipart/form-data in a field named file.", field="file")


async def _read_capped(part: BodyPartReader, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge("A file can be at most {max_mb} MB.", max_mb=max_bytes // (1024 * 1024))
        chunks.append(chunk)
    return b"".join(chunks)
