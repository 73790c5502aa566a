"""``fengqiao sla``: its line is ``中文 / English``; a sub-command other than ``sweep`` is refused
by argparse before the command runs (the English-only "unknown sub-command" error it kept for
that case could never be reached, and is gone)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_the_sweep_reports_in_chinese_then_english():
    out = StringIO()
    call_command("sla", "sweep", stdout=out)
    assert out.getvalue().strip() == "标黄 0 件，标红 0 件，自动上报 0 件 / yellow: 0, red: 0, escalated: 0"


def test_another_sub_command_is_a_usage_error():
    with pytest.raises(CommandError, match="invalid choice: 'sweeep'"):
        call_command("sla", "sweeep")
