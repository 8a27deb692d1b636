"""What `/healthz` says beside "ok": each app that keeps something in memory worth watching
(the PDQ index) registers a reporter from its AppConfig.ready(), so core imports no app.

A reporter must be cheap and must not touch the database: `/healthz` is what load balancers
poll, many times a second. It answers from what the process already holds (None when it
holds nothing yet, and then the key is left out)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Reporter = Callable[[], dict[str, Any] | None]

_reporters: dict[str, Reporter] = {}


def register_health(name: str, reporter: Reporter) -> None:
    _reporters[name] = reporter


def health_details() -> dict[str, Any]:
    details = {}
    for name, reporter in _reporters.items():
        report = reporter()
        if report is not None:
            details[name] = report
    return details
