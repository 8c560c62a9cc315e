"""``make demo`` (``triage demo``): every sample mail through the real handlers on moto, and a table that says what
happened to each, with nothing missing and the counts agreeing with what SES sent and the escalation queue holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from triage.cli import main

EVENTS = Path(__file__).resolve().parents[2] / "events" / "email"
SUMMARY = re.compile(
    r"auto-replied (?P<auto_reply>\d+) · escalated (?P<escalate>\d+) · no reply (?P<no_reply>\d+)"
    r" · SES sent (?P<sent>\d+) · escalation queue holds (?P<queued>\d+) · missing (?P<missing>\d+)"
)


def test_the_demo_decides_every_sample_mail_as_its_expected_outcome(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--events", str(EVENTS), "--table-only"]) == 0
    out = capsys.readouterr().out

    samples = sorted(path.stem for path in EVENTS.glob("*.eml"))
    rows = {
        line.split()[0]: line.split()
        for line in out.splitlines()
        if line.split()[:1] and line.split()[0] in samples
    }
    assert sorted(rows) == samples
    for sample, row in rows.items():
        expected = json.loads((EVENTS / f"{sample}.expected.json").read_text())
        assert expected["action"] in row, f"{sample}: {' '.join(row)}"
        if "reason" in expected:
            assert row[row.index(expected["action"]) + 1] == expected["reason"], f"{sample}: {' '.join(row)}"

    summary = SUMMARY.search(out)
    assert summary is not None, out[-500:]
    counts = {name: int(value) for name, value in summary.groupdict().items()}
    assert counts["missing"] == 0
    assert counts["auto_reply"] + counts["escalate"] + counts["no_reply"] == len(samples)
    assert counts["sent"] == counts["auto_reply"]
    assert counts["queued"] == counts["escalate"]
    assert counts["auto_reply"] > 0
    # The handlers' metrics stay off stdout (no EMF documents among the demo's lines).
    assert '"_aws"' not in out
