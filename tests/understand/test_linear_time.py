"""No mail can hold the classification for long: every pattern runs in linear time.

Each case is a mail (or a document's text) an applicant could send, shaped against one of
the patterns that used to backtrack: a line of 100,000 spaces took minutes. Each runs the real
code (parse, screen, route, classify) in a child process whose CPU time is limited by the
kernel (RLIMIT_CPU): a quadratic pattern needs minutes of CPU on these inputs and is killed,
a linear one needs well under a second. No wall clock is read.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.conftest import REPO

CPU_SECONDS = 10   # for each case; the old patterns needed minutes on most of them
N = 100_000

# name -> (what the applicant sends, how it reaches the code)
MAIL_CASES = {
    "a body line of 100,000 spaces": ("body", "'Bonjour\\n' + ' ' * N + '\\nCordialement'"),
    "a body of 100,000 blank lines": ("body", "'\\n' * N + 'x'"),
    "a body of blank lines holding one space each": ("body", "'\\n ' * (N // 2)"),
    "a body with 'De :' then 100,000 newlines": ("body", "'De : X\\n' + '\\n' * N"),
    "a quoted-header look-alike on every line": ("body", "'De : x\\n' * (N // 7)"),
    "a body line 'wrote' followed by 100,000 spaces": ("body", "'X wrote' + ' ' * N + 'x'"),
    "a body line of dashes": ("body", "'-' * N"),
    "a body of 'lettre' then 100,000 newlines": ("body", "'lettre' + '\\n' * N + 'x'"),
    "a references section with a 100,000-letter word": ("body", "'Références :\\n' + 'a' * N"),
    "a references section of 'a.' repeated": ("body", "'Références :\\n' + 'a.' * (N // 2)"),
    "a references heading followed by 100,000 spaces": ("body", "'Références : x' + ' ' * N + 'y'"),
    "a references section of digits and spaces": ("body", "'Références :\\n' + '1       ' * (N // 8)"),
    "a references section of 'a@b' repeated": ("body", "'Références :\\n' + 'a@b' * (N // 3)"),
    "a references section of 100,000 digits": ("body", "'Références :\\n' + '1' * N"),
    "a references section of phone-like groups": ("body", "'Références :\\n' + '06 12 34 56 78 ' * (N // 15)"),
    "a references section of '1(((((((' repeated": ("body", "'Références :\\n' + '1(((((((' * (N // 8)"),
    "a subject of 'RE' and 100,000 spaces": ("subject", "'RE' + ' ' * N + 'x'"),
    "a subject of 100,000 brackets": ("subject", "'[' * N"),
    "a subject of 'Candidature' repeated": ("subject", "'Candidature chargé de projet ' * (N // 29)"),
    "a display name of 100,000 spaces": ("name", "'A' + ' ' * N + 'B'"),
    "a Date header of '-0000' and 100,000 spaces": ("date", "'Mon, 1 Jan 2024 00:00:00 -0000' + ' ' * N + 'x'"),
}

DOCUMENT_CASES = {
    "a document of 200,000 spaces on one line": "' ' * 2 * N",
    "a document with a 200,000-letter word in its references": "'Références\\n' + 'a' * 2 * N",
    "a document of 'a.' in its references": "'Références\\n' + 'a.' * N",
    "a document whose references hold 100,000 short lines": "'Références\\n' + 'M. Ahmed\\n' * (N // 9)",
    "a document of 100,000 'i' (a list marker look-alike)": "'i' * N",
    "a document of headings only": "'\\n'.join(['Curriculum vitae', 'Expérience'] * (N // 28))",
}

RUNNER = r"""
import datetime as dt, json, resource, sys
from pathlib import Path
from intake.extract.document import DocumentText
from intake.rules import load_rules
from intake.takein.headers import message_identity, parse_headers, received_at
from intake.understand.classify import classify_body, classify_document
from intake.understand.parse import parse
from intake.understand.route import route
from intake.understand.screen import screen
from intake.vocabulary import load_default_vocabulary

N = {n}
rules = load_rules(Path({rules!r}))
vocab = load_default_vocabulary()


def mail_case(where, value):
    fields = dict(subject="Candidature", name="Salma", date="Mon, 1 Jan 2024 00:00:00 +0000",
                  body="Bonjour")
    fields[where] = value
    raw = (f"From: {{fields['name']}} <salma@example.ma>\nTo: omdp.direction.2@gmail.com\n"
           f"Subject: {{fields['subject']}}\nDate: {{fields['date']}}\nMessage-ID: <1@example.ma>\n"
           "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
           f"Content-Transfer-Encoding: 8bit\n\n{{fields['body']}}\n").encode("utf-8")
    mail = parse(raw)
    screen(mail, set())
    received_at(parse_headers(raw), dt.datetime.now(dt.timezone.utc))
    message_identity(parse_headers(raw))
    route(mail, {{"omdp.direction.2@gmail.com"}}, rules)
    for posting in rules.postings:
        classify_body(mail.body, posting.vocab)


def document_case(where, value):
    classify_document("Document1.pdf", DocumentText(value, 1, "pdf", None), vocab)


def pattern_case(where, value):
    import importlib
    module, name = where.split(":")
    getattr(importlib.import_module(module), name).findall(value)


cases = json.loads(sys.argv[1])
for number, (kind, where, expression) in cases:
    value = eval(expression)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(usage.ru_utime + usage.ru_stime) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (spent + {seconds}, resource.RLIM_INFINITY))
    print("start", number, flush=True)
    globals()[kind + "_case"](where, value)
    print("done", number, flush=True)
"""


def cases() -> list[tuple[str, str, str, str]]:
    """(test name, kind, where, Python expression of the input)."""
    return ([(name, "mail", where, value) for name, (where, value) in MAIL_CASES.items()]
            + [(name, "document", "", value) for name, value in DOCUMENT_CASES.items()]
            + [(f"{where} on {value}", "pattern", where, value) for where, value in PATTERN_CASES])


PATTERN_CASES = [
    ("intake.understand.referees:EMAIL", "'a' * 2 * N"),
    ("intake.understand.referees:EMAIL", "'a.' * N + '@'"),
    ("intake.takein.headers:_ADDRESS", "'a' * 2 * N"),
    ("intake.takein.headers:_ADDRESS", "\"a'\" * N"),
    # runs of base64 letters one short of a joined line, 3.2 MB of them (a text part, checked
    # after its mail's base64 bodies were joined). Guards against a super-linear pattern; the
    # unanchored form (320 steps a character, 1.4 s here) is within this budget too
    ("intake.understand.base64lines:_JOINED", "('a' * 319 + ' ') * (N // 10)"),
]


@pytest.fixture(scope="module")
def outcomes() -> dict[str, str]:
    """Every case run in child processes, each case with CPU_SECONDS of CPU of its own: a case
    killed by the kernel is recorded as "over budget" and the next ones go on in a new child."""
    todo = list(enumerate(cases()))
    result: dict[str, str] = {}
    program = RUNNER.format(n=N, rules=str(REPO / "rules"), seconds=CPU_SECONDS)
    while todo:
        done = subprocess.run([sys.executable, "-c", program,
                               json.dumps([(i, c[1:]) for i, c in todo])],
                              cwd=REPO, capture_output=True, text=True)
        finished = {int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("done")}
        started = [int(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("start")]
        for i, case in todo:
            if i in finished:
                result[case[0]] = "ok"
        if done.returncode == 0:
            break
        culprit = started[-1] if started and started[-1] not in finished else None
        if culprit is None:
            pytest.fail(f"the case runner failed before any case: {done.stderr[-2000:]}")
        name = dict(todo)[culprit][0]
        result[name] = ("over budget" if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL)
                        else f"failed: {done.stderr[-1500:]}")
        todo = [(i, c) for i, c in todo if i not in finished and i != culprit]
    return result


@pytest.mark.parametrize("case", MAIL_CASES)
def test_a_hostile_mail_is_parsed_screened_routed_and_classified_in_linear_time(case, outcomes):
    assert outcomes[case] == "ok", f"{case}: {outcomes[case]} ({CPU_SECONDS} s of CPU)"


@pytest.mark.parametrize("case", DOCUMENT_CASES)
def test_a_hostile_document_text_is_classified_in_linear_time(case, outcomes):
    assert outcomes[case] == "ok", f"{case}: {outcomes[case]} ({CPU_SECONDS} s of CPU)"


@pytest.mark.parametrize("pattern, text", PATTERN_CASES)
def test_address_patterns_scan_a_long_run_once(pattern, text, outcomes):
    case = f"{pattern} on {text}"
    assert outcomes[case] == "ok", f"{case}: {outcomes[case]} ({CPU_SECONDS} s of CPU)"


def test_the_text_given_to_classification_is_capped():
    from intake.extract.document import DocumentText
    from intake.understand import classify
    from intake.vocabulary import load_default_vocabulary

    vocab = load_default_vocabulary()
    far = " ".join(["mot"] * classify.MAX_CLASSIFIED_CHARS) + "\nRéférences :\nM. Karim Alaoui, directeur, karim@example.ma\n"
    assert classify.classify_body(far, vocab) == []
    assert not any(f.piece == "references" for f in
                   classify.classify_document("x.pdf", DocumentText(far, 1, "pdf", None), vocab))
    near = "Références :\nM. Karim Alaoui, directeur, karim@example.ma\n"
    assert [f.count for f in classify.classify_body(near, vocab)] == [1]


