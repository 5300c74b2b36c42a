"""Texts are compared with the vocabulary after normalise(): lower case, no accents or Arabic
vowel marks, punctuation as spaces, and every line kept where it was, so that a whole text can
be normalised at once and still be read line by line (referees.py does)."""
from __future__ import annotations

import unicodedata

from hypothesis import given, settings, strategies as st

from intake.text import fold
from intake.vocabulary import normalise

# Latin with accents, combining marks, Arabic with its vowel signs, and the odd spaces and line
# separators that PDFs and phones produce.
CHARS = st.one_of(st.characters(min_codepoint=0x20, max_codepoint=0x24f),
                  st.characters(min_codepoint=0x300, max_codepoint=0x36f),
                  st.characters(min_codepoint=0x600, max_codepoint=0x6ff),
                  st.sampled_from(["\t", "\r", "\x0b", "\x0c", "\x85", "\xa0", "\u2028", "\u3000",
                                   "\u200b", "\ufeff", "_", "@", "ﻻ", "ﬁ", "ß", "İ"]))


def test_what_normalise_keeps_and_drops():
    assert normalise("  Lettre de MOTIVATION — Chargé(e) de projet  ") == "lettre de motivation charge e de projet"
    assert normalise("Références :\n\n  1. M. Ahmed Alami,  directeur\t(OMDH)") == \
        "references\n\n1 m ahmed alami directeur omdh"
    assert normalise("السِّيرَة الذَّاتِيَّة") == "السيره الذاتيه"
    assert normalise("n.tazi@example.org_x") == "n tazi@example org x"


@settings(max_examples=500, deadline=None)
@given(lines=st.lists(st.text(CHARS, max_size=40), min_size=1, max_size=8))
def test_a_text_normalised_at_once_is_its_lines_normalised_one_by_one(lines):
    assert normalise("\n".join(lines)).split("\n") == [normalise(line) for line in lines]


def folded_by_the_letter(text: str) -> str:
    """fold() as specified: NFKD, every combining mark dropped, NFC, casefold."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept).casefold()


# fold() takes shortcuts (ASCII as it is, the marks of the Basic Multilingual Plane removed by
# one regex); beyond it, marks such as U+1D165 (musical) and U+11046 (Brahmi) are found too
@settings(max_examples=1000, deadline=None)
@given(text=st.text(st.one_of(CHARS, st.characters(min_codepoint=0x10000, max_codepoint=0x1f9ff),
                              st.sampled_from(["\U0001d165", "\U00011046", "\u0301", "é", "E"])),
                    max_size=60))
def test_fold_drops_every_combining_mark_and_folds_the_case(text):
    assert fold(text) == folded_by_the_letter(text)


def test_fold_of_subjects_applicants_write():
    assert fold("Chargé·e de PROJET") == "charge·e de projet"
    assert fold("CANDIDATURE") == "candidature"
    assert fold("السِّيرَة") == "السيرة"
    assert fold("Réf\U0001d165é") == "refe"
