"""The README's five-minute tour, run as written against a real server, so it cannot rot.

Every shell block of the tour runs in one bash session (variables carry over, as for a reader). Each
command must exit 0, except one whose comment says `# FAILED …`, which must fail with that text; a
comment such as `# "status": "active"` or `# OK 1 of 3 items eligible` must appear in that command's output.

The server keeps its database and key where `make run` puts them (`var/` of the checkout), so the tour
can run the registry's own commands (the worker) as an operator would. The witness the tour starts in
the background listens on a free port in place of the README's 8100, and writes its output to a file,
so that the session's output pipe closes when the script ends.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecolabel_registry.settings import Settings
from tests.registry.live import LiveServer, free_port, live_servers, server_environment

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "tour-admin-token-0123456789abcdefghijklmnopqrstuvwxyz"
_BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def tour_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    commands: list[str] = []
    for block in _BLOCK.findall(tour):
        for command in block.replace("\\\n", " ").splitlines():
            if command.strip():
                commands.append(command.strip())
    return commands


def _expectation(command: str) -> str | None:
    comment = command.partition("  #")[2].strip()
    return comment or None


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A stand-in for the checkout a reader works in: `var/`, `.venv` and `examples/` where they would be."""
    workdir = tmp_path / "checkout"
    (workdir / "var").mkdir(parents=True)
    (workdir / "var" / "admin-token").write_text(ADMIN_TOKEN + "\n", encoding="ascii")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    (workdir / "examples").symlink_to(ROOT / "examples")
    return workdir


@pytest.fixture
def server(tmp_path: Path, workdir: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    database = workdir / "var" / "registry.sqlite3"  # where `make run` keeps them
    shutil.copyfile(sqlite_template, database)
    settings = Settings(
        database_url=f"sqlite:///{database}",
        admin_token=ADMIN_TOKEN,
        signing_key_path=workdir / "var" / "registry-signing-key.pem",
        admin_token_path=tmp_path / "unused-token",
        fsck_replica_path=workdir / "var" / "fsck-replica.sqlite3",  # the server checks itself, as in `make run`
    )
    # As `make run` does: the demo world is loaded (from the checkout, so its keys land in var/demo-keys).
    subprocess.run(
        [sys.executable, "-m", "ecolabel_registry.cli", "demo"],
        cwd=workdir,
        env=server_environment(settings),
        check=True,
        capture_output=True,
        timeout=600,
    )
    with live_servers(settings, 1, tmp_path) as (single,):
        yield single


def test_the_readme_tour_works_as_written(server: LiveServer, workdir: Path) -> None:
    commands = tour_commands()
    assert len(commands) > 15, "the tour lost its commands"
    # The tour's own set-up block names the registry for every program (ECOLABEL_REGISTRY_URL).
    assert any(c.startswith("export ECOLABEL_REGISTRY_URL=http://127.0.0.1:8000") for c in commands)
    script: list[str] = []
    port = free_port()
    for number, command in enumerate(commands):
        local = command.replace("http://127.0.0.1:8000", server.url)
        local = local.replace("127.0.0.1:8100", f"127.0.0.1:{port}").replace("--port 8100", f"--port {port}")
        script += [f"echo '::cmd {number}'", local, f'echo "::rc {number} $?"']
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECOLABEL_")}
    result = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # interleaved, so each command keeps its own messages
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout
    for number, command in enumerate(commands):
        section = output.split(f"::cmd {number}\n", 1)[1].split(f"::rc {number} ", 1)
        printed, code = section[0], int(section[1].split("\n", 1)[0])
        expected = _expectation(command)
        if expected and expected.startswith("FAILED"):
            assert code != 0, f"expected {command!r} to fail"
            assert expected.split("[")[-1].rstrip("]") in printed, printed
            continue
        assert code == 0, f"{command!r} exited {code}:\n{printed}"
        if expected and expected.startswith("OK"):
            assert expected in printed, f"{command!r} printed:\n{printed}"
        if expected and expected.startswith('"'):
            assert expected in printed.replace('":"', '": "'), f"{command!r} printed:\n{printed}"
