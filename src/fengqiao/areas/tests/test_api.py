"""The four-way permission matrix and jurisdiction isolation on the areas API."""

import pytest

pytestmark = pytest.mark.django_db

HAIYOU_VILLAGE = "331022001001"  # 心湖社区, 海游街道
JIANTIAO_VILLAGE = "331022105001"  # 健中居委会, 健跳镇


def test_anonymous_gets_401(api):
    resp = api().get("/api/v1/areas/")
    assert resp.status_code == 401
    assert resp.json()["error"] == "not_authenticated"


def test_wrong_role_gets_403(api, users):
    resp = api(users.auditor).get(f"/api/v1/areas/{HAIYOU_VILLAGE}/")
    assert resp.status_code == 403
    body = resp.json()
    assert body["error"] == "permission_denied" and body["detail_zh"] and body["detail_en"]


def test_outside_jurisdiction_is_404(api, users):
    resp = api(users.town_jiantiao).get(f"/api/v1/areas/{HAIYOU_VILLAGE}/")
    assert resp.status_code == 404
    assert resp.json()["error"] == "not_found"


def test_inside_jurisdiction_is_200(api, users):
    resp = api(users.town_haiyou).get(f"/api/v1/areas/{HAIYOU_VILLAGE}/")
    assert resp.status_code == 200
    body = resp.json()
    assert body["name"] == "心湖社区" and body["parent"] == "331022001" and body["boundary"]["type"] == "Polygon"


def test_each_town_operator_sees_only_its_subtree(api, users):
    for user, town in ((users.town_haiyou, "331022001"), (users.town_jiantiao, "331022105")):
        resp = api(user).get("/api/v1/areas/", {"page_size": 500})
        assert resp.status_code == 200
        body = resp.json()
        assert body["count"] > 0
        assert all(a["code"].startswith(town) for a in body["results"])
    other = api(users.town_haiyou).get("/api/v1/areas/", {"code_prefix": "331022105"}).json()
    assert other["count"] == 0


def test_filters_parent_level_prefix(api, users):
    client = api(users.county_op)
    towns = client.get("/api/v1/areas/", {"parent": "331022", "level": "town"}).json()
    assert towns["count"] == 10
    assert {t["name"] for t in towns["results"]} >= {"海游街道", "健跳镇"}
    villages = client.get("/api/v1/areas/", {"code_prefix": "331022105", "level": "village"}).json()
    assert villages["count"] > 0 and all(v["level"] == "village" for v in villages["results"])
    bad = client.get("/api/v1/areas/", {"level": "planet"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid"


def test_grid_worker_sees_only_its_grid(api, users):
    body = api(users.grid_xinhu1).get("/api/v1/areas/").json()
    assert {a["code"] for a in body["results"]} == {"331022001001001"} | {
        a["code"] for a in body["results"] if a["code"].startswith("331022001001001")
    }
    assert api(users.grid_xinhu1).get(f"/api/v1/areas/{HAIYOU_VILLAGE}/").status_code == 404


def test_me(api, users):
    body = api(users.dept_zhifa).get("/api/v1/me/").json()
    assert body["username"] == "dept_zhifa" and body["role"] == "department_handler"
    assert body["department"] == "ZF" and body["area_code"] == "331022"
    assert api().get("/api/v1/me/").status_code == 401


def test_bad_token_is_401(api):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/me/").status_code == 401


def test_departments_visible_to_county_users(api, users):
    body = api(users.town_haiyou).get("/api/v1/departments/").json()
    assert body["count"] == 18
    assert api(users.auditor).get("/api/v1/departments/").status_code == 403


def test_openapi_schema_and_docs(api, users, client):
    resp = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    assert "/api/v1/areas/" in paths and "/api/v1/areas/{code}/" in paths and "/api/v1/me/" in paths
    assert client.get("/api/docs/").status_code == 200
