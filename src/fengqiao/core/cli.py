"""The one shape of a management command's error: one line, ``中文 / English``.

Every ``fengqiao`` command reports a user's mistake through these helpers, so the operator
sees the same format whichever command refused (and a script can split the line at `` / ``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.management.base import CommandError

from .errors import shown

if TYPE_CHECKING:
    from .errors import UserError

#: between the Chinese and the English half of a message
SEPARATOR = " / "


def bilingual(zh: str, en: str) -> str:
    """``中文 / English`` on one line."""
    return f"{zh}{SEPARATOR}{en}"


def command_error(zh: str, en: str, *, returncode: int = 1) -> CommandError:
    """A :class:`CommandError` saying ``zh / en`` (``returncode`` 2 for a usage error)."""
    return CommandError(bilingual(zh, en), returncode=returncode)


def whole_count(value, where: str, maximum: int) -> int:
    """A command's count (workers, threads …) as typed, a whole number from 1 to ``maximum``;
    else a bilingual :class:`CommandError` naming ``where`` it came from (an option or an
    environment variable)."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9 and 1 <= int(text) <= maximum):
        said = shown(value)
        raise command_error(f"{where} 应为 1–{maximum} 的整数: {said!r}",
                            f"{where} must be a whole number from 1 to {maximum}: {said!r}")
    return int(text)


def from_user_error(exc: UserError) -> CommandError:
    """The command's error for a :class:`~fengqiao.core.errors.UserError` an action raised."""
    return command_error(exc.zh, exc.en)
