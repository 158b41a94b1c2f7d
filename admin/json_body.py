"""Reading JSON request bodies into pydantic models, with clear 400s for what is wrong."""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from core.errors import InvalidInput, InvalidJson

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
