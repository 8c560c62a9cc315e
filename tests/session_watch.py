"""The pytest hooks of a session-wide check (``log_leak_plugin``, ``iam_plugin``): install it when pytest starts,
tell it which test is running, check at the end, fail the session (exit status 1, even when every test passed) on
any finding and list the findings in the summary. Each plugin module takes them with
``globals().update(session_hooks(watch))``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import pytest


class SessionWatch(Protocol):
    current: str  # the test running now, named in each finding
    title: str  # the heading of the findings in pytest's summary
    label: str  # the word before each finding

    def install(self) -> None: ...

    def uninstall(self) -> None: ...

    def check(self) -> list[str]:
        """The findings (empty: none), kept for the summary."""
        ...

    def summary(self) -> str:
        """The summary's last line: what was checked and what was found."""
        ...

    @property
    def findings(self) -> list[str]: ...


def session_hooks(watch: SessionWatch) -> dict[str, Callable[..., None]]:
    def pytest_configure(config: pytest.Config) -> None:
        watch.install()

    def pytest_unconfigure(config: pytest.Config) -> None:
        watch.uninstall()

    def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
        watch.current = nodeid

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
        watch.current = "(session end)"
        if watch.check() and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if watch.findings:
            terminalreporter.section(watch.title, red=True, bold=True)
            for finding in watch.findings:
                terminalreporter.write_line(f"{watch.label} {finding}")
        terminalreporter.write_line(watch.summary(), red=bool(watch.findings))

    hooks = (
        pytest_configure,
        pytest_unconfigure,
        pytest_runtest_logstart,
        pytest_sessionfinish,
        pytest_terminal_summary,
    )
    return {hook.__name__: hook for hook in hooks}
