"""Build samples/mailbox, a Maildir of realistic application mails for the README demo:

    python samples/build_sample_mailbox.py [OUT_DIR]
    intake ingest samples/mailbox && intake report

The mails are cases of the test corpus (tests/mails/corpus_cases*.py) for the 2026 DIALOGUE posting:
complete, late by a minute, a missing letter, a letter in the body, an Arabic application, a
follow-up that completes a dossier, an out-of-office reply and a job-board newsletter.
Deterministic: the same bytes and file names every time.
"""
from __future__ import annotations

import sys

sys.dont_write_bytecode = True

from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "mails"))
from corpus_cases import CASES  # noqa: E402
from corpus_mime import render  # noqa: E402

SAMPLES = [
    "b01-complete", "b03-late-by-a-minute", "b05-missing-letter", "b07-letter-and-references-in-body",
    "b14-arabic-application", "b15-followup-cv-and-letter", "b16-followup-references",
    "b20-out-of-office-en", "x02-newsletter-precedence-bulk",
]
UNREAD = {"b16-followup-references", "b20-out-of-office-en"}   # still in new/, as a mail client leaves them


def build(out: Path) -> list[Path]:
    by_name = {case.mail.name: case.mail for case in CASES}
    for sub in ("cur", "new", "tmp"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    (out / "tmp" / ".gitkeep").write_bytes(b"")
    written = []
    for i, name in enumerate(SAMPLES, start=1):
        mail = by_name[name]
        raw = render(mail)
        base = f"{int(mail.received.timestamp())}.M{i}P{4100 + i}.omp-demo,S={len(raw)}"
        path = out / "new" / base if name in UNREAD else out / "cur" / f"{base}:2,S"
        path.write_bytes(raw)
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "mailbox"
    print(f"{len(build(target))} mails written to {target}")
