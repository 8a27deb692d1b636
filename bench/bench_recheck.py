"""Benchmark of the takedown re-check: 10,000 URLs a minute with at most 200 connections.

Target (issue 11, "Notice and takedown"): re-check 10,000 URLs per minute against the local
test world on this machine with at most 200 concurrent connections.

The test world is started in a process of its own (the DNS world and the web world, uvicorn
on loopback; tests/world/), so the fetcher's process is measured alone, as it would be against
real hosts, and the world's server has the other core. It serves `--hosts` sites
(site-N.test) of `--pages` pages each (10,000 URLs by default), each page with one or two
images (PNG, 320x240 shapes, `--distinct-images` different pictures spread over the pages,
each under its own URL). The mix, by page: 80 % still present (every image as captured), 10 %
removed (the page answers 404 or 410, alternately), 10 % with the page still answering but its
images gone (half answering 404, half replaced by another picture). The known hashes of each
page are those of its images (MD5 and PDQ), as a capture would have kept them.

Two measurements on the same world, URLs in a shuffled order (the takedowns due at once are
on many hosts, not one host after another):

1. `recheck_many` over all the URLs with concurrency 200, the fetcher's own code path: wall
   time, URLs a minute, the verdicts (checked against the world's set-up: every verdict and
   reason must be the one expected, or the benchmark fails), the CPU time of this process and
   of the world's, and the most TCP connections the web server had open at once (counted by
   the server as it accepts and closes them), with the most requests in progress at once.
2. The worker's periodic round, `recheck_due()`, with as many due takedowns in the database
   (confirmed cases, each on the URL list, with an open takedown, a sent notice and a capture
   with its images; bulk-created, not timed): reading them, re-checking, and one audited
   `record_recheck` per result (gone: the takedown is closed as removed, its notice closed,
   the URL taken off the list, each with its audit events). Timed whole, and split into the
   fetching and the recording; the database is checked afterwards (statuses, list, events).

SQLite by default (a temp file), PostgreSQL when HOTLINE_DATABASE_URL says so (database
`hotline_bench_recheck`, created and dropped):

    .venv/bin/python bench/bench_recheck.py [--hosts 1000] [--pages 10] [--concurrency 200] \\
      [--distinct-images 2000] [--skip-worker] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import os
import platform
import random
import resource
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import Any

from common import throwaway_database

TARGET_PER_MINUTE = 10_000
MAX_CONNECTIONS = 200


@dataclass(frozen=True)
class Served:
    """One thing the web world serves: (host, path) answers status with body."""

    host: str
    path: str
    status: int
    body: bytes
    content_type: str


@dataclass(frozen=True)
class Page:
    """A URL to re-check (its port filled in once the world runs) and what should be found."""

    host: str
    path: str
    images: tuple[int, ...]  # indexes into the pool of distinct pictures (the known ones)
    verdict: str
    reason: str


def build_world(hosts: int, pages: int, distinct: int) -> tuple[list[Served], list[Page]]:
    """What the web world serves and the pages to re-check, with the expected verdicts."""
    from tests.world.web import noise, shapes

    pool = [shapes(seed) for seed in range(distinct)]
    replacements = [noise(seed) for seed in range(50)]
    served: list[Served] = []
    expected: list[Page] = []
    for h in range(hosts):
        host = f"site-{h}.test"
        for p in range(pages):
            n = h * pages + p
            path = f"/gallery/{p}"
            images = tuple((2 * n + k) % distinct for k in range(1 + n % 2))
            paths = [f"/img/{p}-{k}.png" for k in range(len(images))]
            html = "<title>Gallery</title>" + "".join(f'<img src="{s}">' for s in paths)
            kind = n % 10
            if kind == 0:  # the host removed the page
                status = 404 if n % 20 == 0 else 410
                served.append(Served(host, path, status, b"<title>Gone</title>", "text/html"))
                expected.append(Page(host, path, images, "gone", f"status_{status}"))
                continue
            served.append(Served(host, path, 200, html.encode(), "text/html; charset=utf-8"))
            if kind == 1:  # the page answers, its images are gone
                if n % 20 == 11:  # ... replaced by other pictures; else not served: 404
                    for k, image_path in enumerate(paths):
                        picture = replacements[(n + k) % len(replacements)]
                        served.append(Served(host, image_path, 200, picture, "image/png"))
                expected.append(Page(host, path, images, "gone", "no_matching_image"))
                continue
            for image_path, index in zip(paths, images, strict=True):
                served.append(Served(host, image_path, 200, pool[index], "image/png"))
            expected.append(Page(host, path, images, "present", "image_matches"))
    return served, expected


def serve_world(served: list[Served], control: Connection) -> None:
    """The DNS and web worlds, in a process of their own, until told to stop; answers
    "stats" (the web server's counters and this process's CPU time) and "reset"."""
    from tests.world.dns import WorldDns
    from tests.world.web import WorldWeb

    with WorldDns() as dns, WorldWeb() as web:
        for item in served:
            if item.status == 200:
                web.raw(item.path, item.body, item.content_type, host=item.host)
            else:
                web.page(item.path, item.body.decode(), host=item.host, status=item.status)
        control.send((dns.port, web.port))
        while True:
            command = control.recv()
            if command == "stats":
                control.send(
                    {
                        "peak_connections": web.peak_connections,
                        "connections_made": web.connections_made,
                        "peak_in_flight": web.peak_in_flight,
                        "requests": sum(web.hits.values()),
                        "dns_queries": sum(dns.asked.values()),
                        "cpu": time.process_time(),
                    }
                )
            elif command == "reset":
                web.peak_connections = web.connections_made = web.peak_in_flight = 0
                web.hits.clear()
                dns.asked.clear()
                control.send("ok")
            else:
                return


class World:
    """The world's process, seen from here."""

    def __init__(self, served: list[Served]) -> None:
        # fork: the pages built here are handed over without pickling 30 MB.
        context = multiprocessing.get_context("fork")
        self._control, child = context.Pipe()
        self._process = context.Process(target=serve_world, args=(served, child), daemon=True)
        self._process.start()
        self.dns_port, self.web_port = self._control.recv()

    def reset(self) -> None:
        self._control.send("reset")
        self._control.recv()

    def stats(self) -> dict[str, Any]:
        self._control.send("stats")
        stats: dict[str, Any] = self._control.recv()
        return stats

    def stop(self) -> None:
        self._control.send("stop")
        self._process.join(timeout=10)


def machine() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"postgresql {cursor.fetchone()[0]}"
    else:
        import sqlite3

        database = f"sqlite {sqlite3.sqlite_version} (temp file)"
    return (
        f"database: {database}; python {platform.python_version()}; {platform.machine()}; "
        f"{os.cpu_count()} cpus; load average {load()}"
    )


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def check_verdicts(results: dict[int, Any], pages: list[Page]) -> Counter[str]:
    """The verdicts counted, after checking each against what the world was set up to show."""
    wrong = [
        (pages[key].host + pages[key].path, (r.verdict.value, r.reason), (p.verdict, p.reason))
        for key, r in results.items()
        if (r.verdict.value, r.reason) != ((p := pages[key]).verdict, p.reason)
    ]
    assert len(results) == len(pages), f"{len(results)} results for {len(pages)} URLs"
    assert not wrong, f"{len(wrong)} wrong verdicts, e.g. (url, got, expected) {wrong[:5]}"
    return Counter(f"{r.verdict.value} ({r.reason})" for r in results.values())


def report(name: str, seconds: float, count: int, cpu: float, world: dict[str, Any]) -> None:
    per_minute = count / seconds * 60
    met = "met" if per_minute >= TARGET_PER_MINUTE else "NOT met"
    connections_met = "met" if world["peak_connections"] <= MAX_CONNECTIONS else "NOT met"
    print(
        f"{name}: {count} URLs in {seconds:.1f} s = {per_minute:,.0f} URLs/min "
        f"(target {TARGET_PER_MINUTE:,}/min: {met}); CPU here {cpu:.1f} s, "
        f"world {world['cpu_used']:.1f} s; load average {load()}"
    )
    print(
        f"  web server: {world['requests']} requests on {world['connections_made']} connections, "
        f"at most {world['peak_connections']} connections open at once (<= {MAX_CONNECTIONS}: "
        f"{connections_met}), {world['peak_in_flight']} requests in progress at once; "
        f"{world['dns_queries']} DNS queries"
    )


def measured(world: World, work: Callable[[], Any], profile: str) -> tuple[Any, float, float]:
    """(work's result, wall seconds, CPU seconds of this process), profiled to `profile`."""
    world.reset()
    profiler = cProfile.Profile() if profile else None
    began, began_cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    result = work()
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    return result, time.perf_counter() - began, time.process_time() - began_cpu


def world_stats(world: World, cpu_before: float) -> dict[str, Any]:
    stats = world.stats()
    stats["cpu_used"] = stats["cpu"] - cpu_before
    return stats


def load_takedowns(urls: list[str], pages: list[Page], hashes: list[Any], order: list[int]) -> None:
    """A confirmed case per URL, on the URL list, with an open takedown due for a re-check,
    a sent notice and a capture of its images: what confirmation and capture leave."""
    from django.utils import timezone

    from hotline.cases.models import Case
    from hotline.cases.states import CaseStatus
    from hotline.core.classification import OutcomeKind
    from hotline.core.hashing import url_digest
    from hotline.portals.actions import launch_portal
    from hotline.portals.spec import LAUNCH_FILES_DIR, load_portal_spec
    from hotline.takedown.models import (
        Capture,
        CapturedImage,
        Notice,
        NoticeState,
        RecipientKind,
        Takedown,
    )
    from hotline.urllist.models import UrlListEntry, UrlListVersion

    now = timezone.now()
    confirmed = now - timedelta(hours=2)
    portal = launch_portal(load_portal_spec(LAUNCH_FILES_DIR / "tn.toml")).portal
    cases = Case.objects.bulk_create(
        Case(
            canonical_url=url,
            url_sha256=url_digest(url),
            host=page.host,
            portal=portal,
            status=CaseStatus.CONFIRMED,
            outcome=OutcomeKind.CRIMINAL,
            category="B",
            opened_at=confirmed - timedelta(hours=1),
            resolved_at=confirmed,
        )
        for url, page in zip(urls, pages, strict=True)
    )
    versions = UrlListVersion.objects.bulk_create(
        UrlListVersion(number=n + 1, added=1) for n in range(len(cases))
    )
    UrlListEntry.objects.bulk_create(
        UrlListEntry(
            url=case.canonical_url,
            url_sha256=case.url_sha256,
            category="B",
            case_id=case.pk,
            added_in=version,
        )
        for case, version in zip(cases, versions, strict=True)
    )
    # Due an hour ago, a microsecond apart: recheck_due takes them in `order`, as
    # recheck_many had them.
    due_rank = {n: rank for rank, n in enumerate(order)}
    takedowns = Takedown.objects.bulk_create(
        Takedown(
            case=case,
            confirmed_at=confirmed,
            next_check_at=now - timedelta(hours=1) + timedelta(microseconds=due_rank[n]),
        )
        for n, case in enumerate(cases)
    )
    Notice.objects.bulk_create(
        Notice(
            takedown=takedown,
            recipient_kind=RecipientKind.HOSTING_PROVIDER,
            recipient_name="Test Hosting",
            email="abuse@hosting.example",
            state=NoticeState.SENT,
            created_at=confirmed,
            sent_at=confirmed,
        )
        for takedown in takedowns
    )
    captures = Capture.objects.bulk_create(
        Capture(
            case=case,
            captured_at=confirmed,
            requested_url=case.canonical_url,
            final_url=case.canonical_url,
            status_code=200,
            image_count=len(page.images),
        )
        for case, page in zip(cases, pages, strict=True)
    )
    CapturedImage.objects.bulk_create(
        CapturedImage(
            capture=capture,
            url=f"{capture.final_url.rsplit('/gallery/', 1)[0]}/img/{page.path[9:]}-{k}.png",
            md5=hashes[index].md5,
            sha1=hashes[index].sha1,
            sha256=hashes[index].sha256,
            pdq=hashes[index].pdq,
            pdq_quality=hashes[index].pdq_quality,
            width=hashes[index].width,
            height=hashes[index].height,
        )
        for capture, page in zip(captures, pages, strict=True)
        for k, index in enumerate(page.images)
    )


def check_database(pages: list[Page]) -> str:
    """What recheck_due left, checked against the verdicts the world was set up for."""
    from hotline.audit.models import AuditEvent
    from hotline.takedown.models import Notice, NoticeState, Takedown, TakedownStatus
    from hotline.urllist.models import UrlListEntry

    gone = sum(page.verdict == "gone" for page in pages)
    statuses = Counter(Takedown.objects.values_list("status", flat=True))
    assert statuses == {TakedownStatus.REMOVED: gone, TakedownStatus.OPEN: len(pages) - gone}, (
        statuses
    )
    assert not Takedown.objects.filter(checks=0).exists(), "a takedown was not re-checked"
    removed = Notice.objects.filter(state=NoticeState.REMOVED).count()
    assert removed == gone, removed
    listed = UrlListEntry.objects.filter(removed_at__isnull=True).count()
    assert listed == len(pages) - gone, listed
    events = Counter(AuditEvent.objects.values_list("action", flat=True))
    assert events["takedown.rechecked"] == len(pages), events
    assert events["takedown.removed"] == events["urllist.entry_removed"] == gone, events
    return ", ".join(f"{action} {count}" for action, count in sorted(events.items()))


def run(args: argparse.Namespace) -> None:
    from django.conf import settings

    from hotline.hashlist.signals import hash_image
    from hotline.takedown import tasks
    from hotline.takedown.recheck import KnownContent, recheck_many
    from tests.world.web import shapes

    print(machine())
    began = time.perf_counter()
    served, pages = build_world(args.hosts, args.pages, args.distinct_images)
    hashes = [hash_image(shapes(seed)) for seed in range(args.distinct_images)]
    world = World(served)
    del served
    print(
        f"world: {len(pages)} URLs on {args.hosts} hosts, "
        f"{sum(len(p.images) for p in pages)} images known, {args.distinct_images} distinct "
        f"pictures; built and started in {time.perf_counter() - began:.1f} s "
        f"(DNS and web in process {world._process.pid}, this one {os.getpid()})"
    )
    try:
        settings.HOTLINE_DNS_NAMESERVERS = [f"127.0.0.1:{world.dns_port}"]
        # The order takedowns fall due in: hosts mixed, not one after another.
        order = list(range(len(pages)))
        random.Random(11).shuffle(order)  # noqa: S311 (an order, not a secret)
        urls = [f"http://{p.host}:{world.web_port}{p.path}" for p in pages]
        items = [
            (
                n,
                urls[n],
                KnownContent(
                    md5s=frozenset(hashes[i].md5 for i in pages[n].images),
                    pdqs=tuple(hashes[i].pdq for i in pages[n].images),
                ),
            )
            for n in order
        ]

        world_cpu = world.stats()["cpu"]
        results, seconds, cpu = measured(
            world,
            lambda: asyncio.run(recheck_many(items, concurrency=args.concurrency)),
            args.profile and f"{args.profile}.recheck_many",
        )
        verdicts = check_verdicts(results, pages)
        report("recheck_many", seconds, len(pages), cpu, world_stats(world, world_cpu))
        print(f"  verdicts (each as set up): {dict(sorted(verdicts.items()))}")
        if args.skip_worker:
            return

        began = time.perf_counter()
        load_takedowns(urls, pages, hashes, order)
        print(f"loaded {len(pages)} due takedowns in {time.perf_counter() - began:.1f} s")
        # Keyed by takedown: map back to the page by the case's URL.
        from hotline.takedown.models import Takedown

        page_of = {urls[n]: n for n in range(len(pages))}
        fetching: list[float] = []
        real_recheck_many = tasks.recheck_many

        async def timed_recheck_many(*a: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return await real_recheck_many(*a, **kw)
            finally:
                fetching.append(time.perf_counter() - start)

        if args.processes > 1:
            world_cpu = world.stats()["cpu"]
            world.reset()
            results, seconds, cpu = sharded_round(args.processes, len(pages))
            url_of = dict(Takedown.objects.values_list("pk", "case__canonical_url"))
            verdicts = check_verdicts({page_of[url_of[k]]: r for k, r in results.items()}, pages)
            report(
                f"recheck_due in {args.processes} worker processes (shards)",
                seconds,
                len(pages),
                cpu,
                world_stats(world, world_cpu),
            )
            print(f"  verdicts (each as set up): {dict(sorted(verdicts.items()))}")
            print(f"  database afterwards (as expected): {check_database(pages)}")
            return
        wrapped: Callable[..., Awaitable[Any]] = timed_recheck_many
        tasks.recheck_many = wrapped  # type: ignore[assignment]
        world_cpu = world.stats()["cpu"]
        try:
            results, seconds, cpu = measured(
                world,
                lambda: tasks.recheck_due(limit=len(pages)),
                args.profile and f"{args.profile}.recheck_due",
            )
        finally:
            tasks.recheck_many = real_recheck_many
        url_of = dict(Takedown.objects.values_list("pk", "case__canonical_url"))
        verdicts = check_verdicts({page_of[url_of[k]]: r for k, r in results.items()}, pages)
        report("recheck_due", seconds, len(pages), cpu, world_stats(world, world_cpu))
        print(
            f"  of which fetching (recheck_many) {fetching[0]:.1f} s, reading the due takedowns "
            f"and recording {len(results)} results {seconds - fetching[0]:.1f} s "
            f"({(seconds - fetching[0]) / len(results) * 1000:.2f} ms a result)"
        )
        print(f"  verdicts (each as set up): {dict(sorted(verdicts.items()))}")
        print(f"  database afterwards (as expected): {check_database(pages)}")
    finally:
        world.stop()


def sharded_round(processes: int, limit: int) -> tuple[dict[int, Any], float, float]:
    """The round as `processes` worker processes run it with HOTLINE_TAKEDOWN_RECHECK_SHARDS
    set to as many: each runs recheck_due for its shard, side by side. (results, wall seconds,
    CPU seconds of the worker processes)."""
    from django.db import connections

    from hotline.takedown import tasks

    connections.close_all()  # each process opens its own
    context = multiprocessing.get_context("fork")

    def shard(n: int, out: Connection) -> None:
        out.send(tasks.recheck_due(limit=limit, shard=n, shards=processes))
        out.close()

    began = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    pipes, workers = [], []
    for n in range(processes):
        receive, send = context.Pipe(duplex=False)
        worker = context.Process(target=shard, args=(n, send))
        worker.start()
        pipes.append(receive)
        workers.append(worker)
    results: dict[int, Any] = {}
    for receive in pipes:
        results.update(receive.recv())
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0, f"a shard's process failed ({worker.exitcode})"
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return results, seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=10, help="per host")
    parser.add_argument("--concurrency", type=int, default=MAX_CONNECTIONS)
    parser.add_argument(
        "--distinct-images", type=int, default=2000, help="different pictures over all pages"
    )
    parser.add_argument("--skip-worker", action="store_true", help="only recheck_many")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="run the worker's round as this many worker processes, one shard each",
    )
    parser.add_argument(
        "--profile", default="", help="write cProfile stats to FILE.recheck_many/.recheck_due"
    )
    args = parser.parse_args()
    with throwaway_database("hotline_bench_recheck", sqlite_file=True):
        run(args)


if __name__ == "__main__":
    main()
