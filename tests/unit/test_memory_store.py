"""The store contract, held by the in-memory store."""

from __future__ import annotations

import pytest

from consumption.storage.memory import MemoryStore
from tests.store_contract import StoreContract


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> MemoryStore:
        return MemoryStore()
