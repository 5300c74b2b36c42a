"""Classification is a pure function of a text: whatever the text, it answers and never raises
(an exception there would fail the applicant's whole message). Texts are made of the
vocabulary's own headings and words, names, dates, phone numbers, addresses and list markers,
in any order: the shapes that send the section and referee logic down its rarer paths."""
from __future__ import annotations

import os

from hypothesis import given, settings, strategies as st

from intake.extract import DocumentText
from intake.understand.classify import classify_body, classify_document
from intake.vocabulary import load_default_vocabulary

EXAMPLES = int(os.environ.get("INTAKE_CLASSIFY_EXAMPLES", "300"))   # more on demand
VOCAB = load_default_vocabulary()
PHRASES = sorted({p for v in VOCAB.values() for p in (*v.headings, *v.content, *v.names,
                                                      *v.introductions)})
REFERENCES = VOCAB["references"]
PIECES = st.one_of(
    st.sampled_from([f"{h} :" for h in REFERENCES.headings] + [f"{i} :" for i in REFERENCES.introductions]),
    st.sampled_from(["M.", "Mme", "Dr", "السيد", "Ahmed Alami", "Nadia Tazi", "directeur",
                     "coordinatrice", "chargée de projet", "2019–2022 :", "01/2019 - 12/2021",
                     "0661234567", "+212 6 61 22 33 44", "n.tazi@example.org", "Cordialement",
                     "Tél. :", "sur demande", "-", "•", "1.", "a)", ":", ";", ",", "(", ")"]),
    st.sampled_from(PHRASES),
    st.text(max_size=12))
LINES = st.lists(st.lists(PIECES, min_size=1, max_size=6).map(" ".join), max_size=30)
TEXTS = st.builds(lambda lines, breaks: "\n".join(
    line + ("\n" if b else "") for line, b in zip(lines, breaks + [False] * len(lines))),
    LINES, st.lists(st.booleans(), max_size=30))


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=TEXTS, name=st.sampled_from(["CV.pdf", "Document1.pdf", "références.docx", "x"]))
def test_classifying_any_document_text_never_raises(text, name):
    for finding in classify_document(name, DocumentText(text, 1, "pdf", None), VOCAB):
        assert finding.count >= 1


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=TEXTS)
def test_classifying_any_mail_body_never_raises(text):
    for finding in classify_body(text, VOCAB):
        assert finding.count >= 1
