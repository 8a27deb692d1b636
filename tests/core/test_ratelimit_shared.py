"""With HOTLINE_CACHE_URL, every web process counts against the same limits (Redis).

Runs against the Redis on 127.0.0.1:6379 when one answers (CI's machine has one); skipped
where none does, with the reason.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory, override_settings

from hotline.core import ratelimit
from hotline.core.ratelimit import Limit

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")


@pytest.fixture
def two_processes() -> Iterator[tuple[RedisCache, RedisCache]]:
    """Two cache clients of one Redis, as two web processes would have."""
    first, second = (RedisCache(REDIS_URL, {}) for _ in range(2))
    first.clear()
    yield first, second
    first.clear()


def test_two_processes_share_the_daily_secret_and_the_counters(
    two_processes: tuple[RedisCache, RedisCache], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = two_processes
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.50")
    limit = Limit("shared-test", 3, 3600)
    seen = []
    for process in (first, second, first, second):
        monkeypatch.setattr(ratelimit, "cache", process)
        key = ratelimit.client_key(request)
        seen.append((key, ratelimit.hit(limit, key)))
    keys = {key for key, _ in seen}
    assert len(keys) == 1  # the same secret in both processes
    assert [wait for _, wait in seen][:3] == [0, 0, 0] and seen[3][1] > 0


def test_the_setting_selects_redis() -> None:
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
            }
        }
    ):
        from django.core.cache import caches

        assert isinstance(caches["default"], RedisCache)
