#!/usr/bin/env python3
"""Lint real repositories under a time budget and a memory cap; fail on any crash, hang or overrun.

    python scripts/corpus_limits.py                       # ../shared/corpus/awesome-compose, 1 s per file, 512 MB
    python scripts/corpus_limits.py --seconds-per-file 0.5 --memory-mb 256 path/to/repos

Each project (every directory directly under a given path that holds a compose file or a
Dockerfile, or the path itself) is linted by ``python -m composelint`` in a child process whose
address space is capped with RLIMIT_AS (what ``ulimit -v`` / ``prlimit --as`` set). The child's
budget is one second of CPU time per lintable file (compose files, Dockerfiles, .env,
.dockerignore), at least one second; CPU time rather than wall time, so that other work on a
shared machine does not count against composelint (a wall-clock limit ten times larger still
catches a hang). Then the whole corpus is linted in one run under the same cap and the sum of the
budgets.

A run fails when the child exits with anything but 0 or 1, prints a traceback or an internal
error (CL000), runs out of memory, is killed, or overruns its budget. The exit status is the
number of failed runs (0: everything passed).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "awesome-compose"
sys.path.insert(0, str(REPO))

from composelint.assembly.discovery import SKIP_DIRS, is_compose_name, is_dockerfile_name  # noqa: E402

STARTUP_ALLOWANCE = 1.0  # CPU seconds for the interpreter and imports, on top of the per-file budget
_DIAGNOSTIC = re.compile(r"^.+:\d+:\d+: (CL\d{3}) ", re.MULTILINE)


def lintable_files(root: Path) -> list[Path]:
    found = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if name not in SKIP_DIRS]
        for name in filenames:
            if is_compose_name(name) or is_dockerfile_name(name) or name in (".env", ".dockerignore"):
                found.append(Path(directory) / name)
    return found


def projects(paths: list[Path]) -> list[tuple[Path, int]]:
    """Every project directory, with its number of lintable files."""
    result = []
    for path in paths:
        direct = [entry for entry in path.iterdir() if entry.is_file()
                  and (is_compose_name(entry.name) or is_dockerfile_name(entry.name))]
        if direct:
            result.append((path, len(lintable_files(path))))
            continue
        for entry in sorted(entry for entry in path.iterdir() if entry.is_dir() and not entry.name.startswith(".")):
            files = len(lintable_files(entry))
            if files:
                result.append((entry, files))
    return result


def lint(target: Path, budget: float, memory_mb: int) -> tuple[bool, str, float, str]:
    """(passed, verdict, CPU seconds, summary) of one run capped at ``budget`` CPU seconds."""
    limit = memory_mb << 20

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        # The CPU limit kills a runaway child even if the wall clock below never fires.
        hard = int(budget * 10) + 30
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    try:
        child = subprocess.run([sys.executable, "-m", "composelint", str(target), "--format", "concise",
                                "--color", "never"], capture_output=True, text=True, preexec_fn=cap,
                               timeout=budget * 10 + 30, cwd=REPO)
    except subprocess.TimeoutExpired:
        return False, f"HANG (no exit after {budget * 10 + 30:.0f} s)", time.monotonic() - started, ""
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    output = child.stdout + child.stderr
    codes: dict[str, int] = {}
    for code in _DIAGNOSTIC.findall(child.stdout):
        codes[code] = codes.get(code, 0) + 1
    summary = " ".join(f"{code}:{count}" for code, count in sorted(codes.items()))
    if child.returncode < 0:
        return False, f"KILLED by signal {-child.returncode}", cpu, summary
    if "Traceback" in output or "MemoryError" in output:
        return False, "CRASH: " + output.strip().splitlines()[-1][:200], cpu, summary
    if "CL000" in child.stdout or "internal error" in child.stderr:
        line = next(line for line in output.splitlines() if "CL000" in line or "internal error" in line)
        return False, "INTERNAL ERROR: " + line[:200], cpu, summary
    if child.returncode not in (0, 1):
        return False, f"EXIT {child.returncode}: {child.stderr.strip()[:200]}", cpu, summary
    if cpu > budget:
        return False, f"OVER BUDGET ({cpu:.2f} s CPU > {budget:.2f} s)", cpu, summary
    return True, f"ok (exit {child.returncode})", cpu, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help=f"directories of projects (default: {DEFAULT_CORPUS})")
    parser.add_argument("--seconds-per-file", type=float, default=1.0, help="CPU budget per lintable file")
    parser.add_argument("--memory-mb", type=int, default=512, help="address-space cap of each run")
    parser.add_argument("--no-whole-run", action="store_true", help="skip the single run over every path")
    args = parser.parse_args(argv)
    paths = args.paths or [DEFAULT_CORPUS]
    missing = [path for path in paths if not path.is_dir()]
    if missing:
        print(f"corpus_limits: no such directory: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    failures = 0
    runs = projects(paths)
    total_files = sum(files for _, files in runs)
    if not args.no_whole_run:
        for path in paths:
            runs.append((path, len(lintable_files(path))))
    width = max((len(str(project.name)) for project, _ in runs), default=10)
    print(f"{'project':<{width}}  files  CPU s   budget  verdict  findings")
    for project, files in runs:
        budget = max(1, files) * args.seconds_per_file + STARTUP_ALLOWANCE
        passed, verdict, cpu, summary = lint(project, budget, args.memory_mb)
        failures += not passed
        print(f"{project.name:<{width}}  {files:>5}  {cpu:>5.2f}  {budget:>7.2f}  {verdict}  {summary}", flush=True)
    print(f"{len(runs)} runs, {total_files} files, {failures} failed "
          f"({args.seconds_per_file:g} s CPU per file + {STARTUP_ALLOWANCE:g} s start-up, {args.memory_mb} MB cap)")
    return min(failures, 100)


if __name__ == "__main__":
    sys.exit(main())
