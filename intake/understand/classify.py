"""Which pieces of an application a file (or the mail body) is: by its name and its content.

Pure functions: strings and vocabularies in, findings out. Content evidence is scored with the
vocabulary (see intake/defaults/pieces.toml); the stronger evidence wins over the file name.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..extract.document import DocumentText
from .referees import DEFAULT_REGION, find_referees
from ..vocabulary import PieceVocab, normalise, normalise_filename, normalise_phrase, phrase_pattern

BODY = "corps du message"
REFERENCES = "references"
COVER_LETTER = "cover_letter"
BODY_LETTER_MIN_WORDS = 50  # Arabic letters are dense: 76 words make a full letter
HEADING_EXTRA_WORDS = 3   # a heading line is its phrase plus at most this many words
TITLE_LINES = 4           # a heading among the first lines is the document's title
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_MARKER = re.compile(r"^(?:[ivx]++|\d++|[a-z])(?: \d++)*\s")
# Text given to classification, at most: a CV or a letter is a few thousand characters; the
# rest of a longer text cannot change what the piece is (see docs/robustness.md).
MAX_CLASSIFIED_CHARS = 100_000


@dataclass(frozen=True)
class Finding:
    piece: str
    count: int
    source: str
    evidence: str
    referees: tuple[str, ...] = ()   # identity keys of the referees counted (to dedupe across files)


def classify_document(filename: str, text: DocumentText | None,
                      vocab: Mapping[str, PieceVocab], *, region: str = DEFAULT_REGION) -> list[Finding]:
    named = name_pieces(filename, vocab)
    if text is None or text.problem or not text.text.strip():
        return [Finding(p, 1, filename, "nom du fichier") for p in vocab if p in named]
    content = text.text[:MAX_CLASSIFIED_CHARS]
    scores = content_scores(content, vocab)
    found = _strongest({p for p, s in scores.items() if s >= vocab[p].min_score}, scores, vocab)
    kept = found | {p for p in named if not found or scores.get(p, 0) > 0}
    referees = _referees(content, vocab, region)
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
                  cover_letter_in_body: bool = True, region: str = DEFAULT_REGION) -> list[Finding]:
    body = strip_quoted(body[:MAX_CLASSIFIED_CHARS])
    findings = []
    letter = vocab.get(COVER_LETTER)
    if cover_letter_in_body and letter and _is_letter(body, letter):
        findings.append(Finding(COVER_LETTER, 1, BODY, "lettre écrite dans le message"))
    referees = _referees(body, vocab, region)
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
    compact = normalise_phrase(phrase).replace(" ", "")
    return len(compact) >= 8 and compact in name.replace(" ", "")


def content_scores(text: str, vocab: Mapping[str, PieceVocab]) -> dict[str, int]:
    norm = _with_visual_arabic(normalise(text))
    lines = [_MARKER.sub("", line) for line in norm.split("\n") if line.strip()]
    head = lines[:TITLE_LINES]
    index = _LineIndex(lines)
    scores = {}
    for piece, words in vocab.items():
        score = sum(1 for w in _distinct(words.content) if _found(w, norm))
        titled = False
        for heading in _distinct(words.headings):
            if any(_is_heading(heading, line) for line in index.beginning_with(heading)):
                score += 2
                titled = titled or any(_is_heading(heading, line) for line in head)
        scores[piece] = score + 2 * titled
    return scores


class _LineIndex:
    """The distinct lines of a text, sorted: the lines that begin with a heading's first word
    are found by bisection instead of trying the heading on every line of a long text."""

    def __init__(self, lines: list[str]):
        self.lines = sorted(set(lines))

    def beginning_with(self, phrase: str) -> list[str]:
        words = normalise_phrase(phrase).split()
        if not words:
            return []
        low = bisect.bisect_left(self.lines, words[0])
        high = bisect.bisect_left(self.lines, words[0] + "\U0010ffff")
        return self.lines[low:high]


def _with_visual_arabic(norm: str) -> str:
    """Some PDFs store Arabic in visual order (reversed): read such lines both ways."""
    flipped = [line[::-1] for line in norm.split("\n") if _ARABIC.search(line)]
    return norm + "\n" + "\n".join(flipped) if flipped else norm


def _distinct(phrases: list[str]) -> list[str]:
    return list({normalise_phrase(p): p for p in phrases}.values())


def _found(phrase: str, norm: str) -> bool:
    # Every word of the phrase stands in the text literally when the pattern matches: a
    # substring test (fast, in C) rules out most phrases before the regex runs.
    words = normalise_phrase(phrase).split()
    if not words or any(w not in norm for w in words):
        return False
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


def _referees(text: str, vocab: Mapping[str, PieceVocab], region: str) -> list[str]:
    refs = vocab.get(REFERENCES)
    if refs is None:
        return []
    others = [h for p, v in vocab.items() if p != REFERENCES for h in v.headings]
    return find_referees(text, refs.headings, others, refs.introductions, region)


def _references(source: str, referees: list[str], evidence: str) -> Finding:
    n = len(referees)
    return Finding(REFERENCES, n, source, f"{evidence} : {n} référent{'s' if n > 1 else ''}",
                   tuple(referees))


_GREETINGS = ("bonjour", "bonsoir", "madame", "monsieur", "cher", "chere", "mesdames", "messieurs",
              "dear", "hello", "to whom", "salam", "السلام", "سيدي", "سيدتي", "تحية")
_CLOSING_FORMULAS = ("cordialement", "veuillez agreer", "je vous prie d agreer", "bien a vous",
                     "salutations", "best regards", "kind regards", "sincerely", "regards",
                     "dans l attente", "je reste a votre disposition", "restant a votre disposition",
                     "merci", "مع خالص", "تقبلوا", "والسلام")
_COVERING_NOTE = ("ci joint", "ci jointe", "ci joints", "piece jointe", "pieces jointes", "en attache",
                  "attached", "please find", "enclosed", "vous trouverez", "veuillez trouver", "مرفق")
COVERING_NOTE_MAX_WORDS = 80   # a note that sends the files, however polite, is no letter


def substance(body: str) -> list[str]:
    """The paragraphs that say something: without the greeting, the closing formula and the
    signature."""
    kept = []
    for paragraph in (p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()):
        norm = normalise(paragraph)
        words = norm.split()
        if len(words) <= 4:                                   # "Madame, Monsieur," or a signature
            continue
        if len(words) <= 8 and any(norm.startswith(g) for g in _GREETINGS):
            continue
        if len(words) <= 35 and any(f in norm for f in _CLOSING_FORMULAS):
            continue
        kept.append(paragraph)
    return kept


def _is_letter(body: str, letter: PieceVocab) -> bool:
    """A letter written in the body: formal, and with something to say. A polite covering note
    ("Veuillez trouver ci-joint mon CV...") is not one, however well it is turned."""
    norm = normalise(body)
    score = sum(1 for w in letter.content if _found(w, norm))
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    said = normalise("\n".join(substance(body)))
    words = len(said.split())
    if words < BODY_LETTER_MIN_WORDS or score < letter.min_score - 1 or len(paragraphs) < 3:
        return False
    return not (words < COVERING_NOTE_MAX_WORDS and any(_found(n, said) for n in _COVERING_NOTE))


# --- quoted replies ------------------------------------------------------------------------
# Line by line, with possessive quantifiers: a body of 40,000 spaces or blank lines is read in
# linear time (the multi-line patterns these replace took minutes on such a body).

_FORWARD_MARK = re.compile(r"-{2,}+\s*+(?:original message|message d'origine|message transféré|"
                           r"forwarded message)", re.I)
_WROTE = ("a écrit", "a ecrit", "wrote", "كتب")
_HEADER_FROM = re.compile(r"\s*+(?:de|from|من)\s*+:.", re.I)
_HEADER_NEXT = re.compile(r"\s*+(?:envoyé|sent|date|à|to)\s*+:", re.I)


def strip_quoted(body: str) -> str:
    """The applicant's own words: without "> " lines and the quoted message after "... a écrit :"."""
    lines = _before_header_block(body.split("\n"))
    kept = []
    for line in "\n".join(lines).splitlines():
        if _starts_quote(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept)


def _starts_quote(line: str) -> bool:
    """"-----Original Message-----", "Le 3 mars, X a écrit :", "On Monday, X wrote:"."""
    stripped = line.strip()
    if _FORWARD_MARK.match(stripped):
        return True
    return stripped.endswith(":") and stripped[:-1].rstrip().casefold().endswith(_WROTE)


def _before_header_block(lines: list[str]) -> list[str]:
    """The lines above a quoted header block ("De : ..." then "Envoyé : ..." on the next
    non-blank line), or all of them."""
    for i, line in enumerate(lines):
        if _HEADER_FROM.match(line):
            following = next((lines[j] for j in range(i + 1, len(lines)) if lines[j].strip()), "")
            if _HEADER_NEXT.match(following):
                return lines[:i]
    return lines
