"""What an outside probe of the commands and of concurrent requests found (session 28): crossed
merges no longer deadlock on PostgreSQL, comments and supervisions sent at once all land, a
database that is busy answers 503 (never 500), and an import checks the whole file before it
writes it in short transactions, refusing rows with missing cells."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from fengqiao.accounts.models import User
from fengqiao.core.errors import UserError
from fengqiao.core.middleware import BusyDatabaseMiddleware
from fengqiao.events import actions, importer
from fengqiao.events.models import Event, TimelineEntry

from .conftest import new_event
from .test_concurrency import race

HEADER = "工单编号,诉求标题,诉求内容,来源渠道,发生地址,联系人,联系电话,受理时间,诉求类型,办理状态"


def _row(n: int) -> str:
    return (f"GD{n:05d},路灯不亮{n},海游街道心湖社区{n}幢门口路灯不亮。,12345热线,海游街道心湖社区,张三,13812345678,"
            f"2026-11-0{1 + n % 9} 09:30:00,,待受理")


def _mapping(tmp_path):
    from pathlib import Path

    import fengqiao.events as events_pkg

    return importer.load_mapping(Path(events_pkg.__file__).parent / "import_mappings" / "hotline_12345.json")


@pytest.mark.django_db(transaction=True)
def test_crossed_merges_at_once_one_wins_and_none_fails_with_a_database_error(demo_county):
    op = User.objects.get(username="county_op")
    op2 = User.objects.filter(role="county_operator", is_active=True).exclude(pk=op.pk).first() or op
    for _ in range(5):
        a, c = new_event(op, title="甲"), new_event(op, title="乙")

        def merge(src, dst, by):
            return lambda: actions.merge_event(Event.objects.get(pk=src), by=by, into=Event.objects.get(pk=dst))

        results = race([merge(a.pk, c.pk, op), merge(c.pk, a.pk, op2)])
        assert results.count("ok") == 1, results  # the other a 409, never a database error
        assert all(r == "ok" or r in {"stale", "merge_target_closed", "not_allowed"} for r in results), results
        states = sorted(Event.objects.filter(pk__in=[a.pk, c.pk]).values_list("state", flat=True))
        assert states == ["merged", "received"]


@pytest.mark.django_db(transaction=True)
def test_comments_and_supervisions_sent_at_once_all_land(demo_county):
    op = User.objects.get(username="county_op")
    e = new_event(op)
    actions.perform(e, "accept", by=op)
    n = 8

    def comment(i):
        return lambda: actions.perform(Event.objects.get(pk=e.pk), "comment", by=op, text=f"备注{i}")

    def supervise(i):
        return lambda: actions.perform(Event.objects.get(pk=e.pk), "supervise", by=op, reason=f"督办{i}")

    assert race([comment(i) for i in range(n)]) == ["ok"] * n
    assert race([supervise(i) for i in range(n)]) == ["ok"] * n
    assert TimelineEntry.objects.filter(event=e, action="comment").count() == n
    ev = Event.objects.get(pk=e.pk)
    assert ev.supervise_count == n and ev.supervised
    assert ev.version == 1 + 2 * n  # accept, then every comment and supervision counted once


@pytest.mark.django_db
def test_a_comment_with_the_version_seen_is_still_refused_when_the_matter_moved_on(users):
    e = new_event(users.county_op)
    seen = e.version
    actions.perform(e, "accept", by=users.county_op)
    with pytest.raises(UserError) as exc:
        actions.perform(Event.objects.get(pk=e.pk), "comment", by=users.county_op, text="第二次点击", version=seen)
    assert exc.value.code == "stale"


@pytest.mark.parametrize("path, shape", [("/api/v1/events/", "api"), ("/open311/v2/requests.json", "open311"),
                                         ("/matters/new/", "page")])
@pytest.mark.parametrize("error", ["database is locked"])
def test_a_busy_database_is_a_503_to_send_again(path, shape, error):
    request = RequestFactory().post(path)
    response = BusyDatabaseMiddleware(lambda r: None).process_exception(request, OperationalError(error))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    body = response.content.decode()
    if shape == "api":
        data = json.loads(body)
        assert data["error"] == "database_busy" and data["detail_zh"] and data["detail_en"]
    elif shape == "open311":
        assert json.loads(body)[0]["code"] == 503
    else:
        assert "503" in body and "busy" in body and "繁忙" in body
    assert BusyDatabaseMiddleware(lambda r: None).process_exception(request, OperationalError("no such table")) is None
    assert BusyDatabaseMiddleware(lambda r: None).process_exception(request, ValueError("x")) is None


@pytest.mark.django_db
def test_an_import_writes_in_short_transactions_and_triages_after_each(users, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "IMPORT_CHUNK", 2)
    f = tmp_path / "hotline.csv"
    f.write_text("\n".join([HEADER, *(_row(i) for i in range(5))]) + "\n", encoding="utf-8")
    real = importer.create_event

    def taken_meanwhile(**kw):  # the last row's number is taken between the check and the write
        if not kw.get("validate_only") and kw["channel_ref"] == "GD00004":
            raise UserError("duplicate", "工单编号已被占用", "the order number was taken", field="channel_ref")
        return real(**kw)

    monkeypatch.setattr(importer, "create_event", taken_meanwhile)
    before = Event.objects.count()
    report = importer.import_file(f, _mapping(tmp_path), by=users.county_op)
    # the first two chunks (rows 2-5) were committed on their own; the row written last is named
    assert report.committed and report.created == 4 and [e.row for e in report.errors] == [6], report.summary()
    assert Event.objects.count() == before + 4
    from fengqiao.triage.models import TriageResult

    assert TriageResult.objects.filter(event__channel_ref__startswith="GD").count() == 4


@pytest.mark.django_db
def test_one_bad_row_anywhere_writes_nothing_and_a_short_row_is_one(users, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "IMPORT_CHUNK", 2)
    short = "GD09999,路灯不亮,海游街道心湖社区门口路灯不亮。,12345热线"
    for bad in (short, _row(7).replace("2026-11-08 09:30:00", "2026-13-45 09:30:00")):
        f = tmp_path / "hotline.csv"
        f.write_text("\n".join([HEADER, *(_row(i) for i in range(5)), bad]) + "\n", encoding="utf-8")
        before = Event.objects.count()
        report = importer.import_file(f, _mapping(tmp_path), by=users.county_op)
        assert not report.committed and len(report.errors) == 1 and report.errors[0].row == 7
        assert Event.objects.count() == before
    assert "4 cells" in report_errors(short, tmp_path, users)
    # a trailing empty cell (a trailing comma) is nothing
    f.write_text("\n".join([HEADER, _row(1) + ","]) + "\n", encoding="utf-8")
    assert importer.import_file(f, _mapping(tmp_path), by=users.county_op).created == 1


def report_errors(row, tmp_path, users) -> str:
    f = tmp_path / "one.csv"
    f.write_text("\n".join([HEADER, row]) + "\n", encoding="utf-8")
    report = importer.import_file(f, _mapping(tmp_path), by=users.county_op)
    return " ".join(e.en for e in report.errors)


@pytest.mark.parametrize("content, words", [(None, "is a directory"), (b"\xff\xfe{", "UTF-8"),
                                            (b'{"columns": ', "line 1, column 13")])
def test_a_mapping_that_cannot_be_read_says_why_in_words(tmp_path, content, words):
    path = tmp_path / "m.json"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(UserError) as exc:
        importer.load_mapping(path)
    assert words in exc.value.en and exc.value.zh != exc.value.en and "Errno" not in exc.value.en



@pytest.mark.django_db
def test_a_refused_transition_is_said_in_words_not_codes(users):
    e = new_event(users.county_op)
    actions.perform(e, "accept", by=users.county_op)
    with pytest.raises(UserError) as exc:
        actions.perform(Event.objects.get(pk=e.pk), "reject", by=users.county_op, reason="重复")
    assert exc.value.code == "transition_not_allowed"
    assert exc.value.en == "cannot reject while the matter is accepted", exc.value.en
