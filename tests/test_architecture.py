"""Dependencies point one way: `verification` is the offline trust core and imports no service code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The offline core reaches the network, files and the terminal only in its `client` and `cli` subpackages.
FORBIDDEN = {
    "verification": {"fastapi", "starlette", "sqlalchemy", "sqlmodel", "alembic", "ecolabel_registry", "certifiers"},
    "certifiers": {"fastapi", "starlette", "sqlalchemy", "sqlmodel", "alembic", "ecolabel_registry"},
    "ecolabel_registry": {"certifiers"},
}
IMPURE = ("cli", "client")
IO_MODULES = {"httpx", "typer", "rich", "os", "shutil", "pathlib", "socket", "subprocess", "tempfile"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update([node.module, *(f"{node.module}.{alias.name}" for alias in node.names)])
    return names


def _impure(path: Path) -> bool:
    return path.relative_to(ROOT / "verification").parts[0] in IMPURE


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downward(package: str) -> None:
    for path in sorted((ROOT / package).rglob("*.py")):
        forbidden = set(FORBIDDEN[package])
        if package == "verification" and not _impure(path):
            forbidden |= IO_MODULES
        bad = _imports(path) & forbidden
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
        if package == "verification" and not _impure(path):
            impure = {name for name in _modules(path) if name.startswith(("verification.cli", "verification.client"))}
            assert not impure, f"{path.relative_to(ROOT)} (offline core) imports {sorted(impure)}"


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


def test_the_offline_core_imports_on_its_own_without_network_files_or_terminal() -> None:
    """Every module of `verification` outside `cli` and `client`, imported in a fresh interpreter, loads none
    of the HTTP client, the CLI toolkit or the terminal library."""
    core = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in (ROOT / "verification").rglob("*.py")
        if not _impure(path)
    )
    assert "verification.jws" in core
    assert not any(name.startswith(("verification.cli", "verification.client")) for name in core)
    program = (
        "import importlib, sys\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'typer', 'rich', 'click'})))"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"the offline core loads {done.stdout.strip()}"
