"""Dependencies point one way: `verification` is the offline trust core and imports no service code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The offline core may reach the network only in its client and CLI modules.
FORBIDDEN = {
    "verification": {"fastapi", "starlette", "sqlalchemy", "sqlmodel", "alembic", "ecolabel_registry", "certifiers"},
    "certifiers": {"fastapi", "starlette", "sqlalchemy", "sqlmodel", "alembic", "ecolabel_registry"},
    "ecolabel_registry": {"certifiers"},
}
NETWORK_ALLOWED = {
    "client.py",
    "cli.py",
    "cli_audit.py",
    "cli_catalogue.py",
    "cli_common.py",
    "cli_log.py",
    "monitor.py",
    "tile_client.py",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downward(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        forbidden = set(FORBIDDEN[package])
        if package == "verification" and path.name not in NETWORK_ALLOWED:
            forbidden |= {"httpx", "typer", "rich"}
        bad = _imports(path) & forbidden
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_the_witness_shares_nothing_with_the_registry_but_the_verification_core() -> None:
    """A witness is another party's server: its own key and state, never the registry's database or settings."""
    allowed_registry_modules = "ecolabel_registry.witness"
    for path in sorted((ROOT / "ecolabel_registry" / "witness").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            modules = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module
                else []
            )
            for module in modules:
                assert module.split(".")[0] not in {"sqlalchemy", "sqlmodel", "alembic"}, (path, module)
                if module.startswith("ecolabel_registry"):
                    assert module.startswith(allowed_registry_modules), f"{path.relative_to(ROOT)} imports {module}"
