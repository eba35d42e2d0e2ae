"""A base image (`FROM`) or a service's pulled `image:` comes from a registry not in the trusted list."""

from __future__ import annotations

import fnmatch

from composelint.analysis.service_facts import has_variable, subject
from composelint.assembly.created import project_built_images
from composelint.imageref import parse_image_ref
from composelint.records import record
from composelint.rules._rule import Violation, rule

# Docker Hub under the names a trusted list may give it (hadolint accepts the first two).
_HUB_NAMES = ("docker.io", "hub.docker.com", "index.docker.io", "registry-1.docker.io")


@record(frozen=True, slots=True)
class Options:
    # Registry host names (`ghcr.io`, `registry.example.com:5000`, globs like `*.example.com`); `docker.io`
    # stands for Docker Hub, where an image without a registry (`python:3.12`) comes from. Empty: the rule
    # has nothing to check. A .hadolint.yaml's `trustedRegistries` fills it when composelint's does not.
    registries: tuple[str, ...] = ()


@rule(code="CL435", name="untrusted-registry", severity="warning",
      summary="a `FROM` or a pulled `image:` comes from a registry not in the trusted list (off by default)",
      options=Options, equivalents=("hadolint:DL3026",))
def check(project, options: Options):
    if not options.registries:
        return
    trusted = tuple(registry.strip().lower() for registry in options.registries if registry.strip())
    listed = ", ".join(f"`{registry}`" for registry in options.registries)
    for dockerfile in project.dockerfiles.values():
        earlier: set[str] = set()
        for stage in dockerfile.stages:
            resolved = stage.base_resolved.strip()
            is_stage = resolved.lower() in earlier
            if stage.name:
                earlier.add(stage.name)
            if not resolved or resolved.lower() == "scratch" or is_stage or "$" in resolved:
                continue  # a stage, no image at all, or a build argument decides the registry
            registry = _untrusted(resolved, trusted)
            if registry is not None:
                yield _violation(stage.base.span, f"base image `{resolved}`", registry, listed,
                                 "the build pulls", resolved)
    built = project_built_images(project) if project.compose_files else frozenset()
    seen = set()
    for _deployment, service in project.deployed_services():
        if service.image is None or service.get("build") is not None or id(service.image) in seen:
            continue
        seen.add(id(service.image))
        if has_variable(getattr(service.get("image"), "raw", None)):
            continue  # the deployment's environment decides the registry
        ref = parse_image_ref(service.image.value)
        if not ref.repository or ref.name in built:
            continue
        registry = _untrusted(service.image.value, trusted)
        if registry is not None:
            yield _violation(service.image.span, f"image `{service.image.value}` of service '{service.name}'",
                             registry, listed, "the deployment runs", service.image.value, subject(service))


def _violation(span, what: str, registry: str, listed: str, consequence: str, anchor: str,
               subject_: str | None = None) -> Violation:
    return Violation(
        span, f"{what} comes from {_named(registry)}, which is not a trusted registry ({listed}): {consequence} "
              "code your policy has not vetted",
        help=f"use a mirror of the image on a trusted registry, or add `{registry}` to the trusted registries "
             "(`rules.CL435.registries`)", subject=subject_, anchor_text=anchor)


def _untrusted(reference: str, trusted: tuple[str, ...]) -> str | None:
    """The registry of ``reference`` when no trusted entry matches it, else None."""
    registry = parse_image_ref(reference).name.partition("/")[0].lower()
    names = _HUB_NAMES if registry == "docker.io" else (registry,)
    if any(fnmatch.fnmatchcase(name, pattern) for name in names for pattern in trusted):
        return None
    return registry


def _named(registry: str) -> str:
    return "Docker Hub (`docker.io`)" if registry == "docker.io" else f"`{registry}`"
