"""What every command opens: settings -> database, message store, rules."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from email.utils import parseaddr

from .config import Settings
from .db import Database, private_umask
from .fsutil import private_folder
from .rules import RuleSet, load_rules
from .takein.store import Store

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    db: Database
    store: Store
    rules: RuleSet

    @property
    def own_addresses(self) -> set[str]:
        """Mail from these is the organisation's own, never an applicant's (and never gets an
        acknowledgement): the postings' addresses, the mailboxes polled, the senders intake uses."""
        senders = {self.settings.smtp.sender, *(p.reply_from for p in self.rules.postings if p.reply_from)}
        return (self.rules.addresses | {m.receives_for for m in self.settings.mailboxes}
                | {parseaddr(s)[1].lower() for s in senders} - {""})

    def close(self) -> None:
        self.db.dispose()


def open_app(settings: Settings, rules: RuleSet | None = None) -> App:
    private_umask()
    if rules is None:
        rules = load_rules(settings.rules_dir)
        log_invalid_rules(rules)
    private_folder(settings.data_dir, "the data folder", "--data-dir")
    store = Store(settings.data_dir)
    return App(settings=settings, db=Database(settings.db_url), store=store, rules=rules)


def log_invalid_rules(rules: RuleSet) -> None:
    """Each rules file with errors, once (when the rules are read): its posting is disabled."""
    for bad in rules.invalid:
        log.error("rules file with errors, its posting is disabled until it is fixed (its mail "
                  "waits, unmatched): %s", bad.describe())
