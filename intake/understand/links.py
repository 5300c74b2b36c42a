"""Documents sent as links (Google Drive, WeTransfer, Dropbox, OneDrive...): never fetched, each
flagged for a person to download (pure)."""
from __future__ import annotations

from urllib.parse import urlsplit

# Hosts (and their subdomains) where applicants put documents instead of attaching them.
FILE_SHARING_HOSTS = (
    "drive.google.com", "docs.google.com", "wetransfer.com", "we.tl", "dropbox.com", "db.tt",
    "onedrive.live.com", "1drv.ms", "sharepoint.com", "icloud.com", "box.com", "mega.nz",
    "smash.gg", "fromsmash.com", "swisstransfer.com", "grosfichiers.com", "transfernow.net",
    "filetransfer.io", "mediafire.com",
)
REVIEW_REASON = "document envoyé par lien : à télécharger et vérifier (intake ne l'ouvre pas)"


def shared_documents(links: list[str]) -> list[str]:
    """The links that point at a file-sharing service."""
    found = []
    for link in links:
        host = (urlsplit(link).hostname or "").lower()
        if any(host == h or host.endswith("." + h) for h in FILE_SHARING_HOSTS):
            found.append(link)
    return found


def review_items(links: list[str]) -> list[tuple[str, str]]:
    """(what the recruiter sees, why): one per shared document, named by its host and path."""
    items = []
    for link in shared_documents(links):
        parts = urlsplit(link)
        shown = f"{parts.hostname}{parts.path}"[:120]
        items.append((f"lien {shown}", REVIEW_REASON))
    return items
