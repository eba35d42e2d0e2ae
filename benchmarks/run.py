"""Benchmark composelint against hadolint and dclint, and at scale. Not a test.

Runs each command several times and prints medians (wall time) and the peak
resident memory of the child process, as a Markdown table:

* the awesome-compose corpus (../shared/corpus) — composelint on everything (deployments, graph,
  cross-file rules), composelint on the Dockerfiles only, hadolint on the Dockerfiles, dclint on the
  compose files (when those tools are installed);
* start-up: a repository with one Dockerfile, ``--version``;
* generated repositories of N services (benchmarks/generate.py), first run and cached re-run.

    python benchmarks/run.py [--repeat 5] [--sizes 100,1000,10000] [--skip-corpus]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = REPO.parent / "shared" / "corpus" / "awesome-compose"
GENERATED = HERE / "generated"


def measure(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB, and exit code of one run."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, process.returncode


def median_of(argv, repeat: int, cwd=None, env=None, before=None) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(repeat):
        if before:
            before()
        elapsed, peak, _ = measure(argv, cwd, env)
        times.append(elapsed)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def composelint_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "composelint", *args]


def find_tool(name: str, candidates: list[str]) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return next((c for c in candidates if Path(c).exists()), None)


def corpus_rows(repeat: int) -> list[tuple[str, float, float]]:
    rows = []
    dockerfiles = sorted(str(p) for p in CORPUS.rglob("*") if p.is_file() and "ockerfile" in p.name)
    compose = sorted(str(p) for p in CORPUS.rglob("*") if p.is_file() and "compose" in p.name
                     and p.suffix in (".yml", ".yaml"))
    all_time, all_peak = median_of(composelint_argv(str(CORPUS), "--no-cache", "--format", "concise"), repeat)
    rows.append((f"composelint, whole corpus ({len(compose)} compose files, {len(dockerfiles)} Dockerfiles)",
                 all_time, all_peak))
    df_time, df_peak = median_of(composelint_argv(str(CORPUS), "--no-cache", "--select", "CL003,CL2,CL4",
                                                  "--format", "concise"), repeat)
    rows.append(("composelint, Dockerfile rules only (CL003, CL2xx, CL4xx)", df_time, df_peak))
    hadolint = find_tool("hadolint", ["/tmp/tools/tv/bin/hadolint"])
    if hadolint:
        h_time, h_peak = median_of([hadolint, "--no-fail", *dockerfiles], repeat)
        rows.append((f"hadolint, {len(dockerfiles)} Dockerfiles in one call", h_time, h_peak))
    dclint = find_tool("dclint", ["/tmp/tools/node_modules/.bin/dclint"])
    if dclint:
        d_time, d_peak = median_of([dclint, *compose], repeat)
        rows.append((f"dclint, {len(compose)} compose files in one call", d_time, d_peak))
    if hadolint and dclint:
        rows.append(("ratio composelint / (hadolint + dclint) — target ≤ 0.15", all_time / (h_time + d_time), 0))
        rows.append(("ratio composelint Dockerfiles / hadolint — target ≤ 1.5", df_time / h_time, 0))
    return rows


def startup_rows(repeat: int) -> list[tuple[str, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".composelint.yaml").write_text("# one Dockerfile\n")
        (root / "Dockerfile").write_text("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nUSER 1000\n"
                                         "CMD [\"python\", \"main.py\"]\n")
        (root / "main.py").write_text("print('hi')\n")
        lone, lone_peak = median_of(composelint_argv(str(root), "--no-cache"), repeat)
        version, version_peak = median_of(composelint_argv("--version"), repeat)
        bare, bare_peak = median_of([sys.executable, "-c", "pass"], repeat)
    return [("start-up: one Dockerfile, no compose file — target ≤ 0.120 s", lone, lone_peak),
            ("start-up: composelint --version", version, version_peak),
            ("bare interpreter (python -c pass)", bare, bare_peak)]


def scale_rows(sizes: list[int], repeat: int) -> list[tuple[str, float, float]]:
    sys.path.insert(0, str(HERE))
    from generate import generate

    rows = []
    for size in sizes:
        root = generate(size, GENERATED / f"n{size}")
        cache = root / ".composelint_cache"
        runs = 1 if size >= 10_000 else repeat
        first, first_peak = median_of(composelint_argv(str(root), "--no-cache", "--format", "concise"), runs)
        rows.append((f"N = {size:,} services, first run (--no-cache)", first, first_peak))
        measure(composelint_argv(str(root), "--format", "concise"))  # fill the cache
        cached, cached_peak = median_of(composelint_argv(str(root), "--format", "concise"), runs)
        rows.append((f"N = {size:,} services, cached re-run", cached, cached_peak))
        shutil.rmtree(cache, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description="composelint benchmarks (medians of repeated runs)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    rows = []
    if not args.skip_corpus and CORPUS.is_dir():
        rows += corpus_rows(args.repeat)
    rows += startup_rows(args.repeat)
    if not args.skip_scale:
        rows += scale_rows([int(s) for s in args.sizes.split(",") if s], args.repeat)
    print(f"| measurement (median of {args.repeat}) | wall | peak RSS |")
    print("|---|---|---|")
    for label, seconds, peak in rows:
        if label.startswith("ratio"):
            print(f"| {label} | {seconds:.3f} | |")
        else:
            print(f"| {label} | {seconds:.3f} s | {peak:.0f} MB |")


if __name__ == "__main__":
    main()
