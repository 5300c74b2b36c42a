"""Benchmark: does a message cost more as the store grows? (issue 9, "nothing that costs more as
the store grows").

    python bench/bench_growth.py             # 1,000 messages, then 10,000 more, same store
    python bench/bench_growth.py --quick     # 100, then 1,000

Takes in and understands (`ingest_paths`, as `intake ingest`) application mails into one SQLite
store and data folder: first a batch of FIRST messages into the empty store, then SECOND more
into the same store, timed a slice at a time. Each applicant writes twice to the same posting
(the second mail after the store grew), to the repository's postings taken by mail (rules/),
some to no posting, half with a small CV file, so dossier refresh, routing and the duplicate
checks all meet a store that grows. Prints the time per message of each slice: flat means it
does not grow with the store.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from intake.app import open_app  # noqa: E402
from intake.commands import ingest_paths  # noqa: E402
from intake.config import load_settings  # noqa: E402
from intake.models import Document, Dossier, Message  # noqa: E402
from sqlalchemy import func, select  # noqa: E402


def postings() -> list[tuple[str, str]]:
    """(address, subject) of each rules file that takes mail, and one address no posting uses."""
    found = []
    for path in sorted((REPO / "rules").glob("*.toml")):
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
        if spec.get("addresses") and spec.get("subject"):
            found.append((spec["addresses"][0], spec["subject"]))
    return found + [("contact@example.org", "Question")]


def mail(n: int, applicant: int, target: tuple[str, str], when: dt.datetime) -> bytes:
    address, subject = target
    head = (f"From: Candidat {applicant} <candidat{applicant}@example.ma>\r\nTo: {address}\r\n"
            f"Subject: {subject}\r\nMessage-ID: <growth-{n}@example.ma>\r\n"
            f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\nMIME-Version: 1.0\r\n")
    body = (f"Bonjour,\r\n\r\nVeuillez trouver ma candidature ({n}). Lettre de motivation : je "
            f"souhaite rejoindre votre équipe.\r\n\r\nCandidat {applicant}\r\n")
    if n % 2:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + body).encode()
    cv = (f"Curriculum vitae\r\nCandidat {applicant}\r\nExpérience professionnelle : chargé de "
          f"projet, 2015-2020.\r\nFormation : master en droit.\r\nCompétences : gestion de projet.\r\n")
    return (head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + body + "--b\r\nContent-Type: text/plain; charset=utf-8; name=CV.txt\r\n"
            "Content-Disposition: attachment; filename=CV.txt\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" + cv + "--b--\r\n").encode()


def write_slice(folder: Path, numbers: range, applicants: int, targets) -> list[Path]:
    """One .eml file per message; applicant n % applicants writes to one posting, always."""
    start = dt.datetime(2020, 9, 1, tzinfo=dt.timezone.utc)
    folder.mkdir(parents=True)
    paths = []
    for n in numbers:
        applicant = n % applicants
        path = folder / f"{n:06d}.eml"
        path.write_bytes(mail(n, applicant, targets[applicant % len(targets)],
                              start + dt.timedelta(seconds=20 * n)))
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--slice", type=int, default=None, help="messages per timed slice")
    options = parser.parse_args()
    first, second = (100, 1000) if options.quick else (1000, 10000)
    step = options.slice or first
    applicants = (first + second) // 2          # each writes twice
    targets = postings()
    root = Path(tempfile.mkdtemp(prefix="intake-growth-"))
    load_before = os.getloadavg()
    rows, phases = [], {}
    try:
        app = open_app(load_settings(data_dir=str(root / "data"), rules=str(REPO / "rules"), env={}))
        try:
            done = 0
            for phase, count in (("first", first), ("then", second)):
                total = 0.0
                for begin in range(done, done + count, step):
                    # the same applicants in both halves: n and n + applicants are one person
                    numbers = range(begin, begin + step)
                    paths = write_slice(root / f"in-{begin}", numbers, applicants, targets)
                    started = time.perf_counter()
                    result, summary = ingest_paths(app, paths)
                    seconds = time.perf_counter() - started
                    assert result.new_messages == step and not summary.failed, (result, summary)
                    shutil.rmtree(root / f"in-{begin}")
                    total += seconds
                    rows.append((phase, begin, seconds / step * 1000, step / seconds))
                    print(f"{phase}: {begin:>6,} in the store, +{step:,}: "
                          f"{seconds / step * 1000:.1f} ms/message ({summary.describe()})",
                          file=sys.stderr, flush=True)
                phases[phase] = total / count * 1000
                done += count
            with app.db.session() as session:
                stored = {name: session.scalar(select(func.count()).select_from(model))
                          for name, model in (("messages", Message), ("dossiers", Dossier),
                                              ("documents", Document))}
        finally:
            app.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_after = os.getloadavg()
    print(f"# Time per message as the store grows ({os.cpu_count()} CPUs, SQLite, load average "
          f"{load_before[0]:.1f} -> {load_after[0]:.1f})\n")
    print("| batch | messages in the store before | ms/message | messages/s |\n|---|---|---|---|")
    for phase, begin, ms, rate in rows:
        print(f"| {phase} | {begin:,} | {ms:.1f} | {rate:.0f} |")
    first_slice, last_slice = rows[0][2], rows[-1][2]
    print(f"\n{first:,} messages into an empty store: {phases['first']:.1f} ms/message; "
          f"{second:,} more into the same store: {phases['then']:.1f} ms/message "
          f"(last slice / first slice: {last_slice / first_slice:.2f}); peak RSS {peak:.0f} MB. "
          f"In the store at the end: {stored['messages']:,} messages, {stored['dossiers']:,} "
          f"dossiers, {stored['documents']:,} documents.")


if __name__ == "__main__":
    main()
