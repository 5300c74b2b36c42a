"""Outlook .msg files (dragged out of Outlook into a folder) are read as messages."""
from __future__ import annotations

from datetime import datetime, timezone

from intake.takein.headers import not_a_message
from intake.understand.parse import parse
from intake.takein.files import RawMail, read_paths
from intake.takein.outlook import is_outlook_message, msg_to_eml
from tests.conftest import CORPUS, need_shared


def test_a_msg_file_becomes_a_message_with_its_sender_subject_body_and_attachments():
    path = need_shared(CORPUS / "kreuzberg_email" / "fake_email_attachment.msg")
    data = path.read_bytes()
    assert is_outlook_message(data)
    mail = parse(msg_to_eml(data))
    assert (mail.subject, mail.sender) == ("Fake email with attachment", "mallori@unstructured.io")
    assert [a.filename for a in mail.attachments] == ["fake-attachment.txt"]
    assert mail.body.strip()


def test_its_transport_headers_keep_the_arrival_time_and_message_id():
    path = need_shared(CORPUS / "spamscope_mail-parser" / "mail_outlook_1")
    item = next(read_paths([path]))
    assert isinstance(item, RawMail) and not_a_message(item.data) is None
    assert item.received_at == datetime(2017, 9, 18, 10, 0, 28, tzinfo=timezone.utc)   # topmost Received
    assert item.source_key.startswith("sha256:")
    assert b"X-Intake-Converted-From: Outlook .msg" in item.data


def test_an_old_office_document_is_not_taken_for_a_message():
    path = need_shared(CORPUS / "zbateson_mail-mime-parser" / "files" / "test.doc")
    data = path.read_bytes()
    assert not is_outlook_message(data)
    assert "old Office document" in not_a_message(data)
