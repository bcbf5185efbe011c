"""Shared by the `ecolabel-verify` commands: one console on stderr, one way to fail, one policy loader."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from verification.errors import MalformedInput
from verification.policy import Policy

console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    # soft_wrap: a failure line is evidence people grep and paste; it must not be broken up.
    console.print(f"[bold red]FAILED[/] {message}", soft_wrap=True)
    return typer.Exit(code)


def ok(message: str) -> None:
    # soft_wrap for the same reason: the line is what scripts and people look for.
    console.print(f"[bold green]OK[/] {message}", soft_wrap=True)


def load_policy(path: Path) -> Policy:
    """A C2SP tlog-policy file; an unreadable or malformed one ends the command with exit status 2."""
    try:
        return Policy.parse(path.read_bytes())
    except OSError as exc:
        raise fail(f"cannot read the policy: {exc}", code=2) from exc
    except MalformedInput as exc:
        raise fail(exc.diagnostics(), code=2) from exc
