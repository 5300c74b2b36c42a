"""The web view's addresses, in one place: the routes (web/app.py) and the report's links
(reports/view.py) are built from these. Pure."""
from __future__ import annotations

from urllib.parse import quote

SIGN_IN = "/connexion"
SIGN_IN_LINK = "/connexion/lien"
SIGN_OUT = "/deconnexion"
HOME = "/"
UNMATCHED = "/sans-offre"


def posting(posting_id: str) -> str:
    return f"/offres/{quote(posting_id, safe='')}"


def complete_zip(posting_id: str) -> str:
    return f"/offres/{quote(posting_id, safe='')}/dossiers-complets.zip"


def dossier(dossier_id: int) -> str:
    return f"/dossiers/{int(dossier_id)}"


def file(dossier_id: int, key: str) -> str:
    """A file of a dossier, by its content hash; the mail body is its message."""
    return f"/dossiers/{int(dossier_id)}/fichiers/{quote(key, safe='')}"


def message(message_pk: int) -> str:
    return f"/messages/{int(message_pk)}.eml"


def sign_in_link(base_url: str, token: str, then: str = HOME) -> str:
    """The address that signs its holder in, then shows `then` (a path of this site)."""
    link = f"{base_url}{SIGN_IN_LINK}?jeton={quote(token, safe='')}"
    return link if then == HOME else f"{link}&suite={quote(then, safe='/')}"


def safe_next(value: str | None) -> str:
    """Only a path of this site: never another site's address (open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME
    return value
