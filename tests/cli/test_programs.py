"""The three programs as a newcomer meets them: `--version`, `-h` on every command with an example, help
that is not cut at 80 columns when piped, the registry named one way, and the older spelling still taken."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command

from certifiers.cli import app as certifier_cli
from ecolabel_registry.cli import app as registry_cli
from ecolabel_registry.cli import where_to_look
from ecolabel_registry.demo.outcome import StepReport
from verification.cli import app as verify_cli
from verification.cli import common as cli_common

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
PROGRAMS = {"ecolabel-verify": verify_cli, "ecolabel-certifier": certifier_cli, "ecolabel-registry": registry_cli}


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every leaf command under a group (typer builds them on its own copy of Click)."""
    if hasattr(group, "commands"):
        for name, command in group.commands.items():
            yield from _commands(command, (*path, name))
    else:
        yield path, group


def _piped(program: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(BIN), "HOME": "/nonexistent", "LANG": "C.UTF-8"}  # no COLUMNS: as in a pipe
    return subprocess.run(
        [str(BIN / program), *arguments], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_version_and_short_help_are_there_for_every_program(program: str) -> None:
    version = _piped(program, "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith(f"{program} ")
    short = _piped(program, "-h")
    assert short.returncode == 0, short.stderr
    assert "Exit codes: 0" in short.stdout
    assert "-h, --help" in short.stdout


def _help_of(app: typer.Typer, path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """`PROGRAM COMMAND -h` through the programs' own entry point, with standard output not a terminal."""
    monkeypatch.setattr(app, "rich_markup_mode", app.rich_markup_mode)  # `run` changes both for pipes
    monkeypatch.setattr(app.info, "context_settings", dict(app.info.context_settings or {}))
    with pytest.raises(SystemExit) as ended:
        cli_common.run(app, [*path, "-h"])
    assert ended.value.code == 0


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_every_command_has_help_with_an_example_unwrapped_when_piped(
    program: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = PROGRAMS[program]
    commands = list(_commands(get_command(app)))
    assert len(commands) >= 5
    for path, command in commands:
        _help_of(app, path, monkeypatch)
        text = capsys.readouterr().out
        assert "Example:" in text, f"{program} {' '.join(path)} has no example"
        assert not any(line.rstrip().endswith("…") for line in text.splitlines()), text  # nothing cut off
        assert not any(line.startswith(("╭", "│")) for line in text.splitlines()), text  # plain, not boxed
        names = {name for parameter in command.params for name in getattr(parameter, "opts", [])}
        if "--registry" in names:
            registry_line = next(line for line in text.splitlines() if line.lstrip().startswith("--registry URL"))
            assert "[env var: ECOLABEL_REGISTRY_URL" in registry_line, text  # on the option's own line
        assert "--url" not in names, f"{program} {' '.join(path)} still names the registry --url"


def test_the_older_url_spelling_still_works_with_a_note(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_common.replace_deprecated(["eligibility", "c.csv", "--url", "http://x", "--", "--url"]) == [
        "eligibility", "c.csv", "--registry", "http://x", "--", "--url",
    ]  # fmt: skip
    assert cli_common.replace_deprecated(["--url=http://x"]) == ["--registry=http://x"]
    assert "--url is deprecated; use --registry" in capsys.readouterr().err
    hidden = _piped("ecolabel-certifier", "submit", "-h")
    assert "--url" not in hidden.stdout


def test_a_failure_line_is_not_wrapped_when_piped(tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text("ref,gtin\nA-1,96385074\n", encoding="utf-8")
    ran = _piped("ecolabel-verify", "eligibility", str(catalogue))
    assert ran.returncode == cli_common.EXIT_INPUT
    (line,) = ran.stderr.splitlines()
    assert line.startswith("FAILED say what the tender accepts")
    assert line.endswith("--cn-procurement CODE")


def test_serve_says_where_the_console_and_the_documentation_are() -> None:
    assert where_to_look("127.0.0.1", 8000).splitlines() == [
        "console: http://127.0.0.1:8000/console/",
        "API documentation: http://127.0.0.1:8000/docs",
        "OpenAPI contract: http://127.0.0.1:8000/openapi.json",
    ]
    assert "http://127.0.0.1:9000/console/" in where_to_look("0.0.0.0", 9000)
    assert "http://[::1]:8000/docs" in where_to_look("::1", 8000)


def test_counts_in_the_demo_report_agree_with_their_number() -> None:
    step = StepReport("agreements", added=Counter({"agreement events": 1, "facilities": 1, "certificates": 2}))
    assert "added 1 agreement event, 1 facility, 2 certificates;" in step.line()


def test_the_tour_and_fuzzing_leave_nothing_to_commit() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in ("tour/cec-root.pem", "tour/policy.txt", ".schemathesis/reports/run.json"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=root, check=False)
        assert ignored.returncode == 0, f"{path} is not ignored"
