"""The command line: argument handling only; the work is done elsewhere."""
from __future__ import annotations

import argparse
import atexit
import gc
import os
import threading
import sys

from . import __version__, logs
from .errors import UserError, environment_failure
from .safetext import printable

from .reports import FORMATS


def _globals(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="FILE", default=default, help="config file (default ./config.toml)")
    parser.add_argument("--db", metavar="URL", default=default, help="SQLAlchemy database URL")
    parser.add_argument("--rules", metavar="DIR", default=default, help="rules folder (default ./rules)")
    parser.add_argument("--data-dir", metavar="DIR", default=default, help="where raw messages and attachments are kept (default ./data)")
    parser.add_argument("--log-level", default=default, choices=("debug", "info", "warning", "error"),
                        help="how much to log on stderr")
    parser.add_argument("--log-format", default=default, choices=logs.FORMATS,
                        help="text (plain lines, the default) or json (one object per line); "
                             "default: [logging] format in the config file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="intake", description="Turns a recruiting mailbox into a complete list of job applications.")
    parser.add_argument("--version", action="version", version=f"intake {__version__}")
    _globals(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=text, description=text)
        _globals(p, suppress=True)
        return p

    rules = command("rules", "work with the rules files")
    rules_sub = rules.add_subparsers(dest="rules_command", metavar="SUBCOMMAND")
    check = rules_sub.add_parser("check", help="validate every rules file", description="validate every rules file")
    _globals(check, suppress=True)

    ingest = command("ingest", "run the pipeline on .eml files, Maildir folders and mbox files")
    ingest.add_argument("paths", nargs="*", metavar="PATH")

    poll = command("poll", "poll every configured mailbox")
    poll.add_argument("--once", action="store_true", help="poll once, then exit")

    command("run", "the daemon: poll on schedule, send the nightly report")

    status = command("status", "is intake healthy? mailboxes, messages, rules files (exit 1: a "
                               "person must act)")
    status.add_argument("--format", choices=("text", "json"), default="text")

    report = command("report", "the completeness report")
    report.add_argument("--posting", metavar="ID", help="only this posting")
    report.add_argument("--format", choices=FORMATS, default="text")
    report.add_argument("--output", metavar="FILE", help="write to FILE instead of the screen")
    report.add_argument("--send", action="store_true", help="mail it to the configured recipients")

    serve = command("serve", "the recruiters' web view")
    serve.add_argument("--host", help="address to listen on (default: [web] listen, else 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: [web] listen, else 8025)")

    web = command("web", "the recruiters' web view: sign-in links")
    web_sub = web.add_subparsers(dest="web_command", metavar="SUBCOMMAND")
    link = web_sub.add_parser("link", help="print a sign-in URL for an address that receives a report",
                              description="print a sign-in URL for an address that receives a report")
    _globals(link, suppress=True)
    link.add_argument("email", metavar="EMAIL")

    acknowledge = command("acknowledge", "send the acknowledgements to applicants that are due")
    acknowledge.add_argument("--dry-run", action="store_true", help="show what would be sent; send and change nothing")
    purge = command("purge", "erase what outlived its retention ([privacy] and rules files' retention_days)")
    purge.add_argument("--dry-run", action="store_true", help="list what would be erased, erase nothing")

    forget = command("forget", "erase everything about one applicant, in every posting")
    forget.add_argument("email", metavar="EMAIL")
    forget.add_argument("--dry-run", action="store_true", help="list what would be erased, erase nothing")

    export = command("export", "a ZIP of everything held about one applicant, or of a posting's dossiers")
    what = export.add_mutually_exclusive_group(required=True)
    what.add_argument("--applicant", metavar="EMAIL", help="every message and file held about this person, with a summary")
    what.add_argument("--posting", metavar="ID", help="this posting's dossiers, with readable file names")
    export.add_argument("--output", metavar="FILE.zip", required=True)

    audit = command("audit", "who did what, when, on which dossier")
    audit.add_argument("--since", metavar="DATE", help="from this date (2026-11-01) or time (2026-11-01T08:00)")
    audit.add_argument("--format", choices=("text", "json", "csv"), default="text")
    audit.add_argument("--output", metavar="FILE", help="write to FILE instead of the screen")

    reprocess = command("reprocess", "re-route and re-evaluate stored messages with the current rules")
    reprocess.add_argument("--posting", metavar="ID", help="only messages of this posting (and unmatched ones)")
    reprocess.add_argument("--failed", action="store_true", help="only messages that failed")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure(args.log_level or _default_level(args.command), fmt=args.log_format or "text")
    if args.command is None or (args.command == "rules" and args.rules_command is None) or \
            (args.command == "web" and args.web_command is None):
        parser.print_help()
        return 2
    if args.command == "poll" and args.once:
        from .quickpoll import answer

        quick = answer(args)   # nothing to do: answered without the heavy imports
        if quick is not None:
            return quick
    try:
        from . import commands

        if _as_program:
            # What exists now lives as long as the process (modules above all): the garbage
            # collector's full passes, a tenth of a second each over it, leave it aside; it
            # collects again from here on (run() stopped it while the modules were imported).
            gc.freeze()
            gc.enable()
        return getattr(commands, args.command)(args)
    except UserError as exc:
        print(printable(f"intake: error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("intake: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        line = environment_failure(exc)
        if line is None:
            raise
        print(printable(f"intake: error: {line}"), file=sys.stderr)
        return 1


_as_program = False   # run(): this process is intake itself, not a test calling main()


def run() -> None:
    """The program itself: main(), then a prompt end. Tearing down the interpreter (the modules
    of SQLAlchemy, pydantic and the rest, object by object) takes 0.1-0.2 s and serves nothing
    once the process ends: after the exit handlers ran (reader processes stopped, logs
    flushed) and the output is flushed, the process ends at once. Should a thread of ours
    still run, a tracer (coverage, a debugger, a profiler) be at work, or main() raise (a bug:
    its traceback), the usual exit happens instead."""
    global _as_program
    _as_program = True
    # The imports make a few hundred thousand objects, all kept for good: the collector's
    # passes over them while they are made are an eighth of the imports' time (40 of 310 ms,
    # before any work can start). main() starts it again once they are done.
    gc.disable()
    code = main()
    if sys.gettrace() or sys.getprofile() or any(    # a debugger, coverage or a profiler: the usual
            t is not threading.main_thread() and not t.daemon and t.is_alive()   # exit lets it finish
            for t in threading.enumerate()):
        sys.exit(code)
    _flush()
    atexit._run_exitfuncs()   # what the usual exit would run first (CPython's own atexit call)
    _flush()
    os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe: nothing more can reach it
            pass


def _default_level(command: str | None) -> str:
    return "info" if command in ("run", "poll", "serve") else "warning"


if __name__ == "__main__":
    run()
