"""A compose file's directory and the deployments that run it often interpolate it with the same values
(they differ only in the automation that runs them, which changes what a finding says): the file is
then interpolated once, and the deployments use the file's own services instead of building them again.
What each environment reports stays its own."""

from __future__ import annotations

from composelint.assembly.project import build_project
from composelint.config import load_config
from composelint.diagnostics import Severity
from composelint.parsers import compose

from helpers import write_tree

COMPOSE = ("services:\n  web:\n    image: nginx:${TAG}\n    environment:\n      TOKEN: ${TOKEN:?set it}\n"
           "    ports: ['8080:80']\n")
MAKEFILE = "up:\n\texport TOKEN=$$(cat token); docker compose -f stack/compose.yaml up -d\n"


def _interpolations(monkeypatch) -> list:
    calls = []
    real = compose.interpolate_tree

    def interpolate_tree(node, lookup, on_issue):
        calls.append(node.span.path)
        return real(node, lookup, on_issue)

    monkeypatch.setattr(compose, "interpolate_tree", interpolate_tree)
    return calls


def _deployment(project):
    return next(deployment for deployment in project.deployments if deployment.files == ("stack/compose.yaml",))


def test_a_deployment_with_the_directorys_values_shares_its_interpolation_and_services(tmp_path, monkeypatch):
    write_tree(tmp_path, {".composelint.yaml": "root: true\n", "stack/.env": "TAG=1.27\n",
                          "stack/compose.yaml": COMPOSE, "Makefile": MAKEFILE})
    calls = _interpolations(monkeypatch)
    project = build_project(tmp_path, load_config(tmp_path))
    assert calls == ["stack/compose.yaml"]
    deployment = _deployment(project)
    assert deployment.source == "automation"
    assert deployment.services["web"] is project.compose_files["stack/compose.yaml"].services["web"]
    assert deployment.services["web"].image.value == "nginx:1.27"
    # The findings are the deployment's own: TOKEN may come from the automation that runs Compose.
    required = [problem for problem in project.problems if problem.code == "CL005"]
    assert [(problem.message, problem.severity, problem.span.start.line) for problem in required] == [
        ("required variable `TOKEN` is not set: set it; no env file it is interpolated with sets it, so the "
         "automation at Makefile:2 must export it", Severity.WARNING, 5)]


def test_a_deployment_with_other_values_interpolates_the_file_with_them(tmp_path, monkeypatch):
    write_tree(tmp_path, {".composelint.yaml": "root: true\n", "stack/.env": "TAG=1.27\nTOKEN=x\n",
                          "stack/compose.yaml": COMPOSE,
                          "Makefile": MAKEFILE.replace("compose -f", "compose --env-file stack/prod.env -f"),
                          "stack/prod.env": "TAG=1.28\nTOKEN=y\n"})
    calls = _interpolations(monkeypatch)
    project = build_project(tmp_path, load_config(tmp_path))
    assert calls == ["stack/compose.yaml", "stack/compose.yaml"]
    assert _deployment(project).services["web"].image.value == "nginx:1.28"
    assert project.compose_files["stack/compose.yaml"].services["web"].image.value == "nginx:1.27"
    assert [problem for problem in project.problems if problem.code == "CL005"] == []


def test_a_fragment_linted_over_a_deployment_starts_from_the_deployments_first_layer(tmp_path, monkeypatch):
    from composelint.assembly import loader

    write_tree(tmp_path, {".composelint.yaml": "root: true\n", "stack/.env": "TAG=1.27\nTOKEN=x\n",
                          "stack/compose.yaml": COMPOSE, "Makefile": MAKEFILE,
                          "stack/compose.override.yaml": "services:\n  web:\n    ports: ['8081:81']\n"})
    first = []
    real = loader.merge_files_roots
    monkeypatch.setattr(loader, "merge_files_roots",
                        lambda base, layer: (base is None and first.append(layer.span.path)) or real(base, layer))
    project = build_project(tmp_path, load_config(tmp_path))
    fragment = next(variant for variant in project.variants if variant.kind == "fragment")
    assert fragment.files == ("stack/compose.yaml", "stack/compose.override.yaml")
    assert first == ["stack/compose.yaml"]
    deployed = _deployment(project).services["web"]
    assert [port.value for port in deployed.node.get("ports").items] == ["8080:80"]
    assert [port.value for port in fragment.services["web"].node.get("ports").items] == ["8080:80", "8081:81"]
