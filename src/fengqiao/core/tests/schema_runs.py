"""One schemathesis run against a live server, as the apps' API tests make it: the endpoints under
one path, as one user, with the id of a record of theirs for the operations on one record (random
ids would only ever meet a 404)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"


def fuzz(live_server, user, path: str, record_id: int, tmp_path: Path, *, operations: int) -> None:
    """schemathesis on ``/api/v1/<path>/``: every answer as the schema says and none a 5xx, the
    ``operations`` expected selected, and ``record_id`` found (no operation only met 404s)."""
    from fengqiao.accounts.actions import token_for

    config = tmp_path / f"{path}.toml"
    config.write_text(f'[parameters]\n"path.id" = {record_id}\n', encoding="utf-8")
    st = shutil.which("st", path=str(Path(sys.executable).parent))
    assert st is not None, "schemathesis is not installed (make test installs the test extras)"
    proc = subprocess.run(
        [st, "--config-file", str(config), "run", f"{live_server.url}/api/schema/", "-H",
         f"Authorization: Token {token_for(user)}", "--checks", CHECKS,
         "--max-examples", "6", "--seed", "20261123", "--no-color", "--phases", "examples,fuzzing",
         "--include-path-regex", f"^/api/v1/{path}/"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert f"{operations} selected" in proc.stdout, proc.stdout[-2000:]
    assert "repeatedly returned 404" not in proc.stdout, proc.stdout[-2000:]


def ref(operation: dict, status: str = "200", where: str = "responses") -> str:
    """The component an operation of the OpenAPI schema answers ``status`` with, or (``where=
    "requestBody"``) takes as its JSON body."""
    node = operation[where] if where == "requestBody" else operation[where][status]
    return node["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
