"""`--fix`: apply the findings' fixes to the files' own text, to a fixed point, and check the result.

One pass takes the reported findings (never a suppressed or baselined one) whose fix applies (safe,
or unsafe with `--unsafe-fixes`), and in each file applies those whose edits overlap no edit already
chosen in that pass (in file order: the later one waits for the next pass, when it is recomputed on
the new text). The project is then rebuilt from the edited texts and linted again. A file that no
longer parses, or has an error-level finding it did not have before, is put back as it was and its
fix reported as abandoned. Passes stop when nothing changes, or after MAX_PASSES.

Nothing here writes: the caller gets the new bytes of each file (composelint/safewrite.py writes
them, `--diff` prints them, `--stdin-filename` prints the text).
"""

from __future__ import annotations

from typing import Iterable, Mapping

from composelint.config import Config
from composelint.diagnostics import Diagnostic, Severity
from composelint.assembly.reading import decode
from composelint.engine import RunResult, run
from composelint.assembly.project import build_project
from composelint.records import record
from composelint.safewrite import WriteError, read_bytes, target_of
from composelint.textedits import Lines, apply_ranges, conflicts, decode_raw, encode_raw, ranges

MAX_PASSES = 4


@record(frozen=True, slots=True)
class FileFix:
    path: str
    original: bytes
    fixed: bytes
    fixes: int  # fixes applied in it, over all passes


@record(frozen=True, slots=True)
class Abandoned:
    path: str
    reason: str  # one line


@record(frozen=True)
class FixOutcome:
    changed: tuple[FileFix, ...]  # files whose text the fixes change, in path order
    abandoned: tuple[Abandoned, ...]
    result: RunResult  # the findings of the fixed texts
    project: object  # the project built from the fixed texts
    before: RunResult  # the findings before any fix

    @property
    def fixed(self) -> int:
        return sum(item.fixes for item in self.changed)


def fixable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and fix.applies(unsafe) and all(edit.path == fix.path for edit in fix.edits)


class _File:
    """One file's raw text as read, and as fixed so far."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.original = data
        self.text = decode_raw(data)
        self.fixes = 0
        self.previous = self.text  # before the current pass, to put back
        self.pending = 0  # fixes of the current pass


def fix_project(root, config: Config, *, unsafe: bool = False, only_paths=None, baseline=None,
                overrides: Mapping[str, str] | None = None, max_passes: int = MAX_PASSES) -> FixOutcome:
    """Lint, fix, re-lint, until nothing more applies. ``overrides``: the --stdin-filename buffer."""
    overrides = dict(overrides or {})
    project = build_project(root, config, overrides)
    result = before = _run(project, config, only_paths, baseline)
    files: dict[str, _File] = {}
    abandoned: dict[str, str] = {}
    errors_before = _errors(project, result)
    for _ in range(max_passes):
        chosen = _choose(result.diagnostics, unsafe, only_paths, files, abandoned, project, root, overrides)
        if not chosen:
            break
        changed_now = []
        for path, fixes in chosen.items():
            file = files[path]
            lines = Lines(file.text)
            taken: list[tuple[int, int, str]] = []
            applied = 0
            for fix in fixes:
                edits = ranges(lines, fix.edits)
                if any(conflicts(edit, other) for edit in edits for other in taken):
                    continue  # the later fix waits for the next pass
                taken.extend(edits)
                applied += 1
            new_text = apply_ranges(file.text, taken)
            if new_text != file.text:
                file.previous = file.text
                file.text = new_text
                file.fixes += applied
                file.pending = applied
                changed_now.append(file)
        if not changed_now:
            break
        project, result = _rebuild(root, config, overrides, files, only_paths, baseline)
        errors_now = _errors(project, result)
        bad = _new_errors(errors_before, errors_now, {file.path for file in changed_now})
        if bad:
            for path, reason in bad.items():
                file = files[path]
                file.text = file.previous
                file.fixes -= file.pending
                abandoned[path] = reason
            project, result = _rebuild(root, config, overrides, files, only_paths, baseline)
    changed = tuple(FileFix(file.path, file.original, encode_raw(file.text), file.fixes)
                    for path, file in sorted(files.items())
                    if file.text != decode_raw(file.original))
    return FixOutcome(changed, tuple(Abandoned(path, reason) for path, reason in sorted(abandoned.items())),
                      result, project, before)


def _run(project, config, only_paths, baseline) -> RunResult:
    bound = baseline.bind(project.read_text) if baseline is not None else None
    return run(project, config, only_paths=only_paths, baseline=bound)


def _rebuild(root, config, overrides, files, only_paths, baseline):
    texts = dict(overrides)
    texts.update((path, file.text) for path, file in files.items())
    project = build_project(root, config, texts)
    return project, _run(project, config, only_paths, baseline)


def _choose(diagnostics: Iterable[Diagnostic], unsafe: bool, only_paths, files: dict, abandoned: dict,
            project, root, overrides) -> dict[str, list]:
    """The fixes to try this pass, by file, in file order."""
    chosen: dict[str, list] = {}
    for diagnostic in diagnostics:
        if not fixable(diagnostic, unsafe):
            continue
        fix = diagnostic.fix
        path = fix.path
        if path in abandoned or (only_paths is not None and path not in only_paths):
            continue
        if path not in files:
            file = _open(path, project, root, overrides, abandoned)
            if file is None:
                continue
            files[path] = file
        chosen.setdefault(path, []).append(fix)
    for fixes in chosen.values():
        fixes.sort(key=lambda fix: min((edit.start, edit.end) for edit in fix.edits))
    return chosen


def _open(path: str, project, root, overrides, abandoned: dict) -> _File | None:
    """The file's raw bytes; None (and why, in ``abandoned``) when they are not what was linted."""
    if path in overrides:
        return _File(path, encode_raw(overrides[path]))
    try:
        data = read_bytes(target_of(str(root), path))
    except WriteError as exc:
        abandoned[path] = str(exc).split(": ", 1)[-1]
        return None
    except OSError as exc:
        abandoned[path] = f"cannot read it again: {exc.strerror or exc}"
        return None
    if decode(data).text != project.sources.get(path):
        abandoned[path] = "the file changed on disk while composelint read it; run the fix again"
        return None
    return _File(path, data)


def _errors(project, result: RunResult) -> dict[str, dict[str, list]]:
    """Error-level findings by file and code, counted (suppressed ones too: a fix must not add one
    either), and every problem the parsers met, whether or not its rule is selected. Counted, not
    fingerprinted: a fix rewrites lines that other findings quote."""
    found: dict[str, dict[str, list]] = {}
    for diagnostic in (*result.diagnostics, *result.suppressed):
        if diagnostic.severity >= Severity.ERROR:
            found.setdefault(diagnostic.span.path, {}).setdefault(diagnostic.code, []).append(diagnostic)
    for problem in project.problems:
        found.setdefault(problem.span.path, {}).setdefault(f"{problem.code} (parsing)", []).append(problem)
    return found


def _new_errors(before: dict, after: dict, changed: set[str]) -> dict[str, str]:
    """The changed files to put back, each with the reason: an error they (or another file) gained."""
    bad: dict[str, str] = {}
    for path, by_code in sorted(after.items()):
        for code, found in sorted(by_code.items()):
            if len(found) <= len(before.get(path, {}).get(code, ())):
                continue
            example = found[-1]
            what = f"{code} at line {example.span.line}: {example.message}"
            if path in changed:
                bad.setdefault(path, f"the fixed file would have a new error, {what}")
            else:  # another file's error: every file changed in this pass is suspect
                for other in sorted(changed):
                    bad.setdefault(other, f"the fix would cause a new error in {path}, {what}")
    return bad
