"""The model-version pages of the triage admin: the figures to compare before activating (rows
trained on, held-out n and macro-F1, CV macro-F1), read from the training summary and the
evaluation ``triage train --from-db`` and ``triage register`` store, and those two shown as
tables, read-only."""

from __future__ import annotations

import re
from html import unescape

import pytest

from fengqiao.triage import actions
from fengqiao.triage.models import ModelVersion

pytestmark = pytest.mark.usefixtures("triage_db")

URL = "/admin/triage/modelversion/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

#: what ``train --from-db`` stores (training.train_from_db), with a made-up file
FROM_DB_TRAINING = {
    "rows": 1000, "train_rows": 812, "heldout_rows": 188, "from_labels": 300, "from_closed": 700,
    "per_label": {"noise.social": 600, "street_vending.stall": 400}, "seconds": 12.3,
    "cv_macro_f1": 0.9123, "created": "2026-12-01T00:00:00+00:00", "params": {"c": 1.0, "nb_c": 0.7},
}
FROM_DB_EVALUATION = {
    "heldout_rows": 188, "n": 188, "accuracy": 0.9415, "macro_f1": 0.9312,
    "per_class": {"noise.social": {"precision": 0.95, "recall": 0.93, "f1": 0.94, "support": 110},
                  "street_vending.stall": {"precision": 0.91, "recall": 0.94, "f1": 0.9249, "support": 78}},
    "latency_ms": {"p50": 0.81, "p99": 2.4},
    "baseline": {"keyword_rules": True, "n": 188, "accuracy": 0.61, "macro_f1": 0.5512},
}
#: what ``triage register`` stores of a file trained elsewhere (actions.file_training_summary)
FILE_TRAINING = {
    "rows": 7600, "raw_rows": 2080, "pretokenized_rows": 5520, "per_label": {"城乡建设": 2000}, "seconds": 40.1,
    "files": [{"file": "train.csv", "rows": 2080, "pretokenized": False},
              {"file": "extra.csv", "rows": 5520, "pretokenized": True}],
    "created": "2026-11-01T00:00:00+00:00", "cv_macro_f1": 0.9377, "params": {},
    "registered_from": "/data/model.skops",
}


def _versions():
    db = actions.register_version(file="models/none-db.skops", labels=["noise.social", "street_vending.stall"],
                                  training=FROM_DB_TRAINING, evaluation=FROM_DB_EVALUATION)
    registered = actions.register_version(file="models/none-file.skops", labels=["城乡建设"],
                                          training=FILE_TRAINING, evaluation={"cv_macro_f1": 0.9377})
    bare = actions.register_version(file="models/none-bare.skops", labels=[], training={}, evaluation={})
    return db, registered, bare


def _rows(page: str) -> dict[str, list[str]]:
    """The list's rows by version: the text of each cell."""
    body = page.split('<table id="result_list">', 1)[1].split("</table>", 1)[0]
    rows = {}
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S):
        cells = [unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)]
        rows[cells[2]] = cells  # checkbox, kind, version, …
    return rows


def test_the_list_has_the_figures_to_compare(admin_client):
    db, registered, bare = _versions()
    page = admin_client.get(URL, **EN).content.decode()
    for header in ("Rows trained on", "Held-out rows", "Held-out macro-F1", "CV macro-F1", "Created at", "Active"):
        assert re.search(rf">\s*{header}\s*<", page), header
    rows = _rows(page)
    # checkbox, kind, version, active (an icon), rows trained on, held-out n, held-out macro-F1, CV macro-F1
    assert rows[str(db.version)][4:8] == ["812", "188", "0.9312", "0.9123"]
    assert rows[str(registered.version)][4:8] == ["7600", "-", "-", "0.9377"]
    assert rows[str(bare.version)][4:8] == ["-", "-", "-", "-"]


@pytest.mark.parametrize("column", [4, 5, 6, 7])
def test_the_figures_sort(admin_client, column):
    db, registered, bare = _versions()
    for order in (str(column), f"-{column}"):
        res = admin_client.get(URL, {"o": order}, **EN)
        assert res.status_code == 200
        versions = [int(v) for v in _rows(res.content.decode())]
        assert set(versions) >= {db.version, registered.version, bare.version}
    res = admin_client.get(URL, {"o": "-7"}, **EN)
    mine = [v for v in (int(v) for v in _rows(res.content.decode())) if v in (db.version, registered.version)]
    assert mine == [registered.version, db.version]  # CV 0.9377 before 0.9123


def test_the_change_page_shows_training_and_evaluation_as_tables_read_only(admin_client):
    db, registered, _bare = _versions()
    page = admin_client.get(f"{URL}{db.pk}/change/", **EN).content.decode()
    text = unescape(re.sub(r"<[^>]+>", " ", page))
    text = re.sub(r"\s+", " ", text)
    for shown in ("Rows trained on 812", "Labelled rows in all (held-out ones included) 1000",
                  "From operators' labels 300", "From categories of closed matters 700", "CV macro-F1 0.9123",
                  "Held-out rows 188", "Held-out macro-F1 0.9312", "Accuracy 0.9415",
                  "Before, on the same held-out rows keyword rules: macro-F1 0.5512, accuracy 0.6100",
                  "Time per message (ms) p50 0.8100, p99 2.4", "Training time (s) 12.3"):
        assert shown in text, shown
    assert re.search(r"\S+ \(noise\.social\) 600", text)  # the category's name and code
    assert re.search(r"\(noise\.social\) 0\.9500 0\.9300 0\.9400 110", text)
    assert '"per_class"' not in page and "&quot;per_class&quot;" not in page
    # nothing of it can be edited; the note can
    for name in ("training", "evaluation", "labels", "file", "sha256"):
        assert f'name="{name}"' not in page, name
    assert 'name="note"' in page

    page = admin_client.get(f"{URL}{registered.pk}/change/", **EN).content.decode()
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))
    for shown in ("Rows trained on 7600", "Raw text rows 2080", "Pre-segmented rows 5520", "train.csv 2080 no",
                  "extra.csv 5520 yes", "Registered from /data/model.skops", "城乡建设 2000"):
        assert shown.lower() in text.lower(), shown

    # saving the note leaves the stored figures as they were
    res = admin_client.post(f"{URL}{db.pk}/change/", {"note": "compared", "activations-TOTAL_FORMS": "0",
                                                       "activations-INITIAL_FORMS": "0"}, **EN)
    assert res.status_code == 302, res.content.decode()[:3000]
    db = ModelVersion.objects.get(pk=db.pk)
    assert (db.note, db.training, db.evaluation["macro_f1"]) == ("compared", FROM_DB_TRAINING, 0.9312)


def test_a_hand_edited_summary_still_shows(admin_client):
    """Keys the page does not know, and values of an unexpected type, are shown as stored."""
    mv = actions.register_version(file="models/none-odd.skops", labels=[],
                                  training={"rows": "many", "extra": {"a": 1}},
                                  evaluation={"macro_f1": None, "per_class": [], "custom": "x"})
    page = admin_client.get(f"{URL}{mv.pk}/change/", **EN)
    assert page.status_code == 200
    text = unescape(page.content.decode())
    assert "many" in text and '{"a": 1}' in text and "Custom" in text
    assert admin_client.get(URL, **EN).status_code == 200
