"""Property-based API fuzzing (schemathesis) against a live server: whatever the generated
input, no endpoint of the OpenAPI schema may answer with a server error (5xx)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_no_endpoint_answers_5xx(live_server, demo_county, users):
    from fengqiao.accounts.actions import token_for

    st = shutil.which("st", path=str(Path(sys.executable).parent))
    if st is None:
        pytest.fail("schemathesis is not installed (make test installs the test extras)")
    token = token_for(users.county_op)
    proc = subprocess.run(
        [st, "run", f"{live_server.url}/api/schema/", "-H", f"Authorization: Token {token}",
         "--checks", "not_a_server_error", "--max-examples", "6", "--phases", "examples,fuzzing",
         "--seed", "20261123", "--no-color"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
