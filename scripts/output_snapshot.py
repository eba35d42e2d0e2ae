"""Record every user-visible output on fixed inputs, to prove a refactoring changed none of them.

    python scripts/output_snapshot.py write DIR     # record the outputs of this checkout into DIR
    python scripts/output_snapshot.py compare DIR   # record again and diff against DIR (exit 1 on a difference)

Inputs: the incident example, each repository of ../shared/corpus/real, awesome-compose and the
seeded 1,000-service benchmark repository (generated into benchmarks/generated/). Outputs, per input:
findings as JSON, `composelint deployments` (text and JSON) and the graph in every format. Each runs
in a fresh process of this checkout (`python -m composelint`), without the result cache.
A behaviour-preserving change (issue 14) must leave every file identical; a change that fixes a
disagreement between two twins says in its commit which findings changed and why.
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "corpus"

COMMANDS = {
    "check.json": ["check", "--no-cache", "--format", "json"],
    "deployments.txt": ["deployments"],
    "deployments.json": ["deployments", "--format", "json"],
    "graph.mermaid": ["graph", "--format", "mermaid"],
    "graph.dot": ["graph", "--format", "dot"],
    "graph.json": ["graph", "--format", "json"],
    "graph.html": ["graph", "--format", "html"],
}


def inputs() -> dict[str, Path]:
    found = {"incident": REPO / "fixtures" / "incident"}
    if SHARED.is_dir():
        found["awesome-compose"] = SHARED / "awesome-compose"
        for repo in sorted((SHARED / "real").iterdir()):
            if repo.is_dir():
                found[f"real-{repo.name}"] = repo
    generated = REPO / "benchmarks" / "generated" / "n1000"
    if "root: true" not in _text(generated / ".composelint.yaml"):
        subprocess.run([sys.executable, str(REPO / "benchmarks" / "generate.py"), "1000", str(generated)],
                       check=True)
    found["generated-1000"] = generated
    return found


def _text(path: Path) -> str:
    """The file's text, empty when it is missing (a repository generated before `root: true`)."""
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def record(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, path in inputs().items():
        for suffix, command in COMMANDS.items():
            # Paths relative to the input, not to this repository, which holds two of the inputs.
            base = ["--path-base", str(path)] if command[0] == "check" else []
            done = subprocess.run([sys.executable, "-m", "composelint", *command, *base, str(path)], cwd=REPO,
                                  capture_output=True, text=True, env={"COMPOSELINT_NO_CACHE": "1", "PATH": "/usr/bin:/bin"})
            text = done.stdout.replace(str(path), "<INPUT>") + f"\n--- exit {done.returncode}\n"
            if done.returncode >= 2:
                text += done.stderr
            (out / f"{name}.{suffix}").write_text(text, encoding="utf-8")


def compare(expected: Path) -> int:
    import tempfile

    with tempfile.TemporaryDirectory() as fresh:
        record(Path(fresh))
        differences = 0
        for before in sorted(expected.iterdir()):
            after = Path(fresh) / before.name
            old = before.read_text(encoding="utf-8")
            new = after.read_text(encoding="utf-8") if after.exists() else "<missing>\n"
            if old != new:
                differences += 1
                diff = difflib.unified_diff(old.splitlines(True), new.splitlines(True), str(before), "now", n=1)
                sys.stdout.writelines(list(diff)[:60])
        print(f"{differences} of {len(list(expected.iterdir()))} outputs differ")
        return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["write", "compare"])
    parser.add_argument("directory", type=Path)
    arguments = parser.parse_args()
    if arguments.action == "write":
        record(arguments.directory)
        return 0
    return compare(arguments.directory)


if __name__ == "__main__":
    sys.exit(main())
