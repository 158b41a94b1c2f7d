"""Prometheus metrics of the HTTP surface, in a registry owned by the application (not global)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST


@dataclass(frozen=True)
class HttpMetrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def create_http_metrics() -> HttpMetrics:
    registry = CollectorRegistry()
    return HttpMetrics(
        registry=registry,
        requests=Counter(
            "firstline_http_requests", "HTTP requests served", ["method", "route", "status"], registry=registry
        ),
        latency=Histogram(
            "firstline_http_request_duration_seconds", "HTTP request latency", ["route"], registry=registry
        ),
    )
