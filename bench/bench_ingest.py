"""Benchmark: messages per second through `intake ingest` (take-in + understanding), peak memory.

    python bench/bench_ingest.py [--copies N]

Runs on the application corpus in tests/mails (69 mails with real PDF/DOCX attachments, copied N
times with fresh Message-IDs so each copy is new) and, when present, on the real-world corpus in
../shared/corpus (about 1,650 messages: bounces, spam, broken MIME). Each run is a fresh SQLite
database in a temporary folder. Prints the figures; the README keeps the last ones.
"""
from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from intake.app import open_app  # noqa: E402
from intake.config import load_settings  # noqa: E402
from intake.commands import ingest_paths  # noqa: E402


def run(paths: list[Path], label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = open_app(load_settings(data_dir=tmp, rules=str(REPO / "rules"), env={}))
        start = time.perf_counter()
        result, summary = ingest_paths(app, paths)
        seconds = time.perf_counter() - start
        app.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {result.read} messages in {seconds:.1f} s = {result.read / seconds:.1f} msg/s "
          f"({summary.outcomes}); peak RSS so far {peak:.0f} MB")


def copies(n: int, into: Path) -> list[Path]:
    out = []
    for k in range(n):
        for mail in sorted((REPO / "tests" / "mails").glob("*.eml")):
            data = re.sub(rb"(?im)^(Message-ID:\s*<)", rb"\g<1>copy%d." % k, mail.read_bytes(), count=1)
            target = into / f"{k}-{mail.name}"
            target.write_bytes(data)
            out.append(target)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(copies(args.copies, Path(tmp)), f"application mails x{args.copies}")
    corpus = REPO.parent / "shared" / "corpus"
    if corpus.exists():
        files = [p for p in sorted(corpus.rglob("*")) if p.is_file() and "expectations" not in p.parts
                 and "sample_documents" not in p.parts and p.name not in ("README.md", "SOURCES.md", "SCAN.json")]
        run(files, "real-world corpus")


if __name__ == "__main__":
    main()
