"""Which Dockerfiles are built, in which contexts and with which build args, and by whom.

A service's ``build:`` names its context; a Dockerfile no service builds is built in the context the
repository's automation names for it (``docker build -f X CONTEXT``, docker-bake, a workflow), else
in its own directory, assumed. :func:`stage_models` gives the image model of every built stage.
"""

from __future__ import annotations

from typing import Iterator

from composelint.analysis.image.context import Context, context_for
from composelint.analysis.image.model import ImageModel, model_for
from composelint.analysis.image.paths import GLOB, URL, clean_rel
from composelint.assembly.linking import built_stages
from composelint.model import Deployment, Dockerfile, Service, Stage


def built_dockerfiles(project) -> dict[str, list[tuple[Service, Deployment | None]]]:
    """Dockerfile path → the services that build it (every compose file and deployment)."""
    def compute(p):
        used: dict[str, list] = {}
        for deployment, service in all_services(p):
            if service.build is not None and service.build.dockerfile_path:
                used.setdefault(service.build.dockerfile_path, []).append((service, deployment))
        return used

    return project.derived("image.built_dockerfiles", compute)


def all_services(project) -> Iterator[tuple[Deployment | None, Service]]:
    if not project.compose_files:
        return  # no service anywhere (a lone Dockerfile), and no deployment module to import
    from composelint.assembly.deployments import deployed_files

    yield from project.deployed_services()
    covered = deployed_files(project) | {path for variant in project.variants for path in variant.files}
    for path, compose in project.compose_files.items():
        if path in covered:
            continue
        for service in compose.services.values():
            yield None, service


def unbuilt_contexts(project, dockerfile_path: str) -> list[tuple[str, str]]:
    """(context, how it is known) for a Dockerfile no compose service builds: the contexts the
    repository names for it (`docker build -f X CONTEXT`, docker-bake.hcl, a workflow's
    build-push-action), each with "path:line"; else its own directory with "" (assumed)."""
    from composelint.assembly.created import project_named_contexts

    named = [(entry.context, entry.origin) for entry in project_named_contexts(project).get(dockerfile_path, ())
             if project.path_exists(entry.context)]
    unique = list({context: (context, origin) for context, origin in reversed(named)}.values())[::-1]
    directory = dockerfile_path.rsplit("/", 1)[0] if "/" in dockerfile_path else ""
    return unique or [(directory, "")]


def dockerfile_builds(project) -> list[tuple[Dockerfile, Context, list[Stage], object, dict]]:
    """Each Dockerfile with each build context (and build args) it is built with, its built stages, and
    how that context is known: True (a service builds it), "path:line" (the repository's automation
    names it), or "" (no one does: the context is assumed to be the Dockerfile's directory)."""
    def compute(p):
        result = []
        used = built_dockerfiles(p)
        for path, dockerfile in p.dockerfiles.items():
            if not dockerfile.stages:
                continue
            services = used.get(path)
            if services:
                seen: dict[tuple, list[Stage]] = {}
                for service, _ in services:
                    build = service.build
                    args = tuple(sorted((key, value.value) for key, value in build.args.items()
                                        if value.value is not None))
                    key = (build.context_path, path, args)
                    target = service.stage or dockerfile.stage(None)
                    seen.setdefault(key, [])
                    if target is not None:
                        seen[key].append(target)
                for (context_path, dockerfile_path, args), targets in seen.items():
                    context = context_for(p, context_path, dockerfile_path)
                    result.append((dockerfile, context, built_stages(dockerfile, targets), True, dict(args)))
            else:
                for context_path, origin in unbuilt_contexts(p, path):
                    context = context_for(p, context_path, path)
                    result.append((dockerfile, context, list(dockerfile.stages), origin, {}))
        return result

    return project.derived("image.dockerfile_builds", compute)


def stage_models(project) -> Iterator[tuple[ImageModel, bool]]:
    """The model of every built stage of every Dockerfile (in each context it is built in)."""
    for dockerfile, context, stages, used, args in dockerfile_builds(project):
        for stage in stages:
            yield model_for(project, dockerfile, stage, context, args), used


def assumed_context_misses_sources(project, target) -> str | None:
    """For the image of a Dockerfile no one names a context for: the assumed context (its directory)
    when some COPY source is not in it, so that what the image lacks may only be the wrong guess."""
    model = target.model
    if target.service is not None or target.dockerfile is None or model is None or model.context.path is None:
        return None
    if unbuilt_contexts(project, target.dockerfile.path)[0][1]:
        return None  # the repository names the context
    for op in model.ops:
        if op.kind != "copy":
            continue
        for source in op.sources:
            clean = clean_rel(source)
            if clean and not GLOB.search(source) and not URL.match(source) and model.context.kind(clean) is None:
                return model.context.path
    return None


def automation_creates(project, relpath: str):
    """What the repository's automation runs to create ``relpath`` (or a directory holding it) before a
    build: a `mkdir -p .pki`, an `rsync … bundle-backend/`; None when nothing does."""
    from composelint.assembly.created import project_created_paths

    return project_created_paths(project).creator(relpath)
