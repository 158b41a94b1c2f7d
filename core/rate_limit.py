"""Token buckets (pure apart from the injected clock): `capacity` events at once, refilled at
`per_second`. In-process: they bound one socket or one address on one process, which is what a
flood from one visitor looks like; limits that must hold across processes live in PostgreSQL."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from core.clock import Clock


@dataclass
class TokenBucket:
    capacity: float
    per_second: float
    tokens: float
    updated: float  # seconds, from the clock

    def take(self, now: float) -> float:
        """0 when an event may pass now (and it is counted); else the seconds to wait."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


class RateLimiter:
    """One bucket per key (an IP address, a visitor), forgetting the least recently used beyond `max_keys`."""

    def __init__(self, clock: Clock, *, capacity: float, per_second: float, max_keys: int = 10_000) -> None:
        self._clock = clock
        self._capacity = capacity
        self._per_second = per_second
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def retry_after(self, key: str) -> int:
        """0 when allowed (and counted); else whole seconds to wait."""
        now = self._clock.now().timestamp()
        bucket = self._buckets.pop(key, None) or TokenBucket(self._capacity, self._per_second, self._capacity, now)
        self._buckets[key] = bucket
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        wait = bucket.take(now)
        return 0 if wait == 0 else max(1, math.ceil(wait))
