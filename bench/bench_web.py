"""Time the web view's pages on a large office: 50 postings, 10,000 dossiers in SQLite.

    python bench/bench_web.py [--postings 50] [--dossiers 10000] [--repeat 5]

Dossier rows are written straight into a fresh database (their verdicts from the synthetic
report of tests/support/reportdata.py); one rules file per posting. Each page is asked for
through the whole application (session, CSRF, security headers) with Starlette's test client;
prints the best and median wall time of each page.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake.app import open_app  # noqa: E402
from intake.config import load_settings  # noqa: E402
from intake.models import Dossier  # noqa: E402
from intake.web.app import create_app  # noqa: E402
from intake.web.links import make_token  # noqa: E402
from tests.support.reportdata import synthetic_report  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

SECRET = "bench-secret-0123456789abcdef"


def office(folder: Path, postings: int, dossiers: int):
    report = synthetic_report(postings, dossiers)
    rules = folder / "rules"
    rules.mkdir()
    for p in report["postings"]:
        (rules / f"{p['id']}.toml").write_text(
            f'title = "{p["title"]}"\naddresses = ["{p["addresses"][0]}"]\n'
            f'subject = "{p["subject"]}"\ndeadline = 2026-05-04T16:00:00\n'
            "[required]\ncv = 1\ncover_letter = 1\nreferences = 3\n", encoding="utf-8")
    config = folder / "config.toml"
    config.write_text('[report]\nrecipients = ["direction@example.org"]\n'
                      '[web]\nsecret_env = "BENCH_WEB_SECRET"\n', encoding="utf-8")
    os.environ["BENCH_WEB_SECRET"] = SECRET
    app = open_app(load_settings(config=str(config), db=f"sqlite:///{folder / 'intake.db'}",
                                 rules=str(rules), data_dir=str(folder / "data")))
    with app.db.session() as s:
        for p in report["postings"]:
            for d in p["dossiers"]:
                s.add(Dossier(posting_id=p["id"], applicant=d["applicant"], name=d["name"],
                              status=d["status"],
                              first_received_at=datetime.fromisoformat(d["first_received_at"]),
                              last_received_at=datetime.fromisoformat(d["last_received_at"]),
                              verdict={k: d[k] for k in ("pieces", "missing", "needs_review",
                                                         "message_ids", "late_by_seconds",
                                                         "documents", "messages")}))
        s.commit()
    return app, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=50)
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app, report = office(Path(tmp), args.postings, args.dossiers)
        browser = TestClient(create_app(app))
        browser.get(f"/connexion/lien?jeton={make_token(SECRET, 'direction@example.org')}")
        first = report["postings"][0]["id"]
        with app.db.session() as s:
            one = s.query(Dossier.id).filter(Dossier.posting_id == first).first()[0]
        pages = {"postings (home)": "/", f"one posting ({args.dossiers // args.postings} "
                 "dossiers)": f"/offres/{first}", "one dossier": f"/dossiers/{one}",
                 "sign-in page": "/connexion"}
        print(f"web view: {args.postings} postings, {args.dossiers} dossiers, SQLite")
        print(f"{'page':<32} {'best s':>8} {'median s':>9}")
        for name, url in pages.items():
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                answer = browser.get(url)
                times.append(time.perf_counter() - start)
                assert answer.status_code == 200, (url, answer.status_code)
            print(f"{name:<32} {min(times):8.3f} {statistics.median(times):9.3f}")
        app.close()


if __name__ == "__main__":
    main()
