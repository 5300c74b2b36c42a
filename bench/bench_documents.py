"""Documents per second through read_text (one at a time, by the reader pool) + classify_document,
and OCR pages per second.

    python bench/bench_documents.py [ROUNDS]
Reads every document of tests/documents/{tuning,heldout} (mail bodies excluded): the documents
with a text layer, then the Word 97 and Excel 97 files, ROUNDS times each (documents/s: what
mail without scans costs), then the scans and phone photos (OCR pages/s, when Tesseract is
installed: one at a time, then in parallel), then one 40-page scan (capped).
"""
from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from intake.understand.classify import classify_document  # noqa: E402
from intake.extract import Attachment, read_many, read_text  # noqa: E402
from intake.vocabulary import load_default_vocabulary  # noqa: E402


def documents() -> dict[str, list[Attachment]]:
    """The collection's documents by kind: with a text layer (PDF, DOCX, ODT...), Word 97 and
    Excel 97 (read by antiword and xlrd), scans and phone photos (OCR)."""
    groups: dict[str, list[Attachment]] = {"text": [], "legacy": [], "pictured": []}
    for part in ("tuning", "heldout"):
        root = REPO / "tests" / "documents" / part
        labels = json.loads((root / "labels.json").read_text(encoding="utf-8"))
        for key, label in sorted(labels.items()):
            if label["kind"] == "document":
                kind = ("pictured" if label["note"].startswith(("scan", "photo")) else
                        "legacy" if key.endswith((".doc", ".xls")) else "text")
                groups[kind].append(Attachment((root / key).name, (root / key).read_bytes()))
    return groups


def forty_page_scan() -> Attachment:
    from tests.documents import render

    page = render.page_image([("h", "Curriculum vitae"), ("p", "Karim Benali, chargé de projet à Rabat")] * 12)
    out = io.BytesIO()
    page.save(out, "PDF", resolution=150, save_all=True, append_images=[page] * 39)
    return Attachment("scan0001.pdf", out.getvalue())


def main(rounds: int = 3) -> None:
    groups, vocab = documents(), load_default_vocabulary()
    read_text(groups["text"][0])  # warm-up
    for kind, what in (("text", "documents with a text layer"), ("legacy", "Word 97 and Excel 97 files")):
        start = time.perf_counter()
        for _ in range(rounds):
            for att in groups[kind]:
                classify_document(att.filename, read_text(att), vocab)
        elapsed = time.perf_counter() - start
        n = rounds * len(groups[kind])
        print(f"{n} {what} in {elapsed:.2f} s: {n / elapsed:.1f} documents/s "
              f"({1000 * elapsed / n:.1f} ms each; read_text by the reader pool + classify_document)")
    images = groups["pictured"]
    start = time.perf_counter()
    results = [read_text(att) for att in images]
    elapsed = time.perf_counter() - start
    pages = sum(r.pages or 0 for r in results if r.reader == "tesseract")
    if not pages:
        print(f"{len(images)} scans and photos: not read (Tesseract is not installed)")
        return
    print(f"{len(images)} scans and photos, one at a time ({pages} pages read by OCR) in {elapsed:.2f} s: "
          f"{pages / elapsed:.2f} OCR pages/s ({elapsed / len(images):.2f} s per document)")
    start = time.perf_counter()
    read_many(images)
    elapsed = time.perf_counter() - start
    print(f"the same in parallel (read_many, one reader per core): {pages / elapsed:.2f} OCR pages/s")
    start = time.perf_counter()
    result = read_text(forty_page_scan())
    print(f"a 40-page scan: {time.perf_counter() - start:.2f} s, {result.pages} pages read ({result.note})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
