"""Fixtures for the console: the registry fixtures, a seeded world, a live server and headless Chromium.

The browser is Debian's `chromium` (installed by `make test`'s `browser` step), driven by Playwright with
that executable: no browser is ever downloaded. Without it the browser tests are skipped with a reason,
except under CI, where that is a failure (the same rule as for PostgreSQL).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from ecolabel_registry.app import create_app
from ecolabel_registry.settings import Settings
from tests.conftest import BACKENDS
from tests.console import world
from tests.registry.conftest import ADMIN_TOKEN, LOG_ORIGIN, admin_headers, client, settings  # noqa: F401  (pytest finds fixtures by name)
from tests.registry.live import live_servers

CHROMIUM = os.environ.get("ECOLABEL_TEST_CHROMIUM", "/usr/bin/chromium")
# The machine has no outside network: without these Chromium stalls on refused background connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
# axe-core as shipped inside the axe-playwright-python wheel (installed from PyPI, pinned): no CDN.
AXE_SCRIPT = (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def seeded(client: TestClient, admin_headers: dict[str, str]) -> world.World:  # noqa: F811  (fixtures above)
    return world.build(client, admin_headers)


@dataclass(frozen=True)
class Live:
    url: str
    world: world.World
    settings: Settings


@pytest.fixture(scope="module", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Live]:
    """A seeded registry and a real `ecolabel-registry serve` process on it (the browser needs a socket).

    Shared by a module's tests on each backend: starting a server process and seeding cost seconds, and
    the browser tests only read (forms here change nothing in the registry).
    """
    folder = tmp_path_factory.mktemp(f"console-{request.param}")
    if request.param == "sqlite":
        shutil.copyfile(sqlite_template, folder / "registry.sqlite3")
        database_url = f"sqlite:///{folder / 'registry.sqlite3'}"
    else:
        database = request.getfixturevalue("postgres_database")
        database.reset()
        database_url = database.url
    configured = Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        signing_key_path=folder / "registry-key.pem",
        admin_token_path=folder / "admin-token",
        log_origin=LOG_ORIGIN,
        fsck_interval_s=0,  # the check of the tables against the log has tests of its own (tests/integrity)
        fsck_replica_path=folder / "fsck-replica.sqlite3",
    )
    with TestClient(create_app(configured)) as seeding_client:
        built = world.build(seeding_client, {"Authorization": f"Bearer {ADMIN_TOKEN}"})
    with live_servers(configured, 1, folder) as (server,):
        yield Live(server.url, built, configured)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        message = f"Debian's chromium is not installed at {CHROMIUM} (`make browser` installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # The suite shares two cores with live servers and fuzzing: give pages time rather than flake.
    expect.set_options(timeout=15_000)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


def backend(settings: Settings) -> str:  # noqa: F811
    return settings.database_url.split(":", 1)[0].split("+", 1)[0]


def screenshot(page: Page, name: str, settings: Settings) -> Path:  # noqa: F811
    """A full-page screenshot kept as a test artefact (test-artifacts/console/<name>-<backend>.png)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{backend(settings)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_accessible(page: Page) -> None:
    """No axe-core violation of WCAG 2.1 A/AA rules (labels, contrast, landmarks, lang …) on this page."""
    page.evaluate(AXE_SCRIPT)
    results = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_AA
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in results["violations"]
    ]
    assert not problems, f"{page.url}:\n" + "\n".join(problems)
