"""Benchmark of the URL list with a million active entries: publish, full export, diff.

Targets (issue 10): with 1,000,000 active entries on PostgreSQL, the full JSON export streams
in under 3 s with under 200 MB peak memory, and a diff of 1,000 changes answers in under 50 ms.

It loads 1,000,000 entries straight into a throw-away PostgreSQL database
(`hotline_bench_urllist`, created and dropped; INSERT ... SELECT over generate_series, one
version and one change-log row per entry, as a million `add_to_url_list` calls would leave),
then in this process:
- publishes (`publish_url_list`: every full format rendered from one read, stored in chunks);
- downloads the full JSON feed through the Django test client with a member's key (the whole
  middleware stack), reading the stream without keeping it, `--downloads` times;
- makes 1,000 changes through the real actions (adds, recategorisations, removals) and asks
  for them with `?since=`, `--diffs` times.
Memory: the process's peak resident set (getrusage maxrss) after each step, and the peak of
Python allocations during one more download traced apart (tracemalloc; not in the timings).

    HOTLINE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline \\
      .venv/bin/python bench/bench_urllist.py [--entries 1000000] [--downloads 3] [--diffs 20]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc

from common import postgres_machine, summary, throwaway_database

EXPORT_TARGET_S = 3.0
MEMORY_TARGET_MB = 200.0
DIFF_TARGET_MS = 50.0
CHANGES = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--downloads", type=int, default=3)
    parser.add_argument("--diffs", type=int, default=20)
    args = parser.parse_args()
    if not os.environ.get("HOTLINE_DATABASE_URL", "").startswith("postgres"):
        parser.error("set HOTLINE_DATABASE_URL to a PostgreSQL server (the target is for it)")
    with throwaway_database("hotline_bench_urllist"):
        run(args)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def load(count: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO urllist_urllistversion (number, published_at, added, removed, recategorised)
            SELECT n, now() - interval '30 days' + n * interval '1 ms', 1, 0, 0
            FROM generate_series(1, {count}) AS n
            """  # noqa: S608 (numbers of our own)
        )
        cursor.execute(
            f"""
            INSERT INTO urllist_urllistentry (
                kind, url, url_sha256, domain, category, removal_reason, case_id, added_at,
                added_in_id, removed_at, removed_in_id)
            SELECT 'url', g.url, encode(sha256(convert_to(g.url, 'UTF8')), 'hex'), '',
                (ARRAY['A', 'B', 'C'])[1 + g.n % 3], '', g.n, v.published_at, v.id, NULL, NULL
            FROM (
                SELECT n, 'http://host-' || (n % 50000) || '.example/gallery/'
                    || md5(n::text) || '/' || n AS url
                FROM generate_series(1, {count}) AS n
            ) AS g JOIN urllist_urllistversion v ON v.number = g.n
            ORDER BY g.n
            """  # noqa: S608
        )
        cursor.execute(
            """
            INSERT INTO urllist_urllistchange (version, entry_id, change, category, reason, at)
            SELECT v.number, e.id, 'added', e.category, '', e.added_at
            FROM urllist_urllistentry e JOIN urllist_urllistversion v ON v.id = e.added_in_id
            ORDER BY v.number
            """
        )
        cursor.execute("ANALYZE")


def new_url(n: int) -> str:
    return f"http://new-{n}.example/page"


def stream(client: object, key: str, query: str) -> tuple[int, str]:
    """GET the feed, reading the stream piece by piece; (bytes read, ETag)."""
    response = client.get(  # type: ignore[attr-defined]
        f"/api/v1/urllist{query}", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 200, response.status_code
    size = 0
    for piece in response.streaming_content:
        size += len(piece)
    return size, response["ETag"]


def run(args: argparse.Namespace) -> None:
    from django.test import Client

    from hotline.members.actions import create_member, issue_api_key
    from hotline.members.models import MemberKind, Scope
    from hotline.urllist.actions import add_to_url_list, publish_url_list, remove_from_url_list
    from hotline.urllist.snapshots import current_version

    print(postgres_machine())
    start = time.perf_counter()
    load(args.entries)
    print(f"loaded {args.entries} entries in {time.perf_counter() - start:.1f} s")
    print(f"peak RSS before publishing: {peak_rss_mb():.0f} MB")

    start = time.perf_counter()
    snapshots = publish_url_list(actor="system")
    published = time.perf_counter() - start
    sizes = ", ".join(f"{s.format} {s.size / 1048576:.0f} MiB" for s in snapshots)
    print(f"publish_url_list ({len(snapshots)} formats: {sizes}): {published:.2f} s")
    print(f"peak RSS after publishing: {peak_rss_mb():.0f} MB")

    member = create_member(name="Bench ISP", kind=MemberKind.ISP)
    _, key = issue_api_key(member=member, scopes=[Scope.URLLIST_READ])
    client = Client()
    before = peak_rss_mb()
    timings = []
    size = 0
    for _ in range(args.downloads):
        start = time.perf_counter()
        size, _etag = stream(client, key, "?format=json")
        timings.append(time.perf_counter() - start)
    rss = peak_rss_mb()
    tracemalloc.start()
    stream(client, key, "?format=json")
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ok = max(timings) < EXPORT_TARGET_S and rss < MEMORY_TARGET_MB
    print(
        f"GET /api/v1/urllist?format=json ({args.entries} entries, {size / 1048576:.0f} MiB): "
        f"{', '.join(f'{t:.2f} s' for t in timings)}; peak RSS {before:.0f} -> {rss:.0f} MB; "
        f"Python allocations peak {traced / 1048576:.1f} MB "
        f"(target < {EXPORT_TARGET_S:.0f} s, < {MEMORY_TARGET_MB:.0f} MB: "
        f"{'met' if ok else 'MISSED'})"
    )

    since = current_version()
    start = time.perf_counter()
    # In fours: two additions, the second of them recategorised, the first removed.
    for n in range(CHANGES):
        if n % 4 == 2:
            add_to_url_list(url=new_url(n - 1), category="A", case_id=None, actor="system")
        elif n % 4 == 3:
            remove_from_url_list(url=new_url(n - 3), reason="content removed", actor="system")
        else:
            add_to_url_list(url=new_url(n), category="C", case_id=None, actor="system")
    changed = time.perf_counter() - start
    print(
        f"{CHANGES} changes through the actions: {changed:.1f} s "
        f"({CHANGES / changed:.0f} changes/s); versions {since} -> {current_version()}"
    )
    for fmt in ("json", "txt"):
        timings = []
        for _ in range(args.diffs):
            start = time.perf_counter()
            size, _etag = stream(client, key, f"?format={fmt}&since={since}")
            timings.append(time.perf_counter() - start)
        p95 = sorted(timings)[int(len(timings) * 0.95) - 1] * 1000
        print(
            f"GET /api/v1/urllist?format={fmt}&since={since} ({CHANGES} changes, "
            f"{size / 1024:.0f} KiB): {summary(timings)} (target < {DIFF_TARGET_MS:.0f} ms: "
            f"{'met' if p95 < DIFF_TARGET_MS else 'MISSED'})"
        )
    print(f"peak RSS at the end: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
