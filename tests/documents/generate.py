"""Generate the labelled document collection: python -m tests.documents.generate

Deterministic (seeded) in content; the .doc and .xls items are written by LibreOffice (soffice),
whose files carry their own time stamps. Writes tests/documents/{tuning,heldout}/NNN/<file> and a labels.json in
each part: {"NNN/<file>": {"kind": "document"|"body", "pieces": {"cv": 1, "references": 2},
"note": "..."}}. The held-out part uses another seed and wordings the tuning part never uses;
never adjust the vocabulary or the classifier by looking at it.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.documents import pieces as b
from tests.documents import render
from tests.documents.content import FIRST, LAST, Writer

HERE = Path(__file__).parent
NAMES = {
    "cv": ["CV_{F}_{L}", "Document1", "scan0001", "CV", "cv-{f}-{l}-2021", "MonCV", "Curriculum Vitae {L}",
           "{F} {L}", "candidature_{l}", "file", "السيرة الذاتية", "CV {F} {L} (1)"],
    "cover_letter": ["Lettre de motivation", "LM_{F}_{L}", "lettre_motivation_{l}", "Document2", "CV",
                     "cover letter {F}", "رسالة التحفيز", "candidature", "LettreMotivation{L}"],
    "references": ["references", "Références {L}", "Lettre de recommandation", "recommandation_{l}",
                   "scan0002", "Document3", "referees", "مراجع"],
    "methodology_note": ["Note méthodologique", "note_methodo_{l}", "Offre technique", "Document4", "approche"],
    "financial_proposal": ["Offre financière", "offre_financiere_{l}", "Budget", "devis", "Document5"],
    "none": ["Document6", "scan0003", "attestation", "diplome", "CIN", "article"],
}
DOC_FORMATS = ["pdf", "pdf", "pdf", "docx", "docx", "odt", "txt", "rtf", "html"]


def plan(w: Writer):
    """(builder result, name pool, formats, label, note) for every document of one part."""
    items = []
    for i in range(10):
        refs = [0, 0, 0, 2, 3, 0, 1, 0, 4, 0][i]
        items.append((b.cv(w, "fr", refs=refs, on_request=(i == 5)), "cv", DOC_FORMATS, f"CV fr, {refs} référents"))
    for lang in ("en", "en", "en", "ar", "ar", "ar"):
        refs = w.pick([0, 0, 2])
        items.append((b.cv(w, lang, refs=refs), "cv", ["pdf", "docx", "txt"], f"CV {lang}, {refs} référents"))
    for lang in ["fr"] * 6 + ["en", "en", "ar", "ar"]:
        items.append((b.cover_letter(w, lang), "cover_letter", DOC_FORMATS, f"lettre {lang}"))
    for lang in ("fr", "fr", "fr", "en", "ar"):
        items.append((b.recommendation(w, lang), "references", ["pdf", "docx", "pdf"], f"recommandation {lang}"))
    for lang, n in (("fr", 2), ("fr", 3), ("fr", 3), ("en", 2), ("ar", 2)):
        items.append((b.references_list(w, n, lang), "references", DOC_FORMATS, f"liste de {n} référents {lang}"))
    for lang in ("fr", "fr", "fr", "ar"):
        items.append((b.methodology(w, lang), "methodology_note", ["pdf", "docx", "odt"], f"note {lang}"))
    for _ in range(3):
        items.append((b.financial(w), "financial_proposal", ["pdf", "xlsx", "docx"], "offre financière"))
    for kind in ("attestation", "diploma", "article", "id"):
        items.append((b.distractor(w, kind), "none", ["pdf", "docx"], f"ni une pièce : {kind}"))
    labels = []
    for (blocks, n), pool, formats, note in items:
        piece = {"none": {}, "references": {"references": n}}.get(pool, {pool: 1})
        if pool == "cv" and n:
            piece = {"cv": 1, "references": n}
        labels.append((blocks, pool, formats, piece, note))
    return labels


def combined(w: Writer):
    letter, _ = b.cover_letter(w, "fr")
    cv, n = b.cv(w, "fr", refs=w.pick([0, 2]))
    pieces = {"cv": 1, "cover_letter": 1} | ({"references": n} if n else {})
    return letter + [("blank",)] + cv, pieces


def scans_and_photos(w: Writer):
    """(blocks, file stem, pieces, note): what applicants photograph with a phone or scan."""
    cv, n = b.cv(w, "fr", refs=2)
    ar_cv, _ = b.cv(w, "ar")
    letter, _ = b.cover_letter(w, "fr")
    recommendation, _ = b.recommendation(w, "fr")
    refs, m = b.references_list(w, 3, "fr")
    short_cv, _ = b.cv(w, "fr")
    identity, _ = b.distractor(w, "id")
    return [
        (cv, "scan0001", {"cv": 1, "references": n}, "scan d'un CV (PDF sans texte)"),
        (recommendation, "scan0002", {"references": 1}, "scan d'une lettre de recommandation"),
        (refs, "Références scannées", {"references": m}, "scan d'une liste de référents"),
        (short_cv, "CV_scan", {"cv": 1}, "photo d'un CV"),
        (ar_cv, "IMG_2034", {"cv": 1}, "photo d'un CV en arabe au nom vague"),
        (letter, "IMG_2035", {"cover_letter": 1}, "photo d'une lettre de motivation"),
        (identity, "IMG_2036", {}, "photo d'une carte d'identité : ni une pièce"),
    ]


def legacy_office(w: Writer):
    """(blocks, name pool, pieces, note): Word 97 and Excel 97 files."""
    cv, n = b.cv(w, "fr", refs=w.pick([0, 2]))
    letter, _ = b.cover_letter(w, "fr")
    financial, _ = b.financial(w)
    return [(cv, "cv", {"cv": 1} | ({"references": n} if n else {}), f"CV fr, {n} référents"),
            (letter, "cover_letter", {"cover_letter": 1}, "lettre fr"),
            (financial, "financial_proposal", {"financial_proposal": 1}, "offre financière")]


def name(w: Writer, pool: str, ext: str) -> str:
    first, last = w.pick(FIRST), w.pick(LAST)
    stem = w.pick(NAMES[pool]).format(F=first, L=last, f=first.lower(), l=last.lower())
    return f"{stem}.{ext}"


def render_doc(w: Writer, blocks, fmt: str) -> bytes:
    arabic = any("\u0600" <= c <= "\u06ff" for blk in blocks if len(blk) > 1 and isinstance(blk[1], str)
                 for c in blk[1])
    if fmt == "pdf":
        return render.pdf(blocks, w.rng, arabic=arabic)
    if fmt == "txt":
        return render.text(blocks, "cp1256" if arabic and w.rng.random() < 0.5 else
                           ("cp1252" if not arabic and w.rng.random() < 0.3 else "utf-8"))
    return {"docx": lambda: render.word(blocks, w.rng), "odt": lambda: render.odt(blocks),
            "rtf": lambda: render.rtf(blocks), "html": lambda: render.html(blocks),
            "xlsx": lambda: render.sheet(blocks)}[fmt]()


def build(part: str, seed: int) -> dict:
    w = Writer(seed, part)
    root = HERE / part
    shutil.rmtree(root, ignore_errors=True)
    labels: dict[str, dict] = {}

    def save(filename: str, data: bytes, pieces: dict, note: str, kind: str = "document") -> None:
        key = f"{len(labels):03d}/{filename}"
        (root / key).parent.mkdir(parents=True)
        (root / key).write_bytes(data)
        labels[key] = {"kind": kind, "pieces": pieces, "note": note}

    for blocks, pool, formats, pieces, note in plan(w):
        fmt = w.pick(formats)
        save(name(w, pool, fmt), render_doc(w, blocks, fmt), pieces, f"{note} ({fmt})")
    for stem in ("CV et lettre", "candidature_complete"):
        blocks, pieces = combined(w)
        save(f"{stem}.pdf", render.pdf(blocks, w.rng), pieces, "lettre puis CV dans un seul PDF")
    cv_blocks, _ = b.cv(w, "fr")
    save(f"CV_{w.person().replace(' ', '_')}.pdf", render.pdf(cv_blocks, w.rng, password="1234"),
         {"cv": 1}, "PDF protégé : reconnu par son nom")
    save("Document1.pdf", render.pdf(cv_blocks, w.rng, password="azerty"), {}, "PDF protégé au nom vague")
    save("Document1.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000), {}, "ancien .doc illisible au nom vague")
    save("Lettre de motivation.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000),
         {"cover_letter": 1}, "ancien .doc illisible : reconnu par son nom")
    for blocks, stem, pieces, note in scans_and_photos(w):
        kind = note.split()[0]
        data = render.scan_pdf([blocks], w.rng) if kind == "scan" else render.photo(blocks, w.rng)
        save(f"{stem}.{'pdf' if kind == 'scan' else 'jpg'}", data, pieces, note)
    for blocks, pool, pieces, note in legacy_office(w):
        kind = "xls" if pool == "financial_proposal" else "doc"
        data = render.sheet(blocks) if kind == "xls" else render.word(blocks, w.rng)
        save(name(w, pool, kind), render.legacy(data, kind), pieces, f"{note} ({kind}, LibreOffice)")
    for kind, pieces in (("letter", {"cover_letter": 1}), ("letter", {"cover_letter": 1}),
                         ("letter", {"cover_letter": 1}), ("short", {}), ("short", {}), ("short", {}),
                         ("refs", None), ("refs", None), ("quoted_letter", {})):
        text, n = b.body(w, kind)
        save("message.txt", text.encode(), pieces if pieces is not None else {"references": n},
             f"corps du message : {kind}", kind="body")
    (root / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1, sort_keys=True))
    return labels


if __name__ == "__main__":
    for part, seed in (("tuning", 1), ("heldout", 2)):
        print(part, len(build(part, seed)), "items")
