"""The production layout on one machine: several stateless `serve` processes, a worker and witnesses, on PostgreSQL.

    ECOLABEL_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/ecolabel \\
        ecolabel-registry layout --serve 2 --worker --witnesses 2 --create-database --demo

It is the shape docs/DEPLOYMENT.md describes, minus the reverse proxy: the API processes share nothing
but the database (which orders every log append) and the registry's signing key file, so any of them
can answer any request. The witnesses stand in for independent parties (a programme, an accreditation
body, a GEN member): each has its own key and state directory and knows only the registry's public
key; the worker submits every new checkpoint to them (ECOLABEL_WITNESSES).

Each process runs in its own session, so Ctrl-C reaches only this supervisor, which then stops the
processes in order (SIGTERM: uvicorn finishes requests in flight, the worker finishes the delivery in
hand) instead of every child reacting to the terminal at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ecolabel_registry.settings import Settings
from ecolabel_registry.signing_key import load_or_create_signing_key
from verification.cosignature import Cosigner
from verification.note import NoteSigner

STARTUP_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


class LayoutError(RuntimeError):
    """The layout cannot start: a wrong database, or a process that exited or never became healthy."""


@dataclass(frozen=True)
class Child:
    name: str
    url: str | None  # None for the worker, which serves no HTTP
    process: subprocess.Popen[bytes]


@dataclass(frozen=True)
class WitnessSetup:
    """A local witness: its key file and state directory, its own, under the layout's witness directory."""

    name: str
    key_path: Path
    state: Path
    port: int

    def cosigner(self) -> Cosigner:
        return Cosigner.from_string(self.key_path.read_text(encoding="ascii"))


def prepare_witnesses(directory: Path, count: int, first_port: int, host: str) -> list[WitnessSetup]:
    """Create each witness's key (mode 0600) once; later runs reuse it, as a real witness keeps its key."""
    setups = []
    for number in range(1, count + 1):
        home = directory / f"w{number}"
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_path = home / "key"
        if not key_path.exists():
            cosigner = Cosigner.generate(f"witness-{number}.{host}.localhost/w")
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(cosigner.to_string() + "\n")
        setups.append(WitnessSetup(f"witness-{number}", key_path, home / "state", first_port + number - 1))
    return setups


def witness_setting(witnesses: list[WitnessSetup], host: str) -> str:
    """ECOLABEL_WITNESSES for the registry's processes: `<vkey> <url>` per witness."""
    return ";".join(f"{w.cosigner().key.to_string()} http://{host}:{w.port}" for w in witnesses)


def require_postgresql(database_url: str) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        raise LayoutError(
            "the production layout runs on PostgreSQL (several processes share one database): set "
            "ECOLABEL_DATABASE_URL=postgresql+psycopg://user@host:5432/db"
        )


def create_database(database_url: str) -> bool:
    """Create the database named by the URL if it does not exist; True if it was created."""
    url = make_url(database_url)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            found = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database})
            if found.first() is not None:
                return False
            quoted = '"' + (url.database or "").replace('"', '""') + '"'
            connection.execute(text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        server.dispose()


def prepare_secrets(settings: Settings) -> None:
    """Create the signing key and the development admin token once, here, before the processes race to."""
    load_or_create_signing_key(settings.signing_key_path)
    settings.resolved_admin_token()


def start(
    *,
    serve: int,
    worker: bool,
    host: str,
    port: int,
    settings: Settings,
    witnesses: list[WitnessSetup],
    replica_urls: list[str] | None = None,
) -> list[Child]:
    command = [sys.executable, "-m", "ecolabel_registry.cli"]
    children: list[Child] = []
    started = False
    env = dict(os.environ)
    if replica_urls:
        env["ECOLABEL_DATABASE_REPLICA_URLS"] = ",".join(replica_urls)
    if witnesses:
        env["ECOLABEL_WITNESSES"] = witness_setting(witnesses, host)
    try:
        if witnesses:
            log_key = NoteSigner.from_private_key(
                settings.log_origin, load_or_create_signing_key(settings.signing_key_path)
            ).verifier()
        for witness in witnesses:
            arguments = [*command, "witness", "serve", "--key", str(witness.key_path), "--log", log_key.to_string()]
            arguments += ["--state", str(witness.state), "--host", host, "--port", str(witness.port)]
            process = subprocess.Popen(arguments, start_new_session=True)  # noqa: S603  (our own CLI, no shell)
            children.append(Child(witness.name, f"http://{host}:{witness.port}", process))
        for number in range(serve):
            url = f"http://{host}:{port + number}"
            arguments = [*command, "serve", "--host", host, "--port", str(port + number)]
            process = subprocess.Popen(arguments, start_new_session=True, env=env)  # noqa: S603  (as above)
            children.append(Child(f"api-{number + 1}", url, process))
        if worker:
            process = subprocess.Popen([*command, "worker"], start_new_session=True, env=env)  # noqa: S603
            children.append(Child("worker", None, process))
        _wait_until_healthy(children)
        started = True
    finally:
        if not started:  # a failure or a Ctrl-C while starting: leave no process behind
            stop(children)
    return children


def _wait_until_healthy(children: list[Child]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    waiting = [child for child in children if child.url is not None]
    while waiting:
        for child in children:
            if child.process.poll() is not None:
                raise LayoutError(f"{child.name} exited with status {child.process.returncode} while starting")
        if time.monotonic() > deadline:
            raise LayoutError(f"{', '.join(c.name for c in waiting)} did not answer /healthz in {STARTUP_TIMEOUT_S} s")
        waiting = [child for child in waiting if not _healthy(child)]
        if waiting:
            time.sleep(0.2)


def _healthy(child: Child) -> bool:
    try:
        return httpx.get(f"{child.url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def stop(children: list[Child]) -> None:
    """SIGTERM every process, then wait for each; kill any that outlives the grace period."""
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()


def supervise(children: list[Child], echo: Callable[[str], None]) -> int:
    """Wait for SIGINT or SIGTERM (exit 0) or for a process to die (exit 1); stop them all either way."""
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping.wait(0.5):
            dead = [child for child in children if child.process.poll() is not None]
            if dead:
                echo(f"{dead[0].name} exited with status {dead[0].process.returncode}; stopping the layout")
                return 1
        echo("stopping the layout")
        return 0
    finally:
        stop(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
