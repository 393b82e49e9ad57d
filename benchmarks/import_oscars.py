"""How long the Academy Awards import takes, on SQLite and on PostgreSQL, against a naive import.

    python benchmarks/import_oscars.py                      # SQLite, plus PostgreSQL if reachable
    python benchmarks/import_oscars.py --postgres URL       # a PostgreSQL server of your choice
    python benchmarks/import_oscars.py --naive-rows 2000    # a longer naive baseline

Each database is created fresh and migrated, then the whole file is imported twice (the second
run must change nothing). The naive baseline is what the importer replaces: one get_or_create
per film, person, category and nomination, row by row, on the first N rows of the same file
(it is too slow to run on all of them); it is compared per row.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def child(naive_rows: int) -> None:
    """Runs inside Django against DATABASE_URL: migrate, import twice, naive baseline; prints JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    from films.importers import oscars
    from films.models import AwardShow, Category, Ceremony, Contender, Film, Person
    from films.services import oscars_import

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    first = oscars_import(path=settings.OSCARS_DATA_PATH)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = oscars_import(path=settings.OSCARS_DATA_PATH)
    second_s = time.perf_counter() - started
    assert not second.changed, "the second import changed something"

    # The naive baseline, into a fresh show so that it competes with nothing already there.
    rows = oscars.read_rows(settings.OSCARS_DATA_PATH).rows.head(naive_rows)
    started = time.perf_counter()
    with transaction.atomic():
        show, _ = AwardShow.objects.get_or_create(slug="naive", defaults={"name": "Naive"})
        for r in rows.itertuples(index=False):
            ceremony, _ = Ceremony.objects.get_or_create(
                show=show,
                number=r.ceremony,
                defaults={"film_year": r.film_year, "film_year_label": r.Year, "held_in": r.ceremony + 1928},
            )
            category, _ = Category.objects.get_or_create(
                ceremony=ceremony,
                name=r.Category,
                defaults={
                    "canonical_name": r.CanonicalCategory,
                    "canonical_slug": oscars.slugify(r.CanonicalCategory),
                    "slug": oscars.slugify(r.Category),
                    "award_class": r.Class,
                },
            )
            contender, _ = Contender.objects.update_or_create(
                category=category,
                import_key=r.import_key,
                defaults={"name": (r.Name or r.Film or r.Nominees or r.Detail)[:500], "is_winner": r.is_winner},
            )
            for title, imdb_id in zip(oscars.split_multi(r.Film), oscars.split_ids(r.FilmId), strict=False):
                film, _ = Film.objects.get_or_create(
                    imdb_id=imdb_id or None,
                    title=title,
                    defaults={"year": r.film_year, "slug": oscars.slugify(f"naive {title} {imdb_id} {r.line}")},
                )
                contender.films.add(film)
            for name, imdb_id in zip(oscars.split_multi(r.Nominees), oscars.split_ids(r.NomineeIds), strict=False):
                person = Person.objects.filter(imdb_id=imdb_id).first() if imdb_id else None
                if person is None:
                    person, _ = Person.objects.get_or_create(
                        name=name, imdb_id=imdb_id or None, defaults={"slug": oscars.slugify(f"naive {name} {r.line}")}
                    )
                contender.people.add(person)
    naive_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": first.rows,
                "first_s": first_s,
                "second_s": second_s,
                "naive_rows": len(rows),
                "naive_s": naive_s,
            }
        )
    )


def run(label: str, database_url: str, naive_rows: int) -> dict | None:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.pop("REDIS_URL", None)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", "--naive-rows", str(naive_rows)],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode:
        print(f"{label}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def postgres_database(server_url: str):
    """Create a throwaway database on the server; return its URL and a function that drops it."""
    import psycopg2

    name = f"frontrunner_bench_{os.getpid()}"
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    base = server_url.rsplit("/", 1)[0]

    def drop() -> None:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    return f"{base}/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--naive-rows", type=int, default=1000, help="rows for the naive baseline (default 1000)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="a PostgreSQL server URL to create a database on")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    if args.child:
        child(args.naive_rows)
        return

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(("SQLite", run("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args.naive_rows)))
    if not args.no_postgres:
        try:
            url, drop = postgres_database(args.postgres)
        except Exception as exc:  # no server: report and go on with what we have
            print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}".strip(), file=sys.stderr)
        else:
            try:
                results.append(("PostgreSQL", run("PostgreSQL", url, args.naive_rows)))
            finally:
                drop()

    print(f"Academy Awards import (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    header = (
        f"{'database':<11} {'rows':>6} {'first run':>10} {'second run':>11} "
        f"{'rows/s':>8} {'naive rows/s':>13} {'speed-up':>9}"
    )
    print(header)
    print("-" * len(header))
    for label, r in results:
        if r is None:
            print(f"{label:<11} failed")
            continue
        rate = r["rows"] / r["first_s"]
        naive_rate = r["naive_rows"] / r["naive_s"]
        print(
            f"{label:<11} {r['rows']:>6} {r['first_s']:>9.1f}s {r['second_s']:>10.1f}s {rate:>8.0f} "
            f"{naive_rate:>13.0f} {rate / naive_rate:>8.0f}x"
        )
    print(f"(naive baseline: row-by-row get_or_create on the first {args.naive_rows} rows; target: whole file < 60 s)")
    if any(r is None for _, r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
