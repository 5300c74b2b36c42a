"""The sender a message is filed under is an address someone can answer: never longer than
RFC 5321 allows (a header of garbage is no address), and the display name bounded, so that no
sender can fail a message on a database that checks column lengths (PostgreSQL)."""
from __future__ import annotations

from intake.understand.parse import MAX_ADDRESS, MAX_NAME, parse


def mail(*headers: str) -> bytes:
    return ("\r\n".join([*headers, "Subject: Candidature", "Message-ID: <p@example.ma>", "",
                         "Bonjour", ""])).encode()


def test_a_from_longer_than_any_address_is_no_sender_and_the_sender_header_is_used():
    huge = "x" * 400 + "@example.ma"
    parsed = parse(mail(f"From: {huge}", "Sender: salma@example.ma"))
    assert parsed.sender == "salma@example.ma"


def test_with_nothing_else_it_has_no_sender():
    parsed = parse(mail(f"From: Salma <{'y' * 300}@example.ma>"))
    assert parsed.sender is None


def test_a_display_name_is_bounded():
    parsed = parse(mail(f'From: "{"Salma " * 200}" <salma@example.ma>'))
    assert parsed.sender == "salma@example.ma" and len(parsed.sender_name) <= MAX_NAME
    assert MAX_ADDRESS <= 320
