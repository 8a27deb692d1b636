"""What the OpenAPI document says about a member key's refusals, for every endpoint that takes
one: the JSON error body (`{"error": <code>, "message": <what to do>}`, hotline/api.py) with an
example of each. Response codes are ints: the document must not name one twice."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "A stable code, for programs."},
        "message": {"type": "string", "description": "What to do, for people."},
    },
    "required": ["error", "message"],
}


def error_response(description: str, code: str, message: str) -> dict[str, Any]:
    """One error response, with its JSON schema and an example."""
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": ERROR_SCHEMA,
                "example": {"error": code, "message": message},
            }
        },
    }


KEY_REFUSALS: dict[int, dict[str, Any]] = {
    401: error_response(
        "No key, or a wrong, revoked or expired one (with `WWW-Authenticate: Bearer`).",
        "expired_key",
        "This API key expired on 2027-06-30. Ask the hotline for a new one.",
    ),
    403: error_response(
        "The key holds no licence (scope) for this, or the membership is suspended.",
        "scope",
        "This API key does not allow 'urllist:read'. Ask the hotline to extend it.",
    ),
    429: error_response(
        "The key's requests a minute are used up; `Retry-After` says how many seconds to wait.",
        "rate_limited",
        "This key may make 60 requests a minute. Try again in 12 s, or ask the hotline for a "
        "higher limit.",
    ),
}
