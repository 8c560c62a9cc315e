"""Bad training or evaluation data: a clear message and exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.cli import main

CASES = {
    "empty": (b"", "no rows"),
    "header_only": (b"text,category\n", "no rows"),
    "missing_column": (b"text,label\nhello,a\n", "missing column(s) ['category']"),
    "label_with_one_example": (
        b"text,category\n" + b"".join(b"hello %d,a\n" % i for i in range(6)) + b"bye,b\n",
        "too few: 'b' (1)",
    ),
    "not_utf8": (b"text,category\ncaf\xe9,a\n", "not UTF-8"),
}


def exit_code(args: list[str]) -> int:
    """The command's exit status, whether it returned it or exited with it."""
    try:
        return main(args)
    except SystemExit as exited:
        return int(exited.code or 0)


# Evaluation accepts any number of rows per label, so that case is for training only.
PAIRS = [(case, command) for case in sorted(CASES) for command in ("train", "evaluate")]
PAIRS.remove(("label_with_one_example", "evaluate"))


@pytest.mark.parametrize(("case", "command"), PAIRS)
def test_bad_data_is_refused_clearly(
    case: str, command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], model: object
) -> None:
    content, message = CASES[case]
    data = tmp_path / f"{case}.csv"
    data.write_bytes(content)
    args = (
        ["train", "--data", str(data), "--out", str(tmp_path / "out"), "--no-encoder", "--quiet"]
        if command == "train"
        else ["evaluate", "--data", str(data), "--json"]
    )
    assert exit_code(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
