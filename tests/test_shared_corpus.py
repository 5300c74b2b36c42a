"""Real-world mail from other projects' test suites: every file is taken in or refused by name.

Nothing is lost: each message ends as a dossier, unmatched, ignored or failed. A file that is
not a mail message at all is refused with the reason. Zammad's expected parses are compared
with ours (subject, sender, attachment names).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.app import open_app
from intake.config import load_settings
from intake.commands import ingest_paths
from intake.models import Message
from intake.understand.parse import parse
from tests.conftest import CORPUS, REPO, need_shared

NOT_MAIL_FOLDERS = {"expectations", "sample_documents", "tnefparse"}
NOT_MAIL_NAMES = {"README.md", "SOURCES.md", "SCAN.json", "COPYING", "LICENSE"}
# Files in mail folders that are not messages (each checked by hand):
KNOWN_NOT_MAIL = {
    "cpython_email_testdata/msg_19.txt",   # a list digest's body, no header at all
    "enmime/mail/erroneous.raw",           # "// Not an RFC-822 Document"
}
STATES = {"dossier", "unmatched", "ignored", "failed"}


def corpus_files() -> list[Path]:
    return [p for p in sorted(CORPUS.rglob("*")) if p.is_file()
            and not NOT_MAIL_FOLDERS & set(p.relative_to(CORPUS).parts) and p.name not in NOT_MAIL_NAMES]


ATTACHMENT_FOLDERS = {"files", "attachments", "tnef"}   # sample attachments beside the mails


def is_mail_folder_file(path: Path) -> bool:
    return not ATTACHMENT_FOLDERS & set(path.relative_to(CORPUS).parts)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    need_shared(CORPUS)
    from tests.conftest import fresh_pg_database
    import os

    url, drop = (fresh_pg_database() if os.environ.get("INTAKE_TEST_DB_URL", "").startswith("postgresql")
                 else (f"sqlite:///{tmp_path_factory.mktemp('db') / 'intake.db'}", lambda: None))
    data = tmp_path_factory.mktemp("data")
    app = open_app(load_settings(db=url, data_dir=str(data), rules=str(REPO / "rules"), env={}))
    files = corpus_files()
    result, _ = ingest_paths(app, files)
    with app.db.session() as session:
        states = dict(session.execute(select(Message.id, Message.state)).all())
    yield files, result, states
    app.close()
    drop()


def test_every_corpus_message_ends_in_exactly_one_known_place(corpus_run):
    files, result, states = corpus_run
    assert result.read > 1500
    for origin, message in result.taken:
        assert states[message] in STATES, f"{origin} is {states[message]}"


def test_every_corpus_file_is_taken_in_or_refused_by_name(corpus_run):
    files, result, _ = corpus_run
    taken = {origin.split("#")[0] for origin, _ in result.taken}
    refused = {r.origin.split("#")[0]: r.reason for r in result.refused}
    for path in files:
        assert str(path) in taken or str(path) in refused, f"{path} neither taken in nor refused"
    for origin, reason in refused.items():
        assert reason, origin


def test_only_files_that_are_not_mail_are_refused(corpus_run):
    files, result, _ = corpus_run
    refused = {str(Path(r.origin.split("#")[0]).relative_to(CORPUS)) for r in result.refused
               if is_mail_folder_file(Path(r.origin.split("#")[0]))}
    assert refused == KNOWN_NOT_MAIL


def test_outlook_msg_files_are_taken_in_as_messages(corpus_run):
    files, result, _ = corpus_run
    taken = {Path(origin).name for origin, _ in result.taken}
    assert {"mail_outlook_1", "fake_email.msg", "fake_email_attachment.msg", "simple_msg.msg"} <= taken


def test_no_corpus_message_fails_to_be_understood(corpus_run):
    _, _, states = corpus_run
    assert [m for m, state in states.items() if state == "failed"] == []


def _zammad_expectations():
    import yaml

    class RubyLoader(yaml.SafeLoader):
        pass

    RubyLoader.add_multi_constructor("!ruby/", lambda loader, suffix, node: loader.construct_mapping(node, deep=True))
    RubyLoader.add_constructor("!binary", lambda loader, node: loader.construct_scalar(node))
    for path in sorted((CORPUS / "expectations" / "zammad").glob("mail*.yml")):
        box = CORPUS / "zammad" / (path.stem + ".box")
        if box.exists():
            yield box, yaml.load(path.read_text(encoding="utf-8"), Loader=RubyLoader)


def _same_text(a: str | None, b: str | None) -> bool:
    squash = lambda s: re.sub(r"\s+", " ", s or "").strip()
    return squash(a) == squash(b)


def test_our_parse_agrees_with_zammads_expectations():
    need_shared(CORPUS)
    from intake.takein.files import read_paths

    totals = {"subject": 0, "sender": 0, "attachments": 0, "mails": 0}
    for box, expected in _zammad_expectations():
        mail = next(read_paths([box]))
        parsed = parse(mail.data)
        totals["mails"] += 1
        totals["subject"] += _same_text(parsed.subject, str(expected.get("subject") or ""))
        totals["sender"] += (parsed.sender or "") == str(expected.get("from_email") or "").lower()
        theirs = sorted(a.get("filename", "") for a in expected.get("attachments") or []
                        if a.get("filename") not in ("message.html", None))
        ours = sorted(a.filename for a in parsed.attachments if not a.filename.startswith("piece-jointe-"))
        totals["attachments"] += theirs == ours
    n = totals["mails"]
    print(f"\nZammad agreement on {n} mails: subject {totals['subject']}/{n}, "
          f"sender {totals['sender']}/{n}, attachment names {totals['attachments']}/{n}")
    assert n >= 100
    assert totals["subject"] >= 0.9 * n and totals["sender"] >= 0.9 * n and totals["attachments"] >= 0.75 * n
