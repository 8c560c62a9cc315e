"""``triage serve`` on a port it cannot use: one line naming the option, exit 2, nothing started (it used to start
moto, create the stack and die with a traceback from aiosmtpd, socketserver or the moto launcher)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from triage import cli, serve


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


@pytest.fixture
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    def start(_stack: object) -> None:
        raise AssertionError("the stack started")

    monkeypatch.setattr(serve.LocalStack, "start", start)


@pytest.mark.usefixtures("nothing_starts")
@pytest.mark.parametrize("option", ["--smtp-port", "--http-port", "--aws-port"])
def test_a_taken_port_is_one_line_and_exit_2(
    option: str, taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", option, str(taken_port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"triage: {option} {taken_port}: cannot listen there")
    assert "Traceback" not in err


@pytest.mark.usefixtures("nothing_starts")
@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_number_that_is_not_a_port_is_one_line_and_exit_2(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", "--http-port", port]) == 2
    assert (
        capsys.readouterr().err == f"triage: --http-port {port}: not a port (0-65535; 0 picks a free one)\n"
    )


def test_free_ports_and_zero_pass_the_check() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = int(probe.getsockname()[1])
    serve.check_ports(smtp_port=free, http_port=0, aws_port=0)


def test_one_port_for_two_servers_is_refused_before_anything_starts() -> None:
    with pytest.raises(serve.PortError, match="--http-port 8125: --smtp-port is given the same port"):
        serve.check_ports(smtp_port=8125, http_port=8125, aws_port=0)
