"""Understanding a message, stage by stage. Read this file first.

    parse -> screen -> route -> unpack -> read -> classify

Each stage takes the Context and fills in its part; a stage that decides the message's fate
(ignored, unmatched) ends the run early. Any exception quarantines that one message as failed,
with its error; `intake reprocess --failed` tries again. Take-in (takein.py) happened before:
the raw bytes are safe whatever happens here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .classify import Finding, classify_body, classify_document
from .extract import Attachment, DocumentText, unpack
from .parse import ParsedMail, parse
from .route import mailboxes_of, route
from .rules import Posting, RuleSet
from .screen import screen

# Images this small are logos and signatures, not an applicant's document.
SIGNATURE_IMAGE_BYTES = 30_000
# A dossier is a handful of files; a mail with hundreds is read only this far (and says so).
MAX_FILES_READ = 40


@dataclass
class FileRead:
    attachment: Attachment
    text: DocumentText | None = None
    findings: list[Finding] = field(default_factory=list)


@dataclass
class Context:
    raw: bytes
    received_at: datetime
    delivered_to: set[str]
    any_unknown_mailbox: bool
    rules: RuleSet
    own_addresses: set[str]
    read: Callable[[Attachment], DocumentText]
    stage: str = ""
    mail: ParsedMail | None = None
    outcome: str | None = None           # ignored | unmatched | dossier
    reason: str | None = None
    posting: Posting | None = None
    files: list[FileRead] = field(default_factory=list)
    body_findings: list[Finding] = field(default_factory=list)
    needs_review: list[tuple[str, str]] = field(default_factory=list)


def parse_stage(ctx: Context) -> None:
    ctx.mail = parse(ctx.raw)
    ctx.needs_review += ctx.mail.problems


def screen_stage(ctx: Context) -> None:
    if reason := screen(ctx.mail, ctx.own_addresses):
        ctx.outcome, ctx.reason = "ignored", reason


def route_stage(ctx: Context) -> None:
    if not ctx.mail.sender:
        ctx.outcome, ctx.reason = "unmatched", "pas d'adresse d'expéditeur : ne peut pas former un dossier"
        return
    boxes = mailboxes_of(ctx.mail, ctx.delivered_to, ctx.any_unknown_mailbox, ctx.rules)
    decision = route(ctx.mail, boxes, ctx.rules)
    if decision.posting is None:
        ctx.outcome, ctx.reason = "unmatched", decision.reason
    else:
        ctx.posting, ctx.reason = decision.posting, decision.reason


def unpack_stage(ctx: Context) -> None:
    attachments, problems = unpack(ctx.mail.attachments)
    ctx.needs_review += problems
    files = [FileRead(a) for a in attachments if not _signature_image(a)]
    if len(files) > MAX_FILES_READ:
        ctx.needs_review.append(("(message)", f"{len(files)} pièces jointes : seules les {MAX_FILES_READ} "
                                              "premières ont été lues ; ouvrir le message pour le reste"))
    ctx.files = files[:MAX_FILES_READ]


def read_stage(ctx: Context) -> None:
    for file in ctx.files:
        file.text = ctx.read(file.attachment)


def classify_stage(ctx: Context) -> None:
    vocab = ctx.posting.vocab
    for file in ctx.files:
        file.findings = classify_document(file.attachment.filename, file.text, vocab)
        problem = file.text.problem if file.text else None
        if problem:
            ctx.needs_review.append((file.attachment.filename, problem))
        elif not file.findings:
            ctx.needs_review.append((file.attachment.filename, "pièce non reconnue : à ouvrir et vérifier"))
    ctx.body_findings = classify_body(ctx.mail.body, vocab, cover_letter_in_body=ctx.posting.cover_letter_in_body)
    ctx.outcome = "dossier"


STAGES: tuple[tuple[str, Callable[[Context], None]], ...] = (
    ("parse", parse_stage),
    ("screen", screen_stage),
    ("route", route_stage),
    ("unpack", unpack_stage),
    ("read", read_stage),
    ("classify", classify_stage),
)


def understand(ctx: Context) -> Context:
    for name, stage in STAGES:
        if ctx.outcome is not None:
            break
        ctx.stage = name
        stage(ctx)
    return ctx


def _signature_image(attachment: Attachment) -> bool:
    ctype = (attachment.content_type or "").lower()
    return ctype.startswith("image/") and len(attachment.data) < SIGNATURE_IMAGE_BYTES
