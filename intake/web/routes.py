"""The pages and actions of the web view. Each handler gets (request, reader, form) and runs in
a worker thread (app.guarded); what a reader may not see raises 404."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import func, select
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse

from .. import audit
from ..models import Message, MessageState
from ..reports import words
from ..reports.build import build_dossier, build_report, outside_report
from ..reports.view import build_view
from . import actions, files, paths, session, signin
from .app import page

log = logging.getLogger("intake.web")

DONE = {"attribue": "Le message a été attribué à l'offre : voici le dossier.",
        "verifie": "Point marqué comme vérifié.",
        "corrige": "Correction enregistrée : le dossier a été réévalué."}


def _intake(request):
    return request.app.state.intake


def _tz(request) -> str:
    return _intake(request).settings.schedule.timezone


def _report(request, reader, **kwargs) -> dict:
    app = _intake(request)
    with app.db.session() as s:
        return build_report(s, app.rules, data_dir="", reader=reader, base_url="",
                            report_timezone=_tz(request), outside=False, **kwargs)


def _see_posting(reader, posting_id: str) -> None:
    if not reader.sees(posting_id):
        raise HTTPException(404)


# -- pages ---------------------------------------------------------------------------------

def home(request, reader, form):
    view = build_view(_report(request, reader, summary=True))
    unmatched = 0
    if reader.everything:
        with _intake(request).db.session() as s:
            unmatched = s.scalar(select(func.count()).select_from(Message)
                                 .where(Message.state == MessageState.UNMATCHED))
    return page(request, "home.html.j2", r=view, unmatched=unmatched)


def posting(request, reader, form):
    posting_id = request.path_params["posting_id"]
    _see_posting(reader, posting_id)
    view = build_view(_report(request, reader, posting_id=posting_id))
    return page(request, "posting.html.j2", r=view, p=view.postings[0])


def dossier(request, reader, form):
    app = _intake(request)
    with app.db.session() as s:
        report = build_dossier(s, app.rules, request.path_params["dossier_id"], reader,
                               report_timezone=_tz(request), base_url="")
    if report is None or not report["postings"][0]["dossiers"]:
        raise HTTPException(404)
    view = build_view(report)
    p = view.postings[0]
    posting_rules = app.rules.get(p.id)
    pieces = {piece: vocab.label or words.piece_name(piece) for piece, vocab in
              posting_rules.vocab.items()}
    tz = _tz(request)
    messages = [{**m, "received": words.short_datetime(m["received_at"], tz)}
                for m in report["messages"]]
    decided = [words.decision_words(d, pieces, tz) for d in report["decisions"]]
    return page(request, "dossier.html.j2", r=view, p=p, d=p.dossiers[0], pieces=pieces,
                required=posting_rules.required, messages=messages, decisions=decided,
                history=_history(app, request.path_params["dossier_id"], tz),
                done=DONE.get(request.query_params.get("fait", "")))


def _history(app, dossier_id: int, tz: str) -> list[str]:
    """The audit log of this dossier in French (who did what, when; report mails that held it)."""
    from ..models import Dossier

    with app.db.session() as s:
        row = s.get(Dossier, dossier_id)
        found = audit.for_dossier(s, row) if row is not None else []
    return [f"le {words.long_datetime(e.at.isoformat(), tz)} · {audit.describe(e)} · {e.who}"
            for e in found]


def unmatched(request, reader, form):
    if not reader.everything:
        raise HTTPException(404)
    app = _intake(request)
    with app.db.session() as s:
        view = build_view(outside_report(s, report_timezone=_tz(request), base_url=""))
    return page(request, "unmatched.html.j2", r=view,
                postings=[(p.id, p.title) for p in app.rules.postings])


# -- files ---------------------------------------------------------------------------------

def dossier_file(request, reader, form):
    app = _intake(request)
    key = request.path_params["key"]
    with app.db.session() as s:
        report = build_dossier(s, app.rules, request.path_params["dossier_id"], reader,
                               report_timezone=_tz(request))
    if report is None:
        raise HTTPException(404)
    dossier_dict = report["postings"][0]["dossiers"][0]
    doc = next((d for d in dossier_dict["documents"]
                if d.get("key") == key and d.get("stored_as")), None)
    if doc is None:
        raise HTTPException(404)
    try:
        data = app.store.read(doc["stored_as"])
    except OSError:
        log.error("stored file missing for dossier %s", dossier_dict["id"])
        raise HTTPException(404)
    return files.download(data, doc["file"])


def message_file(request, reader, form):
    app = _intake(request)
    with app.db.session() as s:
        message = s.get(Message, request.path_params["message_pk"])
        visible = message is not None and (
            reader.everything or (message.state in (MessageState.DOSSIER, MessageState.PENDING)
                                  and reader.sees(message.posting_id)))
        if not visible:
            raise HTTPException(404)
        stored_as, received, sender = message.stored_as, message.received_at, message.from_addr
    day = received.astimezone(timezone.utc).strftime("%Y-%m-%d")
    who = (sender or "expediteur").split("@")[0]
    return files.download(app.store.read(stored_as), f"message {day} {who}.eml",
                          "message/rfc822")


def complete_zip(request, reader, form):
    posting_id = request.path_params["posting_id"]
    _see_posting(reader, posting_id)
    app = _intake(request)
    view = build_view(_report(request, reader, posting_id=posting_id))
    p = view.postings[0]
    labels = {piece: vocab.label for piece, vocab in app.rules.get(posting_id).vocab.items()}
    entries = files.posting_entries(p.complete, labels, files.body_reader(app))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    return files.zip_response(entries, app.store.read,
                              f"Dossiers complets - {p.id} - {stamp}.zip")


# -- actions -------------------------------------------------------------------------------

def _visible_dossier(request, reader):
    from ..models import Dossier

    app = _intake(request)
    with app.db.session() as s:
        row = s.get(Dossier, request.path_params["dossier_id"])
    if row is None or not reader.sees(row.posting_id) or app.rules.get(row.posting_id) is None:
        raise HTTPException(404)
    return row


def _refused(request, exc: actions.Refused, back: str):
    return page(request, "problem.html.j2", 409, title="Action impossible", text=str(exc),
                back=back)


def check_item(request, reader, form):
    row = _visible_dossier(request, reader)
    try:
        actions.mark_checked(_intake(request), reader.address, row, form.get("file", ""),
                             form.get("reason", ""))
    except actions.Refused as exc:
        return _refused(request, exc, paths.dossier(row.id))
    return RedirectResponse(f"{paths.dossier(row.id)}?fait=verifie", status_code=303)


def correct_file(request, reader, form):
    row = _visible_dossier(request, reader)
    try:
        count = int(form.get("count", "1"))
    except ValueError:
        count = -1
    try:
        actions.set_piece(_intake(request), reader.address, row, request.path_params["key"],
                          form.get("piece", ""), count)
    except actions.Refused as exc:
        return _refused(request, exc, paths.dossier(row.id))
    return RedirectResponse(f"{paths.dossier(row.id)}?fait=corrige", status_code=303)


def assign(request, reader, form):
    if not reader.everything:
        raise HTTPException(404)
    try:
        row = actions.assign(_intake(request), reader.address, request.path_params["message_pk"],
                             form.get("posting", ""))
    except actions.Refused as exc:
        return _refused(request, exc, paths.UNMATCHED)
    if row is None:
        return page(request, "problem.html.j2", 409, title="Message non compris",
                    text="Le message a été attribué, mais sa lecture a échoué : il figure "
                         "parmi les messages en échec du rapport.", back=paths.UNMATCHED)
    return RedirectResponse(f"{paths.dossier(row.id)}?fait=attribue", status_code=303)


def sign_out(request, reader, form):
    session.sign_out(request)
    return RedirectResponse(paths.SIGN_IN, status_code=303)


TABLE = [
    (paths.HOME, home, ["GET"], False),
    (paths.SIGN_IN, signin.form, ["GET", "POST"], True),
    (paths.SIGN_IN_LINK, signin.follow_link, ["GET"], True),
    (paths.SIGN_OUT, sign_out, ["POST"], False),
    ("/offres/{posting_id}", posting, ["GET"], False),
    ("/offres/{posting_id}/dossiers-complets.zip", complete_zip, ["GET"], False),
    ("/dossiers/{dossier_id:int}", dossier, ["GET"], False),
    ("/dossiers/{dossier_id:int}/fichiers/{key}", dossier_file, ["GET"], False),
    ("/dossiers/{dossier_id:int}/verifie", check_item, ["POST"], False),
    ("/dossiers/{dossier_id:int}/fichiers/{key}/nature", correct_file, ["POST"], False),
    ("/messages/{message_pk:int}.eml", message_file, ["GET"], False),
    ("/messages/{message_pk:int}/attribuer", assign, ["POST"], False),
    (paths.UNMATCHED, unmatched, ["GET"], False),
]
