"""Benchmark of the IMAP take-in against a local Dovecot, with mbsync (isync) as the yardstick.

    0. the real command `intake poll --once` (take-in AND understanding) of a 2,000-message
       mailbox against `mbsync` pulling the same mailbox, in one run; then the same command when
       nothing is new, against `intake --help`, at two mailbox sizes (it must stay flat);

    python bench/bench_imap.py                 # full run (2,000 and 10,000 messages)
    python bench/bench_imap.py --quick         # smaller mailboxes, for a smoke run
    python bench/bench_imap.py --write docs/bench_imap.md
    python bench/bench_imap.py --idle          # only: a poll that finds nothing, 500 and 10,000

Measures, each in a fresh child process so that peak memory (ru_maxrss) is its own:
  1. taking in a 2,000-message mailbox (fetch + store + database, no understanding) vs
     `mbsync` pulling the same mailbox into a Maildir: time, ratio, peak memory;
  2. a poll that finds nothing new in a 10,000-message mailbox (and mbsync's no-op sync);
  3. peak memory of the first take-in as the mailbox grows (500 / 2,000 / 10,000 messages):
     it must stay flat, because messages are streamed in bounded batches.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROUNDS = 5   # interleaved runs of intake and mbsync in the main comparison
sys.path.insert(0, str(REPO))

from tests.support.dovecot import Dovecot, ImapUser, write_config  # noqa: E402


def text_message(n: int) -> bytes:
    """A short text mail (for big mailboxes whose first poll must end in minutes)."""
    return (f"From: Candidat {n} <candidat{n}@example.ma>\r\nTo: recrutement@example.org\r\n"
            f"Subject: Candidature {n}\r\nMessage-ID: <idle-{n}@example.ma>\r\n"
            "Date: Mon, 04 Mar 2024 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Bonjour, je vous adresse ma candidature ({n}).\r\n").encode()


def message(n: int, rng: random.Random) -> bytes:
    """An application-like message: text body and an attachment of 5-60 KB."""
    attachment = base64.encodebytes(rng.randbytes(rng.randint(5_000, 60_000))).decode()
    return (
        f"From: Candidat {n} <candidat{n}@example.ma>\r\n"
        f"To: recrutement@example.org\r\nSubject: Candidature {n}\r\n"
        f"Message-ID: <bench-{n}@example.ma>\r\nDate: Mon, 04 Mar 2024 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Bonjour, veuillez trouver ci-joint mon CV ({n}).\r\n"
        "--b\r\nContent-Type: application/pdf; name=cv.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename=cv.pdf\r\n\r\n"
        f"{attachment.replace(chr(10), chr(13) + chr(10))}--b--\r\n"
    ).encode()


def load(server: Dovecot, user: ImapUser, count: int, text_only: bool = False) -> int:
    rng = random.Random(count)
    when = dt.datetime(2026, 4, 1, tzinfo=dt.timezone.utc)
    sizes = []

    def messages():
        for n in range(count):
            raw = text_message(n) if text_only else message(n, rng)
            sizes.append(len(raw))
            yield raw, when + dt.timedelta(minutes=n)

    server.append_many(user, "INBOX", messages())
    return sum(sizes)


# -- child processes -------------------------------------------------------------------------

def child_takein(args: list[str]) -> dict:
    """Run in a fresh interpreter: one poll (take-in only) of one mailbox."""
    import tracemalloc

    from intake.app import open_app
    from intake.config import MailboxConfig, load_settings
    from intake.takein.poller import Poller

    db_url, data_dir, rules_dir, box_json, trace = args
    box = MailboxConfig.model_validate_json(box_json)
    app = open_app(load_settings(db=db_url, data_dir=data_dir, rules=rules_dir, env={}))
    if trace == "trace":   # tracemalloc slows every allocation: never in a timed comparison
        tracemalloc.start()
    started = time.perf_counter()
    result = Poller(app).poll(box)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace == "trace" else None
    app.close()
    return {"seconds": seconds, "python_peak": peak,
            "new": sum(f.new for f in result.folders), "error": result.error}


def child_fetch(args: list[str]) -> dict:
    """Run in a fresh interpreter: stream every message of the mailbox and drop it (the IMAP
    layer alone, without store and database)."""
    import tracemalloc

    from intake.config import MailboxConfig
    from intake.takein import imap

    box = MailboxConfig.model_validate_json(args[-1])
    tracemalloc.start()
    started = time.perf_counter()
    with imap.Reader(box) as reader:
        reader.open("INBOX")
        count = sum(1 for _ in reader.fetch(reader.uids_after(0)))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "python_peak": tracemalloc.get_traced_memory()[1], "new": count,
            "error": None}


def run_child(*args: str, env: dict) -> dict:
    """Run this script as a child; returns its JSON result plus its own peak RSS."""
    process = subprocess.Popen([sys.executable, __file__, "--child", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = process.stdout.read()
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"child failed: {err.decode()[-3000:]}")
    result = json.loads(out)
    result["max_rss"] = usage.ru_maxrss * 1024
    return result


def run_intake(bench, box, tag: str, *args: str) -> dict:
    """The real `intake` command in a child process (fresh SQLite per tag), timed."""
    data = bench.work / f"cli-{tag}"
    config = write_config(bench.work / f"cli-{tag}.toml", [box], db_url=f"sqlite:///{data}/intake.db",
                          data_dir=data, rules_dir=REPO / "rules")
    intake = str(Path(sys.executable).with_name("intake"))
    log = bench.work / f"cli-{tag}.log"
    with open(log, "ab") as errors:   # a file, not a pipe: a full pipe would stall the child
        process = subprocess.Popen([intake, "--config", str(config), *args], env=bench.env,
                                   stdout=subprocess.DEVNULL, stderr=errors)
        started = time.perf_counter()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"intake {' '.join(args)} failed: {log.read_text()[-2000:]}")
    return {"seconds": seconds, "max_rss": usage.ru_maxrss * 1024}


def seconds_of(runs: list[dict], digits: int) -> str:
    return ", ".join(f"{r['seconds']:.{digits}f} s" for r in runs)


def best_of(n: int, run) -> dict:
    return min((run() for _ in range(n)), key=lambda r: r["seconds"])


def run_mbsync(config: Path) -> dict:
    process = subprocess.Popen(["mbsync", "-q", "-c", str(config), "bench"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = time.perf_counter()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"mbsync failed: {process.stderr.read().decode()[-2000:]}")
    return {"seconds": seconds, "max_rss": usage.ru_maxrss * 1024}


def mbsync_config(root: Path, server: Dovecot, user: ImapUser) -> Path:
    local = root / "mbsync-maildir"
    local.mkdir(parents=True, exist_ok=True)
    config = root / "mbsyncrc"
    config.write_text(f"""IMAPAccount bench
Host {server.host}
Port {server.imap_port}
User {user.name}
Pass {user.password}
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account bench

MaildirStore local
Path {local}/
Inbox {local}/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Sync Pull
Create Near
SyncState *
""")
    config.chmod(0o600)
    return config


# -- the benchmark ---------------------------------------------------------------------------

class Bench:
    def __init__(self, server: Dovecot, work: Path):
        self.server, self.work = server, work
        # intake as installed: its modules compiled once (__pycache__), not at every start
        self.env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                    "PYTHONPATH": str(REPO)}

    def mailbox(self, count: int, text_only: bool = False):
        user = self.server.add_user()
        size = load(self.server, user, count, text_only)
        box = self.server.mailbox(user)
        self.env[box.password_env] = user.password
        return user, box, size

    def takein(self, box, tag: str, trace: bool = False) -> dict:
        data = self.work / f"data-{tag}"
        return run_child("takein", f"sqlite:///{data}/intake.db", str(data),
                         str(REPO / "rules"), box.model_dump_json(),
                         "trace" if trace else "time", env=self.env)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write", metavar="FILE")
    parser.add_argument("--idle", action="store_true",
                        help="only the poll that finds nothing new (500 and 10,000 messages)")
    parser.add_argument("--child", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    if options.child:
        work = child_fetch if options.child[0] == "fetch" else child_takein
        print(json.dumps(work(options.child[1:])))
        return
    sizes = (200, 500, 2000) if options.quick else (500, 2000, 10000)
    main_size, big = sizes[1] if options.quick else 2000, sizes[-1]
    root = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    server = Dovecot(root)
    server.start()
    work = Path(tempfile.mkdtemp(prefix="intake-bench-work-"))
    try:
        if options.idle:
            lines = measure_idle(Bench(server, work), (500, 10000) if not options.quick else (200, 500))
        else:
            lines = measure(Bench(server, work), server, work, main_size, big, sizes)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    report = "\n".join(lines)
    print(report)
    if options.write:
        Path(options.write).write_text(report + "\n")


def measure_idle(bench: Bench, sizes: tuple[int, ...], runs: int = 7) -> list[str]:
    """`intake poll --once` that finds nothing new: the quick poll (intake/quickpoll.py), the
    full poll (its fingerprint removed first), against `intake --help`; best of `runs`, the
    three interleaved so that the machine's load weighs on each alike."""
    out = ["# `intake poll --once` when nothing is new", "",
           f"{os.cpu_count()} CPU(s), {sys.version.split()[0]}, local Dovecot {server_version()}; "
           f"best of {runs} runs each; SQLite. Mailboxes of short text mails (the first poll "
           "takes them in and understands them).", "",
           "| messages | first poll | nothing new: quick poll | nothing new: full poll | "
           "intake --help | quick poll - help | load average |", "|---|---|---|---|---|---|---|"]
    for count in sizes:
        _, box, _ = bench.mailbox(count, text_only=True)
        tag = f"idle{count}"
        first = run_intake(bench, box, tag, "poll", "--once")
        checked = bench.work / f"cli-{tag}" / "poll-checked"
        run_intake(bench, box, tag, "--log-level", "debug", "poll", "--once")   # warm the caches
        said = (bench.work / f"cli-{tag}.log").read_text()
        assert "quick poll: nothing new" in said, said[-2000:]
        quick, full, helps = [], [], []
        load_before = os.getloadavg()[0]
        for _ in range(runs):
            helps.append(run_intake(bench, box, tag, "--help")["seconds"])
            quick.append(run_intake(bench, box, tag, "poll", "--once")["seconds"])
            checked.unlink()
            full.append(run_intake(bench, box, tag, "poll", "--once")["seconds"])
        assert checked.exists(), "the full poll left no fingerprint"
        load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f}"
        out.append(f"| {count:,} | {first['seconds']:.1f} s | {min(quick) * 1000:.0f} ms | "
                   f"{min(full) * 1000:.0f} ms | {min(helps) * 1000:.0f} ms | "
                   f"**{(min(quick) - min(helps)) * 1000:+.0f} ms** | {load} |")
        print(out[-1], file=sys.stderr)
    out += ["", "The quick poll reads the config, asks SQLite and the IMAP server with the "
            "standard library, records the poll in mailbox_health and exits; the full poll "
            "imports SQLAlchemy, pydantic and imapclient first."]
    return out


def measure(bench: Bench, server: Dovecot, work: Path, main_size: int, big: int,
            sizes: tuple[int, ...]) -> list[str]:
    mb = 1024 * 1024
    out = ["# IMAP take-in benchmark", "",
           f"Local Dovecot {server_version()} on loopback, {os.cpu_count()} CPU(s), "
           f"{sys.version.split()[0]}; `mbsync` {mbsync_version()}. "
           f"Messages of 7-80 KB (a text body and a base64 attachment). Take-in = fetch + "
           f"content-addressed store (fsync) + SQLite rows; understanding is not included.", ""]

    load_before = os.getloadavg()
    user, box, total = bench.mailbox(main_size)
    # interleaved rounds, each on a fresh database and a fresh Maildir; the best of each makes
    # the ratio (the host's speed drifts by a fifth from minute to minute)
    wholes, firsts = [], []
    for round_ in range(ROUNDS):
        wholes.append(run_intake(bench, box, "main" if round_ == 0 else f"first{round_}", "poll", "--once"))
        firsts.append(run_mbsync(mbsync_config(work / f"mbsync-first{round_}", server, user)))
    whole = min(wholes, key=lambda r: r["seconds"])
    theirs_first = min(firsts, key=lambda r: r["seconds"])
    ratios = sorted(w["seconds"] / f["seconds"] for w, f in zip(wholes, firsts))
    out += [f"## `intake poll --once` (take-in and understanding) of a {main_size:,}-message "
            f"mailbox vs `mbsync`", "",
            f"Best of {ROUNDS} interleaved runs each (intake: {seconds_of(wholes, 1)}; "
            f"mbsync: {seconds_of(firsts, 2)}).", "",
            "| | time | messages/s | peak RSS |", "|---|---|---|---|",
            f"| intake poll --once (first) | {whole['seconds']:.1f} s | "
            f"{main_size / whole['seconds']:.0f} | {whole['max_rss'] / mb:.0f} MB |",
            f"| mbsync pull | {theirs_first['seconds']:.1f} s | "
            f"{main_size / theirs_first['seconds']:.0f} | {theirs_first['max_rss'] / mb:.0f} MB |", "",
            f"Ratio: **{whole['seconds'] / theirs_first['seconds']:.2f}x** mbsync's time, best against "
            f"best; the rounds' own ratios {', '.join(f'{r:.2f}x' for r in ratios)}, median "
            f"{ratios[len(ratios) // 2]:.2f}x (load average before: {load_before[0]:.2f}). mbsync "
            "writes each message with an fsync of its own and intake one syncfs a batch, so the "
            "ratio moves with the disk's fsync latency: compare rounds of one run only.", ""]
    idle_rows = []
    help_time = best_of(3, lambda: run_intake(bench, box, "main", "--help"))
    for count, (tag, idle_box) in ((main_size, ("main", box)),):
        idle = best_of(3, lambda: run_intake(bench, idle_box, tag, "poll", "--once"))
        idle_rows.append(f"| {count:,} | {idle['seconds'] * 1000:.0f} ms | "
                         f"{help_time['seconds'] * 1000:.0f} ms | "
                         f"{(idle['seconds'] - help_time['seconds']) * 1000:+.0f} ms |")

    ours = bench.takein(box, "main")
    fetch = run_child("fetch", box.model_dump_json(), env=bench.env)
    theirs = run_mbsync(mbsync_config(work / "mbsync-main", server, user))
    out += [f"## Taking in a {main_size:,}-message mailbox ({total / mb:.0f} MB)", "",
            "| | time | messages/s | peak RSS | Python peak (tracemalloc) |",
            "|---|---|---|---|---|",
            f"| intake poll (first) | {ours['seconds']:.1f} s | {main_size / ours['seconds']:.0f} | "
            f"{ours['max_rss'] / mb:.0f} MB | - |",
            f"| intake fetch only (no store, no database) | {fetch['seconds']:.1f} s | "
            f"{main_size / fetch['seconds']:.0f} | {fetch['max_rss'] / mb:.0f} MB | "
            f"{fetch['python_peak'] / mb:.1f} MB |",
            f"| mbsync pull | {theirs['seconds']:.1f} s | {main_size / theirs['seconds']:.0f} | "
            f"{theirs['max_rss'] / mb:.0f} MB | - |", "",
            f"Ratio intake / mbsync: **{ours['seconds'] / theirs['seconds']:.1f}x** the time "
            f"(the IMAP fetch alone: {fetch['seconds'] / theirs['seconds']:.1f}x); the rest is "
            f"the take-in's durable writes (the raw files, one syncfs a batch) and its database rows "
            f"(timed without tracemalloc).", ""]

    user, box, total = bench.mailbox(big)
    run_intake(bench, box, "big", "poll", "--once")
    idle = best_of(3, lambda: run_intake(bench, box, "big", "poll", "--once"))
    idle_rows.append(f"| {big:,} | {idle['seconds'] * 1000:.0f} ms | "
                     f"{help_time['seconds'] * 1000:.0f} ms | "
                     f"{(idle['seconds'] - help_time['seconds']) * 1000:+.0f} ms |")
    out += ["## `intake poll --once` when nothing is new, against `intake --help`", "",
            "| messages in the mailbox | poll, nothing new | intake --help | difference |",
            "|---|---|---|---|", *idle_rows, ""]
    first = bench.takein(box, "big", trace=True)
    again = bench.takein(box, "big")
    config = mbsync_config(work / "mbsync-big", server, user)
    run_mbsync(config)
    mbsync_again = run_mbsync(config)
    out += [f"## A poll that finds nothing new in a {big:,}-message mailbox", "",
            "| | time | peak RSS |", "|---|---|---|",
            f"| intake poll, nothing new | {again['seconds'] * 1000:.0f} ms | "
            f"{again['max_rss'] / mb:.0f} MB |",
            f"| mbsync, nothing new | {mbsync_again['seconds'] * 1000:.0f} ms | "
            f"{mbsync_again['max_rss'] / mb:.0f} MB |", "",
            f"(The first take-in of these {big:,} messages took {first['seconds']:.1f} s, "
            f"with tracemalloc on.)", ""]
    assert again["new"] == 0 and first["new"] == big, (first, again)

    out += ["## Peak memory of a first take-in as the mailbox grows", "",
            "(times here with tracemalloc on, except the row of the main mailbox)", "",
            "| messages | mailbox size | time | peak RSS | Python peak |", "|---|---|---|---|---|"]
    series = {main_size: (ours, None), big: (first, total)}
    for count in sizes:
        if count not in series:
            _, box, size = bench.mailbox(count)
            series[count] = (bench.takein(box, f"s{count}", trace=True), size)
    for count in sizes:
        result, size = series[count]
        size_text = f"{size / mb:.0f} MB" if size else "(above)"
        peak = result["python_peak"]
        out.append(f"| {count:,} | {size_text} | {result['seconds']:.1f} s | "
                   f"{result['max_rss'] / mb:.0f} MB | "
                   f"{'-' if peak is None else f'{peak / mb:.1f} MB'} |")
    from intake.takein import imap, poller

    out += ["", f"Messages are fetched in batches of at most {imap.BATCH_COUNT} messages and "
            f"{imap.BATCH_BYTES // mb} MB and committed every {poller.COMMIT_EVERY} (or "
            f"{poller.COMMIT_BYTES // mb} MB), so peak memory follows the batch, not the mailbox: "
            "the small growth from the smallest to the biggest mailbox is the list of UIDs and "
            "SQLAlchemy's caches, not message bytes."]
    return out


def server_version() -> str:
    return subprocess.run(["/usr/sbin/dovecot", "--version"], capture_output=True,
                          text=True).stdout.split()[0]


def mbsync_version() -> str:
    return subprocess.run(["mbsync", "--version"], capture_output=True,
                          text=True).stdout.split()[-1]


if __name__ == "__main__":
    main()
