"""``fengqiao.core.cli``: the one format of a command's error, ``中文 / English``."""

from django.core.management.base import CommandError

from fengqiao.core.cli import bilingual, command_error, from_user_error
from fengqiao.core.errors import Conflict, UserError


def test_bilingual_joins_chinese_and_english_with_a_slash():
    assert bilingual("区域不存在: 1", "no such area: 1") == "区域不存在: 1 / no such area: 1"


def test_command_error_is_one_bilingual_line_exit_code_one_by_default():
    exc = command_error("已取消", "cancelled")
    assert isinstance(exc, CommandError)
    assert str(exc) == "已取消 / cancelled" and exc.returncode == 1
    assert command_error("参数有误", "invalid arguments", returncode=2).returncode == 2


def test_from_user_error_takes_both_halves_of_the_user_error():
    exc = from_user_error(Conflict("stale", "已被他人更改", "changed meanwhile"))
    assert isinstance(exc, CommandError)
    assert str(exc) == "已被他人更改 / changed meanwhile" and exc.returncode == 1
    # not str(UserError), which is "中文 (English)"
    assert str(from_user_error(UserError("x", "中", "en"))) == "中 / en"
