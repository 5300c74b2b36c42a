"""Benchmark: what hostile mail costs, and what the budgets cost ordinary mail.

    python bench/bench_hostile.py

1. Classification of the inputs that used to backtrack (tests/test_linear_time.py), at three
   sizes: the time must grow in proportion (x2 input -> about x2 time), never x4.
2. Parsing in the bounded child process (intake/bounded.py) against parsing in the process,
   on the application mails of tests/mails: the price of the parse budget per message.
docs/robustness.md keeps the last figures.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from intake.extract.document import DocumentText  # noqa: E402
from intake.understand.classify import classify_body, classify_document  # noqa: E402
from intake.understand.parse import parse  # noqa: E402
from intake.understand.loop import bounded_parser  # noqa: E402
from intake.vocabulary import load_default_vocabulary  # noqa: E402

SHAPES = {
    "a line of spaces": lambda n: "Bonjour\n" + " " * n + "\nCordialement",
    "blank lines": lambda n: "\n" * n + "x",
    "'De :' then newlines": lambda n: "De : X\n" + "\n" * n,
    "references: one long word": lambda n: "Références :\n" + "a" * n,
    "references: 'a.' repeated": lambda n: "Références :\n" + "a." * (n // 2),
    "references heading, then spaces": lambda n: "Références : x" + " " * n + "y",
}


def cpu(work) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def main() -> None:
    vocab = load_default_vocabulary()
    print("classification CPU seconds at 25k / 50k / 100k characters (body, then as a document):")
    for name, shape in SHAPES.items():
        body = [cpu(lambda: classify_body(shape(n), vocab)) for n in (25_000, 50_000, 100_000)]
        doc = [cpu(lambda: classify_document("x.pdf", DocumentText(shape(n), 1, "pdf", None), vocab))
               for n in (25_000, 50_000, 100_000)]
        print(f"  {name:34} body {' / '.join(f'{t:.3f}' for t in body)}"
              f"   document {' / '.join(f'{t:.3f}' for t in doc)}")

    mails = [p.read_bytes() for p in sorted((REPO / "tests" / "mails").glob("*.eml"))]
    started = time.perf_counter()
    for raw in mails:
        parse(raw)
    inside = (time.perf_counter() - started) / len(mails)
    with bounded_parser() as bounded:
        started = time.perf_counter()
        for raw in mails:
            bounded(raw)
        child = (time.perf_counter() - started) / len(mails)
    print(f"parsing {len(mails)} mails: {inside * 1000:.1f} ms each in the process, "
          f"{child * 1000:.1f} ms each in the bounded child (fork included once)")


if __name__ == "__main__":
    main()
