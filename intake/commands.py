"""One function per sub-command: open what it needs, call the code that does the work, exit code."""
from __future__ import annotations

import sys
from pathlib import Path

from .app import open_app
from .cli import settings_from
from .errors import UserError
from .rules import check_rules


def rules(args) -> int:
    settings = settings_from(args)
    ruleset = check_rules(settings.rules_dir)
    for problem in ruleset.problems:
        print(problem, file=sys.stderr if not problem.warning else sys.stdout)
    errors = len(ruleset.errors)
    print(f"{len(ruleset.postings)} posting(s) valid, {errors} error(s), "
          f"{len(ruleset.problems) - errors} warning(s) in {settings.rules_dir}")
    return 1 if errors else 0


def ingest(args) -> int:
    from .ingest import ingest as run_ingest

    if not args.paths:
        raise UserError("ingest needs at least one PATH: .eml files, Maildir folders or mbox files")
    app = open_app(settings_from(args))
    try:
        result = run_ingest(app, [Path(p) for p in args.paths])
    finally:
        app.close()
    for refused in result.refused:
        print(f"{refused.origin}: refused: {refused.reason}", file=sys.stderr)
    outcomes = ", ".join(f"{n} {state}" for state, n in sorted(result.summary.outcomes.items())) or "nothing new"
    print(f"read {result.read} message(s): {result.new_messages} new, {result.known} already known; "
          f"understood: {outcomes}; refused {len(result.refused)} file(s) that are not mail")
    return 1 if (result.refused or result.summary.failed) else 0


def poll(args) -> int:
    if not args.once:
        raise UserError("use `intake poll --once` (or `intake run` for the daemon)")
    from .poller import poll_all

    return poll_all(settings_from(args))


def run(args) -> int:
    from .daemon import run as run_daemon

    return run_daemon(settings_from(args))


def report(args) -> int:
    from .reports.build import build_report
    from .reports.render import render

    if args.format == "xlsx" and not args.output and not args.send:
        raise UserError("the xlsx format is a file: give --output FILE.xlsx")
    settings = settings_from(args)
    app = open_app(settings)
    try:
        with app.db.session() as session:
            data = build_report(session, app.rules, data_dir=settings.data_dir, posting_id=args.posting,
                                report_timezone=settings.schedule.timezone)
        if args.send:
            from .reports.deliver import send_and_record

            if not send_and_record(app, data):
                return 1
    finally:
        app.close()
    if args.output:
        Path(args.output).write_bytes(render(data, args.format))
    elif not args.send:
        sys.stdout.buffer.write(render(data, args.format))
        sys.stdout.flush()
    return 0


def reprocess(args) -> int:
    from .dossiers import drop_orphans
    from .process import mark_for_reprocessing, understand_pending

    app = open_app(settings_from(args))
    try:
        if args.posting and app.rules.get(args.posting) is None:
            raise UserError(f"no posting '{args.posting}' in the rules; known postings: "
                            + ", ".join(p.id for p in app.rules.postings))
        count = mark_for_reprocessing(app.db, posting=args.posting, failed_only=args.failed)
        summary = understand_pending(app.db, app.store, app.rules, app.own_addresses)
        with app.db.session() as session:
            drop_orphans(session, app.rules)
            session.commit()
    finally:
        app.close()
    outcomes = ", ".join(f"{n} {state}" for state, n in sorted(summary.outcomes.items())) or "nothing"
    print(f"reprocessed {count} message(s): {outcomes}")
    return 1 if summary.failed else 0
