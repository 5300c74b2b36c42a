"""Who sees what (interface.md): `[report] recipients` see every posting and the mail outside
dossiers; a rules file's `recipients` see that posting only. The same lists decide the nightly
mails (one per person, holding just their postings) and who may open what in the web view.

Pure: the configured lists and the rules in, readers out.
"""
from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from intake.rules import RuleSet


@dataclass(frozen=True)
class Reader:
    address: str                 # the e-mail address, lower-case
    postings: tuple[str, ...]    # the postings this person receives, in the rules' order
    everything: bool = False     # a [report] recipient: every posting, and mail outside dossiers

    def sees(self, posting_id: str | None) -> bool:
        return posting_id is not None and posting_id in self.postings


def bare(address: str) -> str:
    """'Direction <Direction@OMP.example>' -> 'direction@omp.example'."""
    return (parseaddr(address)[1] or address).strip().lower()


def readers(report_recipients: list[str], rules: RuleSet) -> list[Reader]:
    """Everyone who receives a report, each once, in the order they are configured."""
    everyone = tuple(p.id for p in rules.postings)
    order: list[str] = []
    whole: set[str] = set()
    some: dict[str, set[str]] = {}
    for address in report_recipients:
        if key := bare(address):
            whole.add(key)
            order.append(key)
    for posting in rules.postings:
        for address in posting.recipients:
            if key := bare(address):
                some.setdefault(key, set()).add(posting.id)
                order.append(key)
    out = []
    for key in dict.fromkeys(order):
        if key in whole:
            out.append(Reader(key, everyone, everything=True))
        else:
            out.append(Reader(key, tuple(p for p in everyone if p in some[key])))
    return out


def reader_for(address: str, report_recipients: list[str], rules: RuleSet) -> Reader | None:
    """The reader with this address, or None when it receives no report."""
    key = bare(address)
    return next((r for r in readers(report_recipients, rules) if r.address == key), None)
