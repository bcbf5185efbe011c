"""Shared by the three command-line programs: one console, one way to fail, one way to name the registry.

Every program takes `--registry URL` (or `ECOLABEL_REGISTRY_URL`), `--version`, and `-h`/`--help`; help
piped into a file or another program is printed plainly, one option a line, never cut at 80 columns.
"""

from __future__ import annotations

import functools
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, ParamSpec

import httpx
import typer
from rich.console import Console
from rich.text import Text

from verification.errors import MalformedInput, VerificationError
from verification.policy import Policy

REGISTRY_ENV = "ECOLABEL_REGISTRY_URL"
DEFAULT_REGISTRY = "http://127.0.0.1:8000"
# Spellings older releases used for `--registry`; still accepted, with a warning, and not shown in help.
DEPRECATED_OPTIONS = {"--url": "--registry"}
# Piped help is not wrapped: a width no line of help reaches.
_UNWRAPPED = 1000

# Exit codes shared by `ecolabel-verify` (the others document their own beside it).
EXIT_FAILED = 1  # the evidence does not verify, or the log misbehaved
EXIT_INPUT = 2  # a file or an option cannot be used as given (also Click's usage errors)
EXIT_UNREACHABLE = 3  # the registry (or a log's source) could not be reached
EXIT_UNTRUSTED = 4  # the registry's answer did not verify: do not trust it

RegistryOption = Annotated[
    str,
    typer.Option("--registry", envvar=REGISTRY_ENV, metavar="URL", help="the registry's base URL", show_default=True),
]
OptionalRegistry = Annotated[
    str | None,
    typer.Option("--registry", envvar=REGISTRY_ENV, metavar="URL", help="the registry's base URL"),
]


def _console() -> Console:
    # Made per use, not at import: the width (COLUMNS, terminal size) is read when output is written.
    return Console(stderr=True)


console = _console()


def fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    # Text, not markup: messages quote user input and registry details, which may contain [brackets];
    # soft_wrap: a failure line is evidence people grep and paste; it must not be broken up.
    _console().print(Text.assemble(("FAILED ", "bold red"), message), soft_wrap=True, highlight=False)
    return typer.Exit(code)


def ok(message: str) -> None:
    # soft_wrap for the same reason: the line is what scripts and people look for.
    _console().print(Text.assemble(("OK ", "bold green"), message), soft_wrap=True, highlight=False)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`1 decision`, `2 decisions`: the CLIs speak English only; the console has a plural-aware catalogue."""
    return f"{count:,} {singular if count == 1 else (plural_form or singular + 's')}"


def load_policy(path: Path) -> Policy:
    """A C2SP tlog-policy file; an unreadable or malformed one ends the command with exit status 2."""
    try:
        return Policy.parse(path.read_bytes())
    except OSError as exc:
        raise fail(f"cannot read the policy: {exc}", code=EXIT_INPUT) from exc
    except MalformedInput as exc:
        raise fail(exc.diagnostics(), code=EXIT_INPUT) from exc


@contextmanager
def input_errors(registry: str | None = None) -> Iterator[None]:
    """Ordinary mistakes with files and the network, each as one FAILED line with what to do next."""
    try:
        yield
    except FileNotFoundError as exc:
        raise fail(f"no such file: {exc.filename}; check the path", code=EXIT_INPUT) from exc
    except IsADirectoryError as exc:
        raise fail(f"{exc.filename} is a directory; give a file", code=EXIT_INPUT) from exc
    except UnicodeDecodeError as exc:
        raise fail(
            f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8 (in a spreadsheet: CSV UTF-8)",
            code=EXIT_INPUT,
        ) from exc
    except PermissionError as exc:
        raise fail(f"cannot read {exc.filename}: permission denied", code=EXIT_INPUT) from exc
    except httpx.TransportError as exc:
        where = f" at {registry}" if registry else ""
        raise fail(
            f"cannot reach the registry{where} ({exc}); start it, or name another with --registry URL "
            f"or {REGISTRY_ENV}",
            code=EXIT_UNREACHABLE,
        ) from exc


P = ParamSpec("P")


def guarded(command: Callable[P, None]) -> Callable[P, None]:
    """A command whose ordinary file and network mistakes end in one FAILED line (`input_errors`)."""

    @functools.wraps(command)
    def run_command(*args: P.args, **kwargs: P.kwargs) -> None:
        registry = kwargs.get("registry")
        with input_errors(registry if isinstance(registry, str) else None):
            command(*args, **kwargs)

    return run_command


def refuse_zip(path: Path, instead: str) -> None:
    """A zip where JSON or text was expected: name the command that reads it."""
    if path.is_file() and zipfile.is_zipfile(path):
        raise fail(f"{path} is a zip archive, not this command's input; {instead}", code=EXIT_INPUT)


def verification_failed(exc: VerificationError) -> typer.Exit:
    """Malformed input is the user's to fix (exit 2); anything else did not verify (exit 1)."""
    return fail(exc.diagnostics(), code=EXIT_INPUT if isinstance(exc, MalformedInput) else EXIT_FAILED)


def package_version() -> str:
    try:
        return version("ecolabel-registry")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def version_callback(program: str) -> Callable[[bool], None]:
    def show(value: bool) -> None:
        if value:
            sys.stdout.write(f"{program} {package_version()}\n")
            raise typer.Exit()

    return show


def add_version_option(app: typer.Typer, program: str) -> None:
    """`PROGRAM --version`, and `-h` beside `--help` for every command of the app."""

    option = typer.Option(
        False, "--version", callback=version_callback(program), is_eager=True, help="print the version and exit"
    )

    @app.callback()
    def _root(_version: bool = option) -> None:
        return

    _root.__doc__ = app.info.help if isinstance(app.info.help, str) else None


CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def run(app: typer.Typer, argv: list[str] | None = None) -> None:
    """The programs' entry point: deprecated spellings mapped, help unwrapped when not on a terminal."""
    args = list(sys.argv[1:] if argv is None else argv)
    args = replace_deprecated(args)
    if not sys.stdout.isatty():
        app.rich_markup_mode = None
        app.info.context_settings = {
            **(app.info.context_settings or {}),
            "terminal_width": _UNWRAPPED,
            "max_content_width": _UNWRAPPED,
        }
    app(args=args)


def replace_deprecated(args: list[str]) -> list[str]:
    """`--url X` becomes `--registry X`, with a note on standard error (arguments after `--` are kept)."""
    out: list[str] = []
    for position, arg in enumerate(args):
        if arg == "--":
            return out + args[position:]
        name, equals, value = arg.partition("=")
        if name in DEPRECATED_OPTIONS:
            new = DEPRECATED_OPTIONS[name]
            _console().print(f"note: {name} is deprecated; use {new}", soft_wrap=True, highlight=False, markup=False)
            out.append(f"{new}{equals}{value}")
        else:
            out.append(arg)
    return out
