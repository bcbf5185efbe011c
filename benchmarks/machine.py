"""A description of the machine the figures were measured on, printed above the table."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib.metadata import version
from pathlib import Path

from sqlalchemy import text

from benchmarks.databases import postgres_admin
from benchmarks.model import Context, Unavailable


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "unknown"
    return f"{total / 2**30:.1f} GiB"


def _postgres(ctx: Context) -> str:
    try:
        admin = postgres_admin(ctx)
    except Unavailable as exc:
        return str(exc)
    try:
        with admin.connect() as connection:
            server = connection.execute(text("SHOW server_version")).scalar_one()
            settings = {
                name: connection.execute(text(f"SHOW {name}")).scalar_one()
                for name in ("shared_buffers", "synchronous_commit", "fsync")
            }
    finally:
        admin.dispose()
    return f"{server} ({', '.join(f'{k}={v}' for k, v in settings.items())})"


def load() -> str:
    """The 1-minute load average: other work on the machine skews every figure, so it is printed."""
    try:
        return f"{os.getloadavg()[0]:.2f} (1-min load average, {os.cpu_count()} CPUs)"
    except OSError:
        return "unknown"


def describe(ctx: Context) -> dict[str, str]:
    packages = ", ".join(f"{name} {version(name)}" for name in ("sqlalchemy", "psycopg", "cryptography"))
    return {
        "cpu": f"{_cpu_model()}, {os.cpu_count()} logical CPUs",
        "memory": _memory(),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres(ctx),
        "packages": packages,
        "scale": "quick" if ctx.quick else "full",
    }
