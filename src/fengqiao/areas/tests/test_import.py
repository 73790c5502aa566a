import csv

import pytest

from fengqiao.areas import actions
from fengqiao.areas.models import Area, Level
from fengqiao.core.errors import UserError

pytestmark = pytest.mark.django_db


def _expected(path, county):
    towns = villages = 0
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["code"].startswith(county):
                towns += row["level"] == "township"
                villages += row["level"] == "village"
    return towns, villages


def test_import_real_zhejiang_file_for_another_county(shared_data):
    """温岭市 (331081) from the official Zhejiang file: every town and village, once."""
    path = shared_data / "admin_divisions_zhejiang.csv"
    towns, villages = _expected(path, "331081")
    report = actions.import_divisions(path, "331081")
    assert report.created == {"county": 1, "town": towns, "village": villages}
    county = Area.objects.get(code="331081")
    assert county.name == "温岭市" and county.level == Level.COUNTY
    assert Area.objects.subtree(county).filter(level=Level.TOWN).count() == towns
    assert Area.objects.subtree(county).filter(level=Level.VILLAGE).count() == villages
    village = Area.objects.subtree(county).filter(level=Level.VILLAGE).first()
    assert village.code.startswith(village.parent.code) and len(village.code) == 12
    assert village.path == f"/331081/{village.parent.code}/{village.code}/"
    again = actions.import_divisions(path, "331081")
    assert sum(again.created.values()) == 0 and again.unchanged == 1 + towns + villages


def test_import_henan_city_file(shared_data):
    path = shared_data / "admin_divisions_henan_sanmenxia.csv"
    with open(path, encoding="utf-8") as fh:
        county = next(r["code"] for r in csv.DictReader(fh) if r["level"] == "county")
    report = actions.import_divisions(path, county)
    assert report.created["county"] == 1 and report.created["town"] > 0


def test_demo_county_is_real_and_complete():
    county = Area.objects.get(code="331022")
    assert county.name == "三门县"
    assert Area.objects.get(code="331022001").name == "海游街道"
    assert Area.objects.subtree(county).filter(level=Level.TOWN).count() == 10
    assert Area.objects.subtree(county).filter(level=Level.VILLAGE).count() == 295
    for village in Area.objects.filter(level=Level.VILLAGE)[:50]:
        n = village.children.filter(level=Level.GRID).count()
        assert 3 <= n <= 8


def test_unknown_county_and_missing_file_are_user_errors(tmp_path):
    with pytest.raises(UserError) as exc:
        actions.import_divisions(tmp_path / "nope.csv", "331022")
    assert exc.value.code == "file_not_found"
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(UserError) as exc:
        actions.import_divisions(bad, "331022")
    assert exc.value.code == "bad_columns"


def test_subtree_is_one_indexed_query(django_assert_num_queries):
    town = Area.objects.get(code="331022001")
    with django_assert_num_queries(1):
        codes = list(Area.objects.subtree(town).values_list("code", flat=True))
    assert all(c.startswith("331022001") for c in codes)
    assert len(codes) > 100  # villages, grids and micro-grids of 海游街道


def test_grid_polygons_tessellate_their_village():
    from shapely.geometry import shape

    village = Area.objects.get(code="331022001002")
    grids = list(village.children.all())
    vshape = shape(village.boundary)
    union_area = sum(shape(g.boundary).area for g in grids)
    assert abs(union_area - vshape.area) < 1e-9
    for g in grids:
        assert vshape.buffer(1e-9).contains(shape(g.boundary))


def test_aliases_for_everyday_names():
    assert "城西村" in Area.objects.get(code="331022001206").aliases
    assert "海游镇" in Area.objects.get(code="331022001").aliases


def test_a_village_under_a_new_parent_is_reported_not_moved(tmp_path):
    """Moving a node would change the paths of its grids and matters: the import reports it."""
    from pathlib import Path

    src = Path(actions.__file__).resolve().parent.parent / "demo" / "data" / "sanmen_331022.csv"
    lines = src.read_text(encoding="utf-8").splitlines()
    village = next(line for line in lines if line.startswith("village,331022001"))
    code = village.split(",")[1]
    moved = [line.rsplit(",", 1)[0] + ",331022002" if line == village else line for line in lines]
    f = tmp_path / "moved.csv"
    f.write_text("\n".join(moved) + "\n", encoding="utf-8")
    before = Area.objects.get(code=code).path
    report = actions.import_divisions(f, "331022")
    assert report.not_moved == [code] and code in report.summary()
    assert Area.objects.get(code=code).path == before
