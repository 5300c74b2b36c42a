"""What every command opens: settings -> database, message store, rules."""
from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .db import Database, private_umask
from .rules import RuleSet, load_rules
from .store import Store


@dataclass
class App:
    settings: Settings
    db: Database
    store: Store
    rules: RuleSet

    @property
    def own_addresses(self) -> set[str]:
        """Mail from these is the organisation's own, never an applicant's."""
        return self.rules.addresses | {m.receives_for for m in self.settings.mailboxes}

    def close(self) -> None:
        self.db.dispose()


def open_app(settings: Settings, rules: RuleSet | None = None) -> App:
    private_umask()
    rules = rules if rules is not None else load_rules(settings.rules_dir)
    store = Store(settings.data_dir)
    return App(settings=settings, db=Database(settings.db_url), store=store, rules=rules)
