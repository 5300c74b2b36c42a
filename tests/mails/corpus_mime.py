"""Raw RFC 5322 messages the way Gmail, Outlook, iPhone and Thunderbird write them, reproducibly.

Message-IDs, MIME boundaries and attachment ids are derived from the case name with sha256, dates are
given by the case, so the same case always yields the same bytes.
"""
from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import charset as cs
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Los_Angeles")
PARIS = ZoneInfo("Europe/Paris")
B62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
MIME_TYPES = {
    "pdf": ("application", "pdf"),
    "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


@dataclass
class Mail:
    """One message as a client sends it and a server delivers it."""

    name: str                      # file stem, also the seed of ids and boundaries
    client: str                    # gmail | outlook | iphone | thunderbird
    sender: tuple[str, str]        # (display name, address)
    to: list[str]
    subject: str
    body: str
    received: datetime             # when the organisation's server got it (topmost Received:)
    cc: list[str] = field(default_factory=list)
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    delivered_to: str | None = None
    date: datetime | None = None   # the Date: header (the sender's clock), default a few seconds earlier
    server: str = "gmail"          # gmail | migdev : who runs the recipient's mailbox
    in_reply_to: str | None = None
    extra_headers: list[tuple[str, str]] = field(default_factory=list)
    message_id: str | None = None
    crlf: bool = False
    kind: str = "mail"             # mail | dsn (a delivery status notification)

    def token(self, purpose: str, n: int, alphabet: str = "0123456789abcdef") -> str:
        digest = hashlib.sha256(f"{self.name}/{purpose}".encode()).digest() * 4
        return "".join(alphabet[b % len(alphabet)] for b in digest[:n])

    @property
    def msgid(self) -> str:
        if self.message_id:
            return self.message_id
        if self.client == "outlook":
            return f"<DB9PR02MB7162{self.token('id', 20).upper()}@DB9PR02MB7162.eurprd02.prod.outlook.com>"
        if self.client == "iphone":
            u = self.token("id", 32).upper()
            return f"<{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}@{self.sender[1].split('@')[1].lower()}>"
        if self.client == "thunderbird":
            u = self.token("id", 32)
            return f"<{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}@{self.sender[1].split('@')[1].lower()}>"
        return f"<CA{self.token('id', 44, B62 + '+_')}@mail.gmail.com>"


# ---------------------------------------------------------------- header helpers


def encode_text(value: str, charset: str = "utf-8", q: bool = True) -> str:
    if value.isascii():
        return value
    c = cs.Charset(charset)
    c.header_encoding = cs.QP if q else cs.BASE64
    return Header(value, c, maxlinelen=76).encode().replace("?utf-8?", "?UTF-8?")


def address(name: str, addr: str, charset: str = "utf-8") -> str:
    if not name:
        return addr
    if name.isascii():
        return formataddr((name, addr))
    return f"{encode_text(name, charset)} <{addr}>"


def stamp(moment: datetime, zone) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a}, {local.day} {local:%b %Y %H:%M:%S %z} ({local.tzname()})"


def received_chain(m: Mail) -> list[str]:
    """Received: headers, topmost first, the topmost dated m.received exactly."""
    rcpt = m.delivered_to or m.to[0]
    hop = m.received - timedelta(seconds=1)
    sent = (m.date or m.received) if (m.date and m.date < m.received) else m.received - timedelta(seconds=2)
    sent = max(sent, m.received - timedelta(seconds=40))
    lines: list[str] = []
    if m.server == "gmail":
        lines.append(f"Received: by 2002:a05:7300:{m.token('r1', 4)}:b0:{m.token('r2', 3)}:{m.token('r3', 4)}:"
                     f"{m.token('r4', 4)} with SMTP id {m.token('r5', 14, 'abcdefghijklmnopqrstuvwxyz0123456789')};"
                     f"\n        {stamp(m.received, PACIFIC)}")
        origin = sender_host(m)
        lines.append(f"Received: from {origin[0]} ({origin[0]}. [{origin[1]}])\n        by mx.google.com with "
                     f"ESMTPS id {m.token('r6', 20, 'abcdefghijklmnopqrstuvwxyz0123456789')}\n        for <{rcpt}>\n"
                     f"        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);\n"
                     f"        {stamp(hop, PACIFIC)}")
    else:
        lines.append(f"Received: from localhost (localhost [127.0.0.1])\n        by zimbra.migdev.org (Postfix) "
                     f"with ESMTP id 4B{m.token('z1', 10, 'ABCDEFGHJKLMNPQRSTVWXYZ0123456789')}\n        for <{rcpt}>;"
                     f" {stamp(m.received, PARIS)}")
        origin = sender_host(m)
        lines.append(f"Received: from {origin[0]} ({origin[0]} [{origin[1]}])\n        by mx1.migdev.org (Postfix) "
                     f"with ESMTPS id 4B{m.token('z2', 10, 'ABCDEFGHJKLMNPQRSTVWXYZ0123456789')};\n"
                     f"        {stamp(hop, PARIS)}")
    if m.client == "outlook":
        lines.append(f"Received: from DB9PR02MB7162.eurprd02.prod.outlook.com\n        ([fe80::{m.token('o1', 4)}:"
                     f"{m.token('o2', 4)}:{m.token('o3', 4)}:{m.token('o4', 4)}]) by DB9PR02MB7162.eurprd02.prod."
                     f"outlook.com\n        ([fe80::{m.token('o1', 4)}%5]) with mapi id 15.20.7452.049; "
                     f"{format_datetime(sent.astimezone(timezone.utc)).replace('-0000', '+0000')}")
    else:
        lines.append(f"Received: by {sender_host(m)[0]} with SMTP id {m.token('s1', 24, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
                     f"\n        for <{rcpt}>; {stamp(sent, PACIFIC)}")
    return lines


def sender_host(m: Mail) -> tuple[str, str]:
    if m.client == "outlook":
        return ("EUR02-DB5-obe.outbound.protection.outlook.com", f"40.92.{int(m.token('ip', 2), 16) % 250}.21")
    domain = m.sender[1].split("@")[1].lower()
    if domain in ("gmail.com", "googlemail.com"):
        return (f"mail-wr1-f{40 + int(m.token('ip', 2), 16) % 30}.google.com",
                f"209.85.221.{40 + int(m.token('ip', 2), 16) % 30}")
    return (f"smtp.{domain}", f"196.200.{int(m.token('ip', 2), 16) % 200}.{int(m.token('ip2', 2), 16) % 250}")


# ---------------------------------------------------------------- bodies


def to_html(text: str) -> str:
    paragraphs = [html.escape(p).replace("\n", "<br>") for p in text.split("\n\n")]
    return "<div dir=\"ltr\">" + "".join(f"<div>{p}</div><div><br></div>" for p in paragraphs) + "</div>\n"


def text_part(text: str, subtype: str, charset: str) -> MIMEText:
    c = cs.Charset(charset)
    c.body_encoding = cs.QP
    return MIMEText(text, subtype, c)


def attachment(m: Mail, index: int, filename: str, data: bytes) -> MIMEApplication:
    maintype, subtype = MIME_TYPES[filename.rsplit(".", 1)[1].lower()]
    part = MIMEApplication(data, subtype)
    rfc2231 = m.client in ("iphone", "thunderbird")
    if filename.isascii():
        part.set_param("name", filename)
        part.add_header("Content-Disposition", "attachment", filename=filename)
    elif rfc2231:
        part.set_param("name", ("utf-8", "", filename))
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
    else:   # what Gmail and Outlook do: an RFC 2047 word inside the quoted parameter
        encoded = encode_text(filename, q=False)
        part.set_param("name", encoded)
        part.add_header("Content-Disposition", "attachment", filename=encoded)
    if m.client == "gmail":
        att_id = f"f_{m.token(f'att{index}', 9, 'abcdefghijklmnopqrstuvwxyz0123456789')}{index}"
        part.add_header("Content-ID", f"<{att_id}>")
        part.add_header("X-Attachment-Id", att_id)
    if m.client == "outlook":
        part.add_header("Content-Description", encode_text(filename))
    return part


def dsn_tree(m: Mail) -> MIMEMultipart:
    failed = "meryem.bouzidi@gmial.com"
    report = MIMEMultipart("report", boundary=boundary(m, "report"), report_type="delivery-status")
    report.attach(text_part(
        f"\n** Message non distribué **\n\nVotre message n'a pas pu être distribué à {failed}, car le domaine "
        "gmial.com est introuvable. Vérifiez qu'il ne comporte pas de fautes de frappe ou d'espaces inutiles, "
        "puis réessayez.\n\nLa réponse du serveur distant était :\nDNS Error: DNS type 'mx' lookup of gmial.com "
        "responded with code NXDOMAIN\n", "plain", "utf-8"))
    status = MIMEText("", "delivery-status")
    status.set_payload(f"Reporting-MTA: dns; googlemail.com\nReceived-From-MTA: dns; {m.to[0]}\n"
                       f"Arrival-Date: {format_datetime(m.received - timedelta(seconds=2))}\n\n"
                       f"Final-Recipient: rfc822; {failed}\nAction: failed\nStatus: 5.1.2\n"
                       f"Diagnostic-Code: smtp; DNS type 'mx' lookup of gmial.com responded with code NXDOMAIN\n"
                       f"Last-Attempt-Date: {format_datetime(m.received)}\n")
    del status["Content-Transfer-Encoding"]
    headers = MIMEText("", "rfc822-headers")
    headers.set_payload(f"From: Observatoire Marocain des Prisons <{m.to[0]}>\nTo: {failed}\n"
                        "Subject: RE: Candidature_charge(e) de projet_OMP\n"
                        f"Date: {format_datetime(m.received - timedelta(seconds=3))}\n"
                        "Message-ID: <CAOMPreply0001x7Fq2w9Zb@mail.gmail.com>\n")
    del headers["Content-Transfer-Encoding"]
    for part in (status, headers):
        del part["MIME-Version"]
        report.attach(part)
    return report


def body_tree(m: Mail):
    if m.kind == "dsn":
        return dsn_tree(m)
    charset = "iso-8859-1" if m.client == "outlook" and _latin1(m.body) else "utf-8"
    plain = text_part(m.body, "plain", charset)
    if m.client == "thunderbird":
        plain.set_param("format", "flowed")
    if m.client in ("iphone", "thunderbird"):
        alt = plain
    else:
        alt = MIMEMultipart("alternative", boundary=boundary(m, "alt"))
        alt.attach(plain)
        alt.attach(text_part(to_html(m.body), "html", charset))
        del alt["MIME-Version"]
    if not m.attachments:
        return alt
    mixed = MIMEMultipart("mixed", boundary=boundary(m, "mixed"))
    mixed.attach(alt)
    for i, (filename, data) in enumerate(m.attachments):
        mixed.attach(attachment(m, i, filename, data))
    if m.client == "iphone":
        mixed.attach(text_part("\n\nEnvoyé de mon iPhone\n", "plain", "utf-8"))
    return mixed


def _latin1(text: str) -> bool:
    try:
        text.encode("iso-8859-1")
        return True
    except UnicodeEncodeError:
        return False


def boundary(m: Mail, purpose: str) -> str:
    if m.client == "outlook":
        code = "000" if purpose == "alt" else "004"
        return f"_{code}_DB9PR02MB7162{m.token('b', 20).upper()}_"
    if m.client == "iphone":
        u = m.token("b" + purpose, 32).upper()
        return f"Apple-Mail-{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:]}"
    if m.client == "thunderbird":
        return "------------" + m.token("b" + purpose, 24, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    return "000000000000" + m.token("b" + purpose, 16)


# ---------------------------------------------------------------- the whole message


def render(m: Mail) -> bytes:
    headers: list[str] = []
    if m.server == "migdev":
        headers.append(f"Return-Path: <{m.sender[1]}>")
    if m.delivered_to:
        headers.append(f"Delivered-To: {m.delivered_to}")
    headers += received_chain(m)
    if m.server == "gmail":
        headers.append(f"Return-Path: <{m.sender[1]}>")
        headers.append(f"Received-SPF: pass (google.com: domain of {m.sender[1]} designates "
                       f"{sender_host(m)[1]} as permitted sender) client-ip={sender_host(m)[1]};")
        headers.append(f"Authentication-Results: mx.google.com;\n       spf=pass smtp.mailfrom={m.sender[1]};\n"
                       f"       dmarc=pass (p=NONE sp=QUARANTINE dis=NONE) header.from={m.sender[1].split('@')[1]}")
    headers += [f"{k}: {v}" for k, v in m.extra_headers]
    date = m.date or (m.received - timedelta(seconds=3))
    sender = address(*m.sender)
    subject = encode_text(m.subject, "iso-8859-1" if m.client == "outlook" and _latin1(m.subject) else "utf-8",
                          q=m.client != "iphone")
    fields = {"From": sender, "To": ", ".join(m.to), "Cc": ", ".join(m.cc), "Subject": subject,
              "Date": format_datetime(date), "Message-ID": m.msgid,
              "In-Reply-To": m.in_reply_to or "", "References": m.in_reply_to or ""}
    order = {
        "gmail": ["MIME-Version: 1.0", "References", "In-Reply-To", "From", "Date", "Message-ID", "Subject", "To", "Cc"],
        "outlook": ["From", "To", "Cc", "Subject", "Thread-Topic: " + subject,
                    f"Thread-Index: AQHa{m.token('ti', 22, B62)}==", "Date", "Message-ID", "References",
                    "In-Reply-To", "Accept-Language: fr-FR, en-US", "Content-Language: fr-FR",
                    "X-MS-Has-Attach: " + ("yes" if m.attachments else ""), "X-MS-TNEF-Correlator:",
                    "MIME-Version: 1.0"],
        "iphone": ["From", "Mime-Version: 1.0 (1.0)", "Subject", "Date", "References", "In-Reply-To", "Cc", "To",
                   "Message-ID", "X-Mailer: iPhone Mail (21E236)"],
        "thunderbird": ["Message-ID", "Date", "MIME-Version: 1.0", "User-Agent: Mozilla Thunderbird",
                        "Content-Language: fr", "To", "Cc", "References", "In-Reply-To", "From", "Subject"],
    }[m.client]
    for item in order:
        if ":" in item:
            headers.append(item)
        elif fields[item]:
            headers.append(f"{item}: {fields[item]}")
    tree = body_tree(m)
    for part in tree.walk():
        del part["MIME-Version"]
    raw = ("\n".join(headers) + "\n").encode("ascii") + tree.as_bytes()
    if m.crlf:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return raw
