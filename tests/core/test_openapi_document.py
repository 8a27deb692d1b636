"""The OpenAPI document is strict JSON that tools can load: no key twice in one object (a
response given both by ninja's `response=` and by `openapi_extra` once came out as "200" twice,
and Swagger UI refused the whole document)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client


def strict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    assert not twice, f"keys given twice in one object: {twice}"
    return dict(pairs)


def test_the_openapi_document_has_no_key_twice(client: Client, db: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content, object_pairs_hook=strict)
    assert {"/api/v1/urllist", "/api/v1/reports"} <= set(document["paths"])


def test_the_docs_page_uses_only_this_sites_scripts(client: Client, db: None) -> None:
    page = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


def test_every_keyed_endpoint_documents_its_refusals_with_examples(
    client: Client, db: None
) -> None:
    document = client.get("/api/v1/openapi.json").json()
    keyed = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if operation.get("security")
    ]
    assert len(keyed) >= 3  # the URL list, its manifest, the reports
    for path, method, operation in keyed:
        for status in ("401", "403", "429"):
            response = operation["responses"].get(status)
            assert response, f"{method.upper()} {path} does not document {status}"
            example = response["content"]["application/json"]["example"]
            assert set(example) == {"error", "message"}, (path, status)
    feed = document["paths"]["/api/v1/urllist"]["get"]["responses"]
    assert set(feed) >= {"200", "304", "400", "401", "403", "429"}
    assert feed["200"]["content"]["application/json"]["example"]["entries"]
