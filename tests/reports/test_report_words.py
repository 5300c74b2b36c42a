"""The French wording shared by every report format."""
import pytest

from intake.reports import words


def test_status_labels_are_french():
    assert [words.status_label(s) for s in ("complete", "incomplete", "late")] == [
        "complet", "incomplet", "hors délai"]


def test_counted_piece_says_how_many_of_how_many():
    labels = {"references": "référence"}
    assert words.piece_label("references", labels, 1, 3) == "1 référence sur 3"
    assert words.piece_label("references", labels, 0, 2) == "2 références"
    assert words.piece_label("references", labels, 2, 3) == "2 références sur 3"


def test_single_piece_is_its_label_with_defaults_and_custom_labels():
    assert words.piece_label("cover_letter") == "lettre de motivation"
    assert words.piece_label("cv", {}, 0, 1) == "CV"
    assert words.piece_label("diploma", {"diploma": "copie du diplôme"}) == "copie du diplôme"
    assert words.piece_label("tax_status") == "tax status"


def test_plural_of_noun_phrases():
    assert words.plural("lettre de recommandation") == "lettres de recommandation"
    assert words.plural("note méthodologique") == "notes méthodologiques"
    assert words.plural("CV") == "CV"


def test_missing_pieces_in_words_use_the_required_counts():
    missing = words.missing_words(["cover_letter", "references"], {"cv": 1, "references": 1},
                                  {"cv": 1, "cover_letter": 1, "references": 3})
    assert missing == ["lettre de motivation", "1 référence sur 3"]


def test_pieces_found_in_words():
    assert words.pieces_words({"cv": 1, "references": 3, "cover_letter": 0}) == "CV, 3 références"
    assert words.pieces_words({"references": 1}, None, {"references": 3}) == "1 référence"
    assert words.pieces_words({}) == "aucune"


@pytest.mark.parametrize("seconds, expected", [
    (30, "moins d'une minute après la date limite"),
    (45 * 60, "45 min après la date limite"),
    (2 * 3600, "2 h après la date limite"),
    (2 * 3600 + 30 * 60, "2 h 30 après la date limite"),
    (86400 + 4 * 3600, "1 jour 4 h après la date limite"),
    (3 * 86400 + 900, "3 jours après la date limite"),
])
def test_how_late_in_words(seconds, expected):
    assert words.late_words(seconds) == expected


def test_ignored_reason_codes_in_french():
    assert words.reason_label("auto-reply") == "réponse automatique"
    assert "rebond" in words.reason_label("bounce")
    assert "envoi en nombre" in words.reason_label("bulk")
    assert "organisation" in words.reason_label("own-mail")
    assert words.reason_label("something-new") == "something-new"


def test_days_left():
    assert words.days_left_words(12, False, True) == "encore 12 jours"
    assert words.days_left_words(1, False, True) == "encore 1 jour"
    assert words.days_left_words(0, False, True) == "dernier jour"
    assert words.days_left_words(None, True, True) == "clôturé"
    assert words.days_left_words(None, False, False) == "sans date limite"


def test_times_are_shown_in_local_time():
    # Casablanca is UTC+1 outside Ramadan: 15:00 UTC is 16 h 00 local.
    assert words.long_datetime("2026-05-04T15:00:00+00:00", "Africa/Casablanca") == \
        "4 mai 2026 à 16 h 00"
    assert words.short_datetime("2026-04-22T18:40:00+00:00", "Africa/Casablanca") == \
        "22/04/2026 19:40"
    assert words.long_date("2026-11-01T12:00:00+00:00", "UTC") == "1er novembre 2026"


def test_naive_time_is_refused_with_the_value_named():
    with pytest.raises(ValueError, match="2026-05-04T16:00:00"):
        words.to_local("2026-05-04T16:00:00", "UTC")


def test_a_midnight_deadline_also_names_the_last_day():
    from intake.reports.words import deadline_words

    assert deadline_words("2020-09-24T00:00:00+01:00", "Africa/Casablanca") == \
        "24 septembre 2020 à 0 h 00 (dernier jour : 23 septembre 2020)"
    assert deadline_words("2026-05-04T16:00:00+01:00", "Africa/Casablanca") == "4 mai 2026 à 16 h 00"
    assert deadline_words(None, "Africa/Casablanca") == "aucune"
