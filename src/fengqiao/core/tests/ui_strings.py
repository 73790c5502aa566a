"""What the apps' translation tests read: the msgids an app's code and templates hand to
gettext, found the way ``makemessages`` finds them (one helper for every app's test_i18n)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

GETTEXT_NAMES = ("_", "gettext", "gettext_lazy", "gettext_noop")


def template_strings(text: str) -> set[str]:
    """The msgids of one template: ``{% translate "…" %}`` and ``{% blocktranslate %}`` bodies
    (variables written as ``%(name)s``, as in the catalogue)."""
    found = set(re.findall(r'\{% translate "([^"]*)"', text)) | set(re.findall(r"\{% translate '([^']*)'", text))
    for m in re.findall(r"\{% blocktranslate[^%]*%\}(.*?)\{% endblocktranslate %\}", text, re.S):
        found.add(re.sub(r"\{\{ (\w+) \}\}", r"%(\1)s", m))
    return found


def code_strings(app: Path) -> set[str]:
    """The msgids of an app's Python code (tests, migrations and its i18n table left out);
    implicit concatenation joined, as gettext sees it."""
    found = set()
    for f in app.rglob("*.py"):
        if "tests" in f.parts or "migrations" in f.parts or f.name == "i18n_zh.py":
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in GETTEXT_NAMES
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def templates_strings(paths: Iterable[Path]) -> set[str]:
    found: set[str] = set()
    for f in paths:
        found |= template_strings(f.read_text())
    return found


#: the one Chinese catalogue every app's table fills (``make messages``)
CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
_PLACEHOLDER = re.compile(r"%\(\w+\)s")


def stale_or_broken(table: dict[str, str], found: set[str]) -> tuple[list[str], list[str]]:
    """An app's translation table against the strings its code and templates use: the entries
    nothing uses any more, and those whose translation lost or gained a ``%(name)s``."""
    stale = sorted(set(table) - found)
    broken = [en for en, zh in table.items() if sorted(_PLACEHOLDER.findall(en)) != sorted(_PLACEHOLDER.findall(zh))]
    return stale, broken


def catalogue_changes(table: dict[str, str]) -> dict[str, tuple[str, str]]:
    """The msgids the catalogue already translates otherwise than ``table`` (it holds one Chinese
    per msgid for every app, so filling it from the table would change another page)."""
    import polib

    catalogue = {e.msgid: e.msgstr for e in polib.pofile(str(CATALOGUE)) if not e.obsolete and e.msgstr}
    return {en: (catalogue[en], zh) for en, zh in table.items() if en in catalogue and catalogue[en] != zh}


FENGQIAO = Path(__file__).resolve().parents[2]
FILL_SCRIPT = FENGQIAO.parents[1] / "scripts" / "fill_translations.py"


def audit_labels(prefixes) -> set[str]:
    """The msgids of the audit page's labels (``web/audit.py``'s ACTION_LABELS) of the action
    codes starting with ``prefixes`` (one prefix or a tuple)."""
    tree = ast.parse((FENGQIAO / "web" / "audit.py").read_text())
    table = next(n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == "ACTION_LABELS" for t in n.targets))
    return {v.args[0].value for k, v in zip(table.keys, table.values, strict=True)
            if isinstance(k, ast.Constant) and k.value.startswith(prefixes)}


def other_tables(mine: Path) -> dict[str, str]:
    """Every app's table but ``mine``, merged as ``make messages`` merges them; ``mine`` must be
    one the script fills the catalogue from."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fill_translations", FILL_SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert mine in script.TABLES  # the app's table is filled into the catalogue
    script.TABLES = [t for t in script.TABLES if t != mine]
    return script.load_tables()
