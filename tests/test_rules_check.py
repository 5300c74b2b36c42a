"""`intake rules check`: every problem named as file:line with the key, exit 1; warnings exit 0."""
from __future__ import annotations

from datetime import datetime, timezone


from intake.cli import main
from intake.rules import load_rules
from tests.conftest import REPO

GOOD = '''title = "Chargé(e) de projet"
addresses = ["jobs@example.ma"]
subject = "Candidature chargé de projet"
deadline = 2026-05-04T16:00:00
timezone = "Africa/Casablanca"

[required]
cv = 1
cover_letter = 1
'''


def check(tmp_path, capsys, **files):
    for name, text in files.items():
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    code = main(["rules", "check", "--rules", str(tmp_path)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_shipped_rules_are_valid_and_say_the_cndh_posting_captures_nothing(capsys):
    code = main(["rules", "check", "--rules", str(REPO / "rules")])
    out = capsys.readouterr().out
    assert code == 0
    assert "cndh-directeur-promotion-dh.toml:1: warning: this posting gives no address and no subject" in out
    assert "5 posting(s) valid, 0 error(s)" in out


def test_the_seed_deadlines_follow_the_french_wording():
    rules = load_rules(REPO / "rules")
    utc = {p.id: p.deadline.astimezone(timezone.utc) if p.deadline else None for p in rules.postings}
    assert utc["omp-ecpm-peine-de-mort-2021"] == datetime(2021, 2, 11, 23, 0, tzinfo=timezone.utc)   # avant le 12 février
    assert utc["omp-dialogue-detenus-2026"] == datetime(2026, 5, 4, 15, 0, tzinfo=timezone.utc)     # le 04/05 avant 16h00
    assert utc["omp-consultant-gouvernance-2025"] == datetime(2025, 1, 21, 23, 0, tzinfo=timezone.utc)  # le 21, avant minuit
    assert utc["md-tpm-souss-massa-2020"] == datetime(2020, 9, 23, 23, 0, tzinfo=timezone.utc)      # avant le 24 septembre
    assert utc["cndh-directeur-promotion-dh"] is None


def test_a_good_file_passes(tmp_path, capsys):
    code, out = check(tmp_path, capsys, jobs=GOOD)
    assert code == 0, out


def test_a_misspelt_key_is_named_with_its_line_and_a_suggestion(tmp_path, capsys):
    code, out = check(tmp_path, capsys, jobs=GOOD.replace("deadline =", "deadlin ="))
    assert code == 1
    assert f"{tmp_path / 'jobs.toml'}:4: unknown key 'deadlin' (did you mean 'deadline'?)" in out


def test_a_deadline_that_is_not_a_date(tmp_path, capsys):
    code, out = check(tmp_path, capsys, jobs=GOOD.replace("2026-05-04T16:00:00", '"le 4 mai"'))
    assert code == 1
    assert "jobs.toml:4: 'deadline'" in out and "not a date" in out


def test_a_deadline_with_an_offset_is_refused(tmp_path, capsys):
    code, out = check(tmp_path, capsys, jobs=GOOD.replace("2026-05-04T16:00:00", "2026-05-04T16:00:00+01:00"))
    assert code == 1 and "without an offset" in out


def test_a_piece_that_is_not_defined(tmp_path, capsys):
    code, out = check(tmp_path, capsys, jobs=GOOD + "diplome = 1\n")
    assert code == 1
    assert "jobs.toml:10: piece 'diplome' is not defined" in out


def test_a_posting_can_define_its_own_piece(tmp_path, capsys):
    text = GOOD + 'diploma = 1\n\n[pieces.diploma]\nlabel = "copie du diplôme"\nnames = ["diplome", "diploma"]\n'
    code, out = check(tmp_path, capsys, jobs=text)
    assert code == 0, out


def test_a_misspelt_key_inside_a_piece_table(tmp_path, capsys):
    text = GOOD + 'diploma = 1\n\n[pieces.diploma]\nlabel = "copie du diplôme"\nname = ["diplome"]\n'
    code, out = check(tmp_path, capsys, jobs=text)
    assert code == 1
    assert "jobs.toml:14: unknown key 'pieces.diploma.name' (did you mean 'names'?)" in out


def test_two_postings_that_would_claim_the_same_mail(tmp_path, capsys):
    code, out = check(tmp_path, capsys, a=GOOD, b=GOOD.replace("Candidature chargé", "candidature CHARGÉE"))
    assert code == 1
    assert "b.toml:3: posting 'b' and 'a' (a.toml) would claim the same mail at jobs@example.ma" in out


def test_invalid_toml_is_reported_with_its_line(tmp_path, capsys):
    code, out = check(tmp_path, capsys, jobs=GOOD.replace('title = "Chargé(e) de projet"', 'title = "unclosed'))
    assert code == 1 and "jobs.toml:1: not valid TOML" in out


def test_a_wrong_time_zone_and_a_bad_address(tmp_path, capsys):
    text = GOOD.replace("Africa/Casablanca", "Africa/Casablanka").replace("jobs@example.ma", "jobs-at-example")
    code, out = check(tmp_path, capsys, jobs=text)
    assert code == 1
    assert "jobs.toml:5: 'timezone'" in out and "not an IANA time zone" in out
    assert "jobs.toml:2: 'addresses': 'jobs-at-example' is not an e-mail address" in out and "not an e-mail address" in out


def test_an_id_that_differs_from_the_file_name(tmp_path, capsys):
    code, out = check(tmp_path, capsys, jobs='id = "other"\n' + GOOD)
    assert code == 1 and "jobs.toml:1: id 'other' differs from the file name" in out


def test_a_missing_rules_folder_is_a_usage_error(tmp_path, capsys):
    code = main(["rules", "check", "--rules", str(tmp_path / "nope")])
    assert code == 2
    assert "rules folder not found" in capsys.readouterr().err


def test_a_key_written_below_a_table_is_explained(tmp_path, capsys):
    code, out = check(tmp_path, capsys, jobs=GOOD + "cover_letter_in_body = false\n")
    assert code == 1
    assert "'cover_letter_in_body' is written below [required]" in out
    assert "move it above the first [table] line" in out
