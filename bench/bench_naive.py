"""Benchmark: `intake ingest` against a naive single-process peer, on the same distinct mails.

    python bench/bench_naive.py [--mails N] [--rounds R] [--profile] [--simple]

Makes N distinct application mails (default 300; fixed seeds, so every run reads the same
bytes): CVs, letters and reference lists as PDF and DOCX, methodology notes, financial offers as
XLSX, some dossiers zipped. No two attachments are alike, so no cache helps. The PDFs are made
as word processors make them: an embedded TrueType font, and a photo on the CV (--simple: one
page in the PDF core fonts, much cheaper for pdfminer.six than what applicants send). Then times

  1. the naive peer, in this process: mail-parser, then the text of every attachment with
     pdfminer.six, python-docx or openpyxl (zip members too); no limits, no database;
  2. `intake ingest` on the same files: the real command in a subprocess, on a fresh SQLite
     database, take-in and understanding (documents read by the reader pool);

R times each (default 3), one after the other, and prints every rate and the ratio of the best
of each (the machine's speed drifts by a fifth from one minute to the next on a shared host:
interleaving and taking the best compares both at their fastest). With --profile, also runs the ingest in this process with
timers around its stages and shows where its time goes (reading, parsing, database, ...).
"""
from __future__ import annotations

import argparse
import statistics
import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "mails"))
sys.dont_write_bytecode = True

import corpus_docs as docs  # noqa: E402  (the mail corpus's document generators: fpdf2, python-docx)

FIRST = ["Salma", "Youssef", "Imane", "Karim", "Nadia", "Omar", "Hind", "Mehdi", "Sara", "Rachid",
         "Leila", "Hamza", "Zineb", "Anas", "Meryem", "Ilyas", "Kenza", "Othmane", "Asmae", "Reda"]
LAST = ["Bennani", "Alaoui", "Tazi", "Chraibi", "Fassi", "Sebti", "Lahlou", "Ouazzani", "Amrani",
        "El Idrissi", "Berrada", "Kettani", "Bouzid", "Naciri", "Squalli"]
CITIES = ["Casablanca", "Rabat", "Fès", "Marrakech", "Agadir", "Tanger", "Oujda", "Meknès", "Tétouan"]
POSTINGS = {  # posting -> (to, subject)
    "B": ("omdp.direction.2@gmail.com", "Candidature_chargé(e) de projet_OMP"),
    "C": ("omdp.finances@gmail.com", "Consultant – consultante gestions de projets"),
}
START = datetime(2026, 4, 20, 9, 0, tzinfo=timezone.utc)
SIMPLE = "--simple" in sys.argv


# ---------------------------------------------------------------- the mails


def xlsx(rows: list[list]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.created = book.properties.modified = datetime(2020, 1, 1)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return docs._fixed_zip(out.getvalue())


ROLES = ["Chargée de suivi-évaluation", "Coordinateur de projet", "Assistante de programme",
         "Formateur en droits humains", "Animatrice communautaire", "Consultant junior",
         "Responsable administratif et financier", "Chargé de plaidoyer"]
EMPLOYERS = ["Association Adala", "OMDH", "Fondation Mohammed VI", "AMDH", "Amnesty Maroc",
             "Programme des Nations unies pour le développement", "Croissant-Rouge marocain",
             "Association Tahadi", "Conseil régional de Fès-Meknès", "Migrations & Développement"]
TASKS = ["conception et suivi des indicateurs du cadre logique", "rédaction des rapports narratifs et financiers",
         "organisation d'ateliers de formation pour {k} participants", "visites de terrain dans {k} établissements",
         "coordination avec les partenaires institutionnels et associatifs", "gestion d'un budget de {k} 000 MAD",
         "animation de groupes de parole et d'entretiens individuels", "préparation des termes de référence et des appels d'offres",
         "collecte et analyse de données qualitatives et quantitatives", "encadrement d'une équipe de {k} personnes"]


def career(rnd: random.Random) -> list[tuple[str, str]]:
    """More experience, training and skills: a CV's second page."""
    blocks = [("h", "Expérience professionnelle détaillée")]
    year = 2025
    for _ in range(rnd.randint(9, 12)):
        start = year - rnd.randint(1, 3)
        blocks.append(("h", f"{start}–{year} : {rnd.choice(ROLES)}, {rnd.choice(EMPLOYERS)}, {rnd.choice(CITIES)}"))
        blocks += [("li", rnd.choice(TASKS).format(k=rnd.randint(2, 90))[:1].upper()
                    + rnd.choice(TASKS).format(k=rnd.randint(2, 90))[1:]) for _ in range(rnd.randint(2, 4))]
        year = start
    blocks += [("h", "Compétences"),
               ("p", "Word, Excel, PowerPoint, Kobo Toolbox, SPSS ; rédaction en français et en arabe ; "
                     f"permis B ; {rnd.randint(2, 5)} langues parlées.")]
    return blocks


def portrait(rnd: random.Random) -> bytes:
    """A small JPEG photo, different for each applicant."""
    from PIL import Image

    image = Image.new("RGB", (60, 80), tuple(rnd.randrange(256) for _ in range(3)))
    image.putdata([tuple(rnd.randrange(256) for _ in range(3)) for _ in range(60 * 80)])
    out = io.BytesIO()
    image.resize((240, 320)).save(out, "JPEG", quality=85)
    return out.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=docs.ZIP_TIME), data)
    return out.getvalue()


def application(n: int) -> bytes:
    rnd = random.Random(n)
    name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
    person = docs.Person(name, f"{name.lower().replace(' ', '.')}.{n}@example.ma",
                         phone=f"+212 6 {rnd.randint(10, 99)} {rnd.randint(10, 99)} {n % 100:02d} {n // 100:02d}",
                         city=rnd.choice(CITIES), female=rnd.random() < 0.5)
    referees = rnd.sample(docs_referees(), rnd.randint(2, 3))
    when = START + timedelta(minutes=7 * n)
    date = f"{when.day} avril 2026"
    consultant = n % 4 == 3
    post = "consultant-e chargé de projet" if consultant else "chargé(e) de projet"
    org = "Observatoire Marocain des Prisons (OMP)"
    # As word processors write them (an embedded TrueType font; a photo on the CV), unless
    # --simple asks for the small core-font PDFs of the first version of this benchmark.
    word = {} if SIMPLE else {"embed_font": True}
    photo = {} if SIMPLE else {"photo": portrait(rnd)}
    cv = docs.cv_fr(person, role=post, referees=referees[:1])
    if not SIMPLE:   # a CV of two pages or so, as most are
        cv += career(rnd)
    files: list[tuple[str, bytes]] = [
        (f"CV {name} {n}.pdf", docs.pdf(cv, created=when, **word, **photo))]
    if consultant:
        files.append((f"Note méthodologique {n}.pdf", docs.pdf(docs.methodology_fr(person),
                                                               created=when, **word)))
        days = (rnd.randint(3, 8), rnd.randint(2, 6), rnd.randint(3, 9))
        rate = rnd.choice([2500, 3000, 3500, 4000])
        files.append((f"Offre financière {n}.xlsx", xlsx(
            [["Offre financière", name], *[[label, d, rate, d * rate] for label, d in
                                           zip(("Revue documentaire", "Ateliers", "Livrables"), days)],
             ["Total TTC (MAD)", sum(days) * rate]])))
    else:
        letter = docs.docx_bytes(docs.letter_fr(person, post=post, org=org, date=date), author=name)
        refs = docs.pdf(docs.references_fr(person, referees), created=when, **word)
        if n % 3 == 0:   # the whole dossier zipped
            files.append((f"dossier_{n}.zip", zipped({f"Lettre de motivation {n}.docx": letter,
                                                      f"Références {n}.pdf": refs})))
        else:
            files += [(f"Lettre de motivation {n}.docx", letter), (f"Références {n}.pdf", refs)]
    to, subject = POSTINGS["C" if consultant else "B"]
    msg = EmailMessage()
    msg["From"] = f"{name} <{person.email}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<bench-{n}@example.ma>"
    msg.set_content(f"Bonjour,\n\nVeuillez trouver ci-joint mon dossier de candidature.\n\nCordialement,\n{name}\n")
    for filename, data in files:
        maintype, subtype = _mime(filename)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def docs_referees() -> list:
    sys.path.insert(0, str(REPO / "tests" / "mails"))
    from corpus_kit import REFEREES

    return list(REFEREES)


def _mime(filename: str) -> tuple[str, str]:
    ext = filename.rsplit(".", 1)[-1]
    return {"pdf": ("application", "pdf"), "zip": ("application", "zip"),
            "docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
            "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")}[ext]


def write_mails(count: int, folder: Path) -> list[Path]:
    paths = []
    for n in range(count):
        path = folder / f"{n:04d}.eml"
        path.write_bytes(application(n))
        paths.append(path)
    return paths


# ---------------------------------------------------------------- the naive peer


def naive_peer(paths: list[Path]) -> tuple[int, int]:
    """mail-parser, then pdfminer.six / python-docx / openpyxl on every attachment: (files, chars)."""
    import base64

    import mailparser

    files = chars = 0
    for path in paths:
        mail = mailparser.parse_from_bytes(path.read_bytes())
        for att in mail.attachments:
            data = base64.b64decode(att["payload"]) if att.get("binary") else att["payload"].encode()
            for name, member in _members(att["filename"], data):
                files += 1
                chars += len(_text(name, member))
    return files, chars


def _members(name: str, data: bytes):
    if not name.lower().endswith(".zip"):
        yield name, data
        return
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            yield info.filename, zf.read(info)


def _text(name: str, data: bytes) -> str:
    ext = name.lower().rsplit(".", 1)[-1]
    if ext == "pdf":
        from pdfminer.high_level import extract_text

        return extract_text(io.BytesIO(data))
    if ext == "docx":
        import docx

        return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    if ext == "xlsx":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        return "\n".join("\t".join(str(v) for v in row if v is not None)
                         for sheet in book.worksheets for row in sheet.iter_rows(values_only=True))
    return data.decode("utf-8", "replace")


# ---------------------------------------------------------------- intake


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def intake_ingest(folder: Path, work: Path) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the command and its reader processes), the JSON report."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    command = [sys.executable, "-m", "intake", "--data-dir", str(work / "data"), "--rules", str(REPO / "rules"),
               "--db", f"sqlite:///{work / 'intake.db'}"]
    start, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_CHILDREN)
    subprocess.run([*command, "ingest", str(folder)], env=env, check=True, cwd=work)
    seconds, cpu = time.perf_counter() - start, cpu_seconds(resource.RUSAGE_CHILDREN) - cpu
    report = subprocess.run([*command, "report", "--format", "json"], env=env, check=True, cwd=work,
                            capture_output=True, text=True).stdout
    return seconds, cpu, report


# Where the time of one ingest goes: these functions are wrapped with a timer (a few µs each, so
# the total is the real one). Nested ones (Store.put inside take-in and record) overlap.
TIMED = [
    ("take-in", ["intake.takein.ingest.take_in_batch"]),
    ("parse (bounded children)", ["intake.bounded.run_side_by_side"]),
    ("screen + route", ["intake.understand.pipeline.screen", "intake.understand.pipeline.route"]),
    ("unpack archives (pool)", ["intake.understand.pipeline.unpack"]),
    ("read documents (cache + pool)", ["intake.understand.pipeline.read_documents"]),
    ("  of which the pool (read, classify)", ["intake.understand.textcache.read_then"]),
    # documents are classified in the reader workers (a wrapped function could not be sent
    # there): only the body and cached texts are classified in this process
    ("classify body", ["intake.understand.pipeline.classify_body"]),
    ("record outcomes", ["intake.understand.pipeline.record_outcomes"]),
    ("  Store.put_all (take-in and record)", ["intake.takein.store.Store.put_all"]),
    ("dossier refresh", ["intake.understand.dossiers.refresh_many"]),
    ("session commits", ["sqlalchemy.orm.Session.commit"]),
]


def timed_ingest(folder: Path, work: Path) -> None:
    import importlib

    from intake.app import open_app
    from intake.commands import ingest_paths
    from intake.config import load_settings

    spent: dict[str, float] = {label: 0.0 for label, _ in TIMED}

    def wrap(owner, attr: str, label: str) -> None:
        original = getattr(owner, attr)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.perf_counter() - start

        setattr(owner, attr, timed)

    for label, paths in TIMED:
        for dotted in paths:
            parts = dotted.split(".")
            for cut in range(len(parts) - 1, 0, -1):
                try:
                    owner = importlib.import_module(".".join(parts[:cut]))
                except ImportError:
                    continue
                for name in parts[cut:-1]:
                    owner = getattr(owner, name, None)
                if owner is not None and hasattr(owner, parts[-1]):
                    wrap(owner, parts[-1], label)
                break
    app = open_app(load_settings(data_dir=str(work / "data"), rules=str(REPO / "rules"), env={}))
    paths = sorted(folder.glob("*.eml"))
    from intake.extract.pool import get_pool

    start, readers = time.perf_counter(), cpu_seconds(resource.RUSAGE_CHILDREN)
    ingest_paths(app, paths)
    total = time.perf_counter() - start
    app.close()
    get_pool().close()                                  # its workers' CPU time is counted once they end
    readers = cpu_seconds(resource.RUSAGE_CHILDREN) - readers
    print(f"\nwhere the time of `intake ingest` goes (in this process, {total:.1f} s = "
          f"{len(paths) / total:.1f} mails/s, wall clock of the main process):")
    for label, seconds in spent.items():
        print(f"  {label:34} {seconds:6.2f} s  {100 * seconds / total:5.1f} %")
    print(f"  {'other':34} {total - sum(v for k, v in spent.items() if not k.startswith(' ')):6.2f} s")
    print(f"CPU of the reader processes: {readers:.2f} s ({1000 * readers / len(paths):.1f} ms a mail), "
          f"beside the main process's {cpu_seconds(resource.RUSAGE_SELF):.2f} s for the whole benchmark")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each, interleaved; the best of each makes the ratio (default 3)")
    parser.add_argument("--simple", action="store_true",
                        help="one-page PDFs with the core fonts (the first version's corpus)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "mails"
        folder.mkdir()
        paths = write_mails(args.mails, folder)
        size = sum(p.stat().st_size for p in paths) / 2**20
        print(f"{len(paths)} distinct application mails, {size:.1f} MB, on {os.cpu_count()} cores")

        naives, ours = [], []
        for round_ in range(1, args.rounds + 1):   # interleaved: a slower spell of the machine
            start, cpu = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)   # weighs on both
            files, chars = naive_peer(paths)
            naive, cpu = time.perf_counter() - start, cpu_seconds(resource.RUSAGE_SELF) - cpu
            naives.append(naive)
            print(f"round {round_}: naive peer (mail-parser + pdfminer.six/python-docx/openpyxl, one "
                  f"process): {len(paths) / naive:.1f} mails/s ({naive:.1f} s, "
                  f"{1000 * cpu / len(paths):.0f} ms CPU a mail; {files} files, {chars} characters)")
            (Path(tmp) / f"run{round_}").mkdir()
            seconds, cpu, report = intake_ingest(folder, Path(tmp) / f"run{round_}")
            ours.append(seconds)
            dossiers = report.count('"applicant"')
            print(f"round {round_}: intake ingest (subprocess, fresh SQLite, reader pool): "
                  f"{len(paths) / seconds:.1f} mails/s ({seconds:.1f} s, {1000 * cpu / len(paths):.0f} "
                  f"ms CPU a mail with its readers; {dossiers} dossiers); ratio {naive / seconds:.2f}x")
        naive, seconds = min(naives), min(ours)
        print(f"best of {args.rounds}: naive peer {len(paths) / naive:.1f} mails/s, intake "
              f"{len(paths) / seconds:.1f} mails/s; load average {os.getloadavg()[0]:.1f}")
        ratios = sorted(n / o for n, o in zip(naives, ours))
        print(f"ratio: intake is {naive / seconds:.2f}x the naive peer (best of each); the rounds' own "
              f"ratios {', '.join(f'{r:.2f}x' for r in ratios)}, median {statistics.median(ratios):.2f}x")
        if args.profile:
            (Path(tmp) / "profile").mkdir()
            timed_ingest(folder, Path(tmp) / "profile")


if __name__ == "__main__":
    main()
