"""The recruiters' web view: a Starlette application over intake's database.

Every page reads the same model of a posting's dossiers as the report (reports/build.py and
reports/view.py): the web view computes no verdict of its own. Without a valid session every
page but sign-in answers with the sign-in page (401) or 403, never applicant data; what a person
may not see answers 404, as if it did not exist. Forms carry a CSRF token; every response
carries a restrictive Content-Security-Policy and no page is cached.
"""
from __future__ import annotations

import logging
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..reports import words
from . import paths, session
from .links import web_secret

log = logging.getLogger("intake.web")

HERE = Path(__file__).parent
COOKIE = "intake_session"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
           (b"cross-origin-opener-policy", b"same-origin")]


class SecurityHeaders:
    """Adds the security headers to every response (a download's own CSP is kept)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in HEADERS if n not in present]
                if b"cache-control" not in present and not scope["path"].startswith("/static/"):
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


def templates() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals.update(count_words=words.count_words, paths=paths, piece_name=words.piece_name)
    return env


def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    env: jinja2.Environment = request.app.state.templates
    context.setdefault("me", getattr(request.state, "reader", None))
    html = env.get_template(name).render(csrf=session.csrf_token(request),
                                         csrf_field=session.CSRF_FIELD, **context)
    return HTMLResponse(html, status_code=status)


def sign_in_page(request: Request, status: int = 200, then: str = paths.HOME,
                 problem: str | None = None, sent_to: str | None = None) -> HTMLResponse:
    hours = request.app.state.intake.settings.web.link_hours
    return page(request, "signin.html.j2", status, then=paths.safe_next(then), problem=problem,
                sent_to=sent_to, hours=hours, me=None)


def guarded(handler, *, public: bool = False):
    """A route: CSRF checked on every POST; a signed-in reader required unless `public`;
    the handler (blocking database work) runs in a worker thread."""
    async def endpoint(request: Request) -> Response:
        form = await request.form() if request.method == "POST" else None
        reader = session.reader(request)
        request.state.reader = reader
        if not public and reader is None:
            if request.method == "GET":
                return sign_in_page(request, 401, then=request.url.path)
            return sign_in_page(request, 403, problem="Connectez-vous d'abord.")
        if form is not None and not session.csrf_ok(request, form.get(session.CSRF_FIELD)):
            return page(request, "problem.html.j2", 403, title="Formulaire expiré",
                        text="Ce formulaire a expiré ou ne vient pas d'ici. Rechargez la page "
                             "et recommencez.")
        return await run_in_threadpool(handler, request, reader, form)
    return endpoint


async def not_found(request: Request, exc: HTTPException) -> Response:
    request.state.reader = getattr(request.state, "reader", None)
    if exc.status_code == 404:
        return page(request, "problem.html.j2", 404, title="Page introuvable",
                    text="Cette page n'existe pas, ou elle ne fait pas partie des offres "
                         "que vous suivez.")
    return page(request, "problem.html.j2", exc.status_code, title="Erreur",
                text=str(exc.detail))


def create_app(intake_app) -> Starlette:
    """The web view of an open intake App (its settings, database, store and rules; a daemon
    that reloads the rules updates them for the web view too)."""
    from . import routes

    settings = intake_app.settings
    secret = web_secret(settings)
    base = settings.web.base_url or ""
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=secret, session_cookie=COOKIE,
                   max_age=settings.web.link_hours * 3600, same_site="lax",
                   https_only=base.startswith("https://")),
    ]
    table = [Route(path, guarded(handler, public=public), methods=methods)
             for path, handler, methods, public in routes.TABLE]
    table.append(Mount("/static", StaticFiles(directory=HERE / "static"), name="static"))
    web = Starlette(routes=table, middleware=middleware,
                    exception_handlers={HTTPException: not_found})
    web.state.intake = intake_app
    web.state.secret = secret
    web.state.templates = templates()
    web.state.mailed = {}
    return web
