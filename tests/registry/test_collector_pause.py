"""`ecolabel_registry.collector.paused`: no cyclic collection during a catalogue check, and the collector
back as it was afterwards, however checks on several threads overlap."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ecolabel_registry import collector
from ecolabel_registry.api import verify
from ecolabel_registry.api.routing import CatalogueJSONRoute, StrictJSONRoute


@pytest.fixture(autouse=True)
def _restore_the_collector() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_inside_and_back_on_after_the_last_overlapping_pause() -> None:
    gc.enable()
    first, second = collector.paused(), collector.paused()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second check still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_operator_stays_off() -> None:
    gc.disable()
    with collector.paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_exception_inside_still_ends_the_pause() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("the check failed")
    assert gc.isenabled()


def test_catalogue_checks_are_the_routes_that_pause_it() -> None:
    paused = {
        (method, route.path)
        for route in verify.router.routes
        if isinstance(route, StrictJSONRoute) and route.pauses_collector
        for method in route.methods
    }
    assert paused == {("POST", "/v1/verify/eligibility")}  # not the single check: it allocates little
    assert issubclass(CatalogueJSONRoute, StrictJSONRoute)
