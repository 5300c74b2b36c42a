"""Which pieces of an application a file (or the mail body) is: by its name and its content.

Pure functions: strings and vocabularies in, findings out. Content evidence is scored with the
vocabulary (see intake/defaults/pieces.toml); the stronger evidence wins over the file name.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .extract.document import DocumentText
from .referees import find_referees
from .vocabulary import PieceVocab, normalise, normalise_filename, phrase_pattern

BODY = "corps du message"
REFERENCES = "references"
COVER_LETTER = "cover_letter"
BODY_LETTER_MIN_WORDS = 50  # Arabic letters are dense: 76 words make a full letter
HEADING_EXTRA_WORDS = 3   # a heading line is its phrase plus at most this many words
TITLE_LINES = 4           # a heading among the first lines is the document's title
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_MARKER = re.compile(r"^(?:[ivx]+|\d+|[a-z])(?: \d+)*\s")


@dataclass(frozen=True)
class Finding:
    piece: str
    count: int
    source: str
    evidence: str
    referees: tuple[str, ...] = ()   # identity keys of the referees counted (to dedupe across files)


def classify_document(filename: str, text: DocumentText | None,
                      vocab: Mapping[str, PieceVocab]) -> list[Finding]:
    named = name_pieces(filename, vocab)
    if text is None or text.problem or not text.text.strip():
        return [Finding(p, 1, filename, "nom du fichier") for p in vocab if p in named]
    scores = content_scores(text.text, vocab)
    found = _strongest({p for p, s in scores.items() if s >= vocab[p].min_score}, scores, vocab)
    kept = found | {p for p in named if not found or scores.get(p, 0) > 0}
    referees = _referees(text.text, vocab)
    findings = []
    for piece in vocab:
        if piece == REFERENCES and referees:
            findings.append(_references(filename, referees, "contenu"))
        elif piece in kept:
            how = "nom et contenu" if piece in named and piece in found else (
                "contenu" if piece in found else "nom du fichier")
            findings.append(Finding(piece, 1, filename, how))
    return findings


def classify_body(body: str, vocab: Mapping[str, PieceVocab], *,
                  cover_letter_in_body: bool = True) -> list[Finding]:
    body = strip_quoted(body)
    findings = []
    letter = vocab.get(COVER_LETTER)
    if cover_letter_in_body and letter and _is_letter(body, letter):
        findings.append(Finding(COVER_LETTER, 1, BODY, "lettre écrite dans le message"))
    referees = _referees(body, vocab)
    if referees:
        findings.append(_references(BODY, referees, "référents cités dans le message"))
    return findings


# --- evidence ------------------------------------------------------------------------------

def name_pieces(filename: str, vocab: Mapping[str, PieceVocab]) -> set[str]:
    """Pieces named in a file name; a longer phrase hides the shorter ones inside it
    ("lettre de recommandation" is not also a "lettre")."""
    name = normalise_filename(filename)
    phrases = sorted(((w, p) for p, v in vocab.items() for w in v.names), key=lambda x: -len(x[0]))
    pieces = set()
    for phrase, piece in phrases:
        pattern = phrase_pattern(phrase)
        match = pattern.search(name) if pattern else None
        if match:
            pieces.add(piece)
            name = name[: match.start()] + "#" * (match.end() - match.start()) + name[match.end():]
        elif _compact_match(phrase, name):
            pieces.add(piece)
    return pieces


def _compact_match(phrase: str, name: str) -> bool:
    """"lettredemotivation", "CurriculumVitae": long phrases glued together."""
    compact = normalise(phrase).replace(" ", "")
    return len(compact) >= 8 and compact in name.replace(" ", "")


def content_scores(text: str, vocab: Mapping[str, PieceVocab]) -> dict[str, int]:
    norm = _with_visual_arabic(normalise(text))
    lines = [_MARKER.sub("", line) for line in norm.split("\n") if line.strip()]
    head = lines[:TITLE_LINES]
    scores = {}
    for piece, words in vocab.items():
        score = sum(1 for w in _distinct(words.content) if _found(w, norm))
        titled = False
        for heading in _distinct(words.headings):
            if any(_is_heading(heading, line) for line in lines):
                score += 2
                titled = titled or any(_is_heading(heading, line) for line in head)
        scores[piece] = score + 2 * titled
    return scores


def _with_visual_arabic(norm: str) -> str:
    """Some PDFs store Arabic in visual order (reversed): read such lines both ways."""
    flipped = [line[::-1] for line in norm.split("\n") if _ARABIC.search(line)]
    return norm + "\n" + "\n".join(flipped) if flipped else norm


def _distinct(phrases: list[str]) -> list[str]:
    return list({normalise(p): p for p in phrases}.values())


def _found(phrase: str, norm: str) -> bool:
    pattern = phrase_pattern(phrase)
    return bool(pattern and pattern.search(norm))


def _is_heading(phrase: str, line: str) -> bool:
    pattern = phrase_pattern(phrase)
    match = pattern.match(line) if pattern else None
    return bool(match) and len(line[match.end():].split()) <= HEADING_EXTRA_WORDS


def _strongest(found: set[str], scores: dict[str, int], vocab: Mapping[str, PieceVocab]) -> set[str]:
    """Of two rival pieces (a cover letter and a recommendation letter), keep the stronger."""
    return {p for p in found
            if not any(r in found and scores[r] > scores[p] for r in vocab[p].rivals)}


def _referees(text: str, vocab: Mapping[str, PieceVocab]) -> list[str]:
    refs = vocab.get(REFERENCES)
    if refs is None:
        return []
    others = [h for p, v in vocab.items() if p != REFERENCES for h in v.headings]
    return find_referees(text, refs.headings, others)


def _references(source: str, referees: list[str], evidence: str) -> Finding:
    n = len(referees)
    return Finding(REFERENCES, n, source, f"{evidence} : {n} référent{'s' if n > 1 else ''}",
                   tuple(referees))


def _is_letter(body: str, letter: PieceVocab) -> bool:
    norm = normalise(body)
    score = sum(1 for w in letter.content if _found(w, norm))
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    return (len(norm.split()) >= BODY_LETTER_MIN_WORDS and score >= letter.min_score - 1
            and len(paragraphs) >= 3)


# --- quoted replies ------------------------------------------------------------------------

_QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|message d'origine|message transféré|forwarded message)"
    r".*|.*(?:a écrit|a ecrit|wrote|كتب)\s*:\s*$)", re.I)
_HEADER_BLOCK = re.compile(r"^\s*(?:de|from|من)\s*:.+\n\s*(?:envoyé|sent|date|à|to)\s*:", re.I | re.M)


def strip_quoted(body: str) -> str:
    """The applicant's own words: without "> " lines and the quoted message after "... a écrit :"."""
    header = _HEADER_BLOCK.search(body)
    if header:
        body = body[: header.start()]
    kept = []
    for line in body.splitlines():
        if _QUOTE_START.match(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept)
