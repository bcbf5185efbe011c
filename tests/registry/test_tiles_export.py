"""`ecolabel-registry tiles export DIR` writes the tree /log/ serves, as files, and keeps it up to date."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from ecolabel_registry.cli import app as registry_cli
from ecolabel_registry.log import export
from ecolabel_registry.settings import Settings
from tests.registry.live import server_environment
from tests.registry.log_builder import LogBuilder


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def test_the_export_is_what_the_api_serves_and_grows_incrementally(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    signer = client.app.state.registry.note_signer  # type: ignore[attr-defined]
    log = LogBuilder(engine, signer)
    out = tmp_path / "static"
    log.extend_to(300)
    first = export.export(engine, signer, [], out)
    assert first.tree_size == 300
    files = _files(out)
    assert set(files) == {"checkpoint", *(tile.path for tile in export.resources(300))}
    for path, data in files.items():
        assert client.get(f"/log/{path}", headers={"Accept-Encoding": "identity"}).content == data, path
    assert first.written == len(files) - 1

    log.extend_to(600)
    second = export.export(engine, signer, [], out)
    files = _files(out)
    # Older partial tiles stay for clients still at the older checkpoint until a full tile replaces them.
    assert set(files) - {"checkpoint", *(tile.path for tile in export.resources(600))} == {"tile/1/000.p/1"}
    assert second.kept == 3  # tile/0/000 and both bundles of index 0: full tiles are never rewritten
    assert not (out / "tile" / "0" / "001.p").exists()  # the 44-wide tile 1 was replaced by the full one
    assert files["checkpoint"].decode() == client.get("/log/checkpoint").text
    assert not list(out.rglob(".*.tmp"))


def test_the_command_line(settings: Settings, client: TestClient, engine: Engine, tmp_path: Path) -> None:
    LogBuilder(engine, client.app.state.registry.note_signer).extend_to(20)  # type: ignore[attr-defined]
    env = server_environment(settings)
    result = CliRunner().invoke(registry_cli, ["tiles", "export", str(tmp_path / "out")], env=env)
    assert result.exit_code == 0, result.output
    assert "exported the log at tree size 20" in result.output
    assert (tmp_path / "out" / "tile" / "entries" / "000.p" / "20").is_file()
