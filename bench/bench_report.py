"""Time rendering the report in every format for a large synthetic report.

    python bench/bench_report.py [--postings 50] [--dossiers 10000] [--repeat 3]

Prints, per format: best wall time over the repeats, output size, and peak Python memory
(tracemalloc) of one render; then the size of the report mail, full and as sent.
Results are noted in docs/report.md.
"""
from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake.reports.mail import MAX_MAIL_BYTES, build_message, fitting_message  # noqa: E402
from intake.reports.render import FORMATS, render, render_many  # noqa: E402
from intake.reports.view import build_view  # noqa: E402
from tests.support.reportdata import synthetic_report  # noqa: E402


def measure(report: dict, fmt: str, repeat: int) -> tuple[float, int, float]:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = render(report, fmt)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    render(report, fmt)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, len(out), peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=50)
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    report = synthetic_report(args.postings, args.dossiers)
    start = time.perf_counter()
    build_view(report)
    print(f"report: {args.postings} postings, {args.dossiers} dossiers "
          f"(view model alone: {time.perf_counter() - start:.2f} s)")
    print(f"{'format':<6} {'best s':>8} {'size':>10} {'peak MiB':>9}")
    for fmt in FORMATS:
        seconds, size, peak = measure(report, fmt, args.repeat)
        print(f"{fmt:<6} {seconds:8.2f} {size / 2**20:8.1f} MB {peak:9.0f}")
    mail_sizes(report)


def mail_sizes(report: dict) -> None:
    """The size of the report mail, full and as actually sent (short when over the limit)."""
    start = time.perf_counter()
    parts = render_many(report, ("text", "html", "xlsx", "csv"))
    rendered = time.perf_counter() - start
    full = len(build_message(report, "r <r@example.org>", ["x@example.org"], parts).as_bytes())
    start = time.perf_counter()
    sent = fitting_message(report, "r <r@example.org>", ["x@example.org"], parts)
    print(f"mail: all parts rendered in {rendered:.2f} s; full mail {full / 2**20:.1f} MB; "
          f"sent {len(sent.as_bytes()) / 2**20:.1f} MB (limit {MAX_MAIL_BYTES / 2**20:.0f} MB, "
          f"fitting took {time.perf_counter() - start:.2f} s)")


if __name__ == "__main__":
    main()
