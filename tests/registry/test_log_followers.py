"""Following the log from its tiles: the monitor over /log/ and over a mirror, and the mirror itself.

The registry runs as a real server process, with programmes, certificates and a supply-chain document
in its log; tampering is plain SQL on its database, as an operator or an intruder could do it.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from ecolabel_registry.settings import Settings
from tests.registry.factories import certifier, programme_registration
from tests.registry.live import LiveServer, free_port, live_servers
from verification.cli import app as verify_cli
from verification.cli.log import _StaticTiles

pytestmark = pytest.mark.slow

JSON = {"content-type": "application/json"}


@pytest.fixture
def server(settings: Settings, tmp_path: Path, admin_headers: dict[str, str]) -> Iterator[LiveServer]:
    with live_servers(settings, 1, tmp_path) as (single,):
        with httpx.Client(base_url=single.url, headers=admin_headers, timeout=30) as http:
            body = certifier(http, admin_headers)
            for number in range(4):
                credential = body.credential(licence=f"IT/044/{number:03d}")
                assert http.post("/v1/certificates", json={"credential": credential}).status_code == 201
            organisation = {"type": "Organisation", "names": {"en": "Mill"}, "country": "FI"}
            assert http.post("/v1/organisations", json=organisation).status_code == 201
        yield single


def _key(server: LiveServer) -> str:
    key: str = httpx.get(f"{server.url}/.well-known/ecolabel-registry").json()["checkpoint_verifier_key"]
    return key


def _verify(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(verify_cli, list(arguments))
    return result.exit_code, result.output


def _grow(server: LiveServer, admin_headers: dict[str, str]) -> None:
    headers = {**admin_headers, **JSON}
    httpx.post(f"{server.url}/v1/programmes", content=programme_registration().body, headers=headers).raise_for_status()


def test_the_monitor_follows_the_tiles(server: LiveServer, tmp_path: Path, admin_headers: dict[str, str]) -> None:
    state, key = str(tmp_path / "tiles.json"), _key(server)
    code, output = _verify("monitor", f"{server.url}/log", "--tiles", "--key", key, "--state", state)
    assert code == 0, output
    assert "first run: the log has 7 leaves" in output  # programme, category, 4 certificates, 1 supply-chain document
    _grow(server, admin_headers)
    code, output = _verify("monitor", f"{server.url}/log", "--tiles", "--state", state)
    assert code == 0, output
    assert "the log grew from 7 to 8 leaves; checked 1 entry from leaf 7" in output
    # Without a key and without state, a tiles prefix names no key to trust.
    code, output = _verify("monitor", f"{server.url}/log", "--tiles", "--state", str(tmp_path / "new.json"))
    assert code == 1
    assert "NO_LOG_KEY" in output


def _edit_document(engine: Engine, leaf_index: int) -> None:
    with engine.begin() as connection:
        query = text("SELECT document FROM log_entries WHERE leaf_index = :i")
        document = bytes(connection.execute(query, {"i": leaf_index}).scalar_one())
        connection.execute(
            text("UPDATE log_entries SET document = :d WHERE leaf_index = :i"), {"d": document + b"x", "i": leaf_index}
        )


def test_the_tile_monitor_names_an_edited_document(server: LiveServer, engine: Engine, tmp_path: Path) -> None:
    _edit_document(engine, 4)
    code, output = _verify(
        "monitor", f"{server.url}/log", "--tiles", "--key", _key(server), "--state", str(tmp_path / "m.json")
    )
    assert code == 1, output
    assert "first bad leaf index: 4" in output


def test_tiles_already_served_keep_what_was_logged_while_the_api_shows_the_edit(
    server: LiveServer, engine: Engine, tmp_path: Path
) -> None:
    """A tile never changes, so the server keeps the copy it first read (`log.tiles.FinalTiles`): an edit of
    the database made afterwards does not reach tile readers through that process, and the monitor of the
    JSON API, which reads the tables, names it."""
    key = _key(server)
    assert _verify("monitor", f"{server.url}/log", "--tiles", "--key", key, "--state", str(tmp_path / "t.json"))[0] == 0
    _edit_document(engine, 4)
    code, output = _verify("monitor", f"{server.url}/log", "--tiles", "--full", "--state", str(tmp_path / "t.json"))
    assert code == 0, output
    code, output = _verify("monitor", server.url, "--full", "--state", str(tmp_path / "api.json"))
    assert code == 1, output
    assert "first bad leaf index: 4" in output


def test_a_mirror_copies_verifies_and_serves_the_log(
    server: LiveServer, tmp_path: Path, admin_headers: dict[str, str]
) -> None:
    mirror, key = tmp_path / "mirror", _key(server)
    code, output = _verify("mirror", f"{server.url}/log", str(mirror), "--key", key)
    assert code == 0, output
    assert "from 0 to 7 leaves" in output
    assert (mirror / "checkpoint").read_text() == httpx.get(f"{server.url}/log/checkpoint").text
    # A monitor follows the mirror, from its directory, as it would follow the registry.
    assert _verify("monitor", str(mirror), "--tiles", "--key", key, "--state", str(tmp_path / "m.json"))[0] == 0

    _grow(server, admin_headers)
    code, output = _verify("mirror", f"{server.url}/log", str(mirror))  # the key is in the mirror's state
    assert code == 0, output
    assert "from 7 to 8 leaves" in output
    assert (mirror / "tile" / "entries" / "000.p" / "8").is_file()

    port = free_port()
    handler = functools.partial(_StaticTiles, directory=str(mirror))
    with ThreadingHTTPServer(("127.0.0.1", port), handler) as static:
        thread = threading.Thread(target=static.serve_forever, daemon=True)
        thread.start()
        try:
            served = httpx.get(f"http://127.0.0.1:{port}/checkpoint")
            assert served.headers["content-type"] == "text/plain; charset=utf-8"
            assert served.headers["cache-control"] == "public, max-age=2"
            tile = httpx.get(f"http://127.0.0.1:{port}/tile/0/000.p/8")
            assert tile.headers["cache-control"] == "public, max-age=31536000, immutable"
            code, output = _verify(
                "monitor", f"http://127.0.0.1:{port}", "--tiles", "--key", key, "--state", str(tmp_path / "s.json")
            )
            assert code == 0, output
            assert "first run: the log has 8 leaves" in output
            # A mirror of the mirror.
            assert _verify("mirror", f"http://127.0.0.1:{port}", str(tmp_path / "second"), "--key", key)[0] == 0
        finally:
            static.shutdown()
            thread.join()


def test_a_mirror_refuses_a_rewritten_history(
    server: LiveServer, engine: Engine, tmp_path: Path, admin_headers: dict[str, str]
) -> None:
    mirror, key = tmp_path / "mirror", _key(server)
    assert _verify("mirror", f"{server.url}/log", str(mirror), "--key", key)[0] == 0
    before = sorted(p.relative_to(mirror) for p in mirror.rglob("*"))
    with engine.begin() as connection:  # a document and its hash commitment rewritten, as if logged so
        connection.execute(
            text("UPDATE log_entries SET document_sha256 = :h WHERE leaf_index = 2"), {"h": bytes(range(32))}
        )
    _grow(server, admin_headers)
    code, output = _verify("mirror", f"{server.url}/log", str(mirror))
    assert code == 1
    assert "HISTORY_REWRITTEN" in output
    assert "first bad leaf index: 2" in output
    assert sorted(p.relative_to(mirror) for p in mirror.rglob("*")) == before  # nothing past the verified size


def test_a_mirror_refuses_a_tile_that_is_not_the_hashes_below(server: LiveServer, tmp_path: Path) -> None:
    """The source is a directory of tiles (another mirror, say) in which one hash of a tile was changed."""
    source, key = tmp_path / "source", _key(server)
    assert _verify("mirror", f"{server.url}/log", str(source), "--key", key)[0] == 0
    forged = tmp_path / "forged"
    shutil.copytree(source, forged, ignore=shutil.ignore_patterns(".mirror-state.json"))
    tile = forged / "tile" / "0" / "000.p" / "7"
    data = bytearray(tile.read_bytes())
    data[40] ^= 1
    tile.write_bytes(bytes(data))
    code, output = _verify("mirror", str(forged), str(tmp_path / "copy"), "--key", key)
    assert code == 1
    assert "TILE_MISMATCH" in output
    assert not (tmp_path / "copy" / "checkpoint").exists()
