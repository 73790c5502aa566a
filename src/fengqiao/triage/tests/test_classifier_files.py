"""Damaged model files: every one is refused with :class:`ModelFileError` and a bilingual
message, never another exception (an AttributeError or NaN probabilities)."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from fengqiao.triage import classifier


def _bilingual(message: str) -> bool:
    """"中文 / English": Chinese before a slash, English after it."""
    head, sep, tail = message.partition(" / ")
    return bool(sep) and any("\u4e00" <= ch <= "\u9fff" for ch in head) and any(
        ch.isascii() and ch.isalpha() for ch in tail
    )


def _set(key, value):
    return lambda d: d.update({key: value})


def _meta(change):
    def damage(d):
        meta = json.loads(d["metadata_json"])
        change(meta)
        d["metadata_json"] = json.dumps(meta)

    return damage


def _first(key, value):
    def damage(d):
        a = np.array(d[key], copy=True)
        a.flat[0] = value
        d[key] = a

    return damage


DAMAGES = {
    "metadata null": _set("metadata_json", "null"),
    "metadata list": _set("metadata_json", "[]"),
    "metadata string": _set("metadata_json", '"model"'),
    "metadata not json": _set("metadata_json", "{not json"),
    "params not a dict": _meta(lambda m: m.update(params=[1, 2])),
    "cut infinite": _meta(lambda m: m["params"].update(word_chars=float("inf"))),
    "cut negative": _meta(lambda m: m["params"].update(max_chars=-5)),
    "temperature NaN": _set("temperature", float("nan")),
    "temperature inf": _set("temperature", float("inf")),
    "temperature zero": _set("temperature", 0.0),
    "temperature negative": _set("temperature", -2.0),
    "temperature text": _set("temperature", "hot"),
    "coef NaN": _first("coef", np.nan),
    "coef inf": _first("coef", np.inf),
    "coef too large for float32": lambda d: d.update(coef=d["coef"].astype(np.float64) * 1e300),
    "intercept NaN": _first("intercept", np.nan),
    "word idf inf": _first("word_idf", np.inf),
    "char idf NaN": _first("char_idf", np.nan),
    "char idf zero": _first("char_idf", 0.0),
    "vote temperature NaN": _set("vote_temperature", float("nan")),
    "vote temperature negative": _set("vote_temperature", -1.0),
    "vote floor inf": lambda d: d.update(vote_params={**d["vote_params"], "floor": float("inf")}),
    "vote k inf": lambda d: d.update(vote_params={**d["vote_params"], "k": float("inf")}),
    "vote values NaN": _first("vote_values", np.nan),
    "labels not a list": _set("labels", 7),
    "one label": lambda d: d.update(
        labels=d["labels"][:1], coef=d["coef"][:1], intercept=d["intercept"][:1]
    ),
    "duplicate labels": lambda d: d.update(labels=[d["labels"][0]] * len(d["labels"])),
    "duplicate word terms": lambda d: d.update(
        word_terms="\n".join([d["word_terms"].split("\n")[0]] * len(d["word_idf"]))
    ),
    "terms not text": _set("word_terms", 12),
    "word params not a dict": _set("word_params", [1, 2]),
    "n-gram range from 0": lambda d: d.update(word_params={**d["word_params"], "ngram_range": [0, 2]}),
    "n-gram range of floats": lambda d: d.update(
        char_params={**d["char_params"], "ngram_range": [1.0, 3.5]}
    ),
    "n-gram range too long": lambda d: d.update(
        char_params={**d["char_params"], "ngram_range": [1, 10**6]}
    ),
    "vote params missing": lambda d: d.pop("vote_params"),
}


@pytest.mark.parametrize("damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_damaged_files_raise_model_file_error(small_model, tmp_path, damage):
    import skops.io as sio

    d = small_model.to_dict()
    damage(d)
    path = tmp_path / "damaged.skops"
    sio.dump(d, path, compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(classifier.ModelFileError) as exc:
        classifier.load(path)
    assert _bilingual(str(exc.value)), str(exc.value)
    # and from the dict directly, without the file
    with pytest.raises(classifier.ModelFileError):
        classifier.CategoryModel.from_dict(d)


def test_the_undamaged_dict_loads(small_model):
    """The damages above are what makes the file fail, not the way the tests write it."""
    model = classifier.CategoryModel.from_dict(small_model.to_dict())
    np.testing.assert_array_equal(
        model.predict_proba(["化工厂排放污水"]), small_model.predict_proba(["化工厂排放污水"])
    )


def test_errors_while_building_the_model_are_model_file_errors(small_model, monkeypatch):
    """What the checks do not foresee and only shows while the lookup tables are built or the
    warm-up text is classified still comes out as ModelFileError."""
    d = small_model.to_dict()

    def broken(*args, **kwargs):
        raise IndexError("index 7 is out of bounds")

    monkeypatch.setattr(classifier._GramCodes, "build", broken)
    with pytest.raises(classifier.ModelFileError, match="损坏 / damaged model file.*index 7"):
        classifier.CategoryModel.from_dict(d)
    monkeypatch.undo()
    monkeypatch.setattr(classifier.CategoryModel, "_fast", lambda self, item: 1 / 0)
    with pytest.raises(classifier.ModelFileError, match="ZeroDivisionError"):
        classifier.CategoryModel.from_dict(d)


def test_load_messages_are_bilingual(tmp_path):
    import functools

    import skops.io as sio

    junk = tmp_path / "junk.skops"
    junk.write_bytes(b"not a zip file")
    evil = tmp_path / "evil.skops"
    sio.dump({"payload": functools.partial(print)}, evil)
    listed = tmp_path / "list.skops"
    sio.dump([1, 2, 3], listed)
    for path in (tmp_path / "missing.skops", junk, evil, listed):
        with pytest.raises(classifier.ModelFileError) as exc:
            classifier.load(path)
        assert _bilingual(str(exc.value)), str(exc.value)
