"""The AI bot's answer pipeline of the app, for edges that answer questions themselves (the public
AI API, the flow editor's preview)."""

from __future__ import annotations

from aiohttp import web

from bots.ai.pipeline import AnswerPipeline
from core.keys import ai_pipeline_key


def answer_pipeline(app: web.Application) -> AnswerPipeline:
    pipeline = app[ai_pipeline_key]
    if not isinstance(pipeline, AnswerPipeline):
        raise TypeError("the app's ai_pipeline_key holds no AnswerPipeline")
    return pipeline
