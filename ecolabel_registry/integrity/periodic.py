"""The API process's own check: at start, then every `fsck_interval_s`, on a thread beside the requests.

Processes of one machine share the replica file and take turns (a process that finds it in use skips its
turn); what any of them finds is recorded in the database, where all of them read it (`guard`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from sqlalchemy.exc import SQLAlchemyError

from ecolabel_registry.context import RegistryContext
from ecolabel_registry.errors import RegistryError
from ecolabel_registry.integrity import check as checks

logger = logging.getLogger(__name__)


def check_once(context: RegistryContext) -> checks.CheckReport | None:
    settings = context.settings
    try:
        report = checks.run(
            context.engine,
            settings,
            context.signing_key,
            replica=settings.fsck_replica_path,
            operator=False,
            wait=False,
        )
    except checks.CheckBusy:
        return None  # another process of this machine is checking now
    except (RegistryError, SQLAlchemyError, OSError):
        logger.exception("the integrity check could not run")
        return None
    if report.divergence is not None:
        logger.error("integrity divergence: %s", report.divergence)
    return report


async def run_periodically(context: RegistryContext) -> None:
    """Until cancelled (the app's lifespan ends)."""
    while True:
        await asyncio.to_thread(check_once, context)
        await asyncio.sleep(context.settings.fsck_interval_s)


@asynccontextmanager
async def running(context: RegistryContext, *, enabled: bool) -> AsyncIterator[None]:
    """The periodic check runs while the block does (the app's lifespan), if `enabled`."""
    task = asyncio.create_task(run_periodically(context)) if enabled else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
