"""Re-runs on an unchanged repository: reuse the previous run's findings, content-checked.

composelint models the whole repository at once (a compose file is checked against the
Dockerfile it builds, a host name against every deployment), so a finding depends on many
files. Caching the parse of each file alone would save about a fifth of a run (parsing is
that share of the profile; the cross-file analysis is the rest). This cache keeps the
*outcome* of a run together with a manifest of everything the run observed, and reuses it
only when every observation is still true:

* the key: composelint's version and the size and modification time of each of its own
  files (code and data tables), the Python version, ruamel.yaml's, the project root, the
  full configuration after command-line overrides, the options that change which findings
  are reported, and the machine's environment when ``--use-environment`` lets it in;
* the manifest, checked on every re-run: the list of files and directories the walk found;
  the SHA-256 of the text of every file the run read (compose files, Dockerfiles, .env,
  .dockerignore, requirements, sources the analysis looked into), or how reading it failed;
  and the outcome of every other probe of the file system (does this path exist).

A re-run walks the tree and re-reads and hashes those files (milliseconds), skips parsing,
modelling and every rule, and renders the stored findings. The entry also keeps the text of the
report the run printed, under a key of everything else that text depends on (format, colour,
path base, current directory: see ``checking.report_key``); a re-run with that key prints it as it
is, and its findings are not even decoded. A re-run with another key renders the findings and adds
its report to the entry (the MAX_REPORTS most recent are kept), unless a text it quotes was
edited after the replay checked it. Anything that differs, a missing
or unreadable entry, a corrupt or truncated one, or one written by another version, is a
miss: the run happens as if there were no cache, and its outcome replaces the entry.

Where: ``.composelint_cache/`` in the project root, created only there, with a
``.gitignore`` of ``*`` (as ruff and pytest do) and a ``CACHEDIR.TAG``. Entries are written
to a temporary file in that directory and moved into place with ``os.replace``, so
concurrent runs never read half an entry. A read-only or unwritable project is linted
without a cache, silently. ``--no-cache`` or ``COMPOSELINT_NO_CACHE=1`` turn it off.

Format and trust: an entry is a header line (format, composelint and marshal versions) and
one ``marshal`` payload of plain values: strings, numbers, bytes, lists. Findings are stored as
their fields and rebuilt by calling the constructors of a fixed set of classes (Diagnostic,
Related, ServiceRef, Span, Position, Severity; see ``composelint/plain.py``), so unlike a pickle an entry
cannot name code to run. They are a ``marshal`` payload of their own inside the entry's, loaded
only when a report is rendered from them.
marshal is not hardened against deliberately malformed data; the cache lives in the user's
own checkout, with the same trust as its Makefile or pre-commit hooks, and composelint never
follows a symlinked cache directory or entry out of the project root.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import sys
from pathlib import Path
from typing import Iterable, Mapping

from composelint import __version__
from composelint.plain import decode, encode

CACHE_DIR = ".composelint_cache"
FORMAT = 3  # 2: a read records the stamp of the file it read; 3: the printed report, findings apart
MAX_ENTRIES = 16  # one per configuration and option set; the oldest are removed beyond this
MAX_REPORTS = 4  # printed reports an entry keeps (formats, colour, directories run from); the oldest go
MAX_CONFIGS = 64  # parsed configuration files (ParsedConfigs): root and nested ones, recent versions
_MAGIC = b"composelint-cache"
# The classes a stored finding is rebuilt from, by name; nothing else can be constructed.
_CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                 "# This file is a cache directory tag created by composelint.\n"
                 "# For information about cache directory tags see https://bford.info/cachedir/\n")


class CachedRun:
    """What a hit gives back: the texts the reporters quote, the report printed before under the
    key the hit asked for (if kept), and the run's findings (``result``)."""

    def __init__(self, root: Path, sources: Mapping[str, str], entry: dict, kept: tuple[str, str] | None):
        self.root, self.sources = root, sources
        self.entry, self._kept = entry, kept
        self._decoded: tuple[tuple, tuple] | None = None

    def report(self, key: str | None) -> str | None:
        """The text of the report printed under ``key`` before, if the entry kept it."""
        return self._kept[1] if self._kept is not None and key is not None and self._kept[0] == key else None

    def findings(self) -> tuple[tuple, tuple]:
        """The reported and the suppressed findings, decoded on first use."""
        if self._decoded is None:
            diagnostics, suppressed = marshal.loads(self.entry["findings"])
            self._decoded = (tuple(decode(item) for item in diagnostics), tuple(decode(item) for item in suppressed))
        return self._decoded

    def result(self, rules) -> "CachedResult":
        return CachedResult(self, rules)


class CachedResult:
    """The engine's RunResult as a hit has it: the same fields and exit code, with the findings decoded
    only when something reads them (a hit that prints a kept report does not)."""

    def __init__(self, run: CachedRun, rules):
        self._run, self._rules = run, rules
        self._worst = run.entry["worst"]  # the highest severity among the reported findings (None: none)

    @property
    def diagnostics(self) -> tuple:
        return self._run.findings()[0]

    @property
    def suppressed(self) -> tuple:
        return self._run.findings()[1]

    @property
    def rules(self):
        if callable(self._rules):
            self._rules = self._rules()  # the rule catalogue: only a rendered report uses it
        return self._rules

    def exit_code(self, fail_on) -> int:
        """As RunResult.exit_code: 1 when a finding is at or above ``fail_on`` (None: never)."""
        if fail_on is None:
            return 0
        return 1 if self._worst is not None and self._worst >= fail_on else 0


class RunCache:
    """The entry of one project, configuration and option set."""

    def __init__(self, root: Path, key: str):
        self.root = root
        self.key = key
        self.directory = root / CACHE_DIR
        self.path = self.directory / f"run-{key[:40]}.marshal"

    @classmethod
    def for_run(cls, root: Path, config, options: Mapping[str, object], code: str | None = None) -> "RunCache":
        """``code``: code_fingerprint(), when the caller has it already."""
        from composelint.analysis.shellcheck import binary_stamp

        parts = {
            "format": FORMAT,
            "version": __version__,
            "code": code if code is not None else code_fingerprint(),
            "root": str(root),
            "config": config.fingerprint(),
            "options": {name: _canonical(value) for name, value in sorted(options.items())},
            "environment": sorted(os.environ.items()) if config.use_environment else None,
            # The one program a run may call (CL416); its findings depend on whether and which it is.
            "shellcheck": binary_stamp(),
        }
        key = hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode("utf-8")).hexdigest()
        return cls(root, key)

    # ---------------------------------------------------------------- reading

    def load(self, fileset_hash: str, report_key: str | None = None) -> CachedRun | None:
        """The stored outcome when every input it depends on is unchanged, else None. With the report
        kept under ``report_key``, the findings are not decoded; else they are, here, where a damaged
        entry is a miss."""
        try:
            entry = _read(self.directory, self.path)
            if entry is None or entry.get("key") != self.key or entry.get("fileset") != fileset_hash:
                return None
            replayed = _replay(self.root, entry["observed"])
            if replayed is None:
                return None
            texts, unread = replayed
            sources = _Sources(self.root, {path: texts[path] for path in entry["sources"] if path in texts},
                               {path: unread[path] for path in entry["sources"] if path in unread})
            kept = dict(entry["reports"]).get(report_key) if report_key is not None else None
            hit = CachedRun(self.root, sources, entry, (report_key, kept) if kept is not None else None)
            if kept is None:
                hit.findings()  # a report will be rendered from them
            return hit
        except Exception:  # missing, truncated, corrupt, from another version: a miss, never an error
            return None

    # ---------------------------------------------------------------- writing

    def store(self, fileset_hash: str, observed: Iterable[tuple], project, result, report=None) -> bool:
        """Keep this run's outcome; False (and nothing written) when it cannot be kept. ``report``: the
        (key, text) of the report the run printed, or None."""
        manifest = _manifest(observed)
        if manifest is None:
            return False  # a file changed while the run read it: nothing stable to keep
        read_paths = {relpath for kind, relpath, *_ in manifest if kind == "read"}
        if any(path not in read_paths for path in project.sources):
            return False  # a text that did not come from the disk (standard input): not cacheable
        try:
            entry = {
                "key": self.key,
                "fileset": fileset_hash,
                "observed": manifest,
                "sources": list(project.sources),
                "reports": [list(report)] if report is not None and report[0] is not None else [],
                "worst": max((int(item.severity) for item in result.diagnostics), default=None),
                "findings": marshal.dumps(([encode(item) for item in result.diagnostics],
                                           [encode(item) for item in result.suppressed])),
            }
            payload = marshal.dumps(entry)
        except Exception:
            return False  # a value this format cannot hold: run without a cache
        return self._write(_header() + payload)

    def keep_report(self, hit: CachedRun, report: tuple[str | None, str] | None) -> bool:
        """Add to the entry a hit used the report it rendered from the findings (its view had none kept),
        beside the most recent others; False (nothing written) when there is nothing to add, or a text
        it quotes changed after the replay checked it."""
        if report is None or report[0] is None or hit.report(report[0]) is not None or hit.sources.changed:
            return False
        entry = dict(hit.entry)
        others = [pair for pair in entry["reports"] if pair[0] != report[0]]
        entry["reports"] = [*others[-(MAX_REPORTS - 1):], list(report)]
        try:
            payload = marshal.dumps(entry)
        except Exception:
            return False
        return self._write(_header() + payload)

    def _write(self, data: bytes) -> bool:
        return _write(self.directory, self.path, data, "run-*", MAX_ENTRIES)


class ParsedConfigs:
    """YAML configuration files as parsed and checked before, by their text, beside the run entries.

    A cached re-run needs its configuration before it can find its entry (the entry's key holds
    it), and parsing even a two-line file imports the YAML parser and the schema checks (~15 ms).
    Kept data stands for a text only with the same composelint code (``code``: code_fingerprint()):
    parsing and checking are pure functions of the two. See config.load_config.
    """

    def __init__(self, root: Path, code: str):
        self.directory = root / CACHE_DIR
        self.code = code

    def _path(self, text: str) -> Path:
        digest = hashlib.sha256(f"{self.code}\0".encode() + text.encode("utf-8", "surrogatepass")).hexdigest()
        return self.directory / f"config-{digest[:40]}.marshal"

    def get(self, text: str) -> object:
        """The data kept for this text, or None."""
        try:
            kept = _read(self.directory, self._path(text))
            if kept is None:
                return None
            return kept["data"] if kept.get("code") == self.code and kept.get("text") == text else None
        except Exception:  # missing, damaged, from another version: parse the text
            return None

    def put(self, text: str, data: object) -> None:
        try:
            payload = marshal.dumps({"code": self.code, "text": text, "data": data})
        except ValueError:
            return  # a value marshal cannot hold: parse it every time
        _write(self.directory, self._path(text), _header() + payload, "config-*", MAX_CONFIGS)


def _read(directory: Path, path: Path):
    """An entry's data; None through a symlink or with another format's header. Raises when the file is
    missing or damaged: the caller's miss."""
    if directory.is_symlink() or path.is_symlink():
        return None
    with open(path, "rb") as handle:
        if handle.readline() != _header():
            return None
        return marshal.loads(handle.read())


def _write(directory: Path, path: Path, data: bytes, pattern: str, keep: int) -> bool:
    """Write an entry atomically (temporary file + rename), then keep only the newest ``keep`` of the
    entries named like it."""
    temporary = None
    try:
        if directory.is_symlink():
            return False
        directory.mkdir(exist_ok=True)
        _write_if_missing(directory / ".gitignore", "# Created by composelint.\n*\n")
        _write_if_missing(directory / "CACHEDIR.TAG", _CACHEDIR_TAG)
        import tempfile  # ~8 ms of imports (shutil, random, bz2, lzma): only when storing

        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".marshal")
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
        temporary = None
        _prune(directory, pattern, keep)
        return True
    except OSError:
        return False  # a read-only checkout, a full disk: lint without a cache
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass


def _prune(directory: Path, pattern: str, keep: int) -> None:
    entries = []
    for path in directory.glob(pattern):
        try:
            entries.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    entries.sort(reverse=True)
    for _, path in entries[keep:]:
        try:
            path.unlink()
        except OSError:
            pass


# --------------------------------------------------------------------------- fingerprints


def code_fingerprint() -> str:
    """composelint's own files (code and data tables), the Python version, ruamel.yaml's."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{sys.version}\0{sys.implementation.cache_tag}\0".encode())
    package = os.path.dirname(os.path.abspath(__file__))
    parts = []
    for directory, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(name for name in dirnames if name != "__pycache__")
        reldir = os.path.relpath(directory, package)  # once a directory: a relpath per file costs ~1 ms a run
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            try:
                info = os.stat(os.path.join(directory, name))
            except OSError:
                continue
            parts.append(f"{name if reldir == '.' else os.path.join(reldir, name)}\0{info.st_size}\0{info.st_mtime_ns}\0")
    digest.update("".join(parts).encode())
    digest.update(_module_stamp("ruamel.yaml").encode())
    return digest.hexdigest()


def _module_stamp(name: str) -> str:
    try:
        from importlib.util import find_spec

        spec = find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin is None:
            return f"{name}:absent"
        info = os.stat(origin)
        return f"{name}:{origin}:{info.st_size}:{info.st_mtime_ns}"
    except Exception:
        return f"{name}:unknown"


def fileset_digest(fileset) -> str:
    """What the walk found: every file, directory and skipped entry, in order."""
    data = [sorted(fileset.all_files), list(fileset.compose), list(fileset.dockerfiles),
            list(fileset.dockerignores), list(fileset.automation), sorted(fileset.directories),
            [list(item) for item in fileset.skipped]]
    return hashlib.sha256(json.dumps(data).encode("utf-8", "surrogatepass")).hexdigest()


def _canonical(value: object) -> object:
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    return value


def _header() -> bytes:
    return _MAGIC + f" {FORMAT} {__version__} marshal-{marshal.version}\n".encode()


def _text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _read_outcome(result) -> tuple:
    if result.text is not None:
        return ("text", _text_digest(result.text))
    return ("error", result.kind, result.error, result.line, result.column)


def _manifest(observed: Iterable[tuple]) -> list | None:
    """One entry per distinct observation; None when one was seen with two outcomes."""
    seen: dict[tuple, object] = {}
    stamps: dict[tuple, tuple | None] = {}
    for item in observed:
        if item[0] == "read":
            _, relpath, max_bytes, result, stamp = item
            key, outcome = ("read", relpath, max_bytes), _read_outcome(result)
            # Two reads of one text under different stamps (touched between them): read it next time.
            stamps[key] = stamp if stamps.get(key, stamp) == stamp else None
        else:
            kind, relpath, outcome = item
            key = (kind, relpath)
        if key in seen and seen[key] != outcome:
            return None
        seen[key] = outcome
    return [(*key, outcome, stamps[key]) if key[0] == "read" else (*key, outcome) for key, outcome in seen.items()]


def _replay(root: Path, manifest: list) -> tuple[dict[str, str], dict[str, tuple[int, str]]] | None:
    """Observe again. When everything matches: the texts read (relpath -> text), and the files whose
    stamps showed them unchanged, not read again (relpath -> size limit and digest). Else None."""
    from composelint.assembly.reading import StampCheck, probe_exists, probe_is_file, read_text

    texts: dict[str, str] = {}
    unread: dict[str, tuple[int, str]] = {}
    realpaths: dict = {}
    still_as_read = StampCheck(root, realpaths)
    for entry in manifest:
        kind = entry[0]
        if kind == "read":
            _, relpath, max_bytes, outcome, stamp = entry
            if stamp is not None and still_as_read(relpath, stamp):
                if outcome[0] == "text":
                    unread[relpath] = (max_bytes, outcome[1])  # read when a reporter quotes it
                continue
            result = read_text(root, relpath, max_bytes, realpaths)
            if _read_outcome(result) != outcome:
                return None
            if result.text is not None:
                texts[relpath] = result.text
        elif kind == "is_file":
            _, relpath, outcome = entry
            if probe_is_file(root, relpath) != outcome:
                return None
        elif kind == "exists":
            _, relpath, outcome = entry
            if probe_exists(root, relpath) != outcome:
                return None
        else:
            return None  # an observation this version does not know how to repeat
    return texts, unread


class _Sources(Mapping):
    """The texts a cached run's reporters quote: those replay read, the others read on first use
    (their stamps showed them unchanged; most runs quote few of them, or none)."""

    def __init__(self, root: Path, texts: dict[str, str], unread: dict[str, tuple[int, str]]):
        self._root, self._texts, self._unread = root, texts, unread
        self.changed = False  # a text read on first use differs from the one the entry's run read

    def __getitem__(self, path: str) -> str:
        text = self._texts.get(path)
        if text is None:
            from composelint.assembly.reading import read_text

            max_bytes, digest = self._unread[path]
            text = read_text(self._root, path, max_bytes).text
            if text is None or _text_digest(text) != digest:
                self.changed = True  # edited since the replay: a report quoting it is not kept
            if text is None:
                raise KeyError(path)  # gone since the replay: quoted as a file without lines
            self._texts[path] = text
        return text

    def __iter__(self):
        return iter(self._texts.keys() | self._unread.keys())

    def __len__(self) -> int:
        return len(self._texts.keys() | self._unread.keys())


def _write_if_missing(path: Path, text: str) -> None:
    if not path.exists():
        try:
            with open(path, "x", encoding="utf-8") as handle:
                handle.write(text)
        except FileExistsError:
            pass  # a concurrent run wrote it
