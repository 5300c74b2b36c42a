"""Benchmark of IMAP IDLE: the time from APPEND to the applicant's dossier, in `intake run`.

    python bench/bench_idle.py                 # 1 and 4 idle mailboxes, 10 mails each round
    python bench/bench_idle.py --mails 5       # shorter

A real Dovecot on loopback (tests/support/dovecot.py) and the real daemon (`intake run` in a
child process, SQLite, the repository's rules) with `idle = true` on every mailbox and a
scheduled poll once an hour, so only IDLE can bring the mail in time. One application mail is
APPENDed at a time (a pause between them) to one mailbox, then to every mailbox at the same
moment; the clock runs from the end of the APPEND to the moment the dossier row is committed
(the database is looked at every 10 ms). Without IDLE the same mail waits for the next poll:
on average half of `poll_interval_seconds` (150 s with the default 300).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import create_engine, select  # noqa: E402

from intake.models import Dossier  # noqa: E402
from tests.support.dovecot import Dovecot, write_config  # noqa: E402
from tests.support.maildata import make_mail  # noqa: E402

POSTING = "omp-dialogue-detenus-2026"
ADDRESS = "omdp.direction.2@gmail.com"
WHEN = dt.datetime(2026, 4, 28, 9, 0, tzinfo=dt.timezone.utc)


def has_dossier(engine, who: str) -> bool:
    try:
        with engine.connect() as conn:
            return conn.execute(select(Dossier.id).filter_by(
                posting_id=POSTING, applicant=f"{who}@example.ma")).first() is not None
    except Exception:  # noqa: BLE001 - no schema yet
        return False


def wait_dossier(engine, who: str, since: float, limit: float = 120) -> float:
    while not has_dossier(engine, who):
        if time.monotonic() - since > limit:
            raise SystemExit(f"no dossier for {who} after {limit} s")
        time.sleep(0.01)
    return time.monotonic() - since


def append(server, user, who: str) -> float:
    server.append(user, "INBOX", make_mail(sender=f"Bench <{who}@example.ma>", to=ADDRESS), WHEN)
    return time.monotonic()


def run_round(server: Dovecot, boxes: int, mails: int, work: Path) -> tuple[list[float], list[float]]:
    users = [server.add_user() for _ in range(boxes)]
    configs = [server.mailbox(u, name=f"box{i}").model_copy(update={"idle": True, "address": ADDRESS})
               for i, u in enumerate(users)]
    db = work / f"intake-{boxes}.db"
    config = write_config(work / f"config-{boxes}.toml", configs, db_url=f"sqlite:///{db}",
                          data_dir=work / f"data-{boxes}", rules_dir=REPO / "rules",
                          poll_interval_seconds=3600)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = open(work / f"run-{boxes}.log", "w")
    daemon = subprocess.Popen([sys.executable, "-m", "intake", "--config", str(config), "run"],
                              cwd=REPO, env=env, stdout=log, stderr=log)
    engine = create_engine(f"sqlite:///{db}")
    one, together = [], []
    try:
        deadline = time.monotonic() + 60
        while (work / f"run-{boxes}.log").read_text().count("folder 'INBOX': 0 new") < boxes:
            if time.monotonic() > deadline:
                raise SystemExit("the daemon did not start:\n"
                                 + (work / f"run-{boxes}.log").read_text()[-2000:])
            time.sleep(0.1)
        time.sleep(2)   # every IDLE in place
        for n in range(mails):
            who = f"one{boxes}-{n}"
            one.append(wait_dossier(engine, who, append(server, users[n % boxes], who)))
            time.sleep(1)
        if boxes > 1:
            for n in range(mails):
                starts: dict[str, float] = {}
                threads = [threading.Thread(target=lambda u=u, w=f"all{boxes}-{n}-{i}":
                                            starts.__setitem__(w, append(server, u, w)))
                           for i, u in enumerate(users)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                for who, since in starts.items():
                    together.append(wait_dossier(engine, who, since))
                time.sleep(1)
    finally:
        daemon.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        daemon.wait(timeout=60)
        print(f"  SIGTERM -> exit {daemon.returncode} in {time.monotonic() - stopped:.1f} s")
        engine.dispose()
    return one, together


def describe(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[max(0, round(0.9 * len(values)) - 1)]
    return (f"median {statistics.median(values):.2f} s, p90 {p90:.2f} s, max {values[-1]:.2f} s "
            f"({len(values)} mails)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp, \
            tempfile.TemporaryDirectory(prefix="bench-idle-dovecot-") as mail:
        work = Path(tmp)
        server = Dovecot(Path(mail))
        server.start()
        try:
            for boxes in (1, 4):
                print(f"{boxes} idle mailbox(es):")
                one, together = run_round(server, boxes, args.mails, work)
                print(f"  APPEND -> dossier, one mail at a time: {describe(one)}")
                if together:
                    print(f"  APPEND -> dossier, one mail in each of the {boxes} mailboxes at "
                          f"once: {describe(together)}")
        finally:
            server.stop()
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
