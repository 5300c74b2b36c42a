"""All cases of the mail corpus and the dossiers they must produce (see corpus_kit.py for deadlines)."""
from __future__ import annotations

from corpus_cases_a import cases_a, dossiers_a
from corpus_cases_b import cases_b, dossiers_b
from corpus_cases_other import cases_other, dossiers_other
from corpus_kit import Case, Dossier

CASES: list[Case] = cases_a() + cases_b() + cases_other()
DOSSIERS: list[Dossier] = dossiers_a() + dossiers_b() + dossiers_other()
