"""A pytest plugin (registered by tests/conftest.py) that prints what the reliability tests measured.

Tests attach their figures with `record_property(REPORT_KEY, {...})`. User properties travel with each
test report from xdist workers to the controller, which is where the terminal summary is written.
"""

from __future__ import annotations

from typing import Any

import pytest

REPORT_KEY = "reliability"
_figures: list[tuple[str, dict[str, Any]]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == REPORT_KEY and isinstance(value, dict):
            _figures.append((report.nodeid.split("::", 1)[-1], value))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _figures:
        return
    terminalreporter.section("reliability figures")
    for test, figures in sorted(_figures, key=lambda item: item[0]):
        text = ", ".join(f"{key}={value}" for key, value in figures.items())
        terminalreporter.write_line(f"{test}: {text}")
