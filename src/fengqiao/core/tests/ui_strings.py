"""What the apps' translation tests read: the msgids an app's code and templates hand to
gettext, found the way ``makemessages`` finds them (one helper for every app's test_i18n)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

GETTEXT_NAMES = ("_", "gettext", "gettext_lazy", "gettext_noop")
#: calls whose msgid is their second argument, after a context
PGETTEXT_NAMES = ("pgettext", "pgettext_lazy")


def template_strings(text: str) -> set[str]:
    """The msgids of one template: ``{% translate "…" %}`` and ``{% blocktranslate %}`` bodies
    (variables written as ``%(name)s``, as in the catalogue; a ``count`` body's singular and
    plural each)."""
    found = set(re.findall(r'\{% translate "([^"]*)"', text)) | set(re.findall(r"\{% translate '([^']*)'", text))
    for m in re.findall(r"\{% blocktranslate[^%]*%\}(.*?)\{% endblocktranslate %\}", text, re.S):
        found.update(re.sub(r"\{\{ (\w+) \}\}", r"%(\1)s", form) for form in m.split("{% plural %}"))
    return found


def code_strings(app: Path) -> set[str]:
    """The msgids of an app's Python code (tests, migrations and its i18n table left out);
    implicit concatenation joined, as gettext sees it."""
    found = set()
    for f in app.rglob("*.py"):
        if "tests" in f.parts or "migrations" in f.parts or f.name == "i18n_zh.py":
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            at = 0 if node.func.id in GETTEXT_NAMES else 1 if node.func.id in PGETTEXT_NAMES else None
            if (at is not None and len(node.args) > at and isinstance(node.args[at], ast.Constant)
                    and isinstance(node.args[at].value, str)):
                found.add(node.args[at].value)
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


def shown_in_chinese(en: str) -> str:
    """What a page shows for ``en`` in Chinese: a template's ``{% translate %}`` of a text with a
    bare ``%s`` (filled in by a script) looks it up with the % doubled, as makemessages wrote it."""
    from django.utils import translation
    from django.utils.translation import gettext

    with translation.override("zh-hans"):
        if "%s" in en:
            return gettext(en.replace("%", "%%")).replace("%%", "%")
        return gettext(en)


class TableChecks:
    """The checks every app's Chinese table (``<app>/i18n_zh.py``) gets. An app's ``test_i18n``
    subclasses it as ``TestTable`` with ``TABLE`` (the table's path), ``ZH`` (its dict),
    ``LEAST`` (its reader must find more strings than this: one that finds none would pass) and
    ``strings()`` (the msgids its code, templates and its lines in other apps' pages use)."""

    TABLE: Path
    ZH: dict[str, str]
    LEAST = 0

    def strings(self) -> set[str]:
        raise NotImplementedError

    def covered(self) -> set[str]:
        """The msgids that have their Chinese: this table's (a shared table adds others')."""
        return set(self.ZH)

    def test_every_ui_string_has_chinese(self):
        found = self.strings()
        assert len(found) > self.LEAST
        assert sorted(found - self.covered()) == []

    def test_no_stale_entries_and_placeholders_kept(self):
        assert stale_or_broken(self.ZH, self.strings()) == ([], [])

    def test_the_catalogue_keeps_its_wording(self):
        """The catalogue holds one Chinese per msgid for every app: a msgid it already translates
        keeps that translation here, so filling it from this table changes no other page."""
        assert catalogue_changes(self.ZH) == {}

    def test_make_messages_reads_it_and_no_other_table_says_it_otherwise(self):
        others = other_tables(self.TABLE)
        assert {en: (others[en], zh) for en, zh in self.ZH.items() if en in others and others[en] != zh} == {}

    def test_the_pages_speak_chinese_once_the_catalogue_is_filled(self):
        """Fails until ``make messages`` has filled the catalogue from this table."""
        import polib

        # a template's ``{% translate %}`` writes a literal % as %% in the msgid; a plural entry
        # (``{% blocktranslate count %}``) holds both English forms and one Chinese (zh has one)
        entries = [e for e in polib.pofile(str(CATALOGUE)) if not e.obsolete]
        plurals = {form: (e.msgid, e.msgid_plural) for e in entries if e.msgid_plural and e.msgstr_plural.get(0)
                   for form in (e.msgid, e.msgid_plural)}
        filled = {e.msgid.replace("%%", "%") for e in entries if e.msgstr} | set(plurals)
        assert sorted(set(self.ZH) - filled) == [], f"run make messages: {self.TABLE} is not in the catalogue yet"

        # a msgid marked only with a context (pgettext) is read with it
        plain = {e.msgid for e in entries if not e.msgctxt}
        contexts = {e.msgid: e.msgctxt for e in entries if e.msgctxt and e.msgid not in plain}

        def shown(en: str) -> str:
            if en not in plurals and en not in contexts:
                return shown_in_chinese(en)
            from django.utils import translation
            from django.utils.translation import ngettext, pgettext

            with translation.override("zh-hans"):
                return ngettext(*plurals[en], 1) if en in plurals else pgettext(contexts[en], en)

        assert {en: shown(en) for en in self.ZH if shown(en) != self.ZH[en]} == {}


class AuditLabelChecks:
    """For an app whose actions write audit codes of their own (``AUDIT_CODES``): the audit page
    (``web/audit.py``'s ACTION_LABELS) names each in Chinese as the app's table ``ZH`` says."""

    AUDIT_CODES: frozenset[str]
    ZH: dict[str, str]

    def test_the_audit_page_names_the_actions_in_chinese(self):
        from django.utils import translation

        from fengqiao.web.audit import ACTION_LABELS, action_label

        assert self.AUDIT_CODES
        for code in sorted(self.AUDIT_CODES):
            with translation.override("en"):
                english = str(ACTION_LABELS[code])
            with translation.override("zh-hans"):
                assert action_label(code) == self.ZH[english], code
