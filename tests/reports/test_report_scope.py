"""Who sees what: each person's report mail holds just their postings.

`[report] recipients` get every posting and the mail outside dossiers; a rules file's
`recipients` get that posting only, in the HTML, the text, the CSV and the XLSX alike; someone
listed on two postings gets one mail holding both. "New since the last report" is each
person's own. The mail corpus goes in through the real `intake ingest`, the mails out through
a real SMTP server.
"""
from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager

import pytest

from tests.conftest import fresh_pg_database
from tests.support.smtp import smtp_receiver
from tests.support.webdata import (DIRECTION, POSTING_IDS, SECRET, SECRET_ENV, Office,
                                   decoded_parts, rules_with_recipients, write_config)

ECPM, DIALOGUE = POSTING_IDS["ecpm"], POSTING_IDS["dialogue"]
JURY_ECPM = "jury.ecpm@omp.example"
JURY_BOTH = "jury.mixte@omp.example"


def open_office(folder, db_url, rx, *mails: str) -> Office:
    rules = rules_with_recipients(folder, {ECPM: [JURY_ECPM, "Jury.Mixte@omp.example"],
                                           DIALOGUE: [JURY_BOTH]})
    config = write_config(folder, rx.port, base_url="https://intake.example.org")
    office = Office(config, db_url, rules, folder / "data")
    office.ingest(*mails)
    office.rx = rx
    return office


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """The whole mail corpus ingested, then `intake report --send` once: (report, mails)."""
    folder = tmp_path_factory.mktemp("office")
    with temporary_database(folder) as db_url, secret(), smtp_receiver() as rx:
        office = open_office(folder, db_url, rx)
        assert office.intake("report", "--format", "json", "--output", str(folder / "r.json")) == 0
        assert office.intake("report", "--send") == 0
        yield json.loads((folder / "r.json").read_text()), mails_by_recipient(rx)


@contextmanager
def temporary_database(folder):
    if os.environ.get("INTAKE_TEST_DB_URL", "").startswith("postgresql"):
        url, drop = fresh_pg_database()
        try:
            yield url
        finally:
            drop()
    else:
        yield f"sqlite:///{folder / 'intake.db'}"


@contextmanager
def secret():
    os.environ[SECRET_ENV] = SECRET
    try:
        yield
    finally:
        os.environ.pop(SECRET_ENV, None)


def mails_by_recipient(rx) -> dict[str, dict[str, str]]:
    out = {}
    for envelope, msg in zip(rx.envelopes, rx.messages):
        assert len(envelope.rcpt_tos) == 1, "one mail per person"
        assert envelope.rcpt_tos[0] not in out, "one mail per person"
        out[envelope.rcpt_tos[0]] = decoded_parts(msg)
    return out


def people(data: dict, postings: set[str]) -> tuple[set[str], set[str]]:
    """Addresses and names of the applicants of these postings."""
    dossiers = [d for p in data["postings"] if p["id"] in postings for d in p["dossiers"]]
    return ({d["applicant"].lower() for d in dossiers},
            {d["name"] for d in dossiers if d["name"]})


def test_each_person_gets_one_mail_holding_only_their_postings_in_every_part(sent):
    data, mails = sent
    assert set(mails) == {DIRECTION, JURY_ECPM, JURY_BOTH}
    outside = {m["from"].lower() for m in data["unmatched"] + data["ignored"]
               if m["from"] and m["reason"] != "own-mail"}   # the organisation's own: not data
    every = {p["id"] for p in data["postings"]}
    for who, own in ((JURY_ECPM, {ECPM}), (JURY_BOTH, {ECPM, DIALOGUE})):
        own_addresses, own_names = people(data, own)
        other_addresses, other_names = people(data, every - own)
        foreign = (other_addresses | outside) - own_addresses
        foreign_names = other_names - own_names
        assert len(foreign) > 20 and len(foreign_names) > 10, "the test has something to find"
        for part, text in mails[who].items():
            lowered = text.lower()
            leaked = [a for a in foreign if a in lowered] + [n for n in foreign_names if n in text]
            assert not leaked, f"{who}, {part}: {leaked[:5]}"
            for address in own_addresses:   # and what they should see is there
                assert address in lowered, f"{who}, {part} lacks {address}"
        for part in ("text", "html"):
            assert "offres dont vous êtes destinataire" in " ".join(mails[who][part].split())
    direction = mails[DIRECTION]
    for address in people(data, every)[0] | {data["unmatched"][0]["from"].lower()}:
        assert address in direction["text"].lower()
    assert "MESSAGES SANS OFFRE" in direction["text"]


def test_a_person_listed_on_two_postings_sees_both_titles_and_nothing_else(sent):
    sheets = sent[1][JURY_BOTH]
    xlsx = next(text for name, text in sheets.items() if name.endswith(".xlsx"))
    titles = {line.split("\t")[0] for line in xlsx.splitlines()}
    assert titles == {"Synthèse", ECPM, DIALOGUE, "Hors dossiers"}
    others = [line for line in xlsx.splitlines() if line.startswith("Hors dossiers\t")]
    assert len(others) == 1, "only the header row: no mail outside dossiers for a jury member"


def new_count(text: str, posting_id: str) -> int:
    block = text.split(f"réf. {posting_id}")[1].split("=" * 80)[0]
    if "Rien de nouveau depuis le dernier rapport." in block:
        return 0
    return int(re.search(r"Nouveau depuis le dernier rapport \((\d+)\)", block).group(1))


def test_new_since_the_last_report_is_each_persons_own(tmp_path, db_url, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with smtp_receiver() as rx:
        office = open_office(tmp_path, db_url, rx, "a01-complete.eml", "a04-only-cv-document1.eml",
                             "b01-complete.eml", "b05-missing-letter.eml")
        run_twice(office)


def run_twice(office) -> None:
    counts = {ECPM: 2, DIALOGUE: 2}
    assert office.intake("report", "--posting", DIALOGUE, "--send") == 0
    first = mails_by_recipient(office.rx)
    assert set(first) == {DIRECTION, JURY_BOTH}, "the ECPM jury does not see this posting"
    office.rx.envelopes.clear()
    assert office.intake("report", "--send") == 0
    second = mails_by_recipient(office.rx)
    assert new_count(second[DIRECTION]["text"], DIALOGUE) == 0
    assert new_count(second[DIRECTION]["text"], ECPM) == counts[ECPM], "never mailed: all new"
    assert new_count(second[JURY_BOTH]["text"], DIALOGUE) == 0
    assert new_count(second[JURY_ECPM]["text"], ECPM) == counts[ECPM]


def test_the_links_of_each_mail_sign_in_its_own_recipient_only(sent):
    from intake.web.links import read_token

    for who, parts in sent[1].items():
        tokens = set(re.findall(r"jeton=([\w.\-]+)", parts["text"] + parts["html"]))
        assert tokens, who
        assert {read_token(SECRET, t, 3600) for t in tokens} == {who}
        for name, text in parts.items():
            if name.endswith((".csv", ".xlsx")):
                assert "jeton=" not in text and "https://intake.example.org/dossiers/" in text
