"""The command line: argument handling only; the work is done elsewhere."""
from __future__ import annotations

import argparse
import logging
import sys

from . import __version__
from .config import load_settings
from .errors import UserError

FORMATS = ("text", "json", "csv", "html", "xlsx")


def _globals(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="FILE", default=default, help="config file (default ./config.toml)")
    parser.add_argument("--db", metavar="URL", default=default, help="SQLAlchemy database URL")
    parser.add_argument("--rules", metavar="DIR", default=default, help="rules folder (default ./rules)")
    parser.add_argument("--data-dir", metavar="DIR", default=default, help="where raw messages and attachments are kept (default ./data)")
    parser.add_argument("--log-level", default=default, choices=("debug", "info", "warning", "error"),
                        help="how much to log on stderr")


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

    report = command("report", "the completeness report")
    report.add_argument("--posting", metavar="ID", help="only this posting")
    report.add_argument("--format", choices=FORMATS, default="text")
    report.add_argument("--output", metavar="FILE", help="write to FILE instead of the screen")
    report.add_argument("--send", action="store_true", help="mail it to the configured recipients")

    reprocess = command("reprocess", "re-route and re-evaluate stored messages with the current rules")
    reprocess.add_argument("--posting", metavar="ID", help="only messages of this posting (and unmatched ones)")
    reprocess.add_argument("--failed", action="store_true", help="only messages that failed")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=(args.log_level or _default_level(args.command)).upper(),
                        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.command is None or (args.command == "rules" and args.rules_command is None):
        parser.print_help()
        return 2
    try:
        from . import commands

        return getattr(commands, args.command)(args)
    except UserError as exc:
        print(f"intake: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("intake: interrupted", file=sys.stderr)
        return 130


def _default_level(command: str | None) -> str:
    return "info" if command in ("run", "poll") else "warning"


def settings_from(args):
    return load_settings(config=args.config, db=args.db, rules=args.rules, data_dir=args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
