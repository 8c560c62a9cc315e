"""The phrase tables' compiled regular-expression code, saved by the build for the Python that runs it.

Python compiles a regular expression in Python (``re._parser`` parses it, ``re._compiler`` turns the tree into the
list of integers the C engine runs): the project's ~140 module-level patterns, the phrase tables of ``triage.cues``
and their unions above all, cost ~65 ms of the worker's cold start, in every process. As ``.pyc`` files do for modules, the build writes that code once per pattern to a file in
``triage/__pycache__`` named for the interpreter (its cache tag: Python's minor version) and the engine's code
format (``_sre.MAGIC``), and a process reads its index once: a pattern found there is one read of its code and one
``_sre.compile`` call (C, which validates the code it is given); any other is compiled as usual. Code is read when
its pattern is compiled, so the lazy tables' (~1.1 MB, most of it the sensitive topics' union) stays on disk until a
message needs them, not in every worker's memory.

Never stale: entries are keyed by the pattern's text, flags and form, and the whole file by a hash of the code that
compiles them (``cues.py``, this module, and the standard library's ``re`` compiler). A file that does not read,
does not match, or fails its CRC-32 (of the index; of each pattern's code) is ignored, and so is code the engine
refuses: the pattern is compiled as it would be without it. Nothing is written at run time (Lambda's
code is read-only): ``python -m triage.regex_code`` writes the file for the interpreter running it (``triage
bench`` does, as the build would); the Lambda build writes it for the runtime's Python from the list of patterns
(``--sources``/``--from``), since that interpreter cannot import the dependencies built for Lambda's platform.
"""

from __future__ import annotations

import _sre
import hashlib
import marshal
import os
import re
import re._casefix as _casefix
import re._compiler as _compiler
import re._constants as _constants
import re._parser as _parser
import sys
import zlib
from array import array
from collections.abc import Sequence
from typing import Any

# (pattern, flags, form): form "re" for ``compile`` (as ``re.compile`` makes it), else the way
# ``cues.compile_skipping`` made it ("skipping", "whole").
Key = tuple[str, int, str]
# What ``_sre.compile`` takes besides the pattern: flags, code (as bytes), groups, group index, index group.
Entry = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]

_HERE = os.path.dirname(os.path.abspath(__file__))
TAG = f"{sys.implementation.cache_tag}-{_sre.MAGIC}"
DEFAULT_PATH = os.path.join(_HERE, "__pycache__", f"regex-code.{TAG}.marshal")
# The modules whose source decides the code a key compiles to: ours, and the standard library's compiler (a patch
# release of Python may change what it makes without changing _sre.MAGIC).
_COMPILER_SOURCES = ("cues.py", "regex_code.py")
_RE_SOURCES = tuple(
    getattr(module, "__file__", None) or "" for module in (_compiler, _parser, _casefix, _constants)
)
_TYPECODE = next((code for code in "IL" if array(code).itemsize == _sre.CODESIZE), "")
# The file: one header line (format, compiler hash, CRC-32 and length of the index), the marshalled index (by key:
# flags, the code's offset, length and CRC-32, groups, group index, index group), then the code of every pattern.
# The CRCs keep a damaged file from feeding the engine code that validates but matches something else, or crashes it.
_FORMAT = b"triage-regex-code-3"
# An entry whose code is still in the file: flags, offset, length, CRC-32, groups, group index, index group.
Stored = tuple[int, int, int, int, int, dict[str, int], tuple[str | None, ...]]


def compiler_hash(directory: str = _HERE) -> str:
    """A hash of the modules that compile the patterns, ours as they are in ``directory`` ('' when one cannot be
    read)."""
    digest = hashlib.sha256(TAG.encode())
    try:
        for path in (*(os.path.join(directory, name) for name in _COMPILER_SOURCES), *_RE_SOURCES):
            with open(path, "rb") as source:
                digest.update(source.read())
    except OSError:
        return ""
    return digest.hexdigest()


def read_index(
    path: str = DEFAULT_PATH, *, expected_hash: str | None = None
) -> tuple[dict[Key, Stored], int]:
    """The index of the file at ``path`` and where its code starts; empty when the file is missing, unreadable,
    damaged, or written for another interpreter or another version of the compiler (``expected_hash``: this one's,
    by default)."""
    try:
        with open(path, "rb") as handle:
            header = handle.readline(200)
            fields = header.rstrip(b"\n").split(b" ")
            expected = compiler_hash() if expected_hash is None else expected_hash
            if not header.endswith(b"\n") or len(fields) != 4 or fields[:2] != [_FORMAT, expected.encode()]:
                return {}, 0
            if not expected or not fields[3].isdigit() or int(fields[3]) > os.fstat(handle.fileno()).st_size:
                return {}, 0  # the header is not under a CRC: a length past the file's end is not read
            index = handle.read(int(fields[3]))
    except OSError:
        return {}, 0
    if len(index) != int(fields[3]) or fields[2] != b"%08x" % zlib.crc32(index):
        return {}, 0
    try:
        # marshal: the format of the .pyc files beside it, written by the same build and as trusted as they are
        entries = marshal.loads(index)  # noqa: S302
    except (EOFError, ValueError, TypeError):
        return {}, 0
    return (entries, len(header) + len(index)) if isinstance(entries, dict) else ({}, 0)


def _code_at(handle: int, start: int, stored: Stored) -> bytes | None:
    """The code of ``stored`` from the open file ``handle`` (its code starting at ``start``), None if it cannot be
    read or fails its CRC."""
    _, offset, length, crc = stored[:4]
    try:
        code = os.pread(handle, length, start + offset)
    except (OSError, ValueError, OverflowError):
        return None
    return code if len(code) == length and zlib.crc32(code) == crc else None


def read(path: str = DEFAULT_PATH, *, expected_hash: str | None = None) -> dict[Key, Entry]:
    """Every entry of the file at ``path``, code included; empty when the index or any pattern's code does not read
    or check (see ``read_index``)."""
    index, start = read_index(path, expected_hash=expected_hash)
    if not index:
        return {}
    entries: dict[Key, Entry] = {}
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return {}
    try:
        for key, stored in index.items():
            code = _code_at(handle, start, stored)
            if code is None:
                return {}
            flags, _, _, _, groups, groupindex, indexgroup = stored
            entries[key] = (flags, code, groups, groupindex, indexgroup)
    finally:
        os.close(handle)
    return entries


def write(entries: dict[Key, Entry], path: str = DEFAULT_PATH) -> None:
    """Write ``entries`` to ``path`` (atomically: a reader sees the old file or the new one)."""
    import tempfile

    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    index: dict[Key, Stored] = {}
    codes: list[bytes] = []
    offset = 0
    for key, (flags, code, groups, groupindex, indexgroup) in sorted(entries.items()):
        index[key] = (flags, offset, len(code), zlib.crc32(code), groups, groupindex, indexgroup)
        codes.append(code)
        offset += len(code)
    marshalled = marshal.dumps(index)
    header = b" ".join(
        (_FORMAT, compiler_hash().encode(), b"%08x" % zlib.crc32(marshalled), str(len(marshalled)).encode())
    )
    payload = marshalled + b"".join(codes)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".regex-code-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(header + b"\n" + payload)
        os.chmod(temporary, 0o644)  # as the modules beside it: Lambda reads the code as another user
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# What this process may still read: by key, an entry of the file (its code read on use) or, in tests, one with its
# code. Read on first need, with the file kept open (_file: its descriptor and where its code starts).
_entries: dict[Key, Stored | Entry] | None = None
_file: tuple[int, int] | None = None
_recorded: dict[Key, Entry] | None = None  # what this process compiled, while recording (the build)


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from the saved code when there is some: the same code, groups and flags."""
    flags = int(flags)
    key = (pattern, flags, "re")
    if (saved := compiled(key)) is not None:
        return saved
    try:
        tree = _parser.parse(pattern, flags)  # what re._compiler.compile does, keeping the code it makes
        return from_code(key, flags | tree.state.flags, tree, _compiler._code(tree, flags))
    except re.error:
        raise
    except Exception:  # re's private modules differ (another Python): re.compile is always right
        return re.compile(pattern, flags)


def from_code(key: Key, flags: int, tree: Any, code: list[int]) -> re.Pattern[str]:
    """The pattern ``key`` names, made from ``code`` (compiled from the parse ``tree``) as re's own compile makes it
    (its groups and their names); kept for the file while this process records (``remember``)."""
    indexgroup: list[str | None] = [None] * tree.state.groups
    for name, index in tree.state.groupdict.items():
        indexgroup[index] = name
    pattern: re.Pattern[str] = _sre.compile(
        key[0], flags, code, tree.state.groups - 1, tree.state.groupdict, tuple(indexgroup)
    )
    remember(key, flags, code, tree.state.groups - 1, tree.state.groupdict, indexgroup)
    return pattern


def compiled(key: Key) -> re.Pattern[str] | None:
    """The pattern of ``key`` from the saved code, or None when it has none (or the engine refuses it)."""
    global _entries, _file
    if _entries is None:
        if _file is not None:  # read again (the build's recording resets what was read)
            os.close(_file[0])
            _file = None
        index, start = read_index(DEFAULT_PATH) if _TYPECODE else ({}, 0)
        try:
            _file = (os.open(DEFAULT_PATH, os.O_RDONLY), start) if index else None
        except OSError:
            index = {}
        _entries = dict(index)
    entry = _entries.pop(key, None)  # read once: the process keeps no code it has compiled
    if entry is None:
        return None
    if isinstance(entry[1], bytes):  # an entry with its code (tests give these)
        code: bytes | None = entry[1]
    else:
        code = _code_at(*_file, entry) if _file else None
    if code is None:
        return None
    flags, groups, groupindex, indexgroup = entry[0], entry[-3], entry[-2], entry[-1]
    try:
        pattern: re.Pattern[str] = _sre.compile(
            key[0], flags, array(_TYPECODE, code).tolist(), groups, groupindex, indexgroup
        )
    except (RuntimeError, TypeError, ValueError, OverflowError):  # code the engine does not accept
        return None
    return pattern


def recording() -> bool:
    """Whether this process records what it compiles (the build does)."""
    return _recorded is not None


def remember(
    key: Key,
    flags: int,
    code: list[int],
    groups: int,
    groupindex: dict[str, int],
    indexgroup: Sequence[str | None],
) -> None:
    """Keep what ``key`` compiled to, when this process is recording (the build); else nothing."""
    if _recorded is not None and _TYPECODE:
        _recorded[key] = (
            flags,
            array(_TYPECODE, code).tobytes(),
            groups,
            dict(groupindex),
            tuple(indexgroup),
        )


def record_package() -> dict[Key, Entry]:
    """Import every module of the ``triage`` package and compile every phrase table, lazy ones included; what that
    compiled, by key. The modules' own tables compile as they always do (the saved code is not read)."""
    global _recorded, _entries
    import importlib
    import pkgutil

    _recorded, _entries = {}, {}
    try:
        import triage
        from triage import cues

        for module in pkgutil.walk_packages(triage.__path__, "triage."):
            importlib.import_module(module.name)
        for table in cues.Phrases.made():
            _ = table.lower
        return dict(_recorded)
    finally:
        _recorded, _entries = None, None


def record_keys(keys: Sequence[Key]) -> dict[Key, Entry]:
    """Compile ``keys`` (``cues.compile_skipping``) with this interpreter; what that compiled, by key."""
    global _recorded, _entries
    from triage import cues

    _recorded, _entries = {}, {}
    try:
        for pattern, flags, form in keys:
            if form == "re":
                compile(pattern, flags)
            else:
                cues.compile_skipping(pattern, flags, whole_matches=form == "whole")
        return dict(_recorded)
    finally:
        _recorded, _entries = None, None


def main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import json

    parser = argparse.ArgumentParser(
        prog="python -m triage.regex_code", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--out", default=DEFAULT_PATH, help="where to write the code (default: %(default)s)")
    parser.add_argument(
        "--sources", metavar="FILE.json", help="write the list of patterns (for another interpreter) instead"
    )
    parser.add_argument(
        "--from", dest="from_", metavar="FILE.json", help="compile the patterns listed in FILE"
    )
    args = parser.parse_args(argv)
    if args.from_:
        with open(args.from_, encoding="utf-8") as listed:
            keys: list[Key] = [(str(p), int(f), str(form)) for p, f, form in json.load(listed)]
        entries = record_keys(keys)
    else:
        entries = record_package()
    if args.sources:
        with open(args.sources, "w", encoding="utf-8") as out:
            json.dump(sorted(entries), out)
        print(f"{len(entries)} patterns listed in {args.sources}")
        return 0
    write(entries, args.out)
    size = sum(len(entry[1]) for entry in entries.values())
    print(f"{len(entries)} patterns ({size / 1e6:.2f} MB of code) written to {args.out}")
    return 0


if (
    __name__ == "__main__"
):  # run as the package's module, whose state cues.py reads, not as a copy named __main__
    from triage import regex_code

    sys.exit(regex_code.main())
