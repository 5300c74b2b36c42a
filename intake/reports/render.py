"""render(report, fmt) -> bytes: the completeness report in text, json, csv, html or xlsx.

Pure: the report dictionary (built by intake/reports/build.py) in, the file's bytes out.
Text and HTML come from the Jinja2 templates in templates/, which an administrator may edit.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jinja2

from . import words
from ..safetext import printable_tree
from .view import build_view

from . import FORMATS  # noqa: F401 - the formats, named once
TEMPLATES = Path(__file__).parent / "templates"
TEXT_WIDTH = 80

# The JSON report's shape, as docs/reference.md lists it, with its extensions (routing: why
# each message was filed under the posting).
POSTING_KEYS = ("id", "title", "deadline", "counts", "dossiers")
DOSSIER_KEYS = ("applicant", "name", "status", "first_received_at", "last_received_at",
                "messages", "message_ids", "pieces", "missing", "needs_review", "routing")
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
        from .csv_table import render_csv
        return render_csv(view)
    from .xlsx import render_xlsx
    return render_xlsx(view)


def json_report(report: dict) -> dict:
    """The report reduced to exactly the documented JSON shape."""
    def pick(item: dict, keys: tuple[str, ...]) -> dict:
        return {k: printable_tree(item.get(k)) for k in keys}

    return {
        "generated_at": report["generated_at"],
        "problems": printable_tree(list(report.get("problems", []))),
        "postings": [
            {**pick(p, POSTING_KEYS), "dossiers": [_dossier_json(d) for d in p["dossiers"]]}
            for p in report.get("postings", [])
        ],
        "unmatched": [pick(m, MAIL_KEYS) for m in report.get("unmatched", [])],
        "ignored": [pick(m, MAIL_KEYS) for m in report.get("ignored", [])],
        "failed": [pick(f, FAILED_KEYS) for f in report.get("failed", [])],
    }


def _dossier_json(dossier: dict) -> dict:
    """A dossier's documented keys, plus `acknowledgements` when the applicant was told anything
    (docs/acknowledgements.md): a posting that does not acknowledge keeps the exact shape."""
    out = {k: printable_tree(dossier.get(k)) for k in DOSSIER_KEYS}
    if dossier.get("acknowledgements"):
        out["acknowledgements"] = printable_tree(dossier["acknowledgements"])
    return out


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
