"""Property-based API fuzzing (schemathesis) against a live server: whatever the generated
input, no endpoint of the OpenAPI schema may answer with a server error (5xx), nor fail to
answer within schemathesis's request timeout (10 s); and what an endpoint answers matches what
the schema (/api/docs/) says it answers, in status code, body and content type, so a client
generated from the schema can read it (null where the schema allows null, lists where it
documents lists, errors in the one JSON error shape)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _schemathesis(live_server, users, *args: str, checks: str = "not_a_server_error") -> subprocess.CompletedProcess:
    from fengqiao.accounts.actions import token_for

    st = shutil.which("st", path=str(Path(sys.executable).parent))
    if st is None:
        pytest.fail("schemathesis is not installed (make test installs the test extras)")
    token = token_for(users.county_op)
    return subprocess.run(
        [st, "run", f"{live_server.url}/api/schema/", "-H", f"Authorization: Token {token}",
         "--checks", checks, "--max-examples", "6", "--seed", "20261123",
         "--no-color", *args],
        capture_output=True, text=True, timeout=600,
    )


def test_no_endpoint_answers_5xx_and_answers_match_the_schema(live_server, demo_county, users):
    proc = _schemathesis(live_server, users, "--phases", "examples,fuzzing",
                         checks="not_a_server_error,status_code_conformance,response_schema_conformance,"
                                "content_type_conformance")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_intake_texts_at_their_limits_are_answered_in_time(live_server, demo_county, users):
    """The coverage phase sends each field's boundary values (a content of the full 20,000
    characters, all digits, say) to the two endpoints that read a matter's text: intake and the
    triage suggestions. It found the entity-key scan of same-matter detection taking time
    quadratic in the length of a run of name characters (over ten seconds per request). All
    endpoints in this phase would take minutes, so only these two."""
    proc = _schemathesis(live_server, users, "--phases", "coverage",
                         "--include-name-regex", "^POST /api/v1/(events|triage/suggest)/$")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "2/" in proc.stdout.split("Selected:")[1][:12], proc.stdout[-2000:]
