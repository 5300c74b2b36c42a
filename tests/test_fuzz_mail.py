"""Fuzzing: real mails, mutated the way broken and hostile mail is, never make intake fail.

Seeds are the application mails of tests/mails and the real-world shared corpus (read in
place). Hypothesis mutates their headers (removed, doubled, overlong, control characters,
encoded words), their MIME structure (boundaries lost or renamed, parts doubled, nested,
content types swapped), their encodings (charsets, transfer encodings, raw 8-bit bytes) and
their sizes (lines repeated, long runs, truncation). Properties:

- parsing never raises, whatever the bytes;
- take-in then understanding raise nothing, and every message ends in exactly one place
  (a dossier, unmatched, ignored, or failed), none left pending;
- no message fails: a mutated mail is read within its budget like any other.

The run is time-boxed by the Hypothesis profile: "ci" under CI=true (a few minutes), "dev"
otherwise, "long" on demand (HYPOTHESIS_PROFILE=long; see docs/robustness.md).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from intake.app import open_app
from intake.config import load_settings
from intake.models import Dossier, Message, MessageState
from intake.takein.record import Arrival, take_in_batch
from intake.understand import understand
from intake.understand.parse import parse
from tests.conftest import CORPUS, IN_CI, REPO, fresh_pg_database

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if IN_CI else "dev")
# (examples of parsing alone, examples through take-in and understanding) per profile
EXAMPLES = {"dev": (100, 20), "ci": (300, 40), "long": (20_000, 3_000)}[PROFILE]
# The PostgreSQL pass of the suite runs fewer of them: parsing does not touch the database,
# and the SQLite pass has run the full profile.
ON_POSTGRESQL = os.environ.get("INTAKE_TEST_DB_URL", "").startswith("postgresql")
if ON_POSTGRESQL and PROFILE != "long":
    EXAMPLES = (EXAMPLES[0] // 10, EXAMPLES[1] // 2)
for name in ("dev", "ci", "long"):
    settings.register_profile(name, deadline=None, derandomize=False, print_blob=True,
                              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                     HealthCheck.function_scoped_fixture])
settings.load_profile(PROFILE)

OWN = sorted((REPO / "tests" / "mails").glob("*.eml"))
MAX_SEED_BYTES = 300_000
MAX_MAIL_BYTES = 25_000_000   # what mail servers accept (Gmail: 25 MB)
ENDS = {MessageState.DOSSIER, MessageState.UNMATCHED, MessageState.IGNORED, MessageState.FAILED}


def corpus_seeds() -> list[Path]:
    if not CORPUS.exists():
        return []
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix in (".eml", ".txt", ".raw")
                  and "expectations" not in p.parts and p.stat().st_size <= MAX_SEED_BYTES)


SEEDS = OWN + corpus_seeds()

# --- mutations -----------------------------------------------------------------------------

NASTY = st.sampled_from(["\x1b[2J", "\u202e", "\x00", "\r", "=?utf-8?b?", "=?x-unknown?q?a?=", "\xff",
                         "\ufffd", "<", ">", '"', "\\", ";", ":", "@", "--", "\t", "(", ")", ",",
                         "=?utf-8?q?=E9?=", "\u0627\u0644\u0633\u064a\u0631\u0629"])
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=20)), max_size=12).map("".join)
HEADERS = ["From", "To", "Cc", "Subject", "Date", "Message-ID", "Content-Type",
           "Content-Transfer-Encoding", "Content-Disposition", "MIME-Version", "Received",
           "Reply-To", "Sender", "Return-Path", "Auto-Submitted", "In-Reply-To"]
TYPES = ["multipart/mixed", "multipart/alternative", "multipart/report", "message/rfc822",
         "text/html", "text/plain", "application/pdf", "application/zip", "application/ms-tnef",
         "application/octet-stream", "multipart/mixed; boundary=", "text/plain; charset=x-mystery",
         "text/plain; charset=utf-16", "text/html; charset=iso-2022-jp", "multipart/related; boundary=\"\""]


def split(raw: bytes) -> tuple[list[bytes], bytes]:
    """Header lines (folded lines kept apart) and the body."""
    cut = raw.find(b"\n\n")
    if cut < 0:
        return raw.split(b"\n"), b""
    return raw[:cut].split(b"\n"), raw[cut + 2:]


def join(headers: list[bytes], body: bytes) -> bytes:
    return b"\n".join(headers) + b"\n\n" + body


@st.composite
def header_mutation(draw, raw: bytes) -> bytes:
    headers, body = split(raw)
    action = draw(st.sampled_from(["drop", "double", "replace", "long", "add", "unfold"]))
    index = draw(st.integers(0, max(len(headers) - 1, 0)))
    if action == "drop" and headers:
        del headers[index]
    elif action == "double" and headers:
        headers.insert(index, headers[index])
    elif action in ("replace", "add"):
        name = draw(st.sampled_from(HEADERS))
        value = draw(st.one_of(TEXT, st.sampled_from(TYPES)))
        line = f"{name}: {value}".encode("utf-8", "surrogateescape")
        if action == "add" or not headers:
            headers.insert(index, line)
        else:
            headers[index] = line
    elif action == "long":
        name = draw(st.sampled_from(HEADERS))
        run = draw(st.sampled_from([" ", "a", "a.", "=?", "<", "(", "\t", "re: ", "-0000 "]))
        headers.insert(index, f"{name}: ".encode() + run.encode() * draw(st.integers(1, 40_000)))
    elif action == "unfold" and headers:
        headers[index] = headers[index].lstrip()
    return join(headers, body)


@st.composite
def structure_mutation(draw, raw: bytes) -> bytes:
    action = draw(st.sampled_from(["boundary", "truncate", "double_part", "nest", "type"]))
    if action == "boundary":
        found = re.findall(rb'boundary="?([^";\s]+)', raw)
        if found:
            old = draw(st.sampled_from(found))
            new = draw(st.sampled_from([b"", b"x", old[:-1], old + b"--", b"-" * 70]))
            return raw.replace(b"boundary=\"" + old, b"boundary=\"" + new, 1).replace(b"boundary=" + old, b"boundary=" + new, 1)
        return raw
    if action == "truncate":
        return raw[:draw(st.integers(0, len(raw)))]
    if action == "double_part":
        parts = re.split(rb"(\n--[^\n]+\n)", raw)
        if len(parts) > 3:
            i = draw(st.integers(1, len(parts) - 2))
            parts.insert(i, b"".join(parts[i:i + 2]))
        return b"".join(parts)
    if action == "nest":
        depth = draw(st.integers(1, 30))
        wrapped = raw
        for level in range(depth):
            wrapped = (b"From: a@example.ma\nSubject: Fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; "
                       b'boundary="n%d"\n\n--n%d\nContent-Type: message/rfc822\n\n' % (level, level)
                       + wrapped + b"\n--n%d--\n" % level)
        return wrapped
    headers, body = split(raw)
    kind = draw(st.sampled_from(TYPES)).encode()
    headers = [h for h in headers if not h.lower().startswith(b"content-type:")]
    headers.append(b"Content-Type: " + kind)
    return join(headers, body)


@st.composite
def encoding_mutation(draw, raw: bytes) -> bytes:
    action = draw(st.sampled_from(["bytes", "charset", "transfer", "encoded_word"]))
    if action == "bytes" and raw:
        data = bytearray(raw)
        for _ in range(draw(st.integers(1, 20))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if action == "charset":
        charset = draw(st.sampled_from([b"utf-7", b"x-mac-arabic", b"nonsense", b"utf-16",
                                        b"iso-8859-6", b"windows-1256", b"gb2312", b""]))
        return re.sub(rb"charset=\"?[\w-]+\"?", b"charset=" + charset, raw, count=draw(st.integers(0, 3)))
    if action == "transfer":
        cte = draw(st.sampled_from([b"base64", b"quoted-printable", b"x-uuencode", b"8bit", b"garbage"]))
        return re.sub(rb"(?im)^Content-Transfer-Encoding:[^\n]*", b"Content-Transfer-Encoding: " + cte, raw,
                      count=draw(st.integers(0, 3)))
    word = draw(st.sampled_from([b"=?utf-8?b?G1syShtdMDs=?=", b"=?utf-8?q?=E2=80=AE?=", b"=?", b"?=",
                                 b"=?iso-8859-6?b?x?=", b"=?utf-8?Q?" + b"=20" * 500 + b"?="]))
    return re.sub(rb"(?im)^(Subject|From):", lambda m: m.group(0) + b" " + word, raw, count=1)


@st.composite
def size_mutation(draw, raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    action = draw(st.sampled_from(["repeat", "run"]))
    if action == "repeat" and lines:   # a mail stays under MAX_MAIL_BYTES, as mail servers keep it
        lines[i:i + 1] = [lines[i]] * min(draw(st.integers(2, 3000)), MAX_MAIL_BYTES // 4 // (len(lines[i]) + 1) + 2)
    else:
        run = draw(st.sampled_from([b" ", b"\n", b"a", b"a.", b"> ", b"-", b"1 ", b"<!--", b"=\n"]))
        lines.insert(i, run * draw(st.integers(1, 60_000)))
    return b"\n".join(lines)


MUTATIONS = [header_mutation, structure_mutation, encoding_mutation, size_mutation]


@st.composite
def mutated_mail(draw) -> bytes:
    if not SEEDS:
        pytest.skip("no seed mails")
    raw = draw(st.sampled_from(SEEDS)).read_bytes().replace(b"\r\n", b"\n")
    for _ in range(draw(st.integers(1, 3))):
        raw = draw(draw(st.sampled_from(MUTATIONS))(raw))
    return raw[:MAX_MAIL_BYTES]


# --- properties ----------------------------------------------------------------------------

@settings(max_examples=EXAMPLES[0])
@given(mutated_mail())
def test_parsing_never_raises(raw):
    mail = parse(raw)
    assert isinstance(mail.subject, str) and isinstance(mail.body, str)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The suite's database: SQLite, or on the PostgreSQL pass a fresh PostgreSQL database."""
    folder = tmp_path_factory.mktemp("fuzz")
    url, drop = f"sqlite:///{folder / 'intake.db'}", None
    if ON_POSTGRESQL:
        url, drop = fresh_pg_database()
    application = open_app(load_settings(db=url, data_dir=str(folder / "data"),
                                         rules=str(REPO / "rules"), env={}))
    yield application
    application.close()
    if drop:
        drop()


@settings(max_examples=EXAMPLES[1])
@given(raw=mutated_mail(), n=st.integers(0, 10**9))
def test_every_mutated_mail_ends_in_exactly_one_place_within_its_budget(app, raw, n):
    from datetime import datetime, timezone

    with app.db.transaction() as session:
        taken = take_in_batch(session, app.store, [Arrival(raw, "omdp.direction.2@gmail.com",
                                                           datetime(2026, 4, 28, tzinfo=timezone.utc),
                                                           f"fuzz:{n}:{len(raw)}")])[0]
    understand(app)
    with app.db.session() as session:
        message = session.get(Message, taken.message_pk)
        assert message.state in ENDS, message.state
        assert message.state != MessageState.FAILED, message.error
        # (a mail whose Message-ID a mutation took away still makes a dossier: it is listed)
        listed = [d for d in session.scalars(select(Dossier))
                  if message.posting_id == d.posting_id and message.applicant == d.applicant]
        if message.state == MessageState.DOSSIER:
            assert len(listed) == 1 and message.posting_id
        else:
            assert message.posting_id is None and message.applicant is None


def test_the_shared_corpus_is_among_the_seeds():
    if not CORPUS.exists():
        from tests.conftest import need_shared
        need_shared(CORPUS)
    assert len(SEEDS) > len(OWN) + 500
