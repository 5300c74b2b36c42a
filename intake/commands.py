"""One function per sub-command: open what it needs, call the code that does the work, exit code."""
from __future__ import annotations

import logging
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from . import logs, quickpoll
from .app import open_app
from .config import Settings, load_settings
from .errors import UserError
from .rules import check_rules
from .safetext import printable

log = logging.getLogger(__name__)

def settings_from(args) -> Settings:
    """The global options (--config, --db, --rules, --data-dir) over environment and file;
    the config file's [logging] format applies unless --log-format was given."""
    settings = load_settings(config=args.config, db=args.db, rules=args.rules, data_dir=args.data_dir)
    if getattr(args, "log_format", None) is None and settings.logging.format != "text":
        logs.use_format(settings.logging.format)
    return settings


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
    if not args.paths:
        raise UserError("ingest needs at least one PATH: .eml files, Maildir folders or mbox files")
    app = open_app(settings_from(args))
    try:
        result, summary = ingest_paths(app, [Path(p) for p in args.paths])
    finally:
        app.close()
    for refused in result.refused:
        print(printable(f"{refused.origin}: refused: {refused.reason}"), file=sys.stderr)
    print(f"read {result.read} message(s): {result.new_messages} new, {result.known} already known; "
          f"understood: {summary.describe() or 'nothing new'}; refused {len(result.refused)} file(s) "
          "that are not mail")
    return 1 if (result.refused or summary.failed or app.rules.invalid) else 0


def ingest_paths(app, paths: list[Path]):
    """Take in the files and understand what came in: (IngestResult, Summary). The take-in
    runs in a thread of its own while what it commits is parsed (understand's `more_coming`);
    the document readers start with the first mail parsed that has attachments, their
    libraries loading meanwhile."""
    from .takein.coming import Coming
    from .takein.ingest import take_in_files
    from .understand import understand

    committed, outcome = threading.Event(), {}

    def take_in() -> None:
        try:
            outcome["result"] = take_in_files(app, paths, committed)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            outcome["error"] = exc
        finally:
            committed.set()   # the end, too, is news for the understanding that waits

    thread = threading.Thread(target=take_in, name="take-in", daemon=True)
    thread.start()
    summary = understand(app, more_coming=Coming(thread.is_alive, committed, lambda: outcome.get("error")),
                         warm_readers=True)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"], summary


def poll(args) -> int:
    """Poll every mailbox once, then understand what came in. Exit 1 when a mailbox or a
    message had a problem (logged)."""
    if not args.once:
        raise UserError("use `intake poll --once` (or `intake run` for the daemon)")
    return poll_once(settings_from(args), apart=True)


def poll_once(settings: Settings, *, stop=None, ssl_context=None, apart: bool = False) -> int:
    """Every mailbox at once; what each brings is understood as soon as it is done, while the
    slower ones go on. SIGTERM or SIGINT stops it within seconds: the connections are cut,
    the message in hand is finished or given back, exit code 128 + the signal. `apart`: the
    take-in in a forked process (takein/apart.py; the command line's, not a caller's that
    expects its hooks to run in its own process)."""
    from .takein.poller import Poller
    from .understand import Summary

    if not settings.mailboxes:
        raise UserError("no mailbox to poll: add a [[mailboxes]] entry to the config file "
                        "(see config.example.toml and docs/mailboxes.md)")
    check_mailboxes(settings)
    checking = quickpoll.fingerprint_before(settings)
    app = open_app(settings)
    try:
        quickpoll.leave_fingerprint(settings, app.rules, checking)
        with stop_on_signals(stop) as (stop, received):
            poller = Poller(app, stop=stop, ssl_context=ssl_context)
            summary = Summary()
            results = poll_and_understand(app, poller, settings.mailboxes, summary, apart=apart)
            from .mail_out.send import send_outbox   # once the take-in process is forked

            try:
                sent = send_outbox(app, stop=poller.stop).describe()
            except UserError as exc:   # the poll itself went well: say why nothing was sent
                log.error("acknowledgements not sent: %s", exc)
                sent = "not sent (see the error above)"
    finally:
        app.close()
    new = sum(f.new for r in results for f in r.folders)
    log.info("poll done: %d mailbox(es), %d new message(s); understood: %s; acknowledgements: %s",
             len(results), new, summary.describe() or "nothing", sent)
    if received:
        log.warning("stopped by %s: the rest at the next poll", received[0].name)
        return 128 + received[0]
    return 0 if all(r.ok for r in results) and not summary.failed and not app.rules.invalid else 1


def check_mailboxes(settings: Settings) -> None:
    """Each mailbox's settings and secret, before any work: a mistake there is a
    configuration error (exit 2), not a mailbox that failed."""
    from .takein.imap import ConfigProblem, check_config

    for cfg in settings.mailboxes:
        try:
            check_config(cfg)
        except ConfigProblem as exc:
            raise UserError(str(exc)) from None


def poll_and_understand(app, poller, mailboxes, summary, *, turn=None, apart=False):
    """Poll the mailboxes (each in its own thread, under its deadlines), parsing what they
    bring meanwhile, then understand it. `turn`: a lock held while understanding (the
    daemon's threads take turns). `apart`: the polling in a child process, when this
    process may fork (a one-off poll: takein/apart.py)."""
    from .takein.apart import poll_mailboxes_apart
    from .takein.poller import poll_mailboxes
    from .understand import understand

    def understand_meanwhile(more_coming) -> None:
        understand(app, stop=poller.stop, summary=summary, more_coming=more_coming, turn=turn)

    if apart:
        return poll_mailboxes_apart(poller, mailboxes, understand_meanwhile)
    return poll_mailboxes(poller, mailboxes, meanwhile=understand_meanwhile)


@contextmanager
def stop_on_signals(stop: threading.Event | None = None):
    """(stop event, signals received): SIGTERM and SIGINT set the event instead of killing
    the process, so the work in hand ends cleanly (main thread only; restored after)."""
    stop = stop or threading.Event()
    received: list[signal.Signals] = []
    if threading.current_thread() is not threading.main_thread():
        yield stop, received
        return

    def handler(signum, _frame) -> None:
        received.append(signal.Signals(signum))
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop.set()

    saved = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop, received
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


def run(args) -> int:
    from .daemon import run as run_daemon

    return run_daemon(settings_from(args))


def status(args) -> int:
    """Health from the database and the rules folder (no IMAP server is asked); exit 1 when
    a person must act."""
    import json

    from .db import Database
    from .health import gather, render_text

    settings = settings_from(args)
    db = Database(settings.db_url)
    try:
        with db.session() as session:
            health = gather(session, settings, check_rules(settings.rules_dir))
    finally:
        db.dispose()
    if args.format == "json":
        print(json.dumps(health.as_json(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(printable(render_text(health), keep_newlines=True))
    return 0 if health.healthy else 1


def report(args) -> int:
    from .health import report_problems
    from .reports.build import build_report
    from .reports.render import render

    if args.format == "xlsx" and not args.output and not args.send:
        raise UserError("the xlsx format is a file: give --output FILE.xlsx")
    if args.output:
        check_output(Path(args.output))
    settings = settings_from(args)
    app = open_app(settings)
    try:
        with app.db.session() as session:
            data = build_report(session, app.rules, data_dir=settings.data_dir, posting_id=args.posting,
                                report_timezone=settings.schedule.timezone,
                                base_url=settings.web.base_url, problems=report_problems(app))
        if args.send:
            from .reports.deliver import send_to_readers

            if not send_to_readers(app, args.posting):
                print(f"intake: report not sent to everyone (see the errors above); a "
                      f"copy is kept in {settings.data_dir / 'reports'}", file=sys.stderr)
                return 1
    finally:
        app.close()
    if args.output:
        try:
            Path(args.output).write_bytes(render(data, args.format))
        except OSError as exc:
            raise UserError(f"--output {args.output}: cannot write it ({exc.strerror}); choose "
                            "a file in a folder you may write to") from None
    elif not args.send:
        sys.stdout.buffer.write(render(data, args.format))
        sys.stdout.flush()
    return 0


def check_output(path: Path) -> None:
    """--output names a file in an existing folder (checked before any work)."""
    folder = path.parent
    if path.is_dir():
        raise UserError(f"--output {path}: is a folder; give a file name, such as {path / 'rapport.html'}")
    if not folder.is_dir():
        raise UserError(f"--output {path}: the folder {folder} does not exist; create it "
                        "first, or write the report somewhere else")


def reprocess(args) -> int:
    from .understand import mark_for_reprocessing, understand
    from .understand.dossiers import drop_orphans

    app = open_app(settings_from(args))
    try:
        if args.posting and app.rules.get(args.posting) is None:
            raise UserError(f"no posting '{args.posting}' in the rules; known postings: "
                            + ", ".join(p.id for p in app.rules.postings))
        count = mark_for_reprocessing(app.db, posting=args.posting, failed_only=args.failed)
        summary = understand(app)
        with app.db.transaction() as session:
            drop_orphans(session, app.rules)
    finally:
        app.close()
    print(f"reprocessed {count} message(s): {summary.describe() or 'nothing'}")
    return 1 if summary.failed else 0


def serve(args) -> int:
    from .config import split_listen
    from .web.links import DEFAULT_LISTEN, web_secret
    from .web.server import serve as serve_web

    settings = settings_from(args)
    web_secret(settings)   # no secret: one line, exit 2, before anything opens
    host, port = split_listen(settings.web.listen or DEFAULT_LISTEN)
    app = open_app(settings)
    try:
        serve_web(app, args.host or host, args.port or port)
    finally:
        app.close()
    return 0


def web(args) -> int:
    from .reports.audience import reader_for
    from .rules import load_rules
    from .web.links import sign_in_url, web_secret

    settings = settings_from(args)
    secret = web_secret(settings)
    rules = load_rules(settings.rules_dir)
    reader = reader_for(args.email, settings.report.recipients, rules)
    if reader is None:
        raise UserError(f"{args.email} receives no report: add it to [report] recipients in "
                        "the config file, or to a posting's recipients in its rules file")
    print(sign_in_url(settings, secret, reader.address))
    return 0


def acknowledge(args) -> int:
    """Send the acknowledgements that are due (`--dry-run`: show them, change nothing)."""
    from .mail_out.send import send_outbox

    app = open_app(settings_from(args))
    try:
        summary = send_outbox(app, dry_run=args.dry_run)
    finally:
        app.close()
    if summary.busy:
        print("another intake process is sending acknowledgements right now; nothing done")
        return 0
    for outcome in summary.outcomes:
        print(f"#{outcome.id} {outcome.action}: {outcome.posting_id} -> {outcome.to}"
              + (f": {outcome.detail}" if outcome.detail else ""))
        if args.dry_run and outcome.action == "would send":
            print(f"    Subject: {outcome.subject}\n    Message-ID: {outcome.message_id}")
            print("".join(f"    | {line}\n" for line in outcome.body.splitlines()), end="")
    verb = "would be" if args.dry_run else "were"
    print(f"acknowledgements: {summary.describe()}" + (f" (dry run: nothing {verb} sent or changed)" if args.dry_run else ""))
    return 1 if summary.count("failed") or summary.count("uncertain") else 0
def operator() -> str:
    """Who runs this command, for the audit log."""
    import getpass

    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


def purge(args) -> int:
    from .privacy.erase import describe, purge as erase_expired

    app = open_app(settings_from(args))
    try:
        result = erase_expired(app, by=operator(), dry_run=args.dry_run)
    finally:
        app.close()
    print(describe(result, dry_run=args.dry_run))
    return 0


def forget(args) -> int:
    from .privacy.erase import describe, forget as erase_person
    from .privacy.identity import address_hash, normalize, salt

    address = normalize(args.email)
    settings = settings_from(args)
    app = open_app(settings)
    try:
        result = erase_person(app, address, address_hash(salt(settings), address), by=operator(),
                              dry_run=args.dry_run)
    finally:
        app.close()
    print(describe(result, dry_run=args.dry_run))
    return 0


def export(args) -> int:
    from .privacy.export import export_applicant, export_posting
    from .privacy.identity import normalize

    if bool(args.applicant) == bool(args.posting):
        raise UserError("export needs one of --applicant EMAIL or --posting ID")
    app = open_app(settings_from(args))
    try:
        if args.applicant:
            done = export_applicant(app, normalize(args.applicant), Path(args.output), by=operator())
            what = f"{done.messages} message(s), {done.dossiers} dossier(s)"
        else:
            done = export_posting(app, args.posting, Path(args.output), by=operator())
            what = f"{done.dossiers} dossier(s)"
    finally:
        app.close()
    print(f"wrote {done.path}: {what}, {done.files} file(s) in the archive")
    return 0


def audit(args) -> int:
    from . import audit as log_of_actions
    from .privacy.retention import since_moment

    settings = settings_from(args)
    since = since_moment(args.since, settings.schedule.timezone) if args.since else None
    app = open_app(settings)
    try:
        with app.db.session() as session:
            data = log_of_actions.render(log_of_actions.entries(session, since), args.format)
    finally:
        app.close()
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0
