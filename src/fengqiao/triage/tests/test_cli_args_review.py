"""``fengqiao triage`` from an outside probe: a ``register --note`` longer than the column (or
holding NUL) is refused up front, as PostgreSQL refused it in a traceback and SQLite kept 5,000
characters; a directory given where a file is expected is said to be one, not "not found"."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fengqiao.triage import actions, classifier
from fengqiao.triage.models import ModelVersion

from .conftest import synthetic_corpus

NOTE_LIMIT = ModelVersion._meta.get_field("note").max_length


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    texts, labels = synthetic_corpus(n_per_label=20)
    path = tmp_path_factory.mktemp("m") / "m.skops"
    classifier.train(texts, labels, calibration_folds=0, neighbours=0).save(path)
    return path


def refused(*args) -> str:
    with pytest.raises(CommandError) as exc:
        call_command("triage", *args, stdout=StringIO(), stderr=StringIO())
    message = str(exc.value)
    assert "\n" not in message and " / " in message, message
    zh, en = message.split(" / ", 1)
    assert re.search(r"[\u4e00-\u9fff]", zh) and re.search(r"[A-Za-z]{3}", en), message
    assert "\x00" not in message
    return message


def kept_files() -> set:
    directory = actions.models_dir()
    return set(directory.iterdir()) if directory.is_dir() else set()


@pytest.mark.django_db
@pytest.mark.parametrize("note", ["长" * (NOTE_LIMIT + 1), "x" * 5000, "备注\x00"])
def test_register_refuses_a_note_the_column_cannot_hold(model_file, note):
    files = kept_files()
    message = refused("register", str(model_file), "--note", note)
    assert "--note" in message or "note" in message
    if len(note) > NOTE_LIMIT:
        assert str(NOTE_LIMIT) in message
    assert not ModelVersion.objects.exists()
    assert kept_files() == files  # nothing copied stays behind


@pytest.mark.django_db
def test_a_note_at_the_limit_is_registered(model_file):
    call_command("triage", "register", str(model_file), "--note", "注" * NOTE_LIMIT, stdout=StringIO(),
                 stderr=StringIO())
    assert ModelVersion.objects.get().note == "注" * NOTE_LIMIT


@pytest.mark.django_db
def test_the_default_note_of_a_long_file_name_fits_the_column(model_file, tmp_path):
    long = tmp_path / ("m" * 240 + ".skops")
    long.write_bytes(model_file.read_bytes())
    mv = actions.register_file(long)
    assert len(ModelVersion.objects.get(pk=mv.pk).note) <= NOTE_LIMIT
    assert mv.note.startswith("register mmm")


def test_register_refuses_the_note_before_touching_the_database(model_file):
    """The check comes first: no database is needed to refuse it (here none is allowed)."""
    from fengqiao.core.errors import UserError

    with pytest.raises(UserError):
        actions.register_file(model_file, note="x" * (NOTE_LIMIT + 1))


def _is_a_directory(message: str) -> None:
    assert "目录" in message and "directory" in message, message
    assert "不存在" not in message and "not found" not in message, message


@pytest.mark.django_db
def test_register_says_a_directory_is_one(tmp_path):
    _is_a_directory(refused("register", str(tmp_path)))
    assert not ModelVersion.objects.exists()


@pytest.mark.parametrize("args", [
    ("train", "--data", "{dir}", "--out", "{dir}/m.skops"),
    ("evaluate", "--model", "{model}", "--data", "{dir}"),
    ("evaluate", "--model", "{dir}", "--data", "{csv}"),
    ("duplicates", "--data", "{dir}"),
])
def test_file_commands_say_a_directory_is_one(tmp_path, model_file, args):
    data = tmp_path / "d.csv"
    data.write_text("id,title,body,label\n1,公交,公交车晚点,交通运输\n", encoding="utf-8")
    folder = tmp_path / "adir"
    folder.mkdir()
    filled = [a.format(dir=folder, model=model_file, csv=data) for a in args]
    _is_a_directory(refused(*filled))
    assert not (folder / "m.skops").exists()


def test_a_missing_file_is_still_not_found(tmp_path, model_file):
    message = refused("evaluate", "--model", str(model_file), "--data", str(tmp_path / "nope.csv"))
    assert "not found" in message


@pytest.mark.django_db
def test_history_with_a_limit_past_any_number_lists_everything():
    """``--limit 99999999999999999999`` ended in a database traceback (datatype mismatch)."""
    out = StringIO()
    call_command("triage", "history", "--limit", "99999999999999999999", stdout=out, stderr=StringIO())
    assert "no activations" in out.getvalue()
