"""A message's identity never changes from one release to the next.

Dedup keys stored in a database are made of `body_digest` (and the header block gives the
Message-ID and sender): a mail delivered again after an upgrade (a second mailbox, a UIDVALIDITY
reset) must be recognised, not taken in twice. These functions are made faster from time to
time; each is checked here against its first, plain statement, on mails of every shape.
"""
from __future__ import annotations

import hashlib

from hypothesis import given, settings, strategies as st

from intake.takein.headers import MAX_HEADER_BYTES, _repair, header_block, message_start, readable
from intake.takein.record import body_digest


def reference_readable(raw: bytes) -> bytes:
    raw = raw[message_start(raw):]
    ends = [i for i in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if i >= 0]
    if not ends:
        return _repair(raw)
    end = min(ends)
    return _repair(raw[:end]) + raw[end:]


def reference_header_block(raw: bytes) -> bytes:
    raw = raw[message_start(raw):][:MAX_HEADER_BYTES].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    end = raw.find(b"\n\n")
    return _repair(raw if end < 0 else raw[: end + 1])


def reference_body_digest(raw: bytes) -> str:
    """body_digest as first written (release of November 2026): line ends made LF, the body
    cut at each boundary line, each part's header dropped, white space removed."""
    repaired = reference_readable(raw)
    cut = min((i + n for i, n in ((repaired.find(b"\r\n\r\n"), 4), (repaired.find(b"\n\n"), 2))
               if i >= 0), default=len(repaired))
    chunks = (b"\n" + repaired[cut:]).replace(b"\r\n", b"\n").split(b"\n--")
    digest = hashlib.sha256(b"".join(chunks[0].split()))
    for chunk in chunks[1:]:
        line_end = chunk.find(b"\n")
        rest = chunk[line_end + 1:] if line_end >= 0 else b""
        header_end = 0 if rest.startswith(b"\n") else rest.find(b"\n\n")
        digest.update(b"".join(rest[header_end + 1:].split()) if header_end >= 0 else b"")
    return digest.hexdigest()


# Mails made of the pieces that matter here: line ends of every kind, boundary dashes, header
# lines, white space of every kind, and ordinary bytes.
PIECES = [b"\r", b"\n", b"\r\n", b"\n\n", b"\r\n\r\n", b"--", b"--b", b"\n--b\n", b"\r\n--b\r\n",
          b"From: a@b.ma", b"Subject: x", b"Content-Type: text/plain", b" ", b"\t", b"\x0b",
          b"\x0c", b"a", b"Z9", b"\xc3\xa9", b"\x00", b":"]
mails = st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join)


@settings(max_examples=3000, deadline=None)
@given(mails)
def test_the_body_digest_is_the_one_every_release_computed(raw):
    assert body_digest(raw) == reference_body_digest(raw)


@settings(max_examples=1000, deadline=None)
@given(mails)
def test_the_header_block_and_the_readable_mail_are_unchanged(raw):
    assert header_block(raw) == reference_header_block(raw)
    assert readable(raw) == reference_readable(raw)


def test_a_header_that_ends_beyond_the_first_kilobytes_is_read_whole():
    head = b"From: a@b.ma\r\nX-Long: " + b"y" * 300_000 + b"\r\nSubject: fin\r\n\r\nbody\r\n"
    assert header_block(head) == reference_header_block(head)
    assert header_block(head).endswith(b"Subject: fin\n")
    cut_in_a_line_end = b"From: a@b.ma\r\n" + b"X: " + b"z" * (8 * 1024 - 18) + b"\r\n\r\nbody"
    assert header_block(cut_in_a_line_end) == reference_header_block(cut_in_a_line_end)


def test_the_digest_of_a_known_mail_is_pinned():
    mail = (b"From: Salma <salma@example.ma>\r\nSubject: Candidature\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=xyz\r\n\r\n--xyz\r\n"
            b"Content-Type: text/plain\r\n\r\nBonjour,\r\nmon CV.\r\n--xyz\r\n"
            b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            b"JVBERi0xLjQK\r\n--xyz--\r\n")
    relayed = mail.replace(b"xyz", b"other-boundary").replace(b"\r\n", b"\n")
    assert body_digest(mail) == body_digest(relayed) == reference_body_digest(mail)
    assert body_digest(mail) == hashlib.sha256(b"Bonjour,monCV.JVBERi0xLjQK").hexdigest()
