"""An acknowledgement's text (a Jinja2 template an admin may edit) and its mail headers.

Templates are looked up by name and language: first in the rules folder's templates/ folder
(the admin's), then in intake/mail_out/templates/ (the defaults). `NAME.fr.j2` is required;
`NAME.ar.j2` and `NAME.en.j2` are used when the applicant wrote in Arabic or English and they
exist, the French one otherwise. A template is plain text and sees the variables listed in
docs/acknowledgements.md; an unknown variable is an error that `intake rules check` reports.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..rules import Posting
from ..text import strip_prefixes
from ..understand.acknowledge import Told
from . import words

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
MAX_REFERENCES = 10
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,400}>")
SAMPLES = (  # what `intake rules check` renders each template with
    {"title": "Chargé(e) de projet", "organisation": "OMP", "posting_id": "exemple", "name": "Salma Bennani",
     "received": ["CV"], "missing": ["lettre de motivation", "2 références (reçu : 1 sur 3)"],
     "complete": False, "deadline": "4 mai 2026 à 16 h 00, heure du Maroc"},
    {"title": "Chargé(e) de projet", "organisation": "", "posting_id": "exemple", "name": "",
     "received": [], "missing": [], "complete": True, "deadline": ""},
)

_ENVIRONMENTS: dict[Path, jinja2.Environment] = {}


def environment(rules_dir: Path) -> jinja2.Environment:
    """Templates of the rules folder first, then the defaults; edits are seen at once."""
    rules_dir = Path(rules_dir)
    if rules_dir not in _ENVIRONMENTS:
        _ENVIRONMENTS[rules_dir] = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader([rules_dir / "templates", PACKAGE_TEMPLATES]),
            undefined=jinja2.StrictUndefined, autoescape=False, auto_reload=True,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return _ENVIRONMENTS[rules_dir]


def template_for(name: str, lang: str, rules_dir: Path) -> tuple[str, jinja2.Template]:
    """The template in `lang` when it exists, else the French one: (language, template)."""
    env = environment(rules_dir)
    try:
        return lang, env.get_template(f"{name}.{lang}.j2")
    except jinja2.TemplateNotFound:
        return "fr", env.get_template(f"{name}.fr.j2")


def context(posting: Posting, applicant_name: str | None, told: Told, lang: str) -> dict:
    labels = {piece: vocab.label for piece, vocab in posting.vocab.items()}
    return {
        "title": posting.title, "organisation": posting.organisation or "", "posting_id": posting.id,
        "name": applicant_name or "",
        "received": words.received_words(told.pieces, posting.required, labels, lang),
        "missing": words.missing_words(list(told.missing), told.pieces, posting.required, labels, lang),
        "complete": not told.missing,
        "deadline": words.deadline_words(posting.deadline, posting.timezone, lang),
    }


def render_body(posting: Posting, applicant_name: str | None, told: Told, lang: str) -> tuple[str, str]:
    """(language, text) of the acknowledgement; raises the template's error."""
    rules_dir = posting.path.parent if posting.path else PACKAGE_TEMPLATES
    lang, template = template_for(posting.acknowledge_template, lang, rules_dir)
    text = template.render(**context(posting, applicant_name, told, lang))
    return lang, text.strip() + "\n"


def check_templates(name: str, rules_dir: Path) -> list[tuple[Path | None, int, str]]:
    """Problems of a template set as (file or None for the rules file, line, message)."""
    env = environment(rules_dir)
    problems: list[tuple[Path | None, int, str]] = []
    for lang in words.LANGUAGES:
        try:
            template = env.get_template(f"{name}.{lang}.j2")
        except jinja2.TemplateNotFound:
            if lang == "fr":
                problems.append((None, 1, f"acknowledgement template '{name}' not found: write "
                                          f"{Path(rules_dir) / 'templates' / (name + '.fr.j2')} (the French one is "
                                          "required; .ar.j2 and .en.j2 are optional)"))
            continue
        except jinja2.TemplateSyntaxError as exc:
            problems.append((Path(exc.filename or name), exc.lineno or 1, f"template error: {exc.message}"))
            continue
        for sample in SAMPLES:
            try:
                template.render(**sample)
            except Exception as exc:  # noqa: BLE001 - any error of an admin's template is reported
                problems.append((Path(template.filename), _template_line(exc, template.filename),
                                 f"template error: {exc} (the variables are: {', '.join(SAMPLES[0])})"))
                break
    return problems


def _template_line(exc: BaseException, filename: str | None) -> int:
    line, tb = 1, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def subject(posting: Posting, applicant_subject: str) -> str:
    """'Re: ' and the subject the posting asks for (the applicant's own when it names none)."""
    base = posting.subjects[0] if posting.subjects else (strip_prefixes(applicant_subject) or posting.title)
    return f"Re: {' '.join(base.split())}"[:300]


def thread(message_id: str | None, references: str) -> tuple[str | None, str | None]:
    """(In-Reply-To, References) answering a message (RFC 5322 section 3.6.4)."""
    if not message_id or not _MESSAGE_ID.fullmatch(message_id.strip()):
        return None, None
    chain = [m for m in _MESSAGE_ID.findall(references or "") if m != message_id]
    return message_id.strip(), " ".join([*chain[-(MAX_REFERENCES - 1):], message_id.strip()])


def new_message_id(sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return make_msgid("accuse", domain=domain)


def build_message(mail, sender: str, now: datetime | None = None) -> EmailMessage:
    """The mail of an outbox row (`mail`: an OutboxMail), with the Message-ID it was given
    when it was written. One recipient, marked as an automatic reply (RFC 3834)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = mail.from_addr or sender
    msg["To"] = mail.to_addr
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(now or datetime.now(timezone.utc))
    msg["Message-ID"] = mail.message_id
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
        msg["References"] = mail.references or mail.in_reply_to
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"
    # 7-bit transfer encoding: any server takes it, no 8BITMIME needed
    msg.set_content(mail.body, cte="base64" if mail.language == "ar" else "quoted-printable")
    msg["Content-Language"] = mail.language   # after set_content, which clears Content-* fields
    return msg
