"""Benchmark the deployment graph at scale. Not a test.

Generates a repository with N services and about E references between them (``depends_on``,
``links``, and host references in URLs, ``*_HOST`` values and ``host:port`` command arguments), a
handful of deliberate defects (a misspelt dependency, an undeployed file that deployed services
address, an unresolved host, an unordered reference), then measures, as medians over several runs:

* loading the project (parsing and merging; not graph time, shown for scale);
* ``build_graph`` (the multigraph of references, host extraction and resolution);
* the queries the CL1xx rules make (cycles, undeployed, unresolved, unordered, start order);
* the seven CL1xx rules through the engine, on a freshly built graph.

    python benchmarks/graph_scale.py [--services 1000] [--edges 5000] [--repeat 5] [--keep DIR]

The goal is "well under a second of graph time" for 1,000 services and 5,000 edges.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def generate(root: Path, services: int, edges: int, seed: int = 11) -> dict[str, int]:
    """Write the repository; returns counts of what was written."""
    rng = random.Random(seed)
    names = [f"svc-{i:05d}" for i in range(services)]
    per_service = max(1, edges // max(1, services - 1))
    lines = ["services:"]
    written = {"depends_on": 0, "links": 0, "host": 0}
    for index, name in enumerate(names):
        lines += [f"  {name}:", f"    image: registry.example.com/{name}:1.0.0"]
        earlier = names[:index]
        targets = rng.sample(earlier, min(len(earlier), per_service)) if earlier else []
        depends = targets[: len(targets) // 2]
        hosts = targets[len(targets) // 2:]
        env = []
        command = []
        for number, target in enumerate(hosts):
            form = number % 3
            if form == 0:
                env.append(f"      UPSTREAM_{number}_URL: http://{target}:8080/api")
            elif form == 1:
                env.append(f"      UPSTREAM_{number}_HOST: {target}")
            else:
                command.append(f'"{target}:5432"')
            written["host"] += 1
        if index == services // 2:
            env.append("      CONSUL_HTTP_ADDR: http://consul:8500")
            env.append("      SEARCH_HOST: opensearch")
            written["host"] += 2
        if env:
            lines += ["    environment:", *env]
        if command:
            lines.append(f"    command: [\"wait-for-it\", {', '.join(command)}, \"--\", \"run\"]")
        if depends:
            lines.append("    depends_on:")
            for number, target in enumerate(depends):
                if number % 5 == 4:
                    lines += [f"      {target}:", "        condition: service_started"]
                else:
                    lines.append(f"      {target}: {{condition: service_started}}")
                written["depends_on"] += 1
        if index == services - 1:
            lines += ["    links:", "      - svc-00000:first", "      - svc-0000o"]
            written["links"] += 2
    root.mkdir(parents=True, exist_ok=True)
    (root / ".composelint.yaml").write_text("# graph benchmark\nroot: true\n", encoding="utf-8")
    (root / "compose.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "docker-compose.infrastructure.yml").write_text(
        "services:\n  consul:\n    image: hashicorp/consul:1.19\n", encoding="utf-8")
    written["total"] = written["depends_on"] + written["links"] + written["host"]
    return written


def median_time(function, repeat: int) -> tuple[float, object]:
    """Median CPU seconds of this process (steadier than wall time on a shared machine)."""
    times, result = [], None
    for _ in range(repeat):
        start = time.process_time()
        result = function()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--edges", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="write the repository here and keep it")
    args = parser.parse_args(argv)

    from composelint.assembly.project import build_project
    from composelint.config import load_config
    from composelint.engine import run
    from composelint.graph import build_graph

    root = args.keep or Path(tempfile.mkdtemp(prefix="composelint-graph-"))
    try:
        written = generate(root, args.services, args.edges)
        config = load_config(root)
        load_time, project = median_time(lambda: build_project(root, config), args.repeat)
        graph_time, graph = median_time(lambda: build_graph(project), args.repeat)

        def queries():
            graph.scopes[next(iter(graph.scopes))].order = None  # rebuild the start-order view too
            graph._levels_cache.clear()
            graph._reach.clear()
            return (graph.undefined_references(), graph.undeployed_services(), graph.unresolved_hosts(),
                    graph.dependency_cycles(), graph.unordered_host_references(),
                    graph.start_order(next(iter(graph.scopes))))

        query_time, answers = median_time(queries, args.repeat)

        def rules():
            fresh = build_project(root, config)
            start = time.process_time()
            result = run(fresh, config.__class__(select=("CL1",)))
            return time.process_time() - start, result

        rule_times = []
        result = None
        for _ in range(args.repeat):
            elapsed, result = rules()
            rule_times.append(elapsed)
        rule_time = statistics.median(rule_times)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)

    edge_count = graph.graph.number_of_edges()
    print(f"# Deployment graph at scale: {args.services:,} services, {written['total']:,} references written "
          f"({written['depends_on']:,} depends_on, {written['links']} links, {written['host']:,} host)\n")
    print(f"graph: {graph.graph.number_of_nodes():,} nodes, {edge_count:,} edges; "
          f"findings: {len(answers[0])} undefined, {sum(1 for u in answers[1] if u.needers)} needed undeployed, "
          f"{len(answers[2])} unresolved hosts, {len(answers[3])} cycles, {len(answers[4])} unordered; "
          f"{len(result.diagnostics)} CL1 diagnostics\n")
    import os

    if hasattr(os, "getloadavg"):
        print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: on a busy machine every number "
              "grows)\n")
    print("| step | median CPU seconds |")
    print("|---|---|")
    print(f"| load the project (parse, merge; not graph time) | {load_time:.3f} |")
    print(f"| build_graph | {graph_time:.3f} |")
    print(f"| CL1 queries (cycles, undeployed, unresolved, unordered, start order) | {query_time:.3f} |")
    print(f"| **graph time** (build + queries) | **{graph_time + query_time:.3f}** |")
    print(f"| the CL101-CL107 rules through the engine (graph built inside) | {rule_time:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
