"""The command line of `--fix`, `--unsafe-fixes`, `--fix-only` and `--diff` (cli.py stays small).

Exit codes, beside cli.py's: with --fix the findings that remain decide 0 or 1; --fix-only exits 0;
--diff exits 1 when it prints a change, else 0; a file that cannot be written (read-only, changed on
disk since it was read, a symlink out of the root, a full disk, an interrupt while writing) is 2, with
one line naming the files already written (each file is either old or new).
"""

from __future__ import annotations

import sys
from typing import Callable

import click

from composelint.records import record

EXIT_CLEAN, EXIT_FINDINGS = 0, 1


@record(frozen=True, slots=True)
class Fixing:
    enabled: bool = False
    unsafe: bool = False
    only: bool = False
    diff: bool = False


NO_FIX = Fixing()


def options(command: Callable) -> Callable:
    """The four options, on `check`."""
    for option in reversed((
        click.option("--fix", "fix", is_flag=True,
                     help="Apply the safe fixes to the files, then report what remains (`[*]` marks fixable "
                          "findings)."),
        click.option("--unsafe-fixes", is_flag=True,
                     help="With --fix, --fix-only or --diff, apply the unsafe fixes too (they change behaviour: "
                          "review them); without, count them as fixable in the report."),
        click.option("--fix-only", is_flag=True,
                     help="Apply the fixes and report nothing else; exit 0 unless writing fails."),
        click.option("--diff", "show_diff", is_flag=True,
                     help="Print the fixes as a unified diff (`git apply` / `patch -p1` from the project root) "
                          "instead of writing them; exit 1 when there is something to fix."),
    )):
        command = option(command)
    return command


def fixing_of(flags: dict, write_baseline, fail: Callable[[str], Exception]) -> Fixing:
    fix, unsafe, only, diff = (bool(flags.get(name)) for name in ("fix", "unsafe_fixes", "fix_only", "show_diff"))
    fixing = Fixing(fix or only or diff, unsafe, only, diff)
    if fixing.enabled and write_baseline is not None:
        raise fail("--write-baseline records findings; it does not go with --fix, --fix-only or --diff")
    return fixing


def run(root, config, view, only_paths, baseline, stdin_overrides, finish: Callable, fail: Callable) -> int:
    """Fix to a fixed point, then write, print the diff or the fixed buffer, and report what remains
    (``finish``: cli's report-and-exit-code of a result)."""
    from composelint.fixing import fix_project

    fixing = view.fixing
    outcome = fix_project(root, config, unsafe=fixing.unsafe, only_paths=only_paths, baseline=baseline,
                          overrides=stdin_overrides)
    for item in outcome.abandoned:
        view.note(f"warning: {item.path}: fix abandoned: {item.reason}")
    if fixing.diff:
        _print_diff(outcome)
        if outcome.changed:
            view.note(f"{outcome.fixed} fix(es) would change {len(outcome.changed)} file(s)")
        return EXIT_FINDINGS if outcome.changed else EXIT_CLEAN
    if stdin_overrides:  # an editor's buffer: the fixed text on standard output, nothing written
        (path, text), = stdin_overrides.items()
        fixed = next((item.fixed for item in outcome.changed if item.path == path), None)
        _write_bytes(fixed if fixed is not None else text.encode("utf-8", "surrogateescape"))
        return EXIT_CLEAN
    if outcome.changed:
        _write(root, outcome, fail)
    view.fixed = outcome.fixed
    if fixing.only:
        if outcome.changed:
            view.note(f"fixed {outcome.fixed} problem(s) in {len(outcome.changed)} file(s)")
        return EXIT_CLEAN
    project = outcome.project
    linted = [path for path in (*project.compose_files, *project.dockerfiles)
              if only_paths is None or path in only_paths]
    return finish(outcome.result, project, linted)


def _write(root, outcome, fail) -> None:
    from composelint import safewrite

    changes = [safewrite.Change(item.path, safewrite.digest(item.original), item.fixed) for item in outcome.changed]
    try:
        safewrite.write_all(str(root), changes)
    except safewrite.WriteError as exc:
        done = f" (already written: {', '.join(exc.written)})" if exc.written else " (no file was changed)"
        raise fail(f"cannot apply the fixes: {exc}{done}") from None
    except KeyboardInterrupt as exc:
        written = getattr(exc, "written", [])
        done = f"written: {', '.join(written)}; the others are unchanged" if written else "no file was changed"
        raise fail(f"interrupted while writing the fixes: {done} (every file is either old or new)") from None


def _print_diff(outcome) -> None:
    from composelint.textedits import decode_raw, encode_raw, unified_diff

    for item in outcome.changed:
        _write_bytes(encode_raw(unified_diff(item.path, decode_raw(item.original), decode_raw(item.fixed))))


def _write_bytes(data: bytes) -> None:
    """Bytes as they are (a CRLF, a BOM, an undecodable byte of the file) on standard output."""
    sys.stdout.flush()
    out = getattr(sys.stdout, "buffer", None)
    if out is None:
        sys.stdout.write(data.decode("utf-8", "replace"))
        return
    out.write(data)
    out.flush()
