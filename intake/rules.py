"""rules/*.toml -> Posting models, and `intake rules check` problems as file:line messages.

A rules file describes one posting for a non-programmer admin: flat TOML, every key known,
a typo is an error naming the file, the line and the key.
"""
from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .config import DEFAULT_TIMEZONE, check_timezone
from .errors import UserError
from .text import subject_words
from .vocabulary import PieceVocab, load_default_vocabulary

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_TEMPLATE = "acknowledgement"   # intake/mail_out/templates/acknowledgement.{fr,ar,en}.j2


class PieceWords(BaseModel):
    """A piece of the posting's own (label + words), or more words for a default piece."""

    model_config = ConfigDict(extra="forbid")
    label: str | None = None
    names: list[str] = Field(default_factory=list)
    content: list[str] = Field(default_factory=list)


class PostingFile(BaseModel):
    """The keys a rules file may hold (and nothing else)."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    title: str
    organisation: str | None = None
    source: str | None = None
    addresses: list[str] = Field(default_factory=list)
    subject: str | None = None
    other_subjects: list[str] = Field(default_factory=list)
    deadline: datetime | date | None = None
    timezone: str = DEFAULT_TIMEZONE
    required: dict[str, int] = Field(default_factory=dict)
    cover_letter_in_body: bool = True
    phone_region: str = "MA"       # the country of phone numbers written without +code
    recipients: list[str] = Field(default_factory=list)
    pieces: dict[str, PieceWords] = Field(default_factory=dict)
    acknowledge: bool = False
    acknowledge_within_hours: float = Field(48, gt=0)
    acknowledge_template: str = DEFAULT_TEMPLATE
    reply_from: str | None = None
    retention_days: int | None = Field(None, ge=0)   # days after the deadline; wins over [privacy]

    @field_validator("phone_region")
    @classmethod
    def _region(cls, value: str) -> str:
        import phonenumbers

        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a two-letter country code such as \"MA\" or \"FR\"")
        return value.upper()

    @field_validator("addresses", "recipients")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _EMAIL.match(value.strip()):
                raise ValueError(f"{value!r} is not an e-mail address")
        return [v.strip().lower() for v in values]

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("reply_from")
    @classmethod
    def _reply_from(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(parseaddr(value)[1]):
            raise ValueError(f"{value!r} is not an e-mail address (e.g. \"Recrutement <jobs@example.org>\")")
        return value

    @field_validator("acknowledge_template")
    @classmethod
    def _template_name(cls, value: str) -> str:
        if not re.fullmatch(r"[\w\-]+", value):
            raise ValueError(f"{value!r} is not a template name: letters, digits, '-' and '_' only "
                             "(the files are templates/NAME.fr.j2, NAME.ar.j2, NAME.en.j2 in the rules folder)")
        return value

    @field_validator("deadline", mode="before")
    @classmethod
    def _local_deadline(cls, value):
        if isinstance(value, datetime) and value.tzinfo is not None:
            raise ValueError("write the deadline as local time without an offset "
                             "(e.g. 2026-05-04T16:00:00); the time zone goes in 'timezone'")
        if isinstance(value, str):
            raise ValueError(f"{value!r} is not a date: write it unquoted, e.g. 2026-05-04 or 2026-05-04T16:00:00")
        return value

    @field_validator("required", mode="before")
    @classmethod
    def _counts(cls, value):
        if not isinstance(value, dict):
            return value
        for piece, count in value.items():
            if piece in PostingFile.model_fields:
                raise ValueError(f"'{piece}' is written below [required], so TOML puts it inside that table; "
                                 "move it above the first [table] line of the file")
            if not isinstance(count, int) or isinstance(count, bool):
                raise ValueError(f"'{piece}' must be a whole number of pieces (1, 2, 3...), not {count!r}")
            if count < 1:
                raise ValueError(f"'{piece}' must be asked at least once (1 or more), not {count}")
        return value


@dataclass(frozen=True)
class Posting:
    id: str
    title: str
    organisation: str | None
    addresses: tuple[str, ...]
    subjects: tuple[str, ...]
    deadline: datetime | None          # timezone-aware, in the posting's zone
    timezone: str
    required: dict[str, int]
    cover_letter_in_body: bool
    recipients: tuple[str, ...]
    vocab: dict[str, PieceVocab]
    path: Path | None = None
    phone_region: str = "MA"
    acknowledge: bool = False            # tell applicants what arrived (docs/acknowledgements.md)
    acknowledge_within_hours: float = 48
    acknowledge_template: str = DEFAULT_TEMPLATE
    reply_from: str | None = None
    retention_days: int | None = None

    @property
    def takes_mail(self) -> bool:
        return bool(self.addresses or self.subjects)

    def on_time(self, received_at: datetime) -> bool:
        return self.deadline is None or received_at < self.deadline


@dataclass
class Problem:
    path: Path
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return f"{self.path}:{self.line}: {kind}{self.message}"


@dataclass(frozen=True)
class InvalidFile:
    """A rules file with errors: its posting is disabled until the file is fixed. `addresses`:
    the e-mail addresses written in it (best effort), so that its mail waits unmatched
    instead of going to another posting at the same address."""

    path: Path
    problems: tuple[Problem, ...]
    addresses: frozenset[str] = frozenset()

    def describe(self) -> str:
        return "; ".join(str(p) for p in self.problems)


@dataclass
class RuleSet:
    postings: list[Posting]
    problems: list[Problem] = field(default_factory=list)
    invalid: list[InvalidFile] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.warning]

    def get(self, posting_id: str) -> Posting | None:
        return next((p for p in self.postings if p.id == posting_id), None)

    @property
    def addresses(self) -> set[str]:
        return {a for p in self.postings for a in p.addresses}


def local_deadline(value: datetime | date | None, zone: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0))
    return value.replace(tzinfo=ZoneInfo(zone))


def check_rules(rules_dir: Path) -> RuleSet:
    """Read every rules file; return the valid postings and every problem found. A file with
    an error gives no posting (it is listed in `invalid`); the other files' postings stand."""
    rules_dir = Path(rules_dir)
    if not rules_dir.is_dir():
        raise UserError(f"{rules_dir}: rules folder not found (give one with --rules DIR or INTAKE_RULES_DIR)")
    ruleset = RuleSet(postings=[])
    for path in sorted(rules_dir.glob("*.toml")):
        posting = _load_file(path, ruleset.problems)
        if posting is not None:
            ruleset.postings.append(posting)
    _check_conflicts(ruleset)
    _disable_invalid(ruleset)
    return ruleset


def _disable_invalid(ruleset: RuleSet) -> None:
    by_file: dict[Path, list[Problem]] = {}
    for problem in ruleset.errors:
        by_file.setdefault(problem.path, []).append(problem)
    ruleset.postings = [p for p in ruleset.postings if p.path not in by_file]
    ruleset.invalid = [InvalidFile(path, tuple(problems), _addresses_in(path))
                       for path, problems in by_file.items()]


def _addresses_in(path: Path) -> frozenset[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(a.lower() for a in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text))


def load_rules(rules_dir: Path) -> RuleSet:
    """Rules for running the pipeline: the valid postings; a file with errors disables its
    posting only (see check_rules). Raises only when the folder itself is missing."""
    return check_rules(rules_dir)



def _load_file(path: Path, problems: list[Problem]) -> Posting | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 1
        problems.append(Problem(path, line, f"not valid TOML: {exc}"))
        return None
    try:
        spec = PostingFile.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            problems.append(_schema_problem(path, text, err))
        return None
    return _posting(path, text, spec, problems)


def _schema_problem(path: Path, text: str, err) -> Problem:
    loc = [str(p) for p in err["loc"]]
    line = find_line(text, loc)
    key = ".".join(loc)
    if err["type"] == "extra_forbidden":
        known = list(PostingFile.model_fields) if len(loc) == 1 else list(PieceWords.model_fields)
        close = difflib.get_close_matches(loc[-1], known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(known)})"
        return Problem(path, line, f"unknown key '{key}'{hint}")
    if err["type"] == "missing":
        return Problem(path, line, f"'{key}' is required")
    message = err["msg"].removeprefix("Value error, ")
    if loc and loc[0] == "deadline" and err["type"] != "value_error":
        message = "not a date: write it unquoted, e.g. 2026-05-04 or 2026-05-04T16:00:00"
    return Problem(path, line, f"'{key}': {message}")


def find_line(text: str, loc: list[str]) -> int:
    """The line where a key path (e.g. ['pieces', 'cv', 'names']) is written; 1 when unknown."""
    table: list[str] = []
    best = 1
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if m := re.match(r"^\[\s*([^\]]+?)\s*\]$", line):
            table = [part.strip().strip('"') for part in m.group(1).split(".")]
            if table == loc[: len(table)] and len(table) == len(loc):
                return number
            continue
        if m := re.match(r'^"?([\w\-]+)"?\s*=', line):
            path = table + [m.group(1)]
            if path == loc[: len(path)]:
                best = number
                if len(path) == len(loc) or not loc[len(path):][0].isdigit():
                    return number
    return best


def _posting(path: Path, text: str, spec: PostingFile, problems: list[Problem]) -> Posting | None:
    posting_id = spec.id or path.stem
    ok = True
    if spec.id and spec.id != path.stem:
        problems.append(Problem(path, find_line(text, ["id"]),
                                f"id '{spec.id}' differs from the file name; name the file {spec.id}.toml"))
        ok = False
    vocab = _vocabulary(spec)
    for piece in spec.required:
        if piece not in vocab:
            problems.append(Problem(path, find_line(text, ["required", piece]),
                                    f"piece '{piece}' is not defined: use one of {', '.join(sorted(vocab))}, "
                                    f"or define it in a [pieces.{piece}] table with a label and the words that recognise it"))
            ok = False
    for piece, words in spec.pieces.items():
        if piece not in vocab or not vocab[piece].label:
            problems.append(Problem(path, find_line(text, ["pieces", piece]),
                                    f"piece '{piece}' needs a label (e.g. label = \"copie du diplôme\")"))
            ok = False
    subjects = tuple(s for s in [spec.subject, *spec.other_subjects] if s and s.strip())
    if not spec.addresses and not subjects:
        problems.append(Problem(path, 1, "this posting gives no address and no subject: it captures no mail", warning=True))
    elif spec.deadline is None:
        problems.append(Problem(path, 1, "no deadline: every application will count as on time", warning=True))
    if not spec.required:
        problems.append(Problem(path, 1, "no [required] pieces: every dossier will count as complete", warning=True))
    if spec.acknowledge:
        ok = _check_acknowledgement(path, text, spec, problems) and ok
    if not ok:
        return None
    return Posting(id=posting_id, title=spec.title, organisation=spec.organisation,
                   addresses=tuple(spec.addresses), subjects=subjects,
                   deadline=local_deadline(spec.deadline, spec.timezone), timezone=spec.timezone,
                   required=dict(spec.required), cover_letter_in_body=spec.cover_letter_in_body,
                   recipients=tuple(spec.recipients), vocab=vocab, path=path,
                   phone_region=spec.phone_region,
                   acknowledge=spec.acknowledge, acknowledge_within_hours=spec.acknowledge_within_hours,
                   acknowledge_template=spec.acknowledge_template, reply_from=spec.reply_from,
                   retention_days=spec.retention_days)


def _check_acknowledgement(path: Path, text: str, spec: PostingFile, problems: list[Problem]) -> bool:
    """The acknowledgement templates a posting names exist and render (errors as file:line)."""
    from .mail_out.compose import check_templates

    key = "acknowledge_template" if "acknowledge_template" in spec.model_fields_set else "acknowledge"
    found = check_templates(spec.acknowledge_template, path.parent)
    for where, line, message in found:
        problems.append(Problem(where or path, line if where else find_line(text, [key]), message))
    return not found


def _vocabulary(spec: PostingFile) -> dict[str, PieceVocab]:
    vocab = dict(load_default_vocabulary())
    for piece, extra in spec.pieces.items():
        base = vocab.get(piece)
        if base is None:
            if extra.label:
                vocab[piece] = PieceVocab(label=extra.label, names=extra.names, content=extra.content)
            continue
        vocab[piece] = base.model_copy(update={
            "label": extra.label or base.label,
            "names": [*base.names, *extra.names],
            "content": [*base.content, *extra.content],
        })
    return vocab


def _check_conflicts(ruleset: RuleSet) -> None:
    """Two postings that would claim the same mail: same address and the same subject."""
    seen: list[Posting] = []
    for posting in ruleset.postings:
        for other in seen:
            shared = set(posting.addresses) & set(other.addresses)
            if not (shared or not posting.addresses or not other.addresses):
                continue
            for subject in posting.subjects:
                if any(subject_words(subject) == subject_words(s) for s in other.subjects):
                    where = f"at {', '.join(sorted(shared))}" if shared else "(one of them has no address)"
                    ruleset.problems.append(Problem(
                        posting.path, _subject_line(posting),
                        f"posting '{posting.id}' and '{other.id}' ({other.path.name}) would claim the same mail "
                        f"{where}: subject {subject!r}; give one of them a different subject"))
        seen.append(posting)


def _subject_line(posting: Posting) -> int:
    if posting.path is None:
        return 1
    return find_line(posting.path.read_text(encoding="utf-8", errors="replace"), ["subject"])

