"""Build realistic mails in tests with the email package (real MIME, real attachments)."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone


def make_mail(*, sender="Salma Bennani <salma.bennani@example.ma>", to="omdp.direction.2@gmail.com",
              cc=None, subject="Candidature_chargé(e) de projet_OMP", body="Bonjour,\n\nVeuillez trouver ci-joint ma candidature.\n",
              received: datetime | None = None, date: datetime | None = None, delivered_to=None,
              attachments=(), headers=None, message_id=None) -> bytes:
    msg = EmailMessage()
    received = received or datetime(2026, 4, 28, 9, 12, tzinfo=timezone.utc)
    if delivered_to:
        msg["Delivered-To"] = delivered_to
    msg["Received"] = (f"by mx.google.com with SMTPS id abc123; {format_datetime(received)}")
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or received)
    msg["Message-ID"] = message_id or make_msgid(domain="mail.gmail.com")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, data, mime in attachments:
        maintype, subtype = mime.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()
