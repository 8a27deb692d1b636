"""Benchmark of the partner figures at scale: 1 million cases on PostgreSQL.

Target (issue 13): with 1 million cases on PostgreSQL, the dashboard answers in under 300 ms
(the per-action cost of keeping the rollups is bench/bench_stats.py's). Three parts:

1. Seed a database of its own (`--database`, default hotline_bench_figures; migrated first)
   with two years of a hotline's history on three portals (tn, ma from four months later, sn
   from a year later, the volume growing over time): reports and their items (some reports
   of two URLs, some URLs reported again, known content among them), cases with the results
   that stand (confirmed with categories and facts, not confirmed, unavailable, duplicates;
   hash-list matches, second assessments, corrections, appeals; the last days' cases still
   waiting), their assessments, and the takedowns of confirmed content, most removed. Bulk
   SQL (`INSERT ... SELECT generate_series`, pseudo-random from a hash of the row number, so
   the same seed every time), not the actions: a million cases through the actions would
   take hours. The seed is kept: a second run finds it (table `bench_figures_seed`) and skips
   to the timings; `--reseed` drops the database and seeds again. No audit events are
   written for the seeded rows. Synthetic URLs under .example only.
2. `rebuild_figures` (what `hotline stats rebuild` runs) over the whole database, timed: how
   long an operator waits for a full rebuild, and how many figure rows it makes.
3. The figures' reads a dashboard makes, for the biggest portal: `since_launch`, `for_period`
   (day, week, month), `first_week`, and `timeline` over the two years by month, the last 26
   weeks by week and the last 90 days by day: median and p95 of `--repeats` calls each.
4. The dashboard page, `/staff/figures/`, if it is there: a partner viewer of the biggest
   portal signs in (password and TOTP) with the Django test client, and the page is fetched
   `--repeats` times per period, in-process (server time without HTTP parsing).

    HOTLINE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline \\
      .venv/bin/python bench/bench_figures.py [--cases 1000000] [--repeats 50] [--reseed]
"""

# The SQL below is built from this file's constants and numbers only, never from input.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import percentile, postgres_machine

DAYS = 730  # two years of history, ending when the seed is made
# The portals, the day each launched (days after the start) and their weights once launched.
PORTALS = (("tn", 0, 55), ("ma", 120, 30), ("sn", 365, 15))
ANALYSTS = 12
DASHBOARD_PATH = "/staff/figures/"
VIEWER = "bench-viewer"
PASSWORD = "a long bench password for the figures 1"  # noqa: S105 (a benchmark's account)

STARTED = time.monotonic()


def say(line: str) -> None:
    print(f"[{time.monotonic() - STARTED:7.1f} s] {line}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", default="hotline_bench_figures", help="database name")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to seed")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls of each read")
    parser.add_argument("--reseed", action="store_true", help="drop the database, seed again")
    parser.add_argument("--skip-rebuild", action="store_true", help="keep the figures as they are")
    parser.add_argument("--page", default=DASHBOARD_PATH, help="the dashboard's path")
    args = parser.parse_args()

    server = os.environ.get("HOTLINE_DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        sys.exit("Set HOTLINE_DATABASE_URL to a PostgreSQL server (postgres://user@host/name).")
    url = urlsplit(server)
    os.environ["HOTLINE_DATABASE_URL"] = urlunsplit(url._replace(path=f"/{args.database}"))
    seeded = prepare_database(url._replace(path="/postgres").geturl(), args)

    os.environ.setdefault("HOTLINE_VAR_DIR", tempfile.mkdtemp(prefix="hotline-bench-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(postgres_machine())
    # Also on a seeded database: a checkout newer than the seed may have migrations to apply.
    say(f"migrating {args.database}")
    call_command("migrate", verbosity=0)
    if not seeded:
        seed(args.cases)
    start, end = seed_bounds()
    say(f"{args.database}: {args.cases:,} cases from {start:%Y-%m-%d} to {end:%Y-%m-%d}")
    with connection.cursor() as cursor:
        for table in (
            "intake_report",
            "intake_reportitem",
            "cases_case",
            "assessment_assessment",
            "takedown_takedown",
            "stats_dailyfigure",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            say(f"  {table}: {cursor.fetchone()[0]:,} rows")
    if not args.skip_rebuild:
        rebuild()
    time_reads(end.date(), args.repeats)
    time_page(args.page, args.repeats)
    say(f"kept: database {args.database}")


def prepare_database(maintenance_url: str, args: argparse.Namespace) -> bool:
    """Create the database if needed; True if it already holds a complete seed of the size
    asked. An incomplete seed (a run interrupted) is dropped and made again; a complete one of
    another size is refused without --reseed."""
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.database]
        ).fetchone()
        held = None
        if exists and not args.reseed:
            target = maintenance_url.rsplit("/", 1)[0] + f"/{args.database}"
            with psycopg.connect(target) as bench:
                marker = bench.execute("SELECT to_regclass('bench_figures_seed')").fetchone()
                if marker is not None and marker[0] is not None:
                    row = bench.execute("SELECT cases FROM bench_figures_seed").fetchone()
                    held = row[0] if row is not None else None
        if held == args.cases:
            return True
        if held is not None:
            sys.exit(
                f"{args.database} holds a seed of {held:,} cases, not {args.cases:,}: "
                "pass --reseed to drop it and seed again, or --cases to match it."
            )
        if exists:
            say(f"dropping {args.database}" + ("" if args.reseed else " (incomplete seed)"))
            admin.execute(f'DROP DATABASE "{args.database}" WITH (FORCE)')
        say(f"creating {args.database}")
        admin.execute(f'CREATE DATABASE "{args.database}"')
    return False


# Seeding.


def pick(r: str, choices: Sequence[tuple[str, float]]) -> str:
    """A SQL expression choosing a value by weight with the uniform [0, 1) expression `r`."""
    if len(choices) == 1:
        return f"'{choices[0][0]}'"
    total = sum(weight for _, weight in choices)
    parts, upto = [], 0.0
    for value, weight in choices[:-1]:
        upto += weight / total
        parts.append(f"WHEN {r} < {upto:.6f} THEN '{value}'")
    return f"(CASE {' '.join(parts)} ELSE '{choices[-1][0]}' END)"


def r(salt: int, row: str = "i") -> str:
    """A uniform [0, 1) pseudo-random number of the row number `row`: the same on every run."""
    return f"pg_temp.r({row}, {salt})"


def lognormal_minutes(median: float, sigma: float, salt: int, row: str = "i") -> str:
    """Minutes from a log-normal distribution (Box-Muller from two of the row's numbers)."""
    z = f"(sqrt(-2 * ln(1 - {r(salt, row)})) * cos(2 * pi() * {r(salt + 1, row)}))"
    return f"exp(ln({median}) + {sigma} * {z})"


AGES = [("0-2", 3), ("3-6", 12), ("7-10", 34), ("11-13", 37), ("14-15", 9), ("16-17", 3), ("", 2)]
SEXES = [("girls", 74), ("boys", 10), ("both", 12), ("unknown", 3), ("", 1)]
SITES = [
    ("image_host", 44),
    ("cyberlocker", 15),
    ("forum", 11),
    ("web_page", 10),
    ("social_network", 5),
    ("video_channel", 4),
    ("banner_site", 3),
    ("blog", 3),
    ("search_provider", 1),
    ("other", 2),
    ("", 2),
]
COUNTRIES = [
    ("NL", 30),
    ("US", 19),
    ("RU", 8),
    ("DE", 6),
    ("FR", 5),
    ("BG", 4),
    ("SK", 4),
    ("LV", 3),
    ("RO", 3),
    ("HK", 3),
    ("JP", 2),
    ("CA", 2),
    ("TN", 1),
    ("MA", 1),
    ("ZA", 1),
    ("", 8),
]
KINDS = [("criminal", 32), ("not_criminal", 48), ("unavailable", 12), ("duplicate", 8)]
PATHS = [("gallery", 4), ("f", 3), ("v", 2), ("t", 1)]
SEEN = [('["images"]', 6), ('["videos"]', 2), ('["images", "videos"]', 1), ("[]", 1)]
FOUND_ON = [
    ("website", 5),
    ("social", 2),
    ("messaging", 1),
    ("file_sharing", 1),
    ("search", 1),
    ("", 2),
]
CATEGORIES = [("A", 20), ("B", 22), ("C", 55), ("NPI", 3)]
LABELS = {
    "A": "Category A",
    "B": "Category B",
    "C": "Category C",
    "NPI": "Prohibited non-photographic imagery",
    "not_criminal": "Not criminal / out of remit",
    "unavailable": "Content unavailable",
    "duplicate": "Duplicate of another case",
}


def seed(cases: int) -> None:
    """Two years of a hotline's history, `cases` cases, in bulk SQL (see the module's doc)."""
    from django.db import connection

    from hotline.accounts.actions import create_staff_user, grant_portal_roles
    from hotline.accounts.models import Role
    from hotline.portals.actions import launch_portal
    from hotline.portals.models import Portal
    from hotline.portals.spec import LAUNCH_FILES_DIR, load_portal_spec

    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=DAYS)
    codes = [code for code, _, _ in PORTALS]
    for code, launched, _ in PORTALS:
        launch_portal(load_portal_spec(LAUNCH_FILES_DIR / f"{code}.toml"))
        Portal.objects.filter(code=code).update(launched_at=start + timedelta(days=launched))
    portal_ids = dict(Portal.objects.filter(code__in=codes).values_list("code", "id"))
    languages = dict(Portal.objects.filter(code__in=codes).values_list("code", "default_language"))
    analysts = []
    for n in range(ANALYSTS):
        user = create_staff_user(username=f"bench-analyst-{n}", password=PASSWORD)
        grant_portal_roles(user=user, portal_codes=codes, role=Role.ANALYST)
        analysts.append(user.pk)
    say(f"portals {', '.join(codes)}; {ANALYSTS} analysts; seeding {cases:,} cases")

    def launch_of(code: str) -> float:
        return next(days for c, days, _ in PORTALS if c == code) / DAYS

    # The portal of a report at position u (0..1) in the two years, by the weights of the
    # portals launched by then.
    portal_case = []
    for code, launched, _ in reversed(PORTALS):
        live = [(c, w) for c, d, w in PORTALS if d <= launched]
        choice = pick(r(1, "g"), [(str(portal_ids[c]), w) for c, w in live])
        portal_case.append(f"WHEN power(u, 0.8) >= {launch_of(code):.6f} THEN {choice}")
    portal_expr = f"(CASE {' '.join(portal_case)} END)::bigint"
    language_expr = (
        "(CASE portal_id "
        + " ".join(f"WHEN {portal_ids[c]} THEN '{languages[c]}'" for c in codes)
        + " END)"
    )

    def analyst_expr(salt: int) -> str:
        return f"(ARRAY{analysts})[1 + floor({r(salt)} * {ANALYSTS})::int]"

    steps: list[tuple[str, str]] = [
        (
            "functions",
            # A uniform [0, 1) number from a hash of (row, salt): the same seed on every run.
            "CREATE OR REPLACE FUNCTION pg_temp.r(i bigint, salt int) RETURNS double precision "
            "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
            "$$ SELECT (hashint8(i * 1000 + salt)::bigint + 2147483648) / 4294967296.0 $$",
        ),
        (
            "the cases to make (a temporary table)",
            # i: the case; g: its report (every sixth case is the second URL of the report of
            # the case before it); u: where the report falls in the two years, the volume
            # growing (u ** 0.8 of the time has passed at share u of the cases).
            f"""
            CREATE TEMPORARY TABLE seed_case AS
            WITH numbered AS (
                SELECT i, CASE WHEN i % 6 = 0 THEN i - 1 ELSE i END AS g
                FROM generate_series(1, {cases}) AS i
            ), placed AS (
                SELECT i, g, (g - 1)::double precision / {cases} AS u FROM numbered
            ), timed AS (
                SELECT i, g, u, {portal_expr} AS portal_id,
                    timestamptz '{start.isoformat()}'
                    + power(u, 0.8) * interval '{DAYS} days'
                    + {r(2, "g")} * interval '60 seconds' AS opened,
                    {r(3)} AS kind_r, {r(4)} AS source_r,
                    -- minutes from report to result: median 6 hours, 90 % within 3 days
                    least({lognormal_minutes(360, 1.6, 5)}, 60 * 24 * 90) AS wait,
                    floor(power({r(7)}, 3) * 20000)::int AS host_n
                FROM placed
            ), judged AS (
                SELECT *,
                    {pick("kind_r", KINDS)} AS kind
                FROM timed
            ), sourced AS (
                SELECT *,
                    CASE
                        WHEN kind = 'criminal' AND source_r < 0.15 THEN 'automatic_match'
                        WHEN source_r < 0.23 THEN 'qa_decision'
                        WHEN kind = 'criminal' AND source_r < 0.235 THEN 'correction'
                        WHEN kind = 'criminal' AND source_r < 0.238 THEN 'appeal'
                        ELSE 'assessment'
                    END AS source
                FROM judged
            ), assessed AS (
                SELECT *,
                    opened + CASE WHEN source = 'automatic_match'
                        THEN {r(8)} * interval '30 seconds'
                        ELSE wait * interval '1 minute' END AS assessed_at
                FROM sourced
            )
            SELECT i, g, portal_id, opened, host_n,
                CASE WHEN assessed_at > timestamptz '{end.isoformat()}' THEN '' ELSE kind END
                    AS kind,
                source, assessed_at,
                -- a correction or an appeal's refusal comes days after the first result
                CASE WHEN source IN ('correction', 'appeal')
                    THEN least(assessed_at + (1 + {r(9)} * 20) * interval '1 day',
                               timestamptz '{end.isoformat()}')
                    ELSE assessed_at END AS resolved_at,
                CASE WHEN kind = 'criminal' THEN {pick(r(10), CATEGORIES)} ELSE '' END
                    AS category,
                {pick(r(11), AGES)} AS age, {pick(r(12), SEXES)} AS sex,
                {pick(r(13), SITES)} AS site, {pick(r(14), COUNTRIES)} AS country,
                {r(15, "g")} < 0.7 AS verified,
                {r(16)} < 0.001 AS appealed
            FROM assessed
            """,
        ),
        ("index of the temporary table", "CREATE UNIQUE INDEX ON seed_case (i)"),
        ("analyse it", "ANALYZE seed_case"),
        (
            "cases",
            f"""
            INSERT INTO cases_case (id, canonical_url, url_sha256, host, portal_id, status,
                outcome, category, duplicate_of_id, priority, report_count, open_reports,
                host_confirmed, known_reports, has_verified_report, opened_at, queue_at,
                resolved_at, assessed_at, result_source)
            SELECT i, url, encode(sha256(convert_to(url, 'UTF8')), 'hex'), host, portal_id,
                CASE kind WHEN '' THEN 'new'
                    WHEN 'criminal' THEN CASE WHEN appealed THEN 'appealed' ELSE 'confirmed' END
                    WHEN 'not_criminal' THEN 'not_confirmed' ELSE 'closed' END,
                kind, category,
                CASE WHEN kind = 'duplicate' AND i = 1 THEN 2
                    WHEN kind = 'duplicate' THEN greatest(1, i - 1 - floor({r(17)} * 500))
                    END,
                0, 1, CASE kind WHEN '' THEN 1 ELSE 0 END, 0, 0, verified, opened,
                CASE kind WHEN '' THEN opened END,
                CASE WHEN kind <> '' THEN resolved_at END,
                CASE WHEN kind <> '' THEN assessed_at END,
                CASE WHEN kind <> '' THEN source ELSE '' END
            FROM (
                SELECT *, 'h' || host_n || '.example' AS host,
                    'https://h' || host_n || '.example/' || {pick(r(18), PATHS)}
                    || '/' || i AS url
                FROM seed_case
            ) AS c
            """,
        ),
        (
            "portal links of the cases",
            """
            INSERT INTO cases_caseportal (case_id, portal_id, status, has_verified_report,
                queue_at, opened_at)
            SELECT id, portal_id, status, has_verified_report, queue_at, opened_at
            FROM cases_case
            """,
        ),
        (
            "reports that opened the cases",
            f"""
            INSERT INTO intake_report (id, reference, portal_id, language, content_seen,
                found_on, description, receipt_hash, member_id, external_reference, verified,
                received_at)
            SELECT g, 'BENCH-' || g, portal_id, {language_expr},
                {pick(r(19), SEEN)}::jsonb,
                {pick(r(20), FOUND_ON)},
                '', '', NULL, '', verified, opened
            FROM seed_case WHERE i = g
            """,
        ),
        (
            "their items",
            """
            INSERT INTO intake_reportitem (report_id, position, reported_url, canonical_url,
                is_onion, case_id, known_content)
            SELECT seed.g, CASE WHEN seed.i = seed.g THEN 1 ELSE 2 END,
                c.canonical_url, c.canonical_url, false, c.id, false
            FROM seed_case AS seed JOIN cases_case AS c ON c.id = seed.i
            """,
        ),
        (
            "reports of URLs reported before (some known content)",
            # One more report for an eighth of the cases: of a confirmed URL after its result
            # (on the URL list: known content), of any other while it waited.
            f"""
            CREATE TEMPORARY TABLE seed_again AS
            SELECT {cases} + j AS report_id, s.i AS case_id, s.portal_id, s.verified,
                CASE WHEN s.kind = 'criminal' AND s.appealed = false AND {r(21, "j")} < 0.6
                    THEN least(s.resolved_at + power({r(22, "j")}, 3) * interval '200 days',
                               timestamptz '{end.isoformat()}' - interval '1 minute')
                    ELSE s.opened + {r(23, "j")} * (least(s.assessed_at,
                        timestamptz '{end.isoformat()}') - s.opened) END AS received_at,
                s.kind = 'criminal' AND s.appealed = false AND {r(21, "j")} < 0.6 AS known
            FROM generate_series(1, {cases // 8}) AS j
            JOIN seed_case AS s ON s.i = 1 + floor({r(24, "j")} * {cases})::bigint
            """,
        ),
        (
            "  their reports",
            f"""
            INSERT INTO intake_report (id, reference, portal_id, language, content_seen,
                found_on, description, receipt_hash, member_id, external_reference, verified,
                received_at)
            SELECT report_id, 'BENCH-' || report_id, portal_id, {language_expr},
                '["images"]'::jsonb, 'website', '', '', NULL, '', verified, received_at
            FROM seed_again
            """,
        ),
        (
            "  their items",
            """
            INSERT INTO intake_reportitem (report_id, position, reported_url, canonical_url,
                is_onion, case_id, known_content)
            SELECT a.report_id, 1, c.canonical_url, c.canonical_url, false, c.id, a.known
            FROM seed_again AS a JOIN cases_case AS c ON c.id = a.case_id
            """,
        ),
        (
            "  the cases' report counts",
            """
            UPDATE cases_case AS c SET report_count = c.report_count + a.reports,
                known_reports = a.known,
                open_reports = CASE WHEN c.status = 'new' THEN c.open_reports + a.reports
                    ELSE 0 END
            FROM (SELECT case_id, count(*) AS reports, count(*) FILTER (WHERE known) AS known
                  FROM seed_again GROUP BY case_id) AS a
            WHERE c.id = a.case_id
            """,
        ),
        (
            "assessments",
            # The assessment that gave the result (at the first result; a QA case's first
            # assessment an hour or so before its second), with its facts for confirmed
            # content; none for a hash-list match.
            f"""
            INSERT INTO assessment_assessment (case_id, analyst_id, purpose, outcome_code,
                outcome_kind, outcome_label, duplicate_of_id, interpol_baseline, youngest_age,
                sex_shown, image_count, video_count, self_generated, site_type, commercial,
                hosting_country, notes, assessed_at)
            SELECT s.i, {analyst_expr(40)}, 'first', o.code, s.kind, o.label,
                c.duplicate_of_id,
                CASE WHEN s.kind = 'criminal' THEN {r(25)} < 0.4 END,
                CASE WHEN s.kind = 'criminal' THEN s.age ELSE '' END,
                CASE WHEN s.kind = 'criminal' THEN s.sex ELSE '' END,
                CASE WHEN s.kind = 'criminal' THEN floor(power({r(26)}, 4) * 200)::int END,
                CASE WHEN s.kind = 'criminal' THEN floor(power({r(27)}, 8) * 10)::int END,
                CASE WHEN s.kind = 'criminal' THEN {r(28)} < 0.3 END,
                CASE WHEN s.kind = 'criminal' THEN s.site ELSE '' END,
                CASE WHEN s.kind = 'criminal' THEN {r(29)} < 0.1 END,
                CASE WHEN s.kind = 'criminal' THEN s.country ELSE '' END,
                '',
                CASE WHEN s.source = 'qa_decision'
                    THEN greatest(s.opened, s.assessed_at - {r(30)} * interval '3 hours')
                    ELSE s.assessed_at END
            FROM seed_case AS s
            JOIN cases_case AS c ON c.id = s.i
            JOIN (VALUES {", ".join(f"('{code}', '{label}')" for code, label in LABELS.items())})
                AS o (code, label)
                ON o.code = CASE WHEN s.kind = 'criminal' THEN s.category ELSE s.kind END
            WHERE s.kind <> '' AND s.source <> 'automatic_match'
            """,
        ),
        (
            "  second assessments (QA), appeals' re-assessments and corrections",
            # A second assessment that agreed (its facts stand), an appeal refused (the
            # re-assessment's facts stand), or a senior's correction (no facts: the first's
            # stand, under the category the correction gave).
            f"""
            INSERT INTO assessment_assessment (case_id, analyst_id, purpose, outcome_code,
                outcome_kind, outcome_label, duplicate_of_id, interpol_baseline, youngest_age,
                sex_shown, image_count, video_count, self_generated, site_type, commercial,
                hosting_country, notes, assessed_at)
            SELECT a.case_id, {analyst_expr(41)},
                CASE s.source WHEN 'qa_decision' THEN 'second' WHEN 'appeal' THEN 'appeal'
                    ELSE 'correction' END,
                a.outcome_code, a.outcome_kind, a.outcome_label, a.duplicate_of_id,
                a.interpol_baseline,
                CASE WHEN s.source = 'correction' THEN '' ELSE a.youngest_age END,
                CASE WHEN s.source = 'correction' THEN '' ELSE a.sex_shown END,
                a.image_count, a.video_count, a.self_generated,
                CASE WHEN s.source = 'correction' THEN '' ELSE a.site_type END,
                a.commercial,
                CASE WHEN s.source = 'correction' THEN '' ELSE a.hosting_country END,
                '', s.resolved_at
            FROM assessment_assessment AS a JOIN seed_case AS s ON s.i = a.case_id
            WHERE s.source IN ('qa_decision', 'appeal', 'correction') AND s.kind <> ''
            """,
        ),
        (
            "  the first category of corrected cases",
            """
            UPDATE assessment_assessment AS a SET
                outcome_code = CASE a.outcome_code WHEN 'A' THEN 'B' ELSE 'A' END,
                outcome_label = CASE a.outcome_code WHEN 'A' THEN 'Category B'
                    ELSE 'Category A' END
            FROM seed_case AS s
            WHERE s.i = a.case_id AND s.source = 'correction' AND a.purpose = 'first'
            """,
        ),
        (
            "takedowns",
            # Confirmed content: removed after a median of about a day and a half (most within
            # a week), 6 % still online; content gone a month is no longer watched.
            f"""
            INSERT INTO takedown_takedown (case_id, status, confirmed_at, removed_at,
                time_to_removal, next_check_at, checks, last_check_at, last_verdict,
                last_reason, watch_until, returns, hosting_country)
            SELECT i,
                CASE WHEN gone THEN 'removed' ELSE 'open' END, assessed_at,
                CASE WHEN gone THEN removed_at END,
                CASE WHEN gone THEN removed_at - assessed_at END,
                CASE WHEN NOT gone THEN timestamptz '{end.isoformat()}' + interval '6 hours'
                    WHEN removed_at + interval '30 days' > timestamptz '{end.isoformat()}'
                    THEN timestamptz '{end.isoformat()}' + interval '1 day' END,
                1 + floor({r(31)} * 5)::int,
                CASE WHEN gone THEN removed_at ELSE assessed_at END,
                CASE WHEN gone THEN 'gone' ELSE 'present' END,
                CASE WHEN gone THEN '404' ELSE '200' END,
                CASE WHEN gone THEN removed_at + interval '30 days' END,
                CASE WHEN {r(32)} < 0.02 THEN 1 ELSE 0 END,
                country
            FROM (
                SELECT *, {r(33)} >= 0.06
                    AND assessed_at + ttr < timestamptz '{end.isoformat()}' AS gone,
                    assessed_at + ttr AS removed_at
                FROM (
                    SELECT *, least({lognormal_minutes(2200, 1.3, 34)}, 60 * 24 * 200)
                        * interval '1 minute' AS ttr
                    FROM seed_case WHERE kind = 'criminal'
                ) AS confirmed
            ) AS t
            """,
        ),
        (
            "identity sequences",
            """
            SELECT setval(pg_get_serial_sequence('cases_case', 'id'),
                          (SELECT max(id) FROM cases_case));
            SELECT setval(pg_get_serial_sequence('intake_report', 'id'),
                          (SELECT max(id) FROM intake_report));
            """,
        ),
        ("vacuum and analyse", "VACUUM ANALYZE"),
        (
            "the seed's marker",
            f"""
            CREATE TABLE bench_figures_seed (cases bigint, start_at timestamptz,
                end_at timestamptz, seeded_at timestamptz);
            INSERT INTO bench_figures_seed VALUES ({cases}, '{start.isoformat()}',
                '{end.isoformat()}', now());
            """,
        ),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        for name, sql in steps:
            began = time.monotonic()
            cursor.execute(sql)
            rows = (
                f"{cursor.rowcount:,} rows, "
                if sql.lstrip().startswith(("INSERT", "UPDATE", "CREATE TEMP"))
                else ""
            )
            say(f"seeded {name}: {rows}{time.monotonic() - began:.1f} s")


def seed_bounds() -> tuple[datetime, datetime]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT start_at, end_at FROM bench_figures_seed")
        start, end = cursor.fetchone()
    return start, end


# The rebuild, and the reads.


def rebuild() -> None:
    from django.db import connection

    from hotline.audit.actions import SYSTEM
    from hotline.stats.actions import rebuild_figures

    lines = iter(range(10**9))

    def progress(line: str) -> None:
        # A line per 5,000 cases from the action: one in twenty here.
        if not line.startswith("cases") or next(lines) % 20 == 19:
            say(f"  rebuild: {line}")

    say("rebuild_figures (hotline stats rebuild), all portals")
    began = time.monotonic()
    rows = rebuild_figures(actor=SYSTEM, progress=progress)
    say(f"rebuild: {rows:,} figure rows in {time.monotonic() - began:.1f} s")
    # What autovacuum does soon after the rebuild rewrote the table: without it the planner
    # thinks the figures hold a few rows, sorts on disk, and the reads take 2 to 3 times as
    # long (docs/benchmarks.md).
    began = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stats_dailyfigure")
    say(f"ANALYZE stats_dailyfigure: {time.monotonic() - began:.1f} s")


def timed(name: str, call: Callable[[], Any], repeats: int) -> None:
    for _ in range(3):
        call()
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    median, p95 = statistics.median(samples) * 1000, percentile(samples, 95) * 1000
    print(f"{name:<52} median {median:7.2f} ms  p95 {p95:7.2f} ms", flush=True)


def biggest_portal() -> Any:
    from django.db.models import Count

    from hotline.portals.models import Portal

    return Portal.objects.annotate(n=Count("cases")).order_by("-n").first()


def time_reads(today: date, repeats: int) -> None:
    from hotline.stats.figures import (
        Period,
        first_week,
        for_period,
        since_launch,
        timeline,
    )
    from hotline.stats.models import DailyFigure

    portal = biggest_portal()
    rows = DailyFigure.objects.filter(portal=portal).count()
    whole = since_launch(portal, today=today)
    say(
        f"figures of {portal.code} ({rows:,} figure rows): {whole.reports:,} reports, "
        f"{whole.urls:,} URLs, {whole.assessed:,} assessed, {whole.confirmed:,} confirmed, "
        f"{whole.removed:,} removed; time to assessment median {whole.time_to_assessment.median}"
        f", time to removal median {whole.time_to_removal.median}"
    )
    launched = whole.start
    reads: list[tuple[str, Callable[[], Any]]] = [
        ("since_launch (two years)", lambda: since_launch(portal, today=today)),
        ("for_period day", lambda: for_period(portal, Period.DAY, today)),
        ("for_period week", lambda: for_period(portal, Period.WEEK, today)),
        ("for_period month", lambda: for_period(portal, Period.MONTH, today)),
        ("first_week", lambda: first_week(portal)),
        (
            "timeline by month, two years (25 months)",
            lambda: timeline(
                portal=portal, period=Period.MONTH, start=launched, end=today + timedelta(1)
            ),
        ),
        (
            "timeline by week, last 26 weeks",
            lambda: timeline(
                portal=portal,
                period=Period.WEEK,
                start=today - timedelta(weeks=26) + timedelta(1),
                end=today + timedelta(1),
            ),
        ),
        (
            "timeline by day, last 90 days",
            lambda: timeline(
                portal=portal,
                period=Period.DAY,
                start=today - timedelta(89),
                end=today + timedelta(1),
            ),
        ),
    ]
    for name, call in reads:
        timed(name, call, repeats)


def getter(client: Any, path: str) -> Callable[[], Any]:
    return lambda: client.get(path)


def time_page(page: str, repeats: int) -> None:
    """The dashboard page, as a partner viewer of the biggest portal sees it."""
    from django.db import connection
    from django.test import Client
    from django.urls import Resolver404, resolve
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from hotline.accounts.actions import add_totp_device, create_staff_user, grant_portal_roles
    from hotline.accounts.models import Role, StaffUser

    # The public pages' /<portal>/<language>/ would also match the path: ask for a staff route.
    try:
        route = resolve(page).route
    except Resolver404:
        route = ""
    if not route.startswith("staff/"):
        say(f"{page}: not in this checkout yet (no staff route); the page is not timed")
        return
    portal = biggest_portal()
    user = StaffUser.objects.filter(username=VIEWER).first()
    if user is None:
        user = create_staff_user(username=VIEWER, password=PASSWORD)
    grant_portal_roles(user=user, portal_codes=[portal.code], role=Role.PARTNER_VIEWER)
    # A new authenticator each run, so a code is never one already used.
    TOTPDevice.objects.filter(user=user).delete()
    device = add_totp_device(user=user)
    client = Client()
    code = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    response = client.post(
        "/staff/login/", {"username": VIEWER, "password": PASSWORD, "otp_token": code}
    )
    if response.status_code != 302:
        say(f"the partner viewer could not sign in: {response.status_code}")
        return
    # Counted by a wrapper: the test client's request_started signal empties the log that
    # CaptureQueriesContext reads.
    queries: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        queries.append(sql)
        return execute(sql, *args)

    for period in ("month", "week", "day"):
        path = f"{page}?portal={portal.code}&period={period}"
        first = time.perf_counter()
        response = client.get(path)
        first_ms = (time.perf_counter() - first) * 1000
        if response.status_code != 200:
            say(f"GET {path}: {response.status_code}; not timed")
            continue
        queries.clear()
        with connection.execute_wrapper(count):
            client.get(path)
        size = len(response.content) // 1024
        timed(f"GET {path}", getter(client, path), repeats)
        print(
            f"{'':<52} first {first_ms:7.1f} ms, {len(queries)} queries, {size} KiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
