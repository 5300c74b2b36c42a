"""Parsing is made faster without changing what a mail says.

Three speed-ups: the standard library's mail parser looks for the line end that closes each part
with a pattern it tries at every position of the part (`LineEndAtEnd` searches from the last two
characters instead), and the lines of each base64 body are joined into one before parsing
(base64lines.py: the parser's cost is per line), and mail-parser reads the parts without
summing up the headers for its own API (`PartsOnly`). These tests check that every mail of the test
collection, of the shared corpus, and of every shape a generator makes (base64 bodies with every
kind of line, and the traps: a header and base64 lines pasted into a text body, a preamble of
base64) parses to the same result with and without them.
"""
from __future__ import annotations

import base64
import dataclasses
import email.feedparser
import re
from pathlib import Path

import mailparser
import pytest
from hypothesis import given, settings, strategies as st

from intake.understand import parse as parse_module
from intake.understand.base64lines import join_base64_lines
from intake.understand.parse import LineEndAtEnd, parse
from tests.conftest import CORPUS, REPO, need_shared

ORIGINAL = re.compile(r"(\r\n|\r|\n)\Z")   # email/feedparser.py, Python 3.11 to 3.13


def found(match) -> tuple | None:
    return None if match is None else (match.span(), match.group(0), match.groups())


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="\r\na \t=-", max_size=12), st.integers(min_value=0, max_value=14))
def test_the_search_from_the_last_two_characters_finds_what_the_whole_search_finds(text, pos):
    faster = LineEndAtEnd(ORIGINAL)
    assert found(faster.search(text)) == found(ORIGINAL.search(text))
    assert found(faster.search(text, pos)) == found(ORIGINAL.search(text, pos))


def test_the_mail_parser_uses_the_faster_search():
    assert isinstance(email.feedparser.NLCRE_eol, LineEndAtEnd)
    assert email.feedparser.NLCRE_eol.pattern.pattern == ORIGINAL.pattern


def test_mail_parser_reads_the_parts_without_summing_up_the_headers(monkeypatch):
    """The addresses, dates and Received lines that mail-parser would parse for its own API
    are not parsed at all (intake reads the headers itself)."""
    import mailparser.core

    def refuse(*_args, **_kwargs):
        raise AssertionError("a header was summed up")

    for name in ("get_addresses", "parse_mail_date", "receiveds_parsing"):
        monkeypatch.setattr(mailparser.core, name, refuse)
    raw = (b"Received: from mx.example.ma by mx.gmail.com; Mon, 04 Mar 2024 10:00:00 +0000\r\n"
           b"From: Salma <salma@example.ma>\r\nTo: omdp.direction@gmail.com\r\n"
           b"Cc: a@example.org, b@example.org\r\nDate: Mon, 04 Mar 2024 10:00:00 +0000\r\n"
           b"Subject: Candidature\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; "
           b"boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour\r\n"
           b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Bonjour</p>\r\n--b--\r\n")
    mail = parse_module.PartsOnly.from_bytes(raw)   # no fallback here: it must not fail
    assert (mail.text_plain, mail.text_html) == (["Bonjour"], ["<p>Bonjour</p>"])
    used = []
    monkeypatch.setattr(parse_module, "PartsOnly", type("Spy", (parse_module.PartsOnly,), {
        "parse": lambda self: used.append(self) or parse_module.PartsOnly.parse(self)}))
    assert parse(raw).body == "Bonjour" and used


def test_a_mail_parser_that_needs_more_than_parts_only_sets_up_gets_its_whole_pass(monkeypatch):
    """A later mail-parser whose parse() reads an attribute PartsOnly does not set up costs the
    speed-up, never the bodies: mail-parser's whole pass reads the mail then."""
    raw = (REPO / "tests" / "mails" / "a01-complete.eml").read_bytes()
    expected = _as_data(raw)
    monkeypatch.setattr(parse_module.PartsOnly, "_reset", lambda self: None)

    def standard_library_reading(_message):
        raise AssertionError("the bodies were read without mail-parser")

    monkeypatch.setattr(parse_module, "_bodies", standard_library_reading)
    assert _as_data(raw) == expected


def _as_data(raw: bytes):
    try:
        return repr(dataclasses.asdict(parse(raw)))
    except Exception as exc:  # noqa: BLE001 - a mail that fails must fail the same way
        return f"{type(exc).__name__}: {exc}"


def _mails(folder: Path, limit: int = 2_000_000) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".eml", ".msg", "")
                  and p.stat().st_size <= limit)


def without_speedups(monkeypatch) -> None:
    monkeypatch.setattr(email.feedparser, "NLCRE_eol", ORIGINAL)
    monkeypatch.setattr(parse_module, "join_base64_lines", lambda raw: raw)
    monkeypatch.setattr(parse_module, "PartsOnly", mailparser.MailParser)
    monkeypatch.setattr(parse_module, "payload_bytes", lambda part: part.get_payload(decode=True))


@pytest.mark.parametrize("where", ["tests/mails", "shared corpus"])
def test_every_mail_parses_to_the_same_result_without_the_speedups(where, monkeypatch):
    folder = REPO / "tests" / "mails" if where == "tests/mails" else need_shared(CORPUS)
    mails = _mails(folder)
    raws = [path.read_bytes() for path in mails]
    assert len(mails) > 20
    faster = [_as_data(raw) for raw in raws]
    assert sum(join_base64_lines(raw) is not raw for raw in raws) > 5   # the join is at work here
    without_speedups(monkeypatch)
    slower = [_as_data(raw) for raw in raws]
    differing = [str(path) for path, a, b in zip(mails, faster, slower) if a != b]
    assert not differing


# -- mails of every shape ----------------------------------------------------------------------

def _base64_lines(data: bytes, width: int, end: bytes) -> bytes:
    text = base64.b64encode(data)
    return b"".join(text[i:i + width] + end for i in range(0, len(text), width))


@st.composite
def base64_part(draw, end: bytes) -> bytes:
    data = draw(st.binary(min_size=0, max_size=3000))
    width = draw(st.sampled_from([4, 60, 64, 72, 76, 100]))
    header = draw(st.sampled_from([b"Content-Transfer-Encoding: base64", b"content-transfer-encoding:BASE64 ",
                                   b"Content-Transfer-Encoding:\tBase64"]))
    kind = draw(st.sampled_from([b"application/pdf; name=cv.pdf", b"text/plain; charset=utf-8",
                                 b"text/html; charset=utf-8"]))
    body = _base64_lines(data, width, end)
    if draw(st.booleans()):
        body += end * draw(st.integers(1, 2))                   # blank lines before the boundary
    if draw(st.booleans()):
        body = body.replace(end, b"\n", 1)                     # a line end of another kind
    return b"Content-Type: " + kind + end + header + end + end + body


@st.composite
def text_part(draw, end: bytes) -> bytes:
    """A text body, at times with a mail pasted into it: a base64 header, a blank line and lines
    of base64 that are the text's own (they must stay as they are)."""
    words = draw(st.text(alphabet="abc é-\u0645", max_size=40)).encode()
    body = words + end
    if draw(st.booleans()):
        pasted = _base64_lines(draw(st.binary(min_size=300, max_size=1500)), 76, end)
        before = draw(st.sampled_from([b"", b"-----Original Message-----" + end, b"-- " + end]))
        body += before + b"Content-Transfer-Encoding: base64" + end + end + pasted
    encoding = draw(st.sampled_from([b"8bit", b"7bit", b"quoted-printable"]))
    return b"Content-Type: text/plain; charset=utf-8" + end + b"Content-Transfer-Encoding: " + encoding + end + end + body


@st.composite
def mails(draw) -> bytes:
    end = draw(st.sampled_from([b"\r\n", b"\n"]))
    head = (b"From: Salma <salma@example.ma>" + end + b"To: omdp.direction@gmail.com" + end
            + b"Subject: Candidature" + end + b"MIME-Version: 1.0" + end)
    if draw(st.booleans()):   # a single part
        part = draw(st.one_of(base64_part(end), text_part(end)))
        return head + part
    parts = draw(st.lists(st.one_of(base64_part(end), text_part(end)), min_size=1, max_size=4))
    preamble = b""
    if draw(st.booleans()):
        preamble = _base64_lines(draw(st.binary(min_size=300, max_size=900)), 76, end)
    body = head + b'Content-Type: multipart/mixed; boundary="b1"' + end + end + preamble
    for part in parts:
        body += b"--b1" + end + part
    body += b"--b1--" + end
    if draw(st.booleans()):
        body += _base64_lines(draw(st.binary(min_size=300, max_size=900)), 76, end)   # an epilogue
    if draw(st.booleans()):
        body = body.rstrip(b"\r\n")   # no line end at the very end
    return body


@settings(max_examples=400, deadline=None)
@given(mails())
def test_mails_of_every_shape_parse_to_the_same_result_without_the_speedups(raw):
    faster = _as_data(raw)
    with pytest.MonkeyPatch.context() as monkeypatch:
        without_speedups(monkeypatch)
        assert faster == _as_data(raw)


_BASE64_AND_MORE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n -_.\x00\x0b\x0c\u00e9\udcff"


@st.composite
def base64_payloads(draw) -> str:
    """What a part's body may hold: base64 with line ends of any width, at times damaged (bad
    padding, stray characters, raw 8-bit bytes kept as surrogates by the parser), or junk."""
    if draw(st.booleans()):
        return draw(st.text(alphabet=_BASE64_AND_MORE, max_size=60))
    text = _base64_lines(draw(st.binary(max_size=400)), draw(st.sampled_from([4, 60, 76])),
                         draw(st.sampled_from([b"\r\n", b"\n", b""]))).decode()
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(alphabet=_BASE64_AND_MORE, max_size=3)) + text[at + 1:]
    return text


@settings(max_examples=3000, deadline=None)
@given(base64_payloads(), st.sampled_from(["base64", "BASE64", "base64 ", "quoted-printable", ""]))
def test_an_attachment_decodes_to_the_bytes_the_standard_library_gives(payload, encoding):
    """pybase64 takes well-formed base64 only: whatever a part holds, its bytes are the
    standard library's, and a part it cannot decode fails as it does."""
    from email.message import Message

    part = Message()
    part["Content-Type"] = "application/pdf"
    if encoding:
        part["Content-Transfer-Encoding"] = encoding
    part.set_payload(payload)
    try:
        expected = part.get_payload(decode=True)
    except Exception as exc:   # noqa: BLE001 - the same failure is expected
        with pytest.raises(type(exc)):
            parse_module.payload_bytes(part)
        return
    assert parse_module.payload_bytes(part) == expected


def test_well_formed_base64_is_decoded_by_pybase64(monkeypatch):
    from email.message import Message

    calls = []
    monkeypatch.setattr(parse_module.pybase64, "b64decode",
                        lambda data, validate: calls.append(data) or base64.b64decode(data, validate=validate))
    part = Message()
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(_base64_lines(b"%PDF-1.7 cv" * 100, 76, b"\r\n").decode())
    assert parse_module.payload_bytes(part) == b"%PDF-1.7 cv" * 100 and len(calls) == 1


def test_an_application_with_a_pdf_is_parsed_from_far_fewer_lines():
    pdf = bytes(range(256)) * 200
    raw = (b"From: Salma <salma@example.ma>\r\nSubject: Candidature\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
           b"Bonjour\r\n--b\r\nContent-Type: application/pdf; name=cv.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + _base64_lines(pdf, 76, b"\r\n") + b"--b--\r\n")
    joined = join_base64_lines(raw)
    assert raw.count(b"\n") > 900 and joined.count(b"\n") < 20
    assert parse(raw).attachments[0].data == pdf


def test_a_mail_over_8_mb_is_parsed_from_its_own_bytes_within_the_parsers_memory():
    """Joined, a mail would be held twice while it is parsed: a big one keeps its own bytes."""
    from intake.understand.base64lines import MAX_MAIL_BYTES

    head = (b"From: Salma <salma@example.ma>\r\nMIME-Version: 1.0\r\nContent-Type: application/pdf\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n")
    small = head + _base64_lines(bytes(1000), 76, b"\r\n")
    big = head + _base64_lines(bytes(MAX_MAIL_BYTES * 3 // 4 + 1000), 76, b"\r\n")
    assert join_base64_lines(small) != small
    assert len(big) > MAX_MAIL_BYTES and join_base64_lines(big) is big
