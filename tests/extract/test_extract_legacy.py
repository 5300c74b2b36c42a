"""Legacy Office files: Word 97 .doc read by antiword (catdoc when antiword cannot), Excel 97
.xls by xlrd, within the limits of every reader; a broken one is a one-line problem."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from intake.extract import Attachment, read_many, read_text
from intake.extract import tools
from intake.extract.document import OLD_EXCEL, OLD_WORD, TIMEOUT
from tests.conftest import CORPUS, REPO, need_programs, need_shared

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORD = CORPUS / "zbateson_mail-mime-parser" / "files" / "Biodiversite de semaine en semaine.doc"
WORD_LISTS = CORPUS / "sample_documents" / "kreuzberg" / "legacy_office" / "unit_test_lists.doc"
EXCEL = CORPUS / "sample_documents" / "kreuzberg" / "spreadsheets" / "test_excel.xls"


def test_a_word_97_document_is_read_whole_by_antiword():
    need_programs("antiword")
    result = read_text(Attachment("CV.doc", need_shared(WORD).read_bytes(), "application/msword"))
    assert (result.format, result.reader, result.problem) == ("doc", "antiword", None)
    assert "Biodiversité de semaine en semaine" in result.text
    assert "Petroselinum crispum" in result.text and "\x00" not in result.text   # body text, accents kept


def test_an_excel_97_offer_is_read_cell_by_cell_by_xlrd():
    [doc, sheet] = read_many([Attachment("lists.doc", need_shared(WORD_LISTS).read_bytes()),
                              Attachment("offre_financiere.xls", need_shared(EXCEL).read_bytes())])
    assert (sheet.format, sheet.reader, sheet.problem) == ("xls", "xlrd", None)
    assert "Microsoft Office 365 E5\t192000" in sheet.text and sheet.pages == 1
    assert doc.problem is None and "Paragraph 2.1.1" in doc.text


@pytest.mark.parametrize("name, data, problem", [
    ("Lettre.doc", OLE + bytes(4000), OLD_WORD),
    ("offre.xls", OLE + bytes(4000), OLD_EXCEL),
    ("offre.xls", OLE + os.urandom(3000), OLD_EXCEL),
])
def test_a_broken_legacy_file_is_a_plain_problem_named_for_review(name, data, problem):
    assert read_text(Attachment(name, data)).problem == problem


def test_a_truncated_word_file_is_a_problem_not_a_crash():
    need_programs("antiword")
    data = need_shared(WORD).read_bytes()
    result = read_text(Attachment("CV.doc", data[:1536]))
    assert result.problem == OLD_WORD and result.text == ""


def test_a_reader_program_that_overruns_is_stopped_with_a_problem():
    with pytest.raises(tools.ToolFailed, match="sleep: TimeoutExpired"):
        tools.run(["sleep", "30"], timeout_s=0.2)


def test_a_program_dies_with_the_worker_that_ran_it():
    """The pool kills a worker that overruns; the program the worker was running must not
    stay behind (it would hold a core and the document's memory)."""
    code = "from intake.extract import tools; tools.run(['sleep', '300'], timeout_s=300)"
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    children = f"/proc/{worker.pid}/task/{worker.pid}/children"
    deadline = time.monotonic() + 30
    while not (pids := open(children).read().split()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pids, "the program did not start"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    deadline = time.monotonic() + 30
    while os.path.exists(f"/proc/{pids[0]}") and _state(pids[0]) != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pids[0]}") or _state(pids[0]) == "Z"


def _state(pid: str) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_a_word_file_read_past_its_time_is_a_timeout_for_review():
    need_programs("antiword")
    # antiword takes milliseconds: past 1 ms it is a timeout, even when its answer is already
    # there when the pool looks (the worker says that it overran)
    result = read_text(Attachment("CV.doc", need_shared(WORD).read_bytes()), timeout_s=0.001)
    assert result.problem == TIMEOUT
