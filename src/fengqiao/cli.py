"""The ``fengqiao`` command: every operation of the product, in plain words.

It wraps Django's management commands, so ``fengqiao migrate`` or ``fengqiao shell`` work
too; ``fengqiao --help`` lists what an operator of a county deployment needs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

COMMANDS = [
    ("serve", "serve the console and API with gunicorn (--host, --port; PORT from the environment)"),
    ("worker", "run the background worker: SLA sweeps, notifications, outbound sync (huey)"),
    ("migrate", "create or upgrade the database tables"),
    ("demo load", "load the demo county 三门县, its departments and demo users (idempotent)"),
    ("areas import", "import a county's towns and villages from an official division CSV"),
    ("areas grids", "generate grids (and micro-grids) under the villages of an area"),
    ("users", "list users (--json); create a user with 'users add'"),
    ("token USERNAME", "print a working API token for a user (creates one if needed)"),
    ("audit verify", "check the audit trail's hash chain; non-zero exit names the first bad record"),
    ("calendar", "working calendar: add-working-days, seed, set, show, import"),
    ("sla sweep", "run one time-limit sweep now: yellow/red warnings and escalation"),
    ("events import", "import exported work orders (CSV/Excel, Chinese headers) with --dry-run"),
    ("alerts scan", "run the risk scan now: escalation language, repeat reporters, hot topics, spikes …"),
    ("alerts list", "list open risk alerts (--json)"),
    ("triage", "train, evaluate and run the classifier, place resolver and duplicate finder"),
    ("dbstats", "refresh the database's statistics (the worker also does it nightly)"),
    ("assets", "copy the front-end packages installed by npm into the static folder"),
    ("collectstatic", "gather static files for serving"),
    ("createsuperuser", "create an administrator account"),
    ("check", "check the configuration"),
]


def print_help() -> None:
    print("fengqiao — 枫桥 social governance platform\n")
    print("usage: fengqiao COMMAND [options]     (fengqiao COMMAND --help for a command's options)\n")
    print("commands:")
    width = max(len(c) for c, _ in COMMANDS)
    for cmd, text in COMMANDS:
        print(f"  {cmd.ljust(width)}  {text}")
    print("\nAny other Django management command works too (fengqiao help --commands lists them).")
    print("Configuration comes from the environment: DATABASE_URL, REDIS_URL, FENGQIAO_VAR_DIR, SECRET_KEY …")


def var_dir_problem() -> str | None:
    """Why the var folder (``FENGQIAO_VAR_DIR``) cannot be used, in Chinese and English, or
    ``None``. Every command opens the background queue's file there while Django loads, so a
    folder mounted read-only would otherwise end each command in a traceback naming no file."""
    try:
        from django.conf import settings

        var = Path(settings.VAR_DIR)
    except Exception:  # a configuration error: the command itself reports it
        return None
    if not var.is_dir():
        return None
    if not os.access(var, os.W_OK):
        return (f"数据目录不可写: {var}(FENGQIAO_VAR_DIR);请检查其权限或挂载方式 / the data folder is not "
                f"writable: {var} (FENGQIAO_VAR_DIR); check its permissions or how it is mounted")
    for name in ("fengqiao.sqlite3", "huey.sqlite3"):
        path = var / name
        if path.exists() and not os.access(path, os.W_OK):
            return (f"文件不可写: {path};请检查其权限或挂载方式 / the file is not writable: {path}; check its "
                    f"permissions or how it is mounted")
    return None


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings.dev")
    if not argv or argv[0] in {"-h", "--help"}:
        print_help()
        return
    problem = var_dir_problem()
    if problem:
        print(problem, file=sys.stderr)
        raise SystemExit(1)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fengqiao", *argv])


if __name__ == "__main__":
    main()
