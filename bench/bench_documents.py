"""Documents per second through read_text (child process) + classify_document.

    python bench/bench_documents.py [ROUNDS]
Reads every document of tests/documents/{tuning,heldout} (mail bodies excluded).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from intake.classify import classify_document  # noqa: E402
from intake.extract import Attachment, read_text  # noqa: E402
from intake.vocabulary import load_default_vocabulary  # noqa: E402


def documents() -> list[Attachment]:
    out = []
    for part in ("tuning", "heldout"):
        root = REPO / "tests" / "documents" / part
        labels = json.loads((root / "labels.json").read_text(encoding="utf-8"))
        out += [Attachment((root / k).name, (root / k).read_bytes())
                for k, v in sorted(labels.items()) if v["kind"] == "document"]
    return out


def main(rounds: int = 3) -> None:
    docs, vocab = documents(), load_default_vocabulary()
    read_text(docs[0])  # warm-up
    start = time.perf_counter()
    for _ in range(rounds):
        for att in docs:
            classify_document(att.filename, read_text(att), vocab)
    elapsed = time.perf_counter() - start
    n = rounds * len(docs)
    print(f"{n} documents in {elapsed:.2f} s: {n / elapsed:.1f} documents/s "
          f"({1000 * elapsed / n:.1f} ms each; read_text in a child process + classify_document)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
