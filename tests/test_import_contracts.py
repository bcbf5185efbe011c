"""The import contracts in pyproject.toml hold: one direction between the three packages, layers between the
registry's packages, and no cycle between sibling packages or modules (import-linter, as `lint-imports`)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_contracts_include_layers_and_no_cycles() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    kinds = {contract["type"] for contract in config["contracts"]}
    assert {"forbidden", "layers", "acyclic_siblings"} <= kinds


def test_every_import_contract_is_kept() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(  # a fixed program of this virtual environment, no shell
        [str(lint_imports), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
