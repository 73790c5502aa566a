"""Files of top-down publishing: the publisher's documents and a unit's report photos, checked
before anything is written, and read only by whoever may read their task or receipt."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.core.errors import UserError
from fengqiao.events.sla import now
from fengqiao.tasks import actions
from fengqiao.tasks.models import Receipt, Task, TaskEntry, TaskFile

from .conftest import HAIYOU, JIANTIAO

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"\x00" * 64


def png(name="整改后.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf(name="排查方案.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_a_publication_carries_its_documents_and_a_report_its_photos(publish, users, receipt_of):
    task = publish(files=[pdf()])
    doc = TaskFile.objects.get(task=task)
    assert (doc.receipt_id, doc.original_name, doc.kind, doc.uploaded_by_name) == (None, "排查方案.pdf", "document", "王芳")
    assert doc.file.read() == PDF and doc.file.name.startswith("tasks/")
    r = actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已整改",
                               files=[png("一.png"), png("二.png")])
    assert sorted(r.files.values_list("original_name", flat=True)) == ["一.png", "二.png"]
    assert TaskEntry.objects.filter(task=task, action="report").get().data["files"] == 2


@pytest.mark.parametrize("files,code", [
    ([SimpleUploadedFile("a.exe", b"MZ" + b"\x00" * 30)], "file_type"),
    ([SimpleUploadedFile("fake.png", b"not a png at all")], "file_content"),
    ([SimpleUploadedFile("empty.pdf", b"")], "file_empty"),
    ([png(f"{i}.png") for i in range(actions.MAX_FILES_PER_STEP + 1)], "too_many_files"),
])
def test_a_bad_file_refuses_the_whole_step_before_anything_is_written(publish, users, receipt_of, files, code):
    before = (Task.objects.count(), TaskFile.objects.count())
    with pytest.raises(UserError) as exc:
        publish(files=files)
    assert (exc.value.code, exc.value.field, exc.value.status) == (code, "files", 400)
    assert (Task.objects.count(), TaskFile.objects.count()) == before
    task = publish()
    with pytest.raises(UserError) as exc:
        actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已整改", files=files)
    assert exc.value.code == code
    assert receipt_of(task, HAIYOU).state == "pending" and not TaskFile.objects.filter(task=task).exists()


def test_files_go_with_a_report_only_and_a_receipt_holds_a_bounded_number(publish, users, receipt_of, monkeypatch):
    task = publish()
    with pytest.raises(UserError) as exc:
        actions.act_on_receipt(receipt_of(task, HAIYOU), "acknowledge", by=users.town_haiyou, files=[png()])
    assert exc.value.code == "files_not_here" and receipt_of(task, HAIYOU).state == "pending"
    monkeypatch.setattr(actions, "MAX_FILES", 3)
    r = actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="一", files=[png(), png()])
    r = actions.act_on_receipt(r, "return", by=users.county_op, text="照片不清")
    with pytest.raises(UserError) as exc:
        actions.act_on_receipt(r, "report", by=users.town_haiyou, text="二", files=[png(), png()])
    assert exc.value.code == "too_many_files"
    assert Receipt.objects.get(pk=r.pk).state == "acknowledged" and r.files.count() == 2  # nothing half-written


def test_a_receiving_town_reads_the_task_s_documents_and_its_own_photos_only(publish, users, receipt_of):
    task = publish(files=[pdf()])
    actions.act_on_receipt(receipt_of(task, JIANTIAO), "report", by=users.town_jiantiao, text="已整改", files=[png()])
    actions.act_on_receipt(receipt_of(task, HAIYOU), "report", by=users.town_haiyou, text="已整改", files=[png()])

    def seen(who):
        rows = TaskFile.objects.restrict(getattr(users, who)).filter(task=task)
        return sorted((f.receipt.area.code if f.receipt_id else "task") for f in rows)

    assert seen("county_op") == [HAIYOU, JIANTIAO, "task"]
    assert seen("town_haiyou") == [HAIYOU, "task"]
    assert seen("leader_haiyou") == [HAIYOU, "task"]
    assert seen("grid_xinhu1") == []  # the task did not reach the grid
    assert seen("dept_zhifa") == [] and seen("admin") == []


# ---------------------------------------------------------------- through the API

URL = "/api/v1/tasks/"


def test_the_api_publishes_and_reports_with_files_and_serves_them_to_readers_only(api, users, receipt_of):
    county = api(users.county_op)
    due = (now() + dt.timedelta(days=3)).date().isoformat()
    r = county.post(URL, {"kind": "task", "title": "消防排查", "recipients": [HAIYOU, JIANTIAO],
                          "files": [pdf()]}, format="multipart")
    assert r.status_code == 400 and r.json()["error"] == "due_required"
    assert not TaskFile.objects.exists()  # the document of a refused publication is not kept
    r = county.post(URL, {"kind": "task", "title": "消防排查", "recipients": [HAIYOU, JIANTIAO], "due_at": due,
                          "files": [pdf()]}, format="multipart")
    assert r.status_code == 201, r.content
    body = r.json()
    assert [f["original_name"] for f in body["files"]] == ["排查方案.pdf"]
    task = Task.objects.get(pk=body["id"])
    assert county.get(body["files"][0]["url"]).status_code == 200
    receipt = receipt_of(task, HAIYOU)
    haiyou = api(users.town_haiyou)
    r = haiyou.post(f"{URL}receipts/{receipt.pk}/act/", {"action": "report", "text": "已整改", "files": [png()]},
                    format="multipart")
    assert r.status_code == 200, r.content
    photo = r.json()["files"][0]
    got = haiyou.get(photo["url"])
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG
    assert got["Content-Security-Policy"] == "sandbox"
    assert api(users.town_jiantiao).get(photo["url"]).status_code == 404  # another town's report photo
    assert api(users.town_jiantiao).get(body["files"][0]["url"]).status_code == 200  # the task's own document
    assert api(users.grid_jianzhong1).get(photo["url"]).status_code == 404
    assert api(users.dept_zhifa).get(photo["url"]).status_code == 403
    detail = api(users.town_jiantiao).get(f"{URL}{task.pk}/").json()
    assert [row["files"] for row in detail["receipts"]] == [[]]  # its own receipt, no photo of 海游's
    r = haiyou.post(f"{URL}receipts/{receipt.pk}/act/", {"action": "report", "text": "再报", "files": "x"},
                    format="json")
    assert r.status_code == 400 and r.json()["field"] == "files"


# ---------------------------------------------------------------- through the console


def test_the_console_publishes_and_reports_with_files_shown_to_readers_only(client, users, receipt_of):
    due = (now() + dt.timedelta(days=3)).date().isoformat()
    client.force_login(users.county_op)
    form = {"kind": "task", "title": "消防排查", "body": "", "due_date": due, "due_time": "", "to_level": "",
            "recipients": [HAIYOU, JIANTIAO]}
    resp = client.post("/tasks/new/", {**form, "files": [SimpleUploadedFile("a.exe", b"MZ" + b"\x00" * 30)]})
    assert resp.status_code == 400 and 'data-field="files"' in resp.content.decode()
    assert not Task.objects.exists()
    resp = client.post("/tasks/new/", {**form, "files": [pdf()]})
    assert resp.status_code == 302
    task = Task.objects.get()
    doc = TaskFile.objects.get(task=task)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert f"/tasks/{task.pk}/files/{doc.pk}/" in page and "排查方案.pdf" in page
    assert client.get(f"/tasks/{task.pk}/files/{doc.pk}/").status_code == 200

    client.force_login(users.town_haiyou)
    receipt = receipt_of(task, HAIYOU)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="files"' in page  # the report form takes files
    resp = client.post(f"/tasks/{task.pk}/receipts/{receipt.pk}/act/report/", {"text": "已整改", "files": [png()]})
    assert resp.status_code == 302, resp.content.decode()[:500]
    photo = TaskFile.objects.get(receipt=receipt)
    assert "整改后.png" in client.get(f"/tasks/{task.pk}/").content.decode()

    client.force_login(users.town_jiantiao)
    assert client.get(f"/tasks/{task.pk}/files/{photo.pk}/").status_code == 404  # another town's photo
    assert "整改后.png" not in client.get(f"/tasks/{task.pk}/").content.decode()
    assert client.get(f"/tasks/{task.pk}/files/{doc.pk}/").status_code == 200
    assert client.get(f"/tasks/{task.pk}/files/{'9' * 30}/").status_code == 404  # no id the database holds
    client.force_login(users.dept_zhifa)
    assert client.get(f"/tasks/{task.pk}/files/{doc.pk}/").status_code == 403
