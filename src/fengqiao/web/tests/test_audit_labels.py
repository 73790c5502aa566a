"""Every audit action code the sources write has a label on the audit page (审计日志), in Chinese
and in English.

The codes are read from the sources, not listed here: each call of ``audit.record`` (and of
``record`` inside ``core/audit.py``) is parsed. A code written as a literal (or as either branch of
``a if c else b``) must have a label. A code built from a prefix and a variable
(``f"backlog_{action}"``, ``"dispute_sla_" + color``) stands for each value the variable can take:
the transition table's actions for ``event_``/``dispute_``, :data:`FAMILIES` below, or else the
literal arguments the module's own calls of the enclosing function pass for that variable. A code
the test cannot resolve fails it too, so a new way of writing codes is noticed.
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

from django.utils import translation

import fengqiao
from fengqiao.alerts import transitions as alert_transitions
from fengqiao.events import transitions as event_transitions
from fengqiao.mediation import transitions as dispute_transitions
from fengqiao.mediation.choices import TicketStatus
from fengqiao.web.audit import (
    ACTION_LABELS,
    TASK_STEPS,
    action_choices,
    action_label,
    known_actions,
)

SRC = Path(fengqiao.__file__).resolve().parent
AUDIT_MODULE = "fengqiao.core.audit"

#: code families whose variable part is not an argument of a call in the same module
FAMILIES = {
    "event_": set(event_transitions.TABLE),  # events.actions._base.apply checks the action against the table
    "dispute_": set(dispute_transitions.TABLE),  # mediation.actions.disputes._step checks it too
    "alert_": set(alert_transitions.TABLE),  # alerts.actions.act checks it against the table
    "ticket_": {TicketStatus.DONE.value, TicketStatus.NO_SHOW.value},  # queue.finish_ticket refuses others
    "task_": set(TASK_STEPS),  # tasks.actions checks the action against its two tables
}


@dataclass
class Written:
    where: str  # path:line
    codes: set[str]
    problem: str = ""


def _sources():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if "tests" in rel.parts or "migrations" in rel.parts:
            continue
        module = ".".join(("fengqiao", *rel.with_suffix("").parts))
        if module.endswith(".__init__"):
            module = module[: -len(".__init__")]
        yield path, module, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _writers(tree: ast.Module, module: str, is_package: bool) -> tuple[set[str], set[str]]:
    """Names bound to the audit module, and names bound to its ``record`` function."""
    modules: set[str] = set()
    functions = {"record"} if module == AUDIT_MODULE else set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {a.asname for a in node.names if a.name == AUDIT_MODULE and a.asname}
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, is_package, node)
            for a in node.names:
                if f"{source}.{a.name}" == AUDIT_MODULE:
                    modules.add(a.asname or a.name)
                elif source == AUDIT_MODULE and a.name == "record":
                    functions.add(a.asname or a.name)
    return modules, functions


def _parents(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _value(expr: ast.AST, module: str):
    """A call argument's value: a literal, or a dotted name of the module (``SlaColor.RED``)."""
    try:
        return ast.literal_eval(expr)
    except ValueError:
        pass
    names = []
    while isinstance(expr, ast.Attribute):
        names.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        raise ValueError(ast.unparse(expr))
    value = vars(importlib.import_module(module))[expr.id]
    for name in reversed(names):
        value = getattr(value, name)
    return value


def _arguments(tree: ast.Module, module: str, function: ast.FunctionDef, param: str) -> set[str]:
    """The values the module's own calls of ``function`` pass for ``param``."""
    params = [a.arg for a in function.args.posonlyargs + function.args.args]
    index = params.index(param) if param in params else None
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                == function.name):
            continue
        given = [k.value for k in node.keywords if k.arg == param]
        if not given and index is not None and index < len(node.args):
            given = [node.args[index]]
        if not given:
            raise ValueError(f"a call of {function.name} at line {node.lineno} passes no {param}")
        found.add(str(_value(given[0], module)))
    return found


def _codes(expr: ast.AST, tree: ast.Module, module: str, parents: dict) -> set[str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return _codes(expr.body, tree, module, parents) | _codes(expr.orelse, tree, module, parents)
    if isinstance(expr, ast.JoinedStr) and len(expr.values) == 2:
        head, tail = expr.values
    elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        head, tail = expr.left, ast.FormattedValue(value=expr.right, conversion=-1)
    else:
        raise ValueError(f"cannot tell the code of {ast.unparse(expr)}")
    if not (isinstance(head, ast.Constant) and isinstance(head.value, str) and isinstance(tail, ast.FormattedValue)
            and isinstance(tail.value, ast.Name)):
        raise ValueError(f"cannot tell the codes of {ast.unparse(expr)}")
    prefix, variable = head.value, tail.value.id
    if prefix in FAMILIES:
        values = FAMILIES[prefix]
    else:
        function = expr
        while not isinstance(function, ast.FunctionDef):
            function = parents[function]
        values = _arguments(tree, module, function, variable)
        if not values:
            raise ValueError(f"no call of {function.name} passes {variable}: add {prefix!r} to FAMILIES")
    return {prefix + v for v in values}


def written_codes() -> list[Written]:
    """Each call that writes an audit record, with the codes it can write."""
    found = []
    for path, module, tree in _sources():
        modules, functions = _writers(tree, module, path.name == "__init__.py")
        if not modules and not functions:
            continue
        parents = _parents(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if not ((isinstance(f, ast.Attribute) and f.attr == "record" and isinstance(f.value, ast.Name)
                     and f.value.id in modules) or (isinstance(f, ast.Name) and f.id in functions)):
                continue
            where = f"{path.relative_to(SRC)}:{node.lineno}"
            action = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "action"), None)
            try:
                if action is None:
                    raise ValueError("no action given")
                found.append(Written(where, _codes(action, tree, module, parents)))
            except (ValueError, KeyError, AttributeError) as exc:
                found.append(Written(where, set(), str(exc)))
    return found


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_sources_are_read():
    """The parser finds the writers it must find (a broken parser would pass everything)."""
    written = written_codes()
    codes = set().union(*(w.codes for w in written))
    assert {"view_personal", "create", "update_user", "workcal.seed", "ticket_no_show", "backlog_close",
            "dispute_sla_red", "event_accept", "dispute_accept"} <= codes
    assert not [w for w in written if w.problem], [(w.where, w.problem) for w in written if w.problem]


def test_audit_records_are_only_written_by_audit_record():
    """The parse above sees every record only if nothing else makes one."""
    others = []
    for path, _module, tree in _sources():
        if path.relative_to(SRC).as_posix() == "core/audit.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and "AuditRecord" in ast.unparse(node.func) and \
                    ast.unparse(node.func).split(".")[-1] in {"AuditRecord", "create", "bulk_create", "get_or_create"}:
                others.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert others == []


def test_every_code_written_has_a_label_in_chinese_and_english():
    unlabelled, untranslated = [], []
    for w in written_codes():
        for code in sorted(w.codes):
            if code not in known_actions() or action_label(code) == code:
                unlabelled.append(f"{w.where} {code}")
                continue
            with translation.override("zh-hans"):
                zh = action_label(code)
            with translation.override("en"):
                en = action_label(code)
            if not _has_chinese(zh) or _has_chinese(en) or zh == en:
                untranslated.append(f"{w.where} {code}: {zh!r} / {en!r}")
    assert unlabelled == [], "add them to web.audit.ACTION_LABELS"
    assert untranslated == [], "add the Chinese to locale/zh_extra.py and run make messages"


def test_every_label_is_bilingual():
    for code in ACTION_LABELS:
        with translation.override("zh-hans"):
            zh = action_label(code)
        with translation.override("en"):
            en = action_label(code)
        assert _has_chinese(zh) and not _has_chinese(en), (code, zh, en)


def test_codes_from_the_review_have_their_own_words():
    """From a review: these showed as raw codes, the workcal ones all as 修改工作日历."""
    with translation.override("zh-hans"):
        assert action_label("update_user") == "修改用户"
        assert action_label("ticket_no_show") == "过号"
        assert action_label("backlog_assign_leader") == "指定积案包案领导"
        assert action_label("workcal.set_day") == "设置节假日或调休日"
        assert action_label("workcal.remove_day") == "删除节假日或调休日"
    with translation.override("en"):
        assert action_label("workcal.seed") == "Holidays loaded from the calendar package"
        assert action_label("dispute_assign") == "Dispute: Assign mediators"
        assert action_label("workcal.unheard_of") == "workcal.unheard_of"  # unknown codes stay readable


def test_the_action_filter_offers_every_code_written(db):
    offered = {code for code, _label in action_choices()}
    assert set().union(*(w.codes for w in written_codes())) <= offered
