"""triage.regex_code: the phrase tables' compiled regular-expression code, saved by the build and read by the
cold start, gives exactly the patterns a compile gives; a file that is missing, stale, damaged or for another
interpreter is ignored, and code the engine refuses is compiled again."""

from __future__ import annotations

import json
import marshal
import re
import subprocess
import sys
from pathlib import Path

import pytest

import triage.regex_code as regex_code
from triage import bench, cues, topics, urgency
from triage.cues import Phrases, compile_skipping


def _save(out: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m triage.regex_code`` in a fresh interpreter (the build's way), writing to ``out``."""
    return subprocess.run(
        [sys.executable, "-m", "triage.regex_code", "--out", str(out), *arguments],
        cwd=bench.FUNCTIONS_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[regex_code.Key, regex_code.Entry]:
    out = tmp_path_factory.mktemp("regex-code") / "code.marshal"
    printed = _save(out).stdout
    entries = regex_code.read(str(out))
    assert f"{len(entries)} patterns" in printed
    return entries


@pytest.fixture
def nothing_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compile everything in this process, whatever a local build left in triage/__pycache__."""
    monkeypatch.setattr(regex_code, "_entries", {})


def _fresh(key: regex_code.Key) -> re.Pattern[str]:
    pattern, flags, form = key
    if form == "re":
        return re.compile(pattern, flags)
    return compile_skipping(pattern, flags, whole_matches=form == "whole")


def test_every_table_and_pattern_of_the_cold_path_is_saved(
    saved: dict[regex_code.Key, regex_code.Entry],
) -> None:
    tables = [topics._ANY_GUARD, cues.HUMAN_REQUEST, urgency._ANY_URGENT, *topics.SENSITIVE.values()]
    for table in tables:
        assert (table.pattern, table.flags, "whole") in saved
    # Plain patterns of the modules, as re.compile would make them.
    from triage.parsing import quoting

    assert (quoting._WORDS.pattern, quoting._WORDS.flags & ~re.UNICODE, "re") in saved


@pytest.mark.usefixtures("nothing_saved")
def test_saved_code_makes_the_very_patterns_a_compile_makes(
    saved: dict[regex_code.Key, regex_code.Entry], monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = dict(saved)
    for key in saved:
        monkeypatch.setattr(regex_code, "_entries", entries)
        from_saved = regex_code.compiled(key)
        assert from_saved is not None, key[0][:80]
        assert key not in entries  # read once: the process keeps no code it has compiled
        monkeypatch.setattr(regex_code, "_entries", {})
        compiled = _fresh(key)
        # Pattern equality compares the pattern, the flags and the whole compiled code.
        assert from_saved == compiled, key[0][:80]
        assert (from_saved.groups, from_saved.groupindex) == (compiled.groups, compiled.groupindex)


def test_the_list_for_another_interpreter_compiles_to_the_same_file(
    saved: dict[regex_code.Key, regex_code.Entry], tmp_path: Path
) -> None:
    listed, out = tmp_path / "sources.json", tmp_path / "code.marshal"
    _save(out, "--sources", str(listed))
    assert not out.exists()  # --sources lists the patterns only
    assert sorted(tuple(key) for key in json.loads(listed.read_text())) == sorted(saved)
    _save(out, "--from", str(listed))
    assert regex_code.read(str(out)) == saved


_COLD_CHILD = """\
import sys
sys.path.insert(0, sys.argv[1])
import triage.regex_code as regex_code
regex_code.DEFAULT_PATH = sys.argv[2]
import re._parser
compiled_here = []
parse = re._parser.parse
def counting_parse(pattern, *args, **kwargs):
    caller = sys._getframe(1)
    while caller is not None and caller.f_code.co_filename.startswith(re.__file__.rsplit("/", 1)[0]):
        caller = caller.f_back
    # Str patterns only: the saved code has no bytes ones (the email parser's one finds a blank line).
    if caller is not None and "/triage/" in caller.f_code.co_filename and isinstance(pattern, str):
        compiled_here.append(str(pattern)[:60])
    return parse(pattern, *args, **kwargs)
re._parser.parse = counting_parse
import triage_worker.app
from triage.service import load_emotion_model_or_none, load_model_or_none, read_email, triage_message
from triage.settings import get_settings
settings = get_settings()
model = load_model_or_none(settings)
outcome = triage_message(read_email(open(sys.argv[3], "rb").read(), settings), model, settings,
                         emotion_model=load_emotion_model_or_none(settings))
print(outcome.decision.action.value, len(compiled_here), repr(compiled_here[:3]))
"""


def _cold_start(code_file: Path) -> list[str]:
    env = bench.child_environment(bench.DEFAULT_MODEL_DIR.resolve())
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            _COLD_CHILD,
            str(bench.FUNCTIONS_DIR),
            str(code_file),
            str(bench.DEFAULT_EMAIL),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return completed.stdout.split(maxsplit=2)


def test_with_the_saved_code_the_worker_cold_start_compiles_none_of_its_patterns(tmp_path: Path) -> None:
    out = tmp_path / "code.marshal"
    _save(out)
    action, count, _ = _cold_start(out)
    assert (action, count) == ("auto_reply", "0")
    # Without it (or with a file for another version of the compiler), every one of them is compiled.
    action, count, _ = _cold_start(tmp_path / "missing.marshal")
    assert action == "auto_reply"
    assert int(count) > 50


def _entry_of(pattern: str) -> tuple[regex_code.Key, regex_code.Entry]:
    """A key and its entry, as the build records them."""
    regex_code._recorded = {}
    try:
        regex_code.compile(pattern)
        [(key, entry)] = regex_code._recorded.items()
    finally:
        regex_code._recorded = None
    return key, entry


@pytest.mark.usefixtures("nothing_saved")
def test_files_that_are_stale_damaged_or_foreign_are_ignored(tmp_path: Path) -> None:
    key, entry = _entry_of(r"\bwhere\s+is\s+my\s+order\b")
    path = tmp_path / "code.marshal"
    regex_code.write({key: entry}, str(path))
    assert regex_code.read(str(path)) == {key: entry}
    assert path.stat().st_mode & 0o777 == 0o644  # readable by Lambda's user, as the modules are
    # Written by another version of the compiler (cues.py or this module edited since): ignored whole.
    assert regex_code.read(str(path), expected_hash="another compiler") == {}
    assert regex_code.read(str(tmp_path / "missing")) == {}
    valid = path.read_bytes()
    header_end = valid.index(b"\n") + 1
    flipped = [
        valid[:index] + bytes([valid[index] ^ 1 << bit]) + valid[index + 1 :]
        for index in range(header_end, len(valid), max(1, (len(valid) - header_end) // 40))
        for bit in (0, 5)
    ]
    for damaged in (
        valid[: len(valid) // 2],
        b"",
        b"\x00garbage",
        marshal.dumps(["not", "a", "cache"]),
        valid[:header_end] + marshal.dumps(["not", "a", "cache"]),
        valid[: valid.rindex(b" ", 0, header_end)]
        + b" 99999999999999999999\n"
        + valid[header_end:],  # a length to read
        *flipped,  # one bit of the code changed: it could validate and match something else, or crash the engine
    ):
        path.write_bytes(damaged)
        assert regex_code.read(str(path)) == {}


def test_a_process_reads_a_pattern_s_code_only_when_it_compiles_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker holds the index, not the code of tables no message has needed yet (~1.1 MB, the lazy ones); a
    pattern whose code is damaged is compiled again, the others still come from the file."""
    (key, entry), (other, other_entry) = _entry_of(r"\bwhere\s+is\s+my\s+order\b"), _entry_of(r"\brefund\b")
    path = tmp_path / "code.marshal"
    regex_code.write({key: entry, other: other_entry}, str(path))
    monkeypatch.setattr(regex_code, "DEFAULT_PATH", str(path))
    monkeypatch.setattr(regex_code, "_entries", None)
    monkeypatch.setattr(regex_code, "_file", None)
    assert regex_code.compiled(key) == re.compile(key[0], key[1])
    assert list(regex_code._entries or {}) == [other]
    assert not any(isinstance(field, bytes) for field in (regex_code._entries or {})[other])  # no code held

    index, start = regex_code.read_index(str(path))
    data = bytearray(path.read_bytes())
    data[start + index[other][1]] ^= 1  # one bit of the other pattern's code
    path.write_bytes(bytes(data))
    monkeypatch.setattr(regex_code, "_entries", None)
    assert regex_code.compiled(other) is None  # refused alone: the caller compiles it
    assert regex_code.compiled(key) == re.compile(key[0], key[1])
    assert regex_code.read(str(path)) == {}  # read as a whole, a damaged file gives nothing


@pytest.mark.usefixtures("nothing_saved")
def test_code_the_engine_refuses_is_compiled_again(monkeypatch: pytest.MonkeyPatch) -> None:
    table = Phrases(r"\b(talk|speak)\s+to\s+a\s+human\b")
    key = (table.pattern, table.flags, "whole")
    flags, code, groups, groupindex, indexgroup = _entry_of(r"\bthanks\b")[1]
    refused = bytes(len(code))  # all zeros: no valid program
    monkeypatch.setattr(regex_code, "_entries", {key: (flags, refused, groups, groupindex, indexgroup)})
    assert regex_code.compiled(key) is None
    assert table.lower.pattern == table.pattern
    assert [
        match.group(0) for match in table.finditer("I want to talk to a human", "i want to talk to a human")
    ] == ["talk to a human"]


@pytest.mark.usefixtures("nothing_saved")
def test_a_python_whose_private_re_differs_gets_re_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    # This module's view of re._compiler, as another Python might have it (re itself keeps the real one).
    monkeypatch.setattr(regex_code, "_compiler", object())
    pattern = regex_code.compile(r"\b(order|parcel)\s+(?P<number>\d+)", re.IGNORECASE)
    assert pattern == re.compile(r"\b(order|parcel)\s+(?P<number>\d+)", re.IGNORECASE)
    assert pattern.search("Parcel 4411")["number"] == "4411"  # type: ignore[index]
    with pytest.raises(re.error):
        regex_code.compile(r"(unbalanced")


def test_the_hash_follows_the_standard_librarys_compiler_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A patch release of Python may change what re._compiler makes without changing _sre.MAGIC: code saved by
    another patch release's compiler is then not read."""
    compiler = tmp_path / "_compiler.py"
    compiler.write_text("# one release\n")
    monkeypatch.setattr(regex_code, "_RE_SOURCES", (str(compiler),))
    before = regex_code.compiler_hash()
    compiler.write_text("# the next\n")
    assert regex_code.compiler_hash() not in ("", before)
    compiler.unlink()
    assert regex_code.compiler_hash() == ""  # no source to read: no saved code is trusted
