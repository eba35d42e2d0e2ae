"""ImageRef against Docker's own reference grammar (docker-image-py ports github.com/distribution/reference)."""

from __future__ import annotations

import re

import pytest

from composelint.imageref import parse_image_ref
from tests.helpers import CORPUS, FIXTURES

try:
    from docker_image import reference as docker_image
except ImportError:  # the oracle tests skip; the others still run
    docker_image = None
needs_docker_grammar = pytest.mark.skipif(docker_image is None, reason="docker-image-py (test extra) is not installed")

TABLE = [
    "python", "python:3.12-slim", "library/python", "docker.io/python", "docker.io/library/python:3.12",
    "index.docker.io/python", "index.docker.io/library/python:3", "index.docker.io/bitnami/redis:7",
    "docker.io/bitnami/redis", "bitnami/redis:7.2", "registry-1.docker.io/library/python",
    "public.ecr.aws/docker/library/python:3.12", "mirror.gcr.io/library/node:20", "gcr.io/distroless/python3-debian12",
    "localhost/app", "localhost:5000/tools:1", "registry.example.com:5000/team/app:v1@sha256:" + "a" * 64,
    "postgres@sha256:" + "b" * 64, "ghcr.io/org/sub/app:1.0", "quay.io/jupyter/base-notebook:latest",
    "library/foo/bar", "docker.io/library/foo/bar", "Registry.Example.com/app", "scratch",
]

_FROM = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)", re.IGNORECASE | re.MULTILINE)
_IMAGE = re.compile(r"^\s*image:\s*[\"']?([^\"'\s#]+)", re.MULTILINE)


def _written_references() -> list[str]:
    """Every FROM and image: value in the fixtures and corpora, as written (variables left out)."""
    found = set()
    for root in (FIXTURES, CORPUS):
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            name = path.name.lower()
            if not path.is_file() or not ("dockerfile" in name or name.endswith((".yml", ".yaml"))):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            pattern = _IMAGE if name.endswith((".yml", ".yaml")) else _FROM
            found.update(match for match in pattern.findall(text) if "$" not in match)
    return sorted(found)


def _familiar(expected) -> str:
    # Reference.familiar() breaks on a digest reference (docker-image-py 0.2): take it from the bare name.
    return docker_image.Reference.parse_normalized_named(expected["name"]).familiar()["name"]


def _docker(text: str):
    try:
        return docker_image.Reference.parse_normalized_named(text)
    except docker_image.InvalidReference:
        return None


@needs_docker_grammar
@pytest.mark.parametrize("text", TABLE)
def test_table_agrees_with_docker(text):
    expected = _docker(text)
    assert expected is not None, text
    ref = parse_image_ref(text)
    assert (ref.name, ref.tag, ref.digest) == (expected["name"], expected["tag"], expected["digest"])
    assert ref.familiar == _familiar(expected)


@needs_docker_grammar
def test_written_references_agree_with_docker():
    references = _written_references()
    assert len(references) > 20  # the fixtures alone hold more
    checked = 0
    for text in references:
        expected = _docker(text)
        ref = parse_image_ref(text)  # never raises, even where Docker refuses
        if expected is None:
            continue
        checked += 1
        assert (ref.name, ref.tag, ref.digest, ref.familiar) == (
            expected["name"], expected["tag"], expected["digest"], _familiar(expected)), text
    assert checked > 20


@pytest.mark.parametrize("text, short", [
    ("python:3.12-slim", "python"), ("docker.io/library/python:3.12@sha256:abc", "python"), ("library/node", "node"),
    ("public.ecr.aws/docker/library/redis:7@sha256:abc", "redis"), ("localhost:5000/tools:1", "localhost:5000/tools"),
    ("registry.example.com/team/python:3.12", "registry.example.com/team/python"),
    ("index.docker.io/python", "python"),
    ("docker.io/bitnami/redis", "bitnami/redis"),
    ("public.ecr.aws/docker/library/python:3.12", "python"),
    ("mirror.gcr.io/library/node:20", "node"),
    ("registry-1.docker.io/bitnami/redis", "bitnami/redis"),
    ("public.ecr.aws/docker/library/foo/bar", "public.ecr.aws/docker/library/foo/bar"),
    ("ghcr.io/Org/App:1", "ghcr.io/org/app"),
])
def test_short_resolves_docker_hub_mirrors(text, short):
    assert parse_image_ref(text).short == short


@pytest.mark.parametrize("text, registry, path, tag", [
    ("", "", "", None), ("${REGISTRY}/app:${TAG}", "${REGISTRY}", "app", "${TAG}"), ("Python", "", "Python", None),
    ("a:b:c", "", "a:b", "c"), ("@sha256:", "", "", None), ("x/", "", "x/", None), (":tag", "", "", "tag"),
])
def test_never_refuses(text, registry, path, tag):
    """References Docker refuses still read as far as they go: a linter must say something about them."""
    ref = parse_image_ref(text)
    assert (ref.registry, ref.path, ref.tag) == (registry, path, tag)


@pytest.mark.parametrize("text, same_as", [
    ("index.docker.io/python:3.12", "python:3.12"),
    ("public.ecr.aws/docker/library/python:3.12", "python:3.12"),
    ("docker.io/bitnami/redis:7.2", "bitnami/redis:7.2"),
    ("public.ecr.aws/docker/library/postgres:16", "postgres:16"),
])
def test_every_reader_judges_one_image_alike(text, same_as):
    """CL204 (the base-image table), CL407 (the Python packages a base ships) and CL404 (images that do not run as
    root) used to read these references with three parsers, and disagreed."""
    from composelint.analysis.image.base import base_info
    from composelint.analysis.python_deps import base_image_packages
    from composelint.rules.cl404_root_user import _non_root_base

    assert base_info(text).kind == base_info(same_as).kind
    assert base_info(text).provides == base_info(same_as).provides
    assert base_image_packages(text) == base_image_packages(same_as)
    assert _non_root_base(text) == _non_root_base(same_as)


@pytest.mark.parametrize("text, valid", [
    ("python:3.12", True), ("ghcr.io/org/app:1", True), ("localhost:5000/app", True), ("builder", True),
    ("python:3@sha256:" + "a" * 64, True), ("my-reg.io:443/org/app_1:v1.2-rc", True),
    # what an empty ARG leaves behind (CL413): Docker refuses each
    ("python:", False), ("python:-slim", False), ("/app", False), (":3.12", False), ("", False),
    ("Python", False), ("a//b", False),
])
def test_is_valid_reference(text, valid):
    from composelint.imageref import is_valid_reference

    assert is_valid_reference(text) is valid
