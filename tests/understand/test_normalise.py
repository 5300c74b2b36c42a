"""Texts are compared with the vocabulary after normalise(): lower case, no accents or Arabic
vowel marks, punctuation as spaces, and every line kept where it was, so that a whole text can
be normalised at once and still be read line by line (referees.py does)."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

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
