"""The store contract, held by the in-memory store."""

from __future__ import annotations

import pytest

from tests.memory_store import MemoryStore
from tests.store_contract import StoreContract


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> MemoryStore:
        return MemoryStore()
