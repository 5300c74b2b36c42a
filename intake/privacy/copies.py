"""Saved report copies (data_dir/reports/) after an erasure: each copy is rendered again from
its source (<stamp>.source.json, saved beside it) without the erased postings, dossiers and
messages; a copy saved before sources were kept, that names any of them, is deleted.
Idempotent: a copy that no longer mentions them is left as it is."""
from __future__ import annotations

import html
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..models import DossierStatus
from ..reports.audience import bare
from ..reports.deliver import SOURCE_SUFFIX, save_copy

REPORTS = "reports"
TEMPORARY = ".erasing-"     # the temporary files of a copy being written again


@dataclass(frozen=True)
class Filters:
    """What an erasure takes out of saved reports. `addresses` remove dossiers and messages
    of those people (forget); `postings` remove a posting's whole section (purge); `messages`
    remove these message numbers from the mail outside dossiers. `needles` (addresses, names,
    posting ids) find the erased in a copy that has no source."""

    postings: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()
    messages: frozenset[int] = frozenset()
    needles: frozenset[str] = frozenset()


@dataclass
class Outcome:
    rewritten: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def groups(data_dir: Path) -> dict[str, list[Path]]:
    """The saved copies by time stamp: {"2026-04-22T200000Z": [.html, .txt, .xlsx, .source.json]}."""
    folder = Path(data_dir) / REPORTS
    out: dict[str, list[Path]] = {}
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                out.setdefault(path.name.split(".", 1)[0], []).append(path)
    return out


def without(report: dict, f: Filters) -> dict:
    """Pure: the report without what the filters name (counts follow)."""
    def kept_mail(m: dict) -> bool:
        return m.get("pk") not in f.messages and bare(m.get("from") or "") not in f.addresses

    postings = []
    for p in report.get("postings", []):
        if p.get("id") in f.postings:
            continue
        dossiers = [d for d in p.get("dossiers", []) if bare(d.get("applicant") or "") not in f.addresses]
        counts = {s: sum(1 for d in dossiers if d.get("status") == s) for s in DossierStatus} \
            if len(dossiers) != len(p.get("dossiers", [])) else p.get("counts")
        postings.append({**p, "dossiers": dossiers, "counts": counts})
    return {**report, "postings": postings,
            **{key: [m for m in report.get(key, []) if kept_mail(m)] for key in ("unmatched", "ignored")},
            "failed": [m for m in report.get("failed", []) if m.get("pk") not in f.messages]}


def affected(data_dir: Path, f: Filters) -> list[str]:
    """The stamps of the copies that mention what the filters name (for --dry-run)."""
    out = []
    for stamp, paths in groups(data_dir).items():
        source = _source(paths)
        if source is not None:
            report = _load(source)
            if report is None or without(report, f) != report:
                out.append(stamp)
        elif mentions(paths, f.needles):
            out.append(stamp)
    return out


def scrub(data_dir: Path, f: Filters) -> Outcome:
    """Every saved copy without the erased: rendered again from its source, or deleted.
    A half-written copy an interrupted scrub left behind (it may still name them) goes first."""
    done = Outcome()
    for leftover in (Path(data_dir) / REPORTS).glob(f"{TEMPORARY}*"):
        leftover.unlink(missing_ok=True)
    for stamp, paths in groups(data_dir).items():
        source = _source(paths)
        report = _load(source) if source is not None else None
        if report is not None:
            filtered = without(report, f)
            if filtered != report:
                save_copy(filtered, data_dir, temp_prefix=TEMPORARY)   # atomic, source last
                done.rewritten.append(stamp)
        elif source is not None or mentions(paths, f.needles):
            for path in paths:                       # no usable source: the copy goes whole
                path.unlink(missing_ok=True)
            done.deleted.append(stamp)
    return done


def mentions(paths: list[Path], needles) -> bool:
    wanted = [n.lower() for n in needles if n]
    if not wanted:
        return False
    for path in paths:
        text = readable_text(path).lower()
        if any(n in text for n in wanted):
            return True
    return False


def readable_text(path: Path) -> str:
    """A copy's text as a person would read it: XLSX cells unzipped, HTML entities decoded."""
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                data = b"\n".join(archive.read(name) for name in archive.namelist())
        except (zipfile.BadZipFile, OSError):
            pass
    return html.unescape(data.decode("utf-8", "replace"))


def _source(paths: list[Path]) -> Path | None:
    return next((p for p in paths if p.name.endswith(SOURCE_SUFFIX)), None)


def _load(path: Path) -> dict | None:
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) and "generated_at" in report else None
