"""Fill the zh_Hans catalogue from the Chinese tables kept next to the code, then compile it.

Run by ``make messages`` after ``makemessages``; entries translated by hand in the .po file
are kept. Prints the msgids still without Chinese so nothing is forgotten silently.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent / "src" / "fengqiao"
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Later tables win: each app's own wording, then the few words both apps share (zh_shared).
TABLES = [ROOT / "locale" / "zh_extra.py", ROOT / "mediation" / "i18n_zh.py", ROOT / "evaluation" / "i18n_zh.py",
          ROOT / "alerts" / "i18n_zh.py", ROOT / "grid" / "i18n_zh.py", ROOT / "tasks" / "i18n_zh.py",
          ROOT / "population" / "i18n_zh.py", ROOT / "patrols" / "i18n_zh.py", ROOT / "triage" / "i18n_zh.py",
          ROOT / "locale" / "zh_shared.py"]


def load_tables() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in TABLES:
        if not path.exists():
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for value in vars(module).values():
            if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
                merged.update({k: v for k, v in value.items() if isinstance(v, str)})
    return merged


def main() -> int:
    table = load_tables()
    po = polib.pofile(str(PO))
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata["Plural-Forms"] = "nplurals=1; plural=0;"
    missing = []
    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            # a guess of makemessages from a similar old string: drop it, and the old string
            # it kept as a "#|" comment, and fill from the tables like any new entry
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
            entry.msgstr = ""
            entry.msgstr_plural = {k: "" for k in entry.msgstr_plural} if entry.msgid_plural else {}
        zh = table.get(entry.msgid)
        if zh is None and "%%" in entry.msgid:
            # makemessages doubles a template string's "%" (python-format); the tables hold it once
            single = table.get(entry.msgid.replace("%%", "%"))
            zh = single.replace("%", "%%") if single is not None else None
        if entry.msgid_plural:
            current = entry.msgstr_plural.get(0, "")
            zh_plural = table.get(entry.msgid_plural) or zh
            if zh_plural:
                entry.msgstr_plural = {0: zh_plural}
            elif not current:
                missing.append(entry.msgid)
        elif zh:
            entry.msgstr = zh
        elif not entry.msgstr:
            missing.append(entry.msgid)
    po.save(str(PO))
    po.save_as_mofile(str(PO.with_suffix(".mo")))
    for m in missing:
        print("untranslated:", m)
    print(f"{len(po)} entries, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
