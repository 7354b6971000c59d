from __future__ import annotations

from pathlib import Path

import pytest

from tests.api_fixtures import write_api_database


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The API's fixture database (tests/api_fixtures.py), one per test module."""
    return write_api_database(tmp_path_factory.mktemp("api"))
