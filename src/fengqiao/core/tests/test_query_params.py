"""Query-string values the API cannot read are a 400 with a bilingual message, never a silent
"no filter" (core.filters, core.permissions.Pagination)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path,param",
    [
        ("/api/v1/events/", "supervised"),  # declared on the filter set
        ("/api/v1/events/", "listed"),
        ("/api/v1/departments/", "is_active"),  # generated from filterset_fields
        ("/api/v1/categories/", "is_active"),  # generated from the filter set's Meta.fields
        ("/api/v1/mediation/mediators/", "in_expert_pool"),
        ("/api/v1/mediation/sessions/", "today"),  # a method filter
    ],
)
def test_an_unreadable_boolean_is_a_400(api, users, path, param):
    resp = api(users.county_op).get(path, {param: "abc"})
    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert body["detail_zh"] and body["detail_en"]
    assert body["fields"][param] == ["须为 true 或 false"]
    english = api(users.county_op).get(path, {param: "abc"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["fields"][param] == ["must be true or false"]


@pytest.mark.parametrize("path,param", [("/api/v1/categories/", "depth"), ("/api/v1/mediation/sessions/", "dispute")])
@pytest.mark.parametrize("value", ["0.5", "abc"])
def test_an_unreadable_whole_number_is_a_400(api, users, path, param, value):
    resp = api(users.county_op).get(path, {param: value})
    assert resp.status_code == 400, resp.content
    assert param in resp.json()["fields"]


def test_readable_booleans_filter_and_an_empty_one_does_not(api, users):
    client = api(users.county_op)

    def count(**params):  # the category list is one unpaginated list
        resp = client.get("/api/v1/categories/", params)
        assert resp.status_code == 200, resp.content
        return len(resp.json())

    every = count()
    active = {count(is_active=v) for v in ("true", "True", "1", "yes", "on")}
    inactive = {count(is_active=v) for v in ("false", "0", "no", "off")}
    assert len(active) == 1 and len(inactive) == 1
    assert active.pop() + inactive.pop() == every
    assert count(is_active="") == every


@pytest.mark.parametrize("value", ["abc", "0", "-3", "501", "2.5", "²"])
def test_an_unreadable_page_size_is_a_400(api, users, value):
    resp = api(users.county_op).get("/api/v1/areas/", {"page_size": value})
    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert body["error"] == "bad_page_size"
    assert "1 到 500" in body["detail_zh"] and "1 to 500" in body["detail_en"]


def test_page_size_within_the_range_is_honoured(api, users):
    client = api(users.county_op)
    assert len(client.get("/api/v1/areas/", {"page_size": "3"}).json()["results"]) == 3
    assert len(client.get("/api/v1/areas/", {"page_size": " "}).json()["results"]) == 50
