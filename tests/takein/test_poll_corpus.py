"""The mail corpus (tests/mails) polled from IMAP gives the same dossiers as `intake ingest`.

Each message is put in the IMAP mailbox it would have reached: the one for its Delivered-To,
else one per posting address among its To and Cc (a copy in each, as a server delivers it),
else a mailbox of no posting; its INTERNALDATE is the time `intake ingest` reads from its
headers. Polling those mailboxes and ingesting the files must then give the same report.
"""

from __future__ import annotations

import datetime as dt
import os
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path

import pytest

from intake.app import open_app
from intake.config import load_settings
from intake.commands import ingest_paths, poll_once
from intake.reports.build import build_report
from intake.takein.files import RawMail, read_paths
from tests.support.dovecot import write_config

pytestmark = [pytest.mark.dovecot, pytest.mark.slow]

MAILS = Path(__file__).resolve().parents[1] / "mails"
OTHER = "autre-adresse@example.org"


def corpus() -> list[Path]:
    files = sorted(MAILS.glob("*.eml"))
    if not files:
        reason = f"{MAILS} holds no .eml files (the corpus of issue #2)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    return files


def destinations(mail: RawMail, posting_addresses: set[str]) -> set[str]:
    if mail.mailbox:
        return {mail.mailbox.lower()}
    headers = message_from_bytes(mail.data, policy=policy.compat32)
    named = {a.lower() for _, a in getaddresses(headers.get_all("To", []) + headers.get_all("Cc", []))}
    return (named & posting_addresses) or {OTHER}


def report_of(settings) -> dict:
    app = open_app(settings)
    try:
        with app.db.session() as session:
            return build_report(session, app.rules, data_dir=settings.data_dir,
                                report_timezone=settings.schedule.timezone)
    finally:
        app.close()


def seconds(stamp: str | None) -> str | None:
    """IMAP INTERNALDATE has whole seconds; a file's modification time may not."""
    return dt.datetime.fromisoformat(stamp).replace(microsecond=0).isoformat() if stamp else None


def places(report: dict) -> dict:
    """Where every message went, in terms that do not depend on how it was taken in."""
    dossiers = {   # row numbers (ids, message_pk, "body:<pk>" keys) depend on the order of take-in
        (p["id"], d["applicant"]): {**d, "first_received_at": seconds(d["first_received_at"]),
                                    "last_received_at": seconds(d["last_received_at"]),
                                    "message_ids": sorted(d["message_ids"]), "id": None,
                                    "documents": [{**doc, "message_pk": None, "key": doc[
                                                       "key"].split(":")[0]}
                                                  for doc in d["documents"]]}
        for p in report["postings"] for d in p["dossiers"]}
    return {"dossiers": dossiers,
            "unmatched": sorted(m["message_id"] or "" for m in report["unmatched"]),
            "ignored": sorted((m["message_id"] or "", m["reason"]) for m in report["ignored"]),
            "failed": sorted(m["message_id"] or "" for m in report["failed"])}


def test_the_corpus_polled_from_imap_gives_the_same_dossiers_as_ingest(
        dovecot, tmp_path, rules_dir, monkeypatch):
    files = corpus()
    by_ingest = load_settings(db=f"sqlite:///{tmp_path / 'ingest.db'}", rules=str(rules_dir),
                              data_dir=str(tmp_path / "ingest-data"), env={})
    app = open_app(by_ingest)
    try:
        ingest_paths(app, files)
        posting_addresses = app.rules.addresses
    finally:
        app.close()

    boxes: dict[str, object] = {}
    for mail in read_paths(files):
        if not isinstance(mail, RawMail):
            continue
        for address in sorted(destinations(mail, posting_addresses)):
            if address not in boxes:
                user = dovecot.add_user()
                boxes[address] = (user, dovecot.mailbox(user, monkeypatch=monkeypatch))
                boxes[address][1].address = address
            dovecot.append(boxes[address][0], "INBOX", mail.data, mail.received_at)
    config = write_config(tmp_path / "config.toml", [box for _, box in boxes.values()],
                          db_url=f"sqlite:///{tmp_path / 'poll.db'}",
                          data_dir=tmp_path / "poll-data", rules_dir=rules_dir)
    by_poll = load_settings(config=str(config), env={})
    poll_once(by_poll)

    polled, ingested = places(report_of(by_poll)), places(report_of(by_ingest))
    assert polled["dossiers"].keys() == ingested["dossiers"].keys()
    for key, dossier in ingested["dossiers"].items():
        assert polled["dossiers"][key] == dossier, key
    assert polled["unmatched"] == ingested["unmatched"]
    assert polled["ignored"] == ingested["ignored"]
    assert polled["failed"] == ingested["failed"]
    assert len(ingested["dossiers"]) > 0
