"""``fengqiao assets`` speaks like every command: ``中文 / English`` on one line (it said
``中文 (English)``, and its success line was English only)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fengqiao.web.assets import VENDOR_FILES


def _halves(message: str) -> tuple[str, str]:
    assert "\n" not in message.strip() and message.count(" / ") == 1, message
    zh, en = message.strip().split(" / ")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), message
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en), message
    return zh, en


def test_no_node_modules_is_a_bilingual_error(tmp_path, settings):
    settings.VENDOR_DIR = tmp_path / "vendor"
    with pytest.raises(CommandError) as exc:
        call_command("assets", "--node-modules", str(tmp_path / "nowhere"))
    zh, en = _halves(str(exc.value))
    assert "npm ci" in zh and "node_modules not found" in en


def test_missing_files_are_a_bilingual_error(tmp_path, settings):
    settings.VENDOR_DIR = tmp_path / "vendor"
    (tmp_path / "node_modules").mkdir()
    with pytest.raises(CommandError) as exc:
        call_command("assets", "--node-modules", str(tmp_path / "node_modules"))
    zh, en = _halves(str(exc.value))
    assert "缺少前端包文件" in zh and "missing front-end files" in en and "htmx.org/dist/htmx.min.js" in en


def test_copied_says_so_in_both_languages(tmp_path, settings):
    settings.VENDOR_DIR = tmp_path / "vendor"
    nm = tmp_path / "node_modules"
    for rel in VENDOR_FILES:
        path = nm / rel
        if rel.endswith("images"):
            (path / "marker.png").parent.mkdir(parents=True)
            (path / "marker.png").write_bytes(b"png")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x")
    out = StringIO()
    call_command("assets", "--node-modules", str(nm), stdout=out)
    zh, en = _halves(out.getvalue())
    assert zh.startswith("前端资源已复制到") and en.startswith("front-end assets copied to")
    assert (tmp_path / "vendor" / "vendor" / "htmx.min.js").exists()
