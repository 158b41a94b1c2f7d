from pytest_aiohttp import AiohttpClient

from core.app import build_app
from core.db import Database
from tests.factories import Client, make_settings


async def test_healthz_answers_without_touching_the_database(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_reports_the_migrated_schema(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status == 200
    assert (await response.json())["status"] == "ready"


async def test_every_response_carries_a_request_id_and_keeps_a_sane_incoming_one(client: Client) -> None:
    fresh = await client.get("/healthz")
    assert len(fresh.headers["X-Request-Id"]) == 32
    kept = await client.get("/healthz", headers={"X-Request-Id": "abc-123-def"})
    assert kept.headers["X-Request-Id"] == "abc-123-def"
    replaced = await client.get("/healthz", headers={"X-Request-Id": "<script>"})
    assert replaced.headers["X-Request-Id"] != "<script>"


async def test_metrics_count_requests_by_route(client: Client) -> None:
    await client.get("/healthz")
    response = await client.get("/metrics")
    body = await response.text()
    assert response.status == 200
    assert 'firstline_http_requests_total{method="GET",route="/healthz",status="200"}' in body


async def test_unknown_api_path_is_a_json_404(client: Client) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_unknown_page_is_a_readable_404_page(client: Client) -> None:
    response = await client.get("/no-such-page")
    assert response.status == 404
    assert "Page not found." in await response.text()


async def test_over_size_body_is_413_with_a_clear_code(db: Database, aiohttp_client: AiohttpClient) -> None:
    settings = make_settings(http=make_settings().http.model_copy(update={"max_body_bytes": 2048}))
    client = await aiohttp_client(build_app(settings, database=db))
    response = await client.post(
        "/api/v1/groups", data=b"{" + b" " * 4096 + b"}", headers={"Authorization": "Bearer fl_x"}
    )
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "payload_too_large"
