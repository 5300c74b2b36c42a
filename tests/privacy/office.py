"""A small recruiting office whose applicants' data is erased, exported and audited.

Two postings: `stage-2021` closed long ago (its rules file keeps dossiers 30 days after the
deadline, though the config says 3650), and `poste-2099`, open. The people:

- Zoubida Qaddouri applied to stage-2021 only, and once wrote a mail that fits no posting;
- Ouafae Lahrichi applied to both postings, wrote a mail that fits no posting, sent an
  out-of-office reply, and got a reply from the organisation (own mail naming her);
- Karim Benslimane applied to both postings with the very same CV file, and sent, like Ouafae,
  the organisation's application form unchanged (a file two people share).

Every document is a real PDF or DOCX; every mail goes through the real `intake ingest`.
Helpers find every byte that should be gone: in every file of the data folder (ZIP members
unpacked, SQLite's WAL included) and in a dump of the database (SQLite's iterdump, pg_dump).
"""
from __future__ import annotations

import base64
import hashlib
import shutil
import sqlite3
import subprocess
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text, update

from intake.app import open_app
from intake.config import load_settings
from intake.models import Message
from tests.support.documents import docx_bytes, pdf_bytes
from tests.support.maildata import make_mail
from tests.support.webdata import Office

STAGE, POSTE = "stage-2021", "poste-2099"
STAGE_TO, POSTE_TO = "stage@asso.example", "poste@asso.example"
STAGE_SUBJECT, POSTE_SUBJECT = "Candidature stage 2021", "Candidature poste chef de projet"
DIRECTION = "direction@asso.example"
SMTP_SENDER = "Recrutement <recrutement@asso.example>"

RULES = {
    STAGE: f'''title = "Stage 2021"
addresses = ["{STAGE_TO}"]
subject = "{STAGE_SUBJECT}"
deadline = 2021-03-01
retention_days = 30
[required]
cv = 1
cover_letter = 1
''',
    POSTE: f'''title = "Chef de projet"
addresses = ["{POSTE_TO}"]
subject = "{POSTE_SUBJECT}"
deadline = 2099-01-01
[required]
cv = 1
cover_letter = 1
''',
}


@dataclass
class Person:
    name: str
    address: str
    cv: bytes = b""
    letter: bytes = b""
    token: str = ""                       # a word only their documents hold
    mails: list[bytes] = field(default_factory=list)

    @property
    def sender(self) -> str:
        return f"{self.name} <{self.address}>"

    def needles(self) -> list[bytes]:
        """What must not survive their erasure: address, name, the words only their documents
        hold, their files' bytes (raw, and as base64 in a mail) and their files' hashes."""
        out = [self.address.encode(), self.name.encode(), self.token.encode()]
        others = [d for p in (ZOUBIDA, OUAFAE, KARIM) if p is not self for d in (p.cv, p.letter)]
        others.append(FORM)
        for data in (self.cv, self.letter):
            out += [own_piece([data[i:i + 48] for i in range(0, len(data) - 48, 97)], others),
                    own_piece(base64.encodebytes(data).splitlines(),
                              [base64.encodebytes(o) for o in others]),
                    hashlib.sha256(data).hexdigest().encode()]
        for mail in self.mails:
            out.append(hashlib.sha256(mail).hexdigest().encode())
        return out


def own_piece(pieces: list[bytes], others: list[bytes]) -> bytes:
    """A piece of a file that no other file of the office holds (PDFs share their header)."""
    return next(p for p in pieces[len(pieces) // 3:] + pieces if not any(p in o for o in others))


def person(name: str, address: str, token: str) -> Person:
    p = Person(name, address, token=token)
    p.cv = pdf_bytes([f"Curriculum vitae de {name}", f"Référence dossier {token}",
                      "Expérience : coordination de projets associatifs, 2015-2020",
                      "Formation : master en sciences sociales"])
    p.letter = docx_bytes([f"Lettre de motivation de {name} ({token})", "Madame, Monsieur,",
                           "Je vous adresse ma candidature au poste proposé.",
                           "Veuillez agréer mes salutations distinguées."])
    return p


ZOUBIDA = person("Zoubida Qaddouri", "zoubida.qaddouri@exemple-prive.ma", "ZQX7731")
OUAFAE = person("Ouafae Lahrichi", "ouafae.lahrichi@exemple-prive.ma", "OLH5520")
KARIM = person("Karim Benslimane", "karim.benslimane@exemple.ma", "KBS9034")
FORM = pdf_bytes(["Formulaire de candidature de l'association", "Nom, prénom, adresse, diplômes",
                  "Document à joindre à toute candidature"])


def application(who: Person, posting: str, when: datetime, *, form: bool = False) -> bytes:
    to, subject = (STAGE_TO, STAGE_SUBJECT) if posting == STAGE else (POSTE_TO, POSTE_SUBJECT)
    files = [(f"CV {who.name}.pdf", who.cv, "application/pdf"),
             (f"Lettre de motivation {who.name}.docx", who.letter,
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    if form:
        files.append(("Formulaire de candidature.pdf", FORM, "application/pdf"))
    return make_mail(sender=who.sender, to=to, delivered_to=to, subject=subject, received=when,
                     body=f"Bonjour,\n\nVeuillez trouver ci-joint ma candidature.\n\n{who.name}\n",
                     attachments=files)


def mails() -> dict[str, list[bytes]]:
    """Every mail of the office, by the person it is about (built once per process)."""
    if not ZOUBIDA.mails:
        t2021, t2026 = datetime(2021, 2, 10, 9, tzinfo=timezone.utc), datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
        ZOUBIDA.mails += [application(ZOUBIDA, STAGE, t2021),
                          make_mail(sender=ZOUBIDA.sender, to="contact@asso.example", received=t2021,
                                    subject="Question", body="Bonjour, avez-vous des offres ? Zoubida Qaddouri")]
        OUAFAE.mails += [application(OUAFAE, STAGE, t2021 + timedelta(days=1), form=True),
                         application(OUAFAE, POSTE, t2026, form=True),
                         make_mail(sender=OUAFAE.sender, to="contact@asso.example", received=t2026,
                                   subject="Renseignement", body="Bonjour, une question. Ouafae Lahrichi"),
                         make_mail(sender=OUAFAE.sender, to=POSTE_TO, received=t2026 + timedelta(hours=1),
                                   subject="Réponse automatique : absence", headers={"Auto-Submitted": "auto-replied"},
                                   body="Je suis absente jusqu'au 10 novembre."),
                         make_mail(sender=f"Recrutement <{POSTE_TO}>", to=OUAFAE.sender,
                                   received=t2026 + timedelta(hours=2), subject="Re: votre candidature",
                                   body="Madame, nous avons bien reçu votre candidature.")]
        KARIM.mails += [application(KARIM, STAGE, t2021 + timedelta(days=2), form=True),
                        application(KARIM, POSTE, t2026 + timedelta(days=1), form=True)]
    return {"zoubida": ZOUBIDA.mails, "ouafae": OUAFAE.mails, "karim": KARIM.mails}


def write_office(folder: Path, db_url: str, smtp_port: int, *, privacy: str | None = None) -> Office:
    rules = folder / "rules"
    rules.mkdir(parents=True)
    for posting_id, content in RULES.items():
        (rules / f"{posting_id}.toml").write_text(content, encoding="utf-8")
    config = folder / "config.toml"
    config.write_text(f"""
[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
sender = "{SMTP_SENDER}"
timeout = 10

[report]
recipients = ["{DIRECTION}"]

[privacy]
{privacy if privacy is not None else 'retention_days = 3650' + chr(10) + 'unmatched_days = 30'}
salt_env = "INTAKE_TEST_ERASURE_SALT"
""", encoding="utf-8")
    return Office(config, db_url, rules, folder / "data")


def ingest_all(office: Office, folder: Path) -> None:
    inbox = folder / "inbox"
    inbox.mkdir(exist_ok=True)
    paths = []
    for who, items in mails().items():
        for i, raw in enumerate(items):
            path = inbox / f"{who}-{i}.eml"
            path.write_bytes(raw)
            paths.append(str(path))
    assert office.intake("ingest", *paths) == 0
    shutil.rmtree(inbox)    # the test's own copies: only intake's data folder is examined


def open_office(office: Office):
    return open_app(load_settings(config=str(office.config), db=office.db_url,
                                  rules=str(office.rules), data_dir=str(office.data_dir)))


def age_outside_mail(office: Office, days: int) -> None:
    """Mail outside every dossier left them `days` ago (the clock of unmatched_days)."""
    engine = create_engine(office.db_url)
    with engine.begin() as conn:
        conn.execute(update(Message).where(Message.outside_since.is_not(None)).values(
            outside_since=datetime.now(timezone.utc) - timedelta(days=days)))
    engine.dispose()


# -- looking for what should be gone ------------------------------------------------------------

def leftovers(office: Office, needles: list[bytes]) -> list[str]:
    """Where any needle still is: a file of the data folder (every file, ZIP members unpacked,
    SQLite's database and WAL files as raw bytes) or the database dump. Compared without case."""
    wanted = [n.lower() for n in needles if n]
    found = []
    files = sorted(p for p in Path(office.data_dir).rglob("*") if p.is_file())
    if office.db_url.startswith("sqlite:///"):     # the database file and its WAL, byte for byte
        db = Path(office.db_url.removeprefix("sqlite:///"))
        files += [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]
    for path in files:
        for where, blob in blobs_of(path):
            found += [f"{where}: {n!r}" for n in wanted if n in blob.lower()]
    dump = database_dump(office.db_url).lower()
    found += [f"database dump: {n!r}" for n in wanted if n in dump]
    return found


def blobs_of(path: Path):
    data = path.read_bytes()
    yield str(path), data
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield f"{path}!{name}", archive.read(name)


def database_dump(db_url: str) -> bytes:
    """Every row of the database as text: SQLite's iterdump; PostgreSQL's pg_dump (or, without
    it, a SELECT of every table)."""
    if db_url.startswith("sqlite:///"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        try:
            return "\n".join(conn.iterdump()).encode("utf-8", "surrogateescape")
        finally:
            conn.close()
    plain = db_url.replace("postgresql+psycopg://", "postgresql://")
    if shutil.which("pg_dump"):
        return subprocess.run(["pg_dump", "--data-only", "--inserts", plain], check=True,
                              capture_output=True).stdout
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return "\n".join(repr(row) for name in inspect(conn).get_table_names()
                             for row in conn.execute(text(f'SELECT * FROM "{name}"'))).encode()
    finally:
        engine.dispose()


def stored_files(office: Office) -> set[str]:
    """The raw store's files (relative paths)."""
    root = Path(office.data_dir)
    return {str(p.relative_to(root)) for folder in ("messages", "attachments")
            for p in (root / folder).rglob("*") if p.is_file()}


def named_files(app) -> set[str]:
    """The store paths the database names."""
    from intake.models import Document

    with app.db.session() as s:
        return set(s.scalars(select(Message.stored_as))) | \
            {p for p in s.scalars(select(Document.stored_as)) if p}


def store_path(data: bytes, kind: str = "attachments", ext: str = ".pdf") -> str:
    sha = hashlib.sha256(data).hexdigest()
    return f"{kind}/{sha[:2]}/{sha}{ext}"
