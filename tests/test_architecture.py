"""The layout keeps its promise: take-in is durable and independent, understanding is
replaceable, and every setting the code reads is documented for the admin."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from pydantic import BaseModel

from intake.config import FileConfig
from tests.conftest import REPO

PACKAGE = REPO / "intake"


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """(absolute module, imported names) of every import in a module of the intake package."""
    module = ".".join(path.relative_to(REPO).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
    return found


def modules(folder: Path):
    return sorted(folder.rglob("*.py"))


def test_take_in_never_imports_understanding():
    for path in modules(PACKAGE / "takein"):
        for target, names in imports_of(path):
            assert not target.startswith("intake.understand"), f"{path.name} imports {target}"
            if target == "intake":
                assert "understand" not in names, f"{path.name} imports intake.understand"


def test_the_command_line_and_the_commands_do_not_import_each_other():
    for target, _ in imports_of(PACKAGE / "commands.py"):
        assert target != "intake.cli"


def test_no_private_name_is_imported_from_another_module():
    for path in modules(PACKAGE):
        for target, names in imports_of(path):
            if target.startswith("intake"):
                private = [n for n in names if n.startswith("_") and not n.startswith("__")]
                assert not private, f"{path.relative_to(REPO)} imports {private} from {target}"


def settings_keys(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str]]:
    keys = []
    for name, field in model.model_fields.items():
        inner = field.annotation
        inner = getattr(inner, "__args__", (inner,))[0] if getattr(inner, "__origin__", None) is list else inner
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            keys += settings_keys(inner, name)
        else:
            keys.append((prefix, name))
    return keys


def test_every_setting_in_the_code_is_documented_in_config_example():
    example = (REPO / "config.example.toml").read_text(encoding="utf-8")
    sections = re.split(r"^\[+([\w.]+)\]+", example, flags=re.M)
    documented: dict[str, str] = {sections[i]: sections[i + 1] for i in range(1, len(sections), 2)}
    missing = [f"[{section}] {key}" for section, key in settings_keys(FileConfig)
               if not re.search(rf"^[#\s]*{key}\s*=", documented.get(section, ""), re.M)]
    assert not missing, f"settings missing from config.example.toml: {missing}"


def test_every_package_is_installed_by_pyproject():
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    folders = {".".join(p.relative_to(REPO).parts) for p in PACKAGE.rglob("*")
               if p.is_dir() and p.name != "__pycache__"} | {"intake"}
    assert folders - listed == set(), "add these packages to [tool.setuptools] packages"


def test_the_schema_head_known_to_the_code_is_the_newest_migration():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from intake.db import MIGRATIONS, SCHEMA_HEAD

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


def test_the_quick_poll_imports_nothing_heavy_and_agrees_with_the_config_models():
    """`intake poll --once` with nothing to do is answered by intake/quickpoll.py before
    SQLAlchemy, pydantic or imapclient is imported; its defaults are the models' defaults."""
    import subprocess
    import sys

    from intake.config import MailboxConfig, StorageConfig
    from intake.quickpoll import MAILBOX_DEFAULTS
    from intake.rawconfig import DEFAULT_DATA_DIR, DEFAULT_RULES_DIR

    heavy = ("sqlalchemy", "pydantic", "imapclient", "alembic", "psycopg", "jinja2")
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, intake.cli, intake.quickpoll; "
                               "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
        cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    assert not set(heavy) & set(loaded), set(heavy) & set(loaded)
    assert (StorageConfig().data_dir, StorageConfig().rules_dir) == (DEFAULT_DATA_DIR, DEFAULT_RULES_DIR)
    box = MailboxConfig(name="x", host="h", username="u")
    assert {key: getattr(box, key) for key in MAILBOX_DEFAULTS} == MAILBOX_DEFAULTS


def test_each_postgresql_advisory_lock_has_its_own_id_and_they_are_all_in_one_place():
    from intake import db

    ids = {name: value for name, value in vars(db).items() if name.endswith(("_LOCK", "_LOCKS"))}
    assert len(set(ids.values())) == len(ids), ids
    stray = [f"{path.relative_to(REPO)}:{n}" for path in modules(PACKAGE) if path.name != "db.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"\b748_?2\d\d\b", line)]
    assert stray == [], "advisory lock ids belong in intake/db.py"
