"""Checks the API tests of every app share: a refusal in the API's one shape, and the ids of a
list page."""

from __future__ import annotations


def assert_error(response, status: int, code: str | None = None) -> dict:
    """A refusal in the API's one shape (``core.api.exception_handler``): the status, the error
    code when one is named, and its message in both languages, which differ."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] and body["detail"] and body["detail_zh"] and body["detail_en"], body
    assert body["detail_zh"] != body["detail_en"]
    if code is not None:
        assert body["error"] == code, body
    return body


def row_ids(response) -> list[int]:
    """The ids of a 200 list page's rows, in its order."""
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]
