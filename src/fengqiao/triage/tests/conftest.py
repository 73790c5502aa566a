"""Shared fixtures for the triage tests."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[4] / ".." / "shared" / "data"
REPO = Path(__file__).resolve().parents[4]

_TOPICS = {
    "交通运输": (
        ["公交车", "地铁站", "红绿灯", "出租车", "高速路口", "停车场"],
        ["晚点严重", "线路太少", "经常堵车", "乱收停车费", "司机绕路", "信号灯坏了"],
    ),
    "教育文体": (
        ["小学", "幼儿园", "中学", "培训机构", "体育馆", "图书馆"],
        ["乱收补课费", "学位不够", "老师体罚学生", "学区划分不合理", "周末强制补课", "收费过高"],
    ),
    "环境保护": (
        ["化工厂", "搅拌站", "养殖场", "垃圾站", "餐馆", "工地"],
        ["排放污水", "噪音扰民", "粉尘污染", "油烟直排", "臭气熏天", "焚烧垃圾"],
    ),
}


def synthetic_corpus(n_per_label: int = 40, seed: int = 0):
    rng = random.Random(seed)
    texts, labels = [], []
    places = ["东城区", "西山镇", "南湖街道", "北苑社区", "新华路"]
    for label, (things, problems) in _TOPICS.items():
        for _ in range(n_per_label):
            t = (
                f"{rng.choice(places)}的{rng.choice(things)}{rng.choice(problems)}，"
                f"希望有关部门尽快处理。{rng.choice(things)}{rng.choice(problems)}已经很久了。"
            )
            texts.append(t)
            labels.append(label)
    return texts, labels


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "tipdm2020_messages_train.csv").exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA.resolve()


@pytest.fixture(scope="session")
def small_model():
    from fengqiao.triage import classifier

    texts, labels = synthetic_corpus()
    return classifier.train(texts, labels, calibration_folds=3)


# ---------------------------------------------------------------- database half

HAIYOU = "331022001"
XINHU = "331022001001"
CHENGXI = "331022001206"  # 城西村委会, alias 城西村
JIANTIAO = "331022105"


@pytest.fixture
def triage_db(db):
    """Default rules seeded (routing rules need the demo departments); per-process caches empty."""
    from fengqiao.triage import actions, service

    service.reset()
    actions.seed_rules()
    service.reset()
    yield
    service.reset()


def new_event(by, **kw):
    from fengqiao.events import actions

    data = {"channel": "hotline_12345", "title": "测试事件", "content": "测试内容", "address": ""}
    data.update(kw)
    event, _created = actions.create_event(by=by, **data)
    return event


def area(code):
    from fengqiao.areas.models import Area

    return Area.objects.get(code=code)


@pytest.fixture(autouse=True)
def _english_explanations():
    """Explanations are user-facing text; these tests read them in English (the zh_Hans
    catalogue translates them in the console)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def register_copy(path, prefix: str = "test"):
    """A registered (not active) model version of a copy of the model file ``path``: several
    versions, one trained file."""
    import shutil
    import uuid

    from django.conf import settings

    from fengqiao.triage import actions, classifier

    target = Path(settings.VAR_DIR) / "models" / f"{prefix}-{uuid.uuid4().hex}.skops"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return actions.register_version(file=f"models/{target.name}", labels=classifier.load(path).labels,
                                    training={}, evaluation={})


def active_number():
    """The active category model's version number, ``None`` for the keyword rules."""
    from fengqiao.triage.models import ModelVersion

    mv = ModelVersion.objects.filter(is_active=True).first()
    return mv.version if mv else None
