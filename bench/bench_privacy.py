"""Time erasing personal data on a busy office: `intake forget` of one applicant and `intake purge`
of a whole expired posting, each a real `intake` process.

    python bench/bench_privacy.py [--applicants 1000] [--outside 500] [--copies 30] [--db URL]

The office: one expired posting with APPLICANTS applications (a CV and a letter each, real
PDFs), OUTSIDE unmatched mails (which `forget` reads the header of), and COPIES saved report
copies naming everyone (a month of nightly reports, each rendered again by the erasures).
Prints the wall time and the peak memory (max RSS) of each command. SQLite by default.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.documents import pdf_bytes  # noqa: E402
from tests.support.maildata import make_mail  # noqa: E402

RULES = '''title = "Stage 2021"
addresses = ["stage@asso.example"]
subject = "Candidature stage 2021"
deadline = 2021-03-01
retention_days = 30
[required]
cv = 1
cover_letter = 1
'''


RUN = ("import resource, sys; from intake.cli import main; code = main(sys.argv[1:]); "
       "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
       "sys.exit(code)")


def intake(folder: Path, db: str, *args: str) -> tuple[float, float, str]:
    """Run `intake ARGS`; (seconds, peak MiB of the child, stdout)."""
    command = [sys.executable, "-c", RUN, "--db", db, "--rules", str(folder / "rules"),
               "--data-dir", str(folder / "data"), *args]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    peak = int(done.stderr.rsplit("MAXRSS ", 1)[1].split()[0])
    return seconds, peak / 1024, done.stdout


def build(folder: Path, db: str, applicants: int, outside: int, copies: int) -> None:
    (folder / "rules").mkdir()
    (folder / "rules" / "stage-2021.toml").write_text(RULES)
    inbox = folder / "inbox"
    inbox.mkdir()
    start = datetime(2021, 1, 4, tzinfo=timezone.utc)
    for n in range(applicants):
        who = f"Candidat Numero{n:04d}"
        (inbox / f"a{n:04d}.eml").write_bytes(make_mail(
            sender=f"{who} <candidat{n:04d}@exemple.ma>", to="stage@asso.example",
            subject="Candidature stage 2021", received=start + timedelta(minutes=n),
            attachments=[(f"CV {who}.pdf", pdf_bytes([f"Curriculum vitae de {who}"]), "application/pdf"),
                         (f"Lettre {who}.pdf", pdf_bytes([f"Lettre de motivation de {who}"]),
                          "application/pdf")]))
    for n in range(outside):
        (inbox / f"u{n:04d}.eml").write_bytes(make_mail(
            sender=f"Visiteur {n} <visiteur{n:04d}@exemple.ma>", to="contact@asso.example",
            subject=f"Question {n}", received=start + timedelta(minutes=n)))
    seconds, _, _ = intake(folder, db, "ingest", str(inbox))
    print(f"office: {applicants} applications, {outside} unmatched mails "
          f"(ingest {seconds:.0f} s)")
    from intake.app import open_app
    from intake.config import load_settings
    from intake.reports.build import build_report
    from intake.reports.deliver import save_copy

    settings = load_settings(db=db, rules=str(folder / "rules"), data_dir=str(folder / "data"), env={})
    app = open_app(settings)
    with app.db.session() as session:
        report = build_report(session, app.rules, data_dir=settings.data_dir)
    app.close()
    for day in range(copies):
        moment = datetime.now(timezone.utc) - timedelta(days=copies - day)
        save_copy({**report, "generated_at": moment.isoformat()}, settings.data_dir)
    size = sum(p.stat().st_size for p in (folder / "data" / "reports").iterdir()) / 2**20
    print(f"saved report copies: {copies} ({size:.0f} MiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=1000)
    parser.add_argument("--outside", type=int, default=500)
    parser.add_argument("--copies", type=int, default=30)
    parser.add_argument("--db", help="a database URL (default: SQLite in the temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-privacy-") as tmp:
        folder = Path(tmp)
        db = args.db or f"sqlite:///{folder / 'intake.db'}"
        build(folder, db, args.applicants, args.outside, args.copies)
        for label, command in (("forget one applicant", ["forget", "candidat0007@exemple.ma"]),
                               ("purge --dry-run", ["purge", "--dry-run"]),
                               ("purge the posting", ["purge"])):
            seconds, peak, out = intake(folder, db, *command)
            print(f"{label:<22} {seconds:7.1f} s   peak {peak:6.0f} MiB   {out.splitlines()[-1][:90]}")
        sizes = json.dumps({p.name: p.stat().st_size for p in (folder / "data").iterdir() if p.is_file()})
        print(f"data folder files after: {sizes}")


if __name__ == "__main__":
    main()
