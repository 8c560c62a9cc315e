"""Bad training or evaluation data: a clear message and exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.cli import main
from triage.training import load_dataset, load_datasets

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


def test_a_bad_second_data_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "public.csv"
    good.write_bytes(b"text,category\n" + b"".join(b"hello %d,a\nbye %d,b\n" % (i, i) for i in range(6)))
    bad = tmp_path / "ours.csv"
    bad.write_bytes(b"text,label\nwhere is it,a\n")
    args = ["train", "--data", str(good), "--data", str(bad), "--out", str(tmp_path / "out"), "--no-encoder"]
    assert exit_code([*args, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "ours.csv: missing column(s) ['category']" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_data_files_are_read_in_order_as_one_set(tmp_path: Path) -> None:
    first = tmp_path / "public.csv"
    first.write_text("text,category\nwhere is my parcel,track_order\n,track_order\n", encoding="utf-8")
    second = tmp_path / "ours.csv"
    second.write_text(
        "text,category,round\nhow do I reset my password,recover_password,1\n", encoding="utf-8"
    )
    merged = load_datasets([first, second])
    assert merged.texts == ["where is my parcel", "how do I reset my password"]
    assert merged.labels == ["track_order", "recover_password"]
    assert merged.source == "public.csv + ours.csv"
    assert merged.skipped == 1
    alone = load_datasets([first])
    assert alone == load_dataset(first)
    # The digest names both files: a change to either is a different data set.
    second.write_text(
        "text,category,round\nhow do I reset my password,recover_password,2\n", encoding="utf-8"
    )
    assert load_datasets([first, second]).sha256 not in {merged.sha256, alone.sha256}
