"""What `make run` installs: the runtime dependencies, without the development group."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_TOOLS = ("pytest", "ruff", "mypy", "selenium", "schemathesis", "pandas", "hypothesis")


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_run_installs_no_test_or_lint_tool(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # `make run`'s set-up step alone, into another virtualenv (the one `make test` uses stays as it is).
    subprocess.run(["make", "-C", str(ROOT), "runtime", f"VENV={venv}"], check=True, capture_output=True, timeout=300)
    listed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.lower()
    installed = {line.split("==")[0] for line in listed.splitlines()}
    assert {"starlette", "uvicorn", "consumption"} <= installed
    assert not installed & set(DEVELOPMENT_TOOLS), f"make run installed {sorted(installed & set(DEVELOPMENT_TOOLS))}"
    assert (venv / "bin" / "consumption").exists()
