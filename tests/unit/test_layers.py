"""The one-way rule of docs/architecture.md, checked on the package's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "consumption"

# What each layer may import from the package (besides itself and `consumption`'s version).
ALLOWED = {
    "domain": {"domain"},
    "eco2mix": {"domain", "eco2mix", "eco2mix.names"},
    "storage": {"domain", "storage", "storage.reader"},
    "services": {"domain", "eco2mix", "eco2mix.names", "services"},
    "web": {"domain", "storage.reader", "storage.records", "web", "config", "eco2mix.names"},
}


def imported_layers(path: Path) -> set[str]:
    layers = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "consumption" and len(parts) > 1:
                # Three modules stand for themselves: eco2mix.names, pure naming (no I/O), what the
                # web may know of RTE's archives; storage.reader and storage.records, the read side the web uses.
                module = ".".join(parts[1:3])
                layers.add(module if module in ("eco2mix.names", "storage.reader", "storage.records") else parts[1])
            elif parts[0] == "sqlite3":
                layers.add("sqlite3")
    return layers


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    sqlite_allowed = layer == "storage"
    for module in sorted((PACKAGE / layer).glob("*.py")):
        layers = imported_layers(module)
        if sqlite_allowed:
            layers.discard("sqlite3")
        forbidden = layers - ALLOWED[layer]
        assert not forbidden, f"{module.relative_to(PACKAGE.parent)} imports {sorted(forbidden)}"


def test_the_check_sees_imports() -> None:
    assert imported_layers(PACKAGE / "web" / "app.py") >= {"storage.reader", "web"}
    assert "services" in imported_layers(PACKAGE / "cli.py")


def test_services_know_the_rte_client_only_by_the_domains_interface() -> None:
    for module in sorted((PACKAGE / "services").glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "consumption.eco2mix.download" not in imported, module.name
