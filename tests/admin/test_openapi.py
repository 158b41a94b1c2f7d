"""docs/openapi.json describes the public API as routed: every documented path and method of the
knowledge-base and AI-answer endpoints exists in the app and every routed one is documented; its
references resolve, path parameters match the templates, errors use the one error schema, and the
AI answer's limits and reasons are the code's. (JSON rather than YAML: PyYAML is not a dependency.)"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from admin.ai_answer_api import IDEMPOTENCY_KEY_MAX, QUESTION_LIMIT
from bots.ai.pipeline import Reason
from core.app import build_app
from tests.factories import make_settings
from tests.fakes.embedders import HashingEmbedder

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
METHODS = {"get", "put", "post", "patch", "delete"}
PUBLIC = ("/api/v1/knowledge-base/", "/api/v1/ai/answer")


@pytest.fixture(scope="module")
def spec() -> Any:
    return json.loads(SPEC.read_text())


def routed(app: web.Application) -> set[tuple[str, str]]:
    found = set()
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method == "HEAD":
            continue
        path = resource.canonical  # regular expressions dropped: /articles/{article_id}
        if path.startswith(PUBLIC[0]) or path == PUBLIC[1]:
            found.add((route.method.lower(), path))
    return found


def documented(spec: Any) -> set[tuple[str, str]]:
    return {(method, path) for path, item in spec["paths"].items() for method in item if method in METHODS}


def references(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def resolve(spec: Any, reference: str) -> Any:
    assert reference.startswith("#/"), reference
    node = spec
    for part in reference[2:].split("/"):
        node = node[part]
    return node


def test_every_documented_endpoint_is_routed_and_every_public_one_documented(spec: Any, tmp_path: Path) -> None:
    app = build_app(make_settings(data_dir=tmp_path), embedder=HashingEmbedder())  # routes only: never started
    assert spec["openapi"].startswith("3.1")
    assert all(path.startswith(PUBLIC[0]) or path == PUBLIC[1] for path in spec["paths"])
    assert documented(spec) == routed(app)
    assert ("post", "/api/v1/ai/answer") in documented(spec)
    assert ("get", "/api/v1/knowledge-base/search") in documented(spec)


def test_references_resolve_and_path_parameters_match_the_templates(spec: Any) -> None:
    for reference in references(spec):
        assert resolve(spec, reference) is not None
    for path, item in spec["paths"].items():
        for method in METHODS & set(item):
            declared = [resolve(spec, p["$ref"]) if "$ref" in p else p for p in [*item.get("parameters", [])]]
            declared += [resolve(spec, p["$ref"]) if "$ref" in p else p for p in item[method].get("parameters", [])]
            in_path = {p["name"] for p in declared if p["in"] == "path"}
            assert in_path == {part[1:-1] for part in path.split("/") if part.startswith("{")}, (method, path)
            assert all(p["required"] for p in declared if p["in"] == "path")


def test_the_bearer_scheme_applies_and_every_error_has_the_error_shape(spec: Any) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert {"bearerAuth": []} in spec["security"]
    error = spec["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["required"] == ["code", "message"]
    for path, item in spec["paths"].items():
        for method in METHODS & set(item):
            responses = item[method]["responses"]
            assert "401" in responses and "403" in responses, (method, path)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    content = resolve(spec, response["$ref"])["content"]
                    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_ai_answer_is_described_as_the_code_answers(spec: Any) -> None:
    schemas = spec["components"]["schemas"]
    question = schemas["AIQuestion"]["properties"]
    assert question["question"]["maxLength"] == QUESTION_LIMIT and question["locale"]["enum"] == ["en", "ru"]
    answer = schemas["AIAnswer"]
    assert answer["required"] == ["decision", "answer", "sources", "reason"]
    assert set(answer["properties"]["reason"]["enum"]) == {reason.value for reason in Reason} | {None}
    key = spec["components"]["parameters"]["IdempotencyKey"]
    assert (key["name"], key["in"], key["schema"]["maxLength"]) == ("Idempotency-Key", "header", IDEMPOTENCY_KEY_MAX)
