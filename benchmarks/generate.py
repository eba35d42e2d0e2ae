"""Generate a synthetic repository of N services, deterministically (seeded).

The shape follows the incident that motivated composelint: groups of agents
built from Dockerfiles with build contexts (requirements.txt, main.py), a
backend and workers, several compose files (one per group, plus an override),
deployments named in a Makefile, depends_on edges and host references in the
environment (URLs and *_HOST keys). Usage:

    python benchmarks/generate.py N OUTPUT_DIR [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

SERVICES_PER_FILE = 250


def generate(count: int, out: Path, seed: int = 7) -> Path:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / ".composelint.yaml").write_text("# benchmark repository\nroot: true\n")
    (out / ".env").write_text("REGISTRY=registry.example.com\nTAG=1.4.2\nLOG_LEVEL=info\n")
    names = [f"svc-{i:05d}" for i in range(count)]
    files = []
    for start in range(0, count, SERVICES_PER_FILE):
        group = names[start:start + SERVICES_PER_FILE]
        index = start // SERVICES_PER_FILE
        path = f"stacks/group-{index:03d}/compose.yaml"
        lines = ["x-defaults: &defaults", "  restart: on-failure", "  deploy:", "    resources:", "      limits:",
                 "        memory: 256m", "        cpus: '0.5'", "", "services:"]
        for position, name in enumerate(group):
            number = start + position
            lines += [f"  {name}:", "    <<: *defaults"]
            if number % 3 == 0:
                context = f"stacks/group-{index:03d}/{name}"
                _write_context(out / context, name, rng)
                lines += ["    build:", f"      context: ./{name}"]
            else:
                lines += [f"    image: ${{REGISTRY}}/{name}:${{TAG}}"]
            dependencies = sorted({names[rng.randrange(start, start + position)]
                                   for _ in range(min(position, 2))}) if position else []
            if dependencies:
                lines += ["    depends_on:"] + [f"      - {dep}" for dep in dependencies]
            peer = names[rng.randrange(start, start + len(group))]
            lines += ["    environment:", "      LOG_LEVEL: ${LOG_LEVEL}",
                      f"      UPSTREAM_URL: http://{peer}:8080/api",
                      f"      CACHE_HOST: {names[start]}",
                      "    healthcheck:", "      test: [\"CMD\", \"true\"]", "      interval: 30s",
                      "    ports:", f"      - \"{20000 + number}:8080\""]
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text("\n".join(lines) + "\n")
        (out / path).with_name("compose.override.yaml").write_text(
            f"services:\n  {group[0]}:\n    environment:\n      DEBUG: \"false\"\n")
        files.append(path)
    makefile = ["# Deployments of the benchmark platform", ".PHONY: up", "up:"]
    for path in files:
        makefile.append(f"\tdocker compose -f {path} up -d")
    (out / "Makefile").write_text("\n".join(makefile) + "\n")
    return out


def _write_context(context: Path, name: str, rng: random.Random) -> None:
    context.mkdir(parents=True, exist_ok=True)
    (context / "requirements.txt").write_text("requests==2.32.3\nfastapi==0.115.0\nuvicorn==0.30.6\n")
    (context / "main.py").write_text(
        "import os\n\nimport requests\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/')\ndef root() -> dict:\n    return requests.get(os.environ['UPSTREAM_URL'], timeout=5).json()\n")
    (context / "Dockerfile").write_text(
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
        "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nUSER 1000\n"
        f"HEALTHCHECK CMD [\"python\", \"-c\", \"print({rng.randrange(100)})\"]\n"
        "CMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8080\"]\n")
    (context / ".dockerignore").write_text(".git\n__pycache__\n*.pyc\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    generate(args.count, args.output, args.seed)


if __name__ == "__main__":
    main()
