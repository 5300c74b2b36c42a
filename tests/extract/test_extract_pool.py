"""Documents are read by a pool of long-lived worker processes: a batch in parallel and in order,
each document under its own limits; a worker that overruns or dies is replaced and only its
document becomes a problem; nothing starts before a document is read; workers end with intake."""
import io
import operator
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import openpyxl

from intake.extract import Attachment, read_many, read_text, read_then
from intake.extract.document import CORRUPT, ENCRYPTED, MEMORY, SCAN, TIMEOUT
from tests.conftest import REPO
from tests.support.documents import docx_bytes, image_pdf_bytes, pdf_bytes, png_bytes

HEAVY = ("pypdfium2", "pdfminer", "docx", "openpyxl", "odf", "tnefparse", "striprtf")


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["Offre financière", "Total TTC (MAD)", 14400])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def slow_scan() -> Attachment:
    """10,000 pages without text: pdfium gives up at once, pdfminer.six takes seconds (about
    5 s on a quiet 2-core machine, so well past the 1 s budget of the test below)."""
    return Attachment("scan.pdf", image_pdf_bytes(png_bytes(), pages=10_000))


def cv(n: int = 0) -> Attachment:
    return Attachment(f"cv{n}.pdf", pdf_bytes([f"Curriculum vitae {n}", "Expérience professionnelle à Fès"]))


def test_a_batch_is_read_in_order_each_file_by_its_library():
    batch = [cv(), Attachment("scan.pdf", image_pdf_bytes(png_bytes())), Attachment("lettre.docx", docx_bytes(["Madame, Monsieur"])),
             Attachment("offre.xlsx", xlsx_bytes()), Attachment("photo.jpg", png_bytes()),
             Attachment("cv-secret.pdf", pdf_bytes(["CV"], password="x")), Attachment("refs.txt", "Références".encode())]
    results = read_many(batch)
    assert [(r.format, r.reader, r.problem) for r in results] == [
        ("pdf", "pypdfium2", None), ("pdf", "pdfminer", SCAN), ("docx", "lxml", None),
        ("xlsx", "openpyxl", None), ("image", "", "image (photo ou scan) : à vérifier"),
        ("pdf", "pdfminer", ENCRYPTED), ("txt", "text", None)]
    assert "Curriculum vitae 0" in results[0].text and "14400" in results[3].text


def test_the_work_after_reading_runs_in_the_worker_and_what_fails_there_is_left_to_the_caller():
    # what classification does with each text (intake/understand/pipeline.py), here with a
    # stand-in: which library read it, or len(), which raises on a text
    reader = operator.attrgetter("reader")
    batch = [cv(7), Attachment("lettre.docx", docx_bytes(["Madame, Monsieur"])),
             Attachment("cv.pdf", pdf_bytes(["Expérience"]))]
    results = read_then(batch + [Attachment("notes.txt", b"Formation")],
                        [reader, reader, len, reader])
    texts, made = zip(*results)
    assert [t.format for t in texts] == ["pdf", "docx", "pdf", "txt"]
    assert made[:2] == ("pypdfium2", "lxml")
    assert made[2] is None   # len() of a text raises: the caller runs it again and sees why
    assert made[3] == "text"
    assert list(texts) == read_many(batch + [Attachment("notes.txt", b"Formation")])


def test_arabic_comes_in_reading_order_from_whichever_library_reads_it_so():
    # fpdf2 without shaping: pdfium gives the words backwards, so pdfminer.six reads the file;
    # with HarfBuzz shaping (as real documents are), pdfium reads it right and pdfminer.six not
    unshaped = read_text(Attachment("cv.pdf", pdf_bytes(["السيرة الذاتية", "الخبرة المهنية"])))
    shaped = read_text(Attachment("cv.pdf", pdf_bytes(["السيرة الذاتية", "الخبرة المهنية"], shaped=True)))
    assert (unshaped.reader, shaped.reader) == ("pdfminer", "pypdfium2")
    assert "السيرة الذاتية" in unshaped.text and "السيرة الذاتية" in shaped.text


def test_a_document_over_time_costs_only_itself():
    results = read_many([cv(1), slow_scan(), cv(2)], timeout_s=1, max_pages=20_000)
    assert [r.problem for r in results] == [None, TIMEOUT, None]
    assert read_text(cv(3)).problem is None        # the killed worker was replaced


def test_a_worker_out_of_memory_is_replaced():
    results = read_many([Attachment("notes.txt", "Référence ".encode() * 4 * 2**20), cv(4)], memory_mb=16)
    assert [r.problem for r in results] == [MEMORY, None]
    assert read_text(cv(5)).problem is None


def worker_pids() -> set[int]:
    return {int(p) for p in os.listdir("/proc") if p.isdigit() and _parent_of(p) == os.getpid()
            and b"intake.extract.worker" in _cmdline(p)}


def _parent_of(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except OSError:
        return b""


def test_a_worker_that_dies_in_the_middle_of_a_document_costs_only_that_document():
    read_many([cv(6), cv(7)])                        # the workers are up
    before = {pid: _cpu_ticks(pid) for pid in worker_pids()}
    results = {}
    reading = threading.Thread(target=lambda: results.update(r=read_many([slow_scan()], max_pages=20_000)))
    reading.start()
    deadline = time.monotonic() + 30
    busy = None
    while busy is None and time.monotonic() < deadline:   # the worker whose CPU time is growing
        busy = next((pid for pid, ticks in before.items() if _cpu_ticks(pid) > ticks + 30), None)
        time.sleep(0.05)
    assert busy is not None
    os.kill(busy, signal.SIGKILL)
    reading.join()
    assert results["r"][0].problem == CORRUPT
    assert read_text(cv(8)).problem is None


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return 0


def test_threads_reading_at_once_get_their_own_answers():
    answers: dict[int, list] = {}

    def read(n: int) -> None:
        answers[n] = read_many([cv(10 * n + k) for k in range(4)])

    threads = [threading.Thread(target=read, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, results in answers.items():
        assert [f"Curriculum vitae {10 * n + k}" in r.text for k, r in enumerate(results)] == [True] * 4


def python(code: str, tmp_path, *args: str) -> str:
    """Run ``code`` (with the helper children()) in a fresh interpreter; its last line of output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    done = subprocess.run([sys.executable, "-c", CHILDREN + textwrap.dedent(code), *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.stdout, done.stderr[-3000:]
    return done.stdout.splitlines()[-1]


CHILDREN = """
import os, signal, sys
def children():
    mine = str(os.getpid())
    found = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1] == mine:
                found.append(int(p))
        except OSError:
            pass
    return found
"""


def test_help_and_a_mail_without_documents_start_no_reader(tmp_path):
    (tmp_path / "mail.eml").write_bytes(
        b"From: Salma <salma@example.ma>\r\nTo: omdp.direction.2@gmail.com\r\n"
        b"Subject: Candidature_charg\xc3\xa9(e) de projet_OMP\r\nMessage-ID: <body-only@example.ma>\r\n"
        b"Date: Tue, 28 Apr 2026 10:00:00 +0100\r\n\r\nBonjour, ma candidature suit.\r\n")
    last = python(f"""
        from intake.cli import main
        try:
            main(["--help"])
        except SystemExit:
            pass
        main(["--data-dir", "data", "--rules", {str(REPO / "rules")!r}, "ingest", "mail.eml"])
        print([m for m in {HEAVY!r} if m in sys.modules], children())
    """, tmp_path)
    assert last == "[] []"


def test_workers_end_with_intake_even_when_it_is_killed(tmp_path):
    script = f"""
        from intake.extract import Attachment, read_many
        read_many([Attachment("a.txt", b"Curriculum vitae"), Attachment("b.txt", b"Lettre de motivation")])
        print(([m for m in {HEAVY!r} if m in sys.modules], children()), flush=True)
        if sys.argv[-1] == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
    """
    for how in ("exit", "kill"):
        heavy, pids = eval(python(script, tmp_path, how))
        assert heavy == [] and len(pids) == 2        # the reading was done by two workers, not here
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in pids), how


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
        return state != "Z" and b"intake.extract.worker" in _cmdline(str(pid))
    except OSError:
        return False


def test_the_number_of_readers_can_be_set_and_a_wrong_one_is_named(tmp_path):
    script = """
        from intake.extract import Attachment, read_many
        read_many([Attachment(f"{n}.txt", b"Curriculum vitae") for n in range(6)])
        print(len(children()))
    """
    cores = str(len(os.sched_getaffinity(0)))
    for value, readers in (("1", "1"), ("3", "3"), ("deux", cores)):
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
        env["INTAKE_READER_WORKERS"] = value
        done = subprocess.run([sys.executable, "-c", CHILDREN + textwrap.dedent(script)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.stdout.split() == [readers]
        assert ("INTAKE_READER_WORKERS='deux' is not a whole number above 0" in done.stderr) == (value == "deux")
