"""Parsing is made faster without changing what a mail says.

The standard library's mail parser looks for the line end that closes each part with a
pattern it tries at every position of the part (`LineEndAtEnd` replaces that search by the same
search from the last two characters). These tests check the two searches agree on every kind of
string, and that every mail of the test collection and the shared corpus parses to the same
result either way.
"""
from __future__ import annotations

import dataclasses
import email.feedparser
import re
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from intake.understand import parse as parse_module
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


def _as_data(raw: bytes):
    try:
        return repr(dataclasses.asdict(parse(raw)))
    except Exception as exc:  # noqa: BLE001 - a mail that fails must fail the same way
        return f"{type(exc).__name__}: {exc}"


def _mails(folder: Path, limit: int = 2_000_000) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".eml", ".msg", "")
                  and p.stat().st_size <= limit)


@pytest.mark.parametrize("where", ["tests/mails", "shared corpus"])
def test_every_mail_parses_to_the_same_result_with_either_search(where, monkeypatch):
    folder = REPO / "tests" / "mails" if where == "tests/mails" else need_shared(CORPUS)
    mails = _mails(folder)
    assert len(mails) > 20
    faster = [_as_data(path.read_bytes()) for path in mails]
    monkeypatch.setattr(email.feedparser, "NLCRE_eol", ORIGINAL)
    assert parse_module.email.feedparser.NLCRE_eol is ORIGINAL
    slower = [_as_data(path.read_bytes()) for path in mails]
    differing = [str(path) for path, a, b in zip(mails, faster, slower) if a != b]
    assert not differing
