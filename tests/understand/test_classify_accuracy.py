"""Measured accuracy of read_text + classify on the labelled document collection.

The tuning part may guide changes to the vocabulary; the held-out part never does (its
mistakes are not printed). Figures go to docs/accuracy.md: python -m tests.documents.measure
"""
import pytest

from tests.documents.measure import PIECES, measure


@pytest.fixture(scope="module", params=["tuning", "heldout"])
def scores(request):
    result = measure(request.param)
    print("\n" + result.table())
    return result


def test_the_collection_is_large_enough(scores):
    assert sum(scores.tp[p] + scores.fn[p] for p in PIECES) >= 60


def test_per_piece_precision_and_recall(scores):
    floor = 0.9 if scores.part == "tuning" else 0.6
    for piece in PIECES:
        assert scores.precision(piece) >= floor, (piece, scores.table(), scores.errors)
        assert scores.recall(piece) >= floor, (piece, scores.table())


def test_references_are_counted(scores):
    floor = 0.9 if scores.part == "tuning" else 0.6
    assert scores.counts_right >= floor * scores.counts_total
