"""Understanding, stage by stage. Read this file first.

    parse -> screen -> route -> unpack -> read -> classify -> record -> dossiers -> acknowledgements

A batch of messages taken in goes through the stages in this order. Each stage takes the Batch
and returns it. Most stages work on each message alone (`each`); `parse` gives the batch's
mails to bounded parser processes side by side, `read` hands every document of the batch to
the reader pool at once (where each is also classified), `dossiers` re-evaluates each dossier the batch touched
once, and `acknowledgements` writes what an applicant is to be told to the outbox, in the same
transaction (sent later, by intake/mail_out/send.py). A message whose outcome is decided early (ignored, unmatched) skips the stages that no
longer concern it; one whose stage raises, or runs past its time budget, is quarantined as
failed with the stage and the error (shown in the report, retried by `intake reprocess
--failed`); the other messages go on. Take-in (intake/takein/) happened before: the raw bytes
are safe whatever happens here.
"""
from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ..bounded import BudgetExceeded, Stopped
from ..errors import environment_failure
from ..db import store_guard
from ..extract import Attachment, DocumentText, unpack
from ..mail_out import outbox
from ..models import Decision, Message, MessageState, utcnow
from ..rules import Posting, RuleSet
from ..takein.store import Store
from . import decisions, dossiers
from .classify import Finding, classify_body, classify_document
from .forwards import Original, original_of
from .links import review_items
from .parse import ParsedMail, parse_file
from .record import record_outcomes
from .route import mailboxes_of, route
from .screen import OWN_MAIL, screen
from .textcache import read_documents

# Images this small are logos and signatures, not an applicant's document.
SIGNATURE_IMAGE_BYTES = 30_000
# A dossier is a handful of files; a mail with hundreds is read only this far (and says so).
MAX_FILES_READ = 40
# Time one message may take in the stages outside the bounded document readers.
MESSAGE_BUDGET_SECONDS = 60.0


@dataclass
class FileRead:
    attachment: Attachment
    text: DocumentText | None = None
    findings: list[Finding] | None = None   # None until classified
    stored: tuple[str, str] | None = None   # (sha256, path in the store) once written


@dataclass
class Context:
    """One message on its way through the stages."""

    message: Message
    received_at: datetime
    delivered_to: set[str]
    any_unknown_mailbox: bool
    stage: str = ""
    spent: float = 0.0                   # seconds spent on this message so far
    mail: ParsedMail | None = None
    outcome: str | None = None           # a MessageState once decided
    reason: str | None = None
    forwarded_by: str | None = None      # the colleague who forwarded the applicant's mail
    error: str | None = None             # set when a stage failed: the message is quarantined
    posting: Posting | None = None
    files: list[FileRead] = field(default_factory=list)
    body_findings: list[Finding] = field(default_factory=list)
    needs_review: list[tuple[str, str]] = field(default_factory=list)

    @property
    def in_progress(self) -> bool:
        return self.outcome is None and self.error is None


@dataclass
class Batch:
    """Messages understood together, and what every stage shares."""

    session: Session
    store: Store
    rules: RuleSet
    own_addresses: set[str]
    contexts: list[Context]
    dossiers_touched: set[tuple[str, str]] = field(default_factory=set)
    # each stored mail parsed, by its file's path: for each, a callable giving its ParsedMail
    # or raising why not; understand() gives the bounded child processes, side by side (loop.py)
    parse_many: Callable[[list[str]], list[Callable[[], ParsedMail]]] = (
        lambda paths: [functools.partial(parse_file, path) for path in paths])
    # mails parsed before the batch began (loop.py), by stored file: (answer, seconds)
    parsed: dict[str, tuple[Callable[[], ParsedMail], float]] = field(default_factory=dict)
    stop: threading.Event | None = None            # set: stop after the message in hand
    sender: str = "intake@localhost"      # [smtp] sender: acknowledgements come from it
    _assignments: dict[int, list[Decision]] | None = None

    def assignments(self) -> dict[int, list[Decision]]:
        """Recruiters' assignments of the batch's messages, read once (decisions.py)."""
        if self._assignments is None:
            self._assignments = decisions.for_messages(self.session, [c.message.id for c in self.contexts])
        return self._assignments

    def check_stop(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Stopped("stopping: the batch in hand is rolled back, its messages stay pending")


Stage = Callable[[Batch], Batch]


def each(step: Callable[[Context, Batch], None]) -> Stage:
    """A stage that works on each message still in progress, on its own: an exception or a
    spent budget fails that message only."""
    def stage(batch: Batch) -> Batch:
        for ctx in batch.contexts:
            if ctx.in_progress:
                batch.check_stop()
                run_step(ctx, name, lambda: step(ctx, batch))
        return batch
    name = step.__name__.removesuffix("_stage")
    stage.__name__ = name
    return stage


def run_step(ctx: Context, name: str, work: Callable[[], None]) -> None:
    ctx.stage = name
    started = time.monotonic()
    try:
        work()
    except Stopped:
        raise
    except BudgetExceeded as exc:
        ctx.error = (f"{name}: BudgetExceeded: {exc}; set aside (intake reprocess --failed "
                     "tries again)")
    except Exception as exc:  # quarantine: this message only, never the batch
        if environment_failure(exc):
            raise   # a full disk or a database gone: no message is to blame
        ctx.stage = getattr(exc, "stage", name)   # a stored file that cannot be read: "load"
        ctx.error = f"{ctx.stage}: {type(exc).__name__}: {exc}"[:4000]
    ctx.spent += time.monotonic() - started
    if ctx.error is None and ctx.spent > MESSAGE_BUDGET_SECONDS:
        ctx.error = (f"{name}: BudgetExceeded: understanding this message took over "
                     f"{MESSAGE_BUDGET_SECONDS:.0f} s; set aside (intake reprocess --failed tries again)")


def parse_stage(batch: Batch) -> Batch:
    """Every message parsed at once, side by side, each within its budget (loop.py), but for
    those parsed before the batch began."""
    todo = [ctx for ctx in batch.contexts if ctx.in_progress]
    ready = {id(ctx): batch.parsed.pop(ctx.message.stored_as) for ctx in todo
             if ctx.message.stored_as in batch.parsed}   # popped: one parse is one mail's
    fresh = [ctx for ctx in todo if id(ctx) not in ready]
    batch.check_stop()
    started = time.monotonic()
    answers = batch.parse_many([str(batch.store.path(ctx.message.stored_as)) for ctx in fresh])
    share = (time.monotonic() - started) / max(len(fresh), 1)
    ready |= {id(ctx): (answer, share) for ctx, answer in zip(fresh, answers)}
    for ctx in todo:
        answer, seconds = ready[id(ctx)]
        ctx.spent += seconds
        run_step(ctx, "parse", lambda: took_parsed(ctx, answer()))
    return batch


def took_parsed(ctx: Context, mail: ParsedMail) -> None:
    ctx.mail = mail
    ctx.needs_review += mail.problems


def screen_stage(ctx: Context, batch: Batch) -> None:
    reason = screen(ctx.mail, batch.own_addresses)
    if reason == OWN_MAIL and (original := original_of(ctx.mail.body, ctx.mail.attached_messages,
                                                       batch.own_addresses)):
        adopt_forwarded(ctx, original)   # a colleague forwarded an application: it is the applicant's
    elif reason:
        ctx.outcome, ctx.reason = MessageState.IGNORED, reason


def adopt_forwarded(ctx: Context, original: Original) -> None:
    mail = ctx.mail
    ctx.forwarded_by = mail.sender
    mail.sender, mail.sender_name = original.sender, original.name
    mail.subject = original.subject or mail.subject
    mail.body = original.body
    if original.sent_at and original.sent_at < ctx.received_at:
        ctx.received_at = original.sent_at   # it reached the organisation when it was first sent


def route_stage(ctx: Context, batch: Batch) -> None:
    if not ctx.mail.sender:
        ctx.outcome = MessageState.UNMATCHED
        ctx.reason = "pas d'adresse d'expéditeur : ne peut pas former un dossier"
        return
    if assigned := decisions.assigned_posting(batch.assignments().get(ctx.message.id, []), batch.rules):
        ctx.posting, ctx.reason = assigned, "attribué à la main à cette offre"   # a recruiter's
        return                                                   # decision wins (decisions.py)
    boxes = mailboxes_of(ctx.mail, ctx.delivered_to, ctx.any_unknown_mailbox, batch.rules)
    decision = route(ctx.mail, boxes, batch.rules)
    forwarded = f" ; transféré par {ctx.forwarded_by}" if ctx.forwarded_by else ""
    if decision.posting is None:
        ctx.outcome, ctx.reason = MessageState.UNMATCHED, decision.reason + forwarded
    else:
        ctx.posting, ctx.reason = decision.posting, decision.reason + forwarded


def unpack_stage(ctx: Context, batch: Batch) -> None:
    attachments, problems = unpack(ctx.mail.attachments)
    ctx.needs_review += problems
    files = [FileRead(a) for a in attachments if not is_signature_image(a)]
    if len(files) > MAX_FILES_READ:
        ctx.needs_review.append(("(message)", f"{len(files)} pièces jointes : seules les {MAX_FILES_READ} "
                                              "premières ont été lues ; ouvrir le message pour le reste"))
    ctx.files = files[:MAX_FILES_READ]


def read_stage(batch: Batch) -> Batch:
    """Every document of the batch at once: cached texts first, the rest in the reader pool,
    where each text is also classified (a pure function of the text and the posting's
    vocabulary), so that classification runs on every core."""
    files = [(ctx, f) for ctx in batch.contexts if ctx.in_progress for f in ctx.files]
    started = time.monotonic()
    batch.check_stop()   # the reader pool reads the batch's documents at once, each bounded
    texts = read_documents(batch.session, [f.attachment for _, f in files],
                           [classifier(ctx.posting, f.attachment.filename) for ctx, f in files])
    share = (time.monotonic() - started) / max(len(files), 1)
    for (ctx, file), (text, findings) in zip(files, texts):
        ctx.stage, file.text, file.findings = "read", text, findings
        ctx.spent += share
    return batch


def classifier(posting: Posting, filename: str) -> Callable[[DocumentText], list[Finding]]:
    """What a file is, as a function of its text alone (run where the text is read)."""
    return functools.partial(classify_document, filename, vocab=posting.vocab,
                             region=posting.phone_region)


def classify_stage(ctx: Context, batch: Batch) -> None:
    for file in ctx.files:
        if file.findings is None:   # not classified where it was read (a cached text, ...)
            file.findings = classifier(ctx.posting, file.attachment.filename)(file.text)
        problem = file.text.problem if file.text else None
        if problem:
            ctx.needs_review.append((file.attachment.filename, problem))
        elif not file.findings:
            ctx.needs_review.append((file.attachment.filename, "pièce non reconnue : à ouvrir et vérifier"))
        if file.text and file.text.note:   # read by OCR: a person confirms what was found
            ctx.needs_review.append((file.attachment.filename, file.text.note))
    ctx.body_findings = classify_body(ctx.mail.body, ctx.posting.vocab, region=ctx.posting.phone_region,
                                      cover_letter_in_body=ctx.posting.cover_letter_in_body)
    ctx.needs_review += review_items(ctx.mail.links)
    ctx.outcome = MessageState.DOSSIER


def record_stage(batch: Batch) -> Batch:
    """Every message's outcome (or its failure) written: the batch at once, or each in its own
    savepoint when one of them cannot be written (record.py)."""
    store_guard(batch.session)   # an erasure never removes a file this batch is about to name
    before = {(ctx.message.posting_id, ctx.message.applicant) for ctx in batch.contexts}
    record_outcomes(batch.session, batch.store, batch.contexts)
    after = {(ctx.message.posting_id, ctx.message.applicant) for ctx in batch.contexts}
    batch.dossiers_touched |= (before | after) - {(None, None)}
    return batch


def dossiers_stage(batch: Batch) -> Batch:
    """Each dossier the batch touched, evaluated again once from all its messages."""
    dossiers.refresh_many(batch.session, batch.rules, batch.dossiers_touched)
    return batch


def acknowledgements_stage(batch: Batch) -> Batch:
    """For each dossier the batch changed whose posting acknowledges, its applicant's newest
    message decides (understand/acknowledge.py, pure) whether they are told what arrived; the
    mail goes to the outbox in this batch's transaction, so it exists exactly when the change
    does. A problem here is logged and never fails a message."""
    newest: dict[tuple[str, str], Context] = {}
    for ctx in batch.contexts:
        key = (ctx.message.posting_id, ctx.message.applicant)
        if ctx.outcome == MessageState.DOSSIER and ctx.error is None and all(key) and (
                key not in newest or ctx.received_at >= newest[key].received_at):
            newest[key] = ctx
    now = utcnow()
    for (posting_id, _), ctx in sorted(newest.items()):
        posting = batch.rules.get(posting_id)
        if posting is not None and posting.acknowledge:
            outbox.consider(batch.session, posting, ctx.message, ctx.mail,
                            own_addresses=batch.own_addresses, sender=batch.sender, now=now,
                            forwarded=ctx.forwarded_by is not None)
    return batch


STAGES: tuple[tuple[str, Stage], ...] = (
    ("parse", parse_stage),
    ("screen", each(screen_stage)),
    ("route", each(route_stage)),
    ("unpack", each(unpack_stage)),
    ("read", read_stage),
    ("classify", each(classify_stage)),
    ("record", record_stage),
    ("dossiers", dossiers_stage),
    ("acknowledgements", acknowledgements_stage),
)


def understand_batch(batch: Batch) -> Batch:
    for _name, stage in STAGES:
        batch = stage(batch)
    return batch


def is_signature_image(attachment: Attachment) -> bool:
    ctype = (attachment.content_type or "").lower()
    return ctype.startswith("image/") and len(attachment.data) < SIGNATURE_IMAGE_BYTES
