"""The model clients of one process: one per endpoint (base URL, model, key), made on first use and
kept while a workspace's settings stay the same; closed when the process stops."""

from __future__ import annotations

from collections.abc import Callable

from bots.ai.chat_model import ChatModel
from bots.ai.openai_chat import OpenAIChatModel
from bots.ai.settings import Endpoint


def _openai(endpoint: Endpoint, timeout_seconds: float) -> ChatModel:
    return OpenAIChatModel(endpoint.base_url, endpoint.api_key, endpoint.model, timeout_seconds=timeout_seconds)


class ChatModels:
    def __init__(self, timeout_seconds: float = 20.0, make: Callable[[Endpoint, float], ChatModel] = _openai) -> None:
        self._timeout = timeout_seconds
        self._make = make
        self._models: dict[Endpoint, ChatModel] = {}

    def __call__(self, endpoint: Endpoint) -> ChatModel:
        model = self._models.get(endpoint)
        if model is None:
            model = self._models[endpoint] = self._make(endpoint, self._timeout)
        return model

    async def close(self) -> None:
        for model in self._models.values():
            await model.close()
        self._models.clear()
