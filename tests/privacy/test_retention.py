"""When data outlives its purpose: the rule, on plain data, and how an admin writes it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from intake.config import load_settings
from intake.errors import UserError
from intake.privacy.copies import Filters, without
from intake.privacy.identity import normalize
from intake.privacy.retention import outside_cutoff, since_moment, term
from intake.rules import check_rules
from tests.privacy.office import RULES, STAGE

NOW = datetime(2026, 12, 3, 12, tzinfo=timezone.utc)


def posting(tmp_path, extra: str = ""):
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / f"{STAGE}.toml").write_text(extra + RULES[STAGE].replace("retention_days = 30\n", ""))
    ruleset = check_rules(folder)
    return ruleset, ruleset.get(STAGE)


def test_the_rules_files_days_win_over_the_configs(tmp_path):
    _, p = posting(tmp_path, "retention_days = 10\n")
    t = term(p, default_days=3650)
    assert t.days == 10 and t.erase_from == p.deadline + timedelta(days=10)
    assert t.expired(NOW)
    assert term(p.__class__(**{**p.__dict__, "retention_days": None}), 3650).expired(NOW) is False


def test_a_posting_is_kept_without_a_deadline_or_without_any_retention(tmp_path):
    _, p = posting(tmp_path)
    assert term(p, None).erase_from is None and not term(p, None).expired(NOW)
    assert not term(p.__class__(**{**p.__dict__, "deadline": None}), 0).expired(NOW)
    assert term(p, 0).expired(p.deadline) and not term(p, 0).expired(p.deadline - timedelta(seconds=1))


def test_a_negative_retention_is_named_with_its_file_and_line(tmp_path):
    ruleset, _ = posting(tmp_path, "retention_days = -5\n")
    assert [str(e) for e in ruleset.errors] == [
        f"{tmp_path / 'rules' / STAGE}.toml:1: 'retention_days': Input should be greater than or equal to 0"]


def test_privacy_settings_are_read_from_the_config_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[privacy]\nretention_days = 365\nunmatched_days = 90\n")
    settings = load_settings(config=str(config), env={})
    assert (settings.privacy.retention_days, settings.privacy.unmatched_days) == (365, 90)
    assert outside_cutoff(90, NOW) == NOW - timedelta(days=90) and outside_cutoff(None, NOW) is None


def test_dates_and_addresses_as_people_type_them():
    assert since_moment("2026-11-01", "Africa/Casablanca").isoformat() == "2026-11-01T00:00:00+01:00"
    assert since_moment("2026-11-01T08:00+00:00", "Africa/Casablanca").hour == 8
    with pytest.raises(UserError):
        since_moment("hier", "UTC")
    assert normalize("Salma <Salma.Bennani@Example.MA>") == "salma.bennani@example.ma"
    with pytest.raises(UserError, match="not an e-mail address"):
        normalize("salma bennani")


def test_a_saved_report_without_the_erased_keeps_everyone_else_and_its_counts_follow():
    report = {"generated_at": "x", "postings": [
        {"id": "a", "counts": {"complete": 2, "incomplete": 0, "late": 0},
         "dossiers": [{"applicant": "x@e.ma", "status": "complete"}, {"applicant": "y@e.ma", "status": "complete"}]},
        {"id": "b", "counts": {}, "dossiers": []}],
        "unmatched": [{"pk": 1, "from": "X <X@e.ma>"}, {"pk": 2, "from": "z@e.ma"}],
        "ignored": [], "failed": [{"pk": 3}, {"pk": 4}]}
    out = without(report, Filters(addresses=frozenset({"x@e.ma"}), messages=frozenset({4})))
    assert [d["applicant"] for d in out["postings"][0]["dossiers"]] == ["y@e.ma"]
    assert out["postings"][0]["counts"] == {"complete": 1, "incomplete": 0, "late": 0}
    assert [m["pk"] for m in out["unmatched"]] == [2] and [m["pk"] for m in out["failed"]] == [3]
    assert [p["id"] for p in without(report, Filters(postings=frozenset({"a"})))["postings"]] == ["b"]
    assert without(out, Filters(addresses=frozenset({"x@e.ma"}), messages=frozenset({4}))) == out
