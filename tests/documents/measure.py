"""Per-piece precision and recall of read_text + classify over the labelled collection.

    python -m tests.documents.measure      prints the tables for docs/accuracy.md
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from intake.understand.classify import classify_body, classify_document
from intake.extract import Attachment, read_text
from intake.vocabulary import load_default_vocabulary

HERE = Path(__file__).parent
PIECES = ["cv", "cover_letter", "references", "methodology_note", "financial_proposal"]


@dataclass
class Scores:
    part: str
    tp: Counter = field(default_factory=Counter)
    fp: Counter = field(default_factory=Counter)
    fn: Counter = field(default_factory=Counter)
    counts_right: int = 0
    counts_total: int = 0
    errors: list[str] = field(default_factory=list)

    def precision(self, piece: str) -> float:
        found = self.tp[piece] + self.fp[piece]
        return self.tp[piece] / found if found else 1.0

    def recall(self, piece: str) -> float:
        expected = self.tp[piece] + self.fn[piece]
        return self.tp[piece] / expected if expected else 1.0

    def table(self) -> str:
        rows = [f"| {p} | {self.tp[p] + self.fn[p]} | {self.precision(p):.2f} | {self.recall(p):.2f} |"
                for p in PIECES]
        return "\n".join([f"{self.part}: piece | expected | precision | recall",
                          "|---|---|---|---|", *rows,
                          f"references counted exactly: {self.counts_right}/{self.counts_total}"])


def predict(path: Path, kind: str, vocab) -> dict[str, int]:
    if kind == "body":
        findings = classify_body(path.read_text(encoding="utf-8"), vocab)
    else:
        text = read_text(Attachment(path.name, path.read_bytes()))
        findings = classify_document(path.name, text, vocab)
    out: dict[str, int] = {}
    for finding in findings:
        out[finding.piece] = out.get(finding.piece, 0) + finding.count
    return out


def measure(part: str) -> Scores:
    root = HERE / part
    labels = json.loads((root / "labels.json").read_text(encoding="utf-8"))
    vocab = load_default_vocabulary()
    scores = Scores(part)
    for key, label in sorted(labels.items()):
        expected, got = label["pieces"], predict(root / key, label["kind"], vocab)
        for piece in PIECES:
            if piece in expected and piece in got:
                scores.tp[piece] += 1
            elif piece in got:
                scores.fp[piece] += 1
            elif piece in expected:
                scores.fn[piece] += 1
        if "references" in expected:
            scores.counts_total += 1
            scores.counts_right += got.get("references") == expected["references"]
        if got != expected:
            scores.errors.append(f"{key}: expected {expected}, got {got} ({label['note']})")
    return scores


if __name__ == "__main__":
    for name in ("tuning", "heldout"):
        result = measure(name)
        print(result.table())
        if name == "tuning":  # the held-out part's mistakes are not shown: nobody tunes against them
            print("\n".join("  " + e for e in result.errors))
        print()
