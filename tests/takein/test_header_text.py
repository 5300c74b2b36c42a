"""Header text in the charsets applicants' mail really uses, labelled or not."""
from __future__ import annotations

import pytest

from intake.takein.headertext import guess_text, header_text
from intake.understand.parse import parse


@pytest.mark.parametrize("text, charset", [
    ("ترشيح لمنصب مكلف بالمشروع", "cp1256"),          # old Outlook in Arabic
    ("Candidature chargée de projet – réf. OMP", "cp1252"),
    ("Réf : candidature", "cp1252"),
    ("转发：整体提升企业服务水平", "gb18030"),
    ("Привет мир", "cp1251"),
])
def test_unlabelled_8bit_bytes_are_read_in_the_likeliest_charset(text, charset):
    assert guess_text(text.encode(charset), None) == text


def test_an_encoded_word_labelled_gb2312_may_hold_gbk_characters():
    assert header_text("=?GB2312?B?g8iRqsGmrmHJ+tPr16LL3Lmk0tXM9bz+1q685LXEudjPtaO7?=").startswith("內應力產生")


def test_a_raw_arabic_subject_in_a_cp1256_mail():
    raw = ("From: =?utf-8?b?2LPZhNmF2Yk=?= <salma@example.ma>\nTo: omdp.direction@gmail.com\n"
           "Subject: ").encode() + "ترشيح لمنصب مكلف بالمشروع".encode("cp1256") + \
          b"\nContent-Type: text/plain; charset=windows-1256\n\n" + "السلام عليكم".encode("cp1256")
    mail = parse(raw)
    assert mail.subject == "ترشيح لمنصب مكلف بالمشروع"
    assert mail.sender_name == "سلمى"
    assert mail.body.strip() == "السلام عليكم"


def test_a_file_name_in_raw_utf8_bytes_keeps_its_arabic_letters():
    raw = ("From: salma@example.ma\nSubject: ترشيح\nMIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\n\n"
           "السلام عليكم\n--b\nContent-Type: application/pdf\n"
           'Content-Disposition: attachment; filename="السيرة الذاتية.pdf"\n'
           "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n").encode("utf-8")
    assert [a.filename for a in parse(raw).attachments] == ["السيرة الذاتية.pdf"]


def test_a_broken_encoded_word_in_a_display_name_is_kept_as_written():
    """Found by tests/test_fuzz_mail.py: bad base64 in an encoded word raised HeaderParseError."""
    mail = parse(b"From: =?iso-8859-6?b?x?= Salma <salma@example.ma>\nTo: a@example.ma\n"
                 b"Subject: =?utf-8?b?x?= Candidature\n\nBonjour\n")
    assert mail.sender == "salma@example.ma"
    assert "Salma" in mail.sender_name and "Candidature" in mail.subject
