"""render(report, fmt) -> bytes: the completeness report in text, json, csv, html or xlsx.

Pure: the report dictionary (built by intake/reports/build.py) in, the file's bytes out.
Text and HTML come from the Jinja2 templates in templates/, which an administrator may edit.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jinja2

from intake.reports import words
from intake.reports.view import build_view

FORMATS = ("text", "json", "csv", "html", "xlsx")
TEMPLATES = Path(__file__).parent / "templates"
TEXT_WIDTH = 80

# The JSON report's shape, as /work/shared/interface.md lists it: nothing more, nothing less.
POSTING_KEYS = ("id", "title", "deadline", "counts", "dossiers")
DOSSIER_KEYS = ("applicant", "name", "status", "first_received_at", "last_received_at",
                "messages", "message_ids", "pieces", "missing", "needs_review")
MAIL_KEYS = ("message_id", "from", "subject", "received_at", "reason")
FAILED_KEYS = ("message_id", "stored_as", "error", "attempts")


class UnknownFormat(ValueError):
    """A format name that render() does not know."""


def render(report: dict, fmt: str, limit: int | None = None) -> bytes:
    """The report in the format `fmt` (one of FORMATS), as bytes ready to write or attach.

    `limit` makes a short text or HTML report (at most that many items per list, no file
    lists) for a mail that would otherwise be too large; json, csv and xlsx stay complete.
    """
    return render_many(report, (fmt,), limit)[fmt]


def render_many(report: dict, formats: tuple[str, ...] | list[str],
                limit: int | None = None) -> dict[str, bytes]:
    """The report in several formats at once (the French view is built only once)."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UnknownFormat(f"unknown report format {unknown[0]!r}: choose one of "
                            f"{', '.join(FORMATS)}")
    view = build_view(report) if set(formats) - {"json"} else None
    short = build_view(report, limit) if limit is not None else view
    return {fmt: render_json(report) if fmt == "json"
            else _render_view(short if fmt in ("text", "html") else view, fmt)
            for fmt in formats}


def _render_view(view, fmt: str) -> bytes:
    if fmt == "text":
        return _template("report.txt.j2").render(r=view).encode("utf-8")
    if fmt == "html":
        return _template("report.html.j2").render(r=view).encode("utf-8")
    if fmt == "csv":
        from intake.reports.csv import render_csv
        return render_csv(view)
    from intake.reports.xlsx import render_xlsx
    return render_xlsx(view)


def json_report(report: dict) -> dict:
    """The report reduced to exactly the documented JSON shape."""
    def pick(item: dict, keys: tuple[str, ...]) -> dict:
        return {k: item.get(k) for k in keys}

    return {
        "generated_at": report["generated_at"],
        "postings": [
            {**pick(p, POSTING_KEYS), "dossiers": [pick(d, DOSSIER_KEYS) for d in p["dossiers"]]}
            for p in report.get("postings", [])
        ],
        "unmatched": [pick(m, MAIL_KEYS) for m in report.get("unmatched", [])],
        "ignored": [pick(m, MAIL_KEYS) for m in report.get("ignored", [])],
        "failed": [pick(f, FAILED_KEYS) for f in report.get("failed", [])],
    }


def render_json(report: dict) -> bytes:
    text = json.dumps(json_report(report), ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def fill(text: str, indent: int = 0, hanging: int | None = None,
         width: int = TEXT_WIDTH) -> str:
    """Wrap `text` to the terminal width; long words (paths, addresses) are never cut."""
    first = " " * indent
    text = " ".join(str(text).split())
    if indent + len(text) <= width:
        return first + text
    rest = " " * (indent if hanging is None else hanging)
    return textwrap.fill(text, width, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                            default_for_string=True),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["fill"] = fill
    env.filters["plural"] = words.plural
    env.globals["count_words"] = words.count_words
    env.globals["rule"] = "=" * TEXT_WIDTH
    return env


_ENV: jinja2.Environment | None = None


def _template(name: str) -> jinja2.Template:
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    return _ENV.get_template(name)
