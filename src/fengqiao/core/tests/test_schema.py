"""The OpenAPI schema (/api/schema/) is what integrators (the provincial 12345 system, a city's
data platform) generate their clients from: it must build without a warning and be valid."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    """The schema, built once for this module. --fail-on-warn turns every "could not resolve /
    defaulting to string" into an error, so a warning fails the build here."""
    out = tmp_path_factory.mktemp("schema") / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    return yaml.safe_load(out.read_text(encoding="utf-8"))


def test_schema_builds_without_warnings_and_is_valid(schema):
    token = schema["components"]["securitySchemes"]["tokenAuth"]
    assert token == {**token, "type": "apiKey", "in": "header", "name": "Authorization"}
    paths = schema["paths"]
    assert "/api/v1/mediation/disputes/{id}/agreement.pdf" in paths
    assert not [p for p in paths if p.endswith((".pdf/", ".xlsx/"))]
    event = schema["components"]["schemas"]["Event"]["properties"]
    assert event["merged_into"]["nullable"] and event["handling_unit"]["nullable"]
    timeline = paths["/api/v1/events/{id}/timeline/"]["get"]["responses"]["200"]["content"]
    assert timeline["application/json"]["schema"]["type"] == "array"
    label = paths["/api/v1/triage/events/{id}/label/"]["post"]["parameters"]
    assert [p["schema"]["type"] for p in label if p["name"] == "id"] == ["integer"]


@pytest.mark.parametrize("name", ["AreaLevelEnum", "EventStateEnum", "DisputeStateEnum", "SessionStatusEnum"])
def test_choice_sets_sharing_a_field_name_have_names_of_their_own(name, schema):
    assert name in schema["components"]["schemas"]
