"""An admin turns acknowledgements on in a rules file and may write their own templates;
`intake rules check` names every mistake as file:line."""
from __future__ import annotations

from intake.cli import main
from intake.mail_out.compose import render_body
from intake.rules import check_rules
from intake.understand.acknowledge import Told

POSTING = '''title = "Chargé(e) de projet"
addresses = ["jobs@example.ma"]
subject = "Candidature chargé de projet"
deadline = 2026-05-04T16:00:00
acknowledge = true
{extra}
[required]
cv = 1
cover_letter = 1
references = 3
'''


def check(tmp_path, capsys, extra="", templates=None):
    (tmp_path / "juriste.toml").write_text(POSTING.format(extra=extra), encoding="utf-8")
    for name, text in (templates or {}).items():
        (tmp_path / "templates").mkdir(exist_ok=True)
        (tmp_path / "templates" / name).write_text(text, encoding="utf-8")
    code = main(["rules", "check", "--rules", str(tmp_path)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_acknowledge_with_the_default_templates_is_valid(tmp_path, capsys):
    code, out = check(tmp_path, capsys, extra='reply_from = "Recrutement <jobs@example.ma>"')
    assert code == 0, out
    assert "1 posting(s) valid, 0 error(s)" in out


def test_a_missing_template_is_named_at_the_line_that_asks_for_it(tmp_path, capsys):
    code, out = check(tmp_path, capsys, extra='acknowledge_template = "juriste"')
    assert code == 1
    assert f"juriste.toml:6: acknowledgement template 'juriste' not found: write {tmp_path}/templates/juriste.fr.j2" in out


def test_template_mistakes_are_named_at_their_line_in_the_template(tmp_path, capsys):
    code, out = check(tmp_path, capsys, extra='acknowledge_template = "juriste"', templates={
        "juriste.fr.j2": "Bonjour {{ name }},\n\n{% for p in missing %}\n- {{ p }}\n",
        "juriste.en.j2": "Hello {{ name }},\nYou sent: {{ recieved | join(', ') }}\n",
    })
    assert code == 1
    assert f"{tmp_path}/templates/juriste.fr.j2:4: template error: Unexpected end of template" in out
    assert f"{tmp_path}/templates/juriste.en.j2:2: template error: 'recieved' is undefined" in out


def test_wrong_values_are_named_with_their_key(tmp_path, capsys):
    code, out = check(tmp_path, capsys, extra='acknowledge_within_hours = 0\nreply_from = "recrutement"\n'
                                              'acknowledge_template = "../../etc/passwd"')
    assert code == 1
    assert "juriste.toml:6: 'acknowledge_within_hours': Input should be greater than 0" in out
    assert "juriste.toml:7: 'reply_from': 'recrutement' is not an e-mail address" in out
    assert "juriste.toml:8: 'acknowledge_template': '../../etc/passwd' is not a template name" in out


def test_an_admins_own_template_is_used_and_french_stands_in_for_a_missing_language(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "juriste.fr.j2").write_text(
        "Cher·e {{ name or 'candidat·e' }}, il manque : {{ missing | join(' ; ') }} (avant le {{ deadline }}).\n",
        encoding="utf-8")
    (tmp_path / "juriste.toml").write_text(POSTING.format(extra='acknowledge_template = "juriste"'),
                                           encoding="utf-8")
    posting = check_rules(tmp_path).postings[0]
    state = Told(pieces={"cv": 1, "references": 1}, missing=("cover_letter", "references"))

    language, text = render_body(posting, None, state, "ar")

    assert language == "fr"
    assert text == ("Cher·e candidat·e, il manque : lettre de motivation ; 2 références (reçu : 1 sur 3) "
                    "(avant le 4 mai 2026 à 16 h 00, heure du Maroc).\n")


def test_the_default_arabic_and_english_templates_name_the_pieces_and_the_deadline(tmp_path):
    (tmp_path / "juriste.toml").write_text(POSTING.format(extra=""), encoding="utf-8")
    posting = check_rules(tmp_path).postings[0]
    state = Told(pieces={"cv": 1}, missing=("cover_letter", "references"))

    _, english = render_body(posting, "John Smith", state, "en")
    _, arabic = render_body(posting, None, state, "ar")

    assert "Hello John Smith," in english and "  - CV\n" in english
    assert "  - cover letter\n  - 3 references\n" in english
    assert "before 4 May 2026 at 16:00 (Moroccan time)" in english
    assert "  - السيرة الذاتية\n" in arabic and "  - رسالة التحفيز\n  - 3 مراجع\n" in arabic
    assert "قبل 4 ماي 2026 على الساعة 16:00 (بتوقيت المغرب)" in arabic
