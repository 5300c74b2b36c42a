"""Sign-in by link, no passwords.

The sign-in page mails a fresh link to an address that receives a report, and says the same
words for any other address, so it reveals nothing (the mail leaves after the answer, so the
answer's timing reveals nothing either). At most one mail per address per minute. A link signs
its holder in for link_hours; an expired or tampered one is refused with the sign-in page.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse

from ..reports.audience import bare, reader_for
from ..reports.smtp import describe, password_for, send_once
from . import links, paths, session
from .app import sign_in_page

log = logging.getLogger("intake.web")
MAIL_EVERY_SECONDS = 60
_lock = threading.Lock()


def form(request, reader, form):
    if form is None:
        return sign_in_page(request, then=request.query_params.get("suite", paths.HOME))
    address = bare(str(form.get("adresse", "")))[:320]
    then = paths.safe_next(form.get("suite"))
    if "@" not in address:
        return sign_in_page(request, 400, then=then,
                            problem="Écrivez votre adresse électronique, par exemple "
                                    "prenom.nom@exemple.org.")
    app = request.app.state.intake
    task = None
    if reader_for(address, app.settings.report.recipients, app.rules) and _due(request, address):
        url = links.sign_in_url(app.settings, request.app.state.secret, address, then)
        task = BackgroundTask(mail_link, app.settings, address, url)
    response = sign_in_page(request, then=then, sent_to=address)
    response.background = task
    return response


def follow_link(request, reader, form):
    app = request.app.state.intake
    token = request.query_params.get("jeton", "")
    then = paths.safe_next(request.query_params.get("suite"))
    try:
        address = links.read_token(request.app.state.secret, token,
                                   app.settings.web.link_hours * 3600)
    except links.LinkRefused as exc:
        problem = ("Ce lien de connexion a expiré." if exc.expired else
                   "Ce lien de connexion n'est pas valable (il est incomplet ou a été modifié).")
        return sign_in_page(request, 403, then=then,
                            problem=problem + " Demandez-en un nouveau ci-dessous.")
    if reader_for(address, app.settings.report.recipients, app.rules) is None:
        return sign_in_page(request, 403, then=then,
                            problem="Cette adresse ne reçoit plus de rapport : elle ne donne "
                                    "plus accès aux dossiers.")
    session.sign_in(request, address)
    log.info("signed in: %s", address)
    return RedirectResponse(then, status_code=303)


def mail_link(settings, address: str, url: str) -> None:
    """Send the link (after the answer went out); failures are logged, never shown."""
    smtp = settings.smtp
    msg = EmailMessage()
    msg["Subject"] = "Votre lien de connexion aux candidatures"
    msg["From"] = smtp.sender
    msg["To"] = address
    msg["Date"] = format_datetime(datetime.now(timezone.utc))
    msg["Message-ID"] = make_msgid("connexion", domain=parseaddr(smtp.sender)[1]
                                   .rpartition("@")[2] or "localhost")
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(
        "Bonjour,\n\nPour ouvrir les dossiers de candidature, suivez ce lien :\n\n"
        f"{url}\n\nIl est valable {settings.web.link_hours} heures et n'est destiné qu'à vous : "
        "ne le transférez pas.\nSi vous n'avez rien demandé, ignorez ce message.\n")
    try:
        send_once(msg, smtp, password_for(smtp), [address])
        log.info("sign-in link mailed to %s", address)
    except Exception as exc:  # noqa: BLE001 - logged; the page already answered
        log.error("sign-in link for %s not sent: %s", address, describe(exc))


def _due(request, address: str) -> bool:
    """At most one mail per address per minute (no mail bombing through this form)."""
    sent: dict = request.app.state.mailed
    now = time.monotonic()
    with _lock:
        if now - sent.get(address, -MAIL_EVERY_SECONDS) < MAIL_EVERY_SECONDS:
            return False
        sent[address] = now
    return True
