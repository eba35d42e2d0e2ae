"""Assemble one Project from a repository: discovery, parsing, linking.

This is the only layer that reads files. Everything a rule needs is put into
the model here (or in the analysis modules it calls), so rules stay pure.

:func:`build_project` runs the assembly: the files found (:mod:`~composelint.assembly.discovery`)
are read through a :class:`~composelint.assembly.reader.ProjectReader`, each compose file parsed
(:mod:`~composelint.assembly.compose_files`), each deployment planned and loaded
(:mod:`~composelint.assembly.deployment_models`), the Dockerfiles parsed and linked to the
services that build them; then the checks that need the whole project (env files, empty files).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping

from composelint.assembly.compose_files import env_problems, load_compose_file, parsing_ahead
from composelint.assembly.deployment_models import deployment_of, plan_and_load_deployments, profile_variants
from composelint.assembly.discovery import (TEMPLATE_SUFFIXES, FileSet, is_compose_content, is_compose_name,
                                            is_dockerfile_name, walk, yaml_candidate_kind)
from composelint.assembly.linking import link_service
from composelint.assembly.reader import ProjectReader, dotenv_file_values, with_config_env
from composelint.settings import Config
from composelint.diagnostics import Position, Severity, Span
from composelint.model import ComposeFile, Dockerfile, ParseProblem, Project
from composelint.parsers.compose import SourceIndex
from composelint.relpaths import dirname


def build_project(root: Path, config: Config, overrides: Mapping[str, str] | None = None,
                  fileset: FileSet | None = None, parsed=None, scope=None,
                  dockerfiles_parsed: Callable[[Mapping[str, Dockerfile]], None] | None = None,
                  later: list | None = None) -> Project:
    """``parsed``: a composelint.parsecache.ParseCache kept between builds of this project. ``scope``: a
    composelint.scoping.Scope, to model only what can bear on some paths (see that module).
    ``dockerfiles_parsed``: called with the Dockerfiles the walk found (path -> Dockerfile, the objects the
    project will hold) as soon as they are parsed, before the compose files (a build file a compose file
    names whatever its name loads later, and is not among them). ``later``: when given, the problems that
    depend on each compose file's environments (its schema check as interpolated: ~6 ms on the
    awesome-compose corpus) are left out, and a function that returns the project with them (the same
    problems in the same order) is appended to it: the command runs it in the main process once the
    forked rules (families 2 and 4, which read no parse problem) have their copy of the model."""
    loader = ProjectReader(root, config, dict(overrides or {}), parsed=parsed)
    if parsed is not None:
        parsed.next_build()
    found = fileset if fileset is not None else walk(root, config.exclude, config.limits.max_file_size)
    for relpath in loader.overrides:
        found.all_files.add(relpath)  # so every later `in found.all_files` covers the stdin buffers too
        name = relpath.rsplit("/", 1)[-1]
        if (is_compose_name(name) or yaml_candidate_kind(name) == "compose"
                and is_compose_content(loader.overrides[relpath])) and relpath not in found.compose:
            found.compose.append(relpath)
        elif is_dockerfile_name(name) and relpath not in found.dockerfiles:
            found.dockerfiles.append(relpath)  # an unsaved editor buffer of a new Dockerfile
    for relpath, message in found.skipped:
        loader.problems.append(ParseProblem("CL006", message, Span(relpath, Position(1, 1)),
                                            "composelint reads only regular files inside the project root"))
    sources = SourceIndex(loader.sources)
    compose_files = {}
    paths = sorted(path for path in set(found.compose) if scope is None or scope.models(path))
    with parsing_ahead(loader, paths):
        # The Dockerfiles first (while compose files are parsed ahead in another process, on a large project):
        # what `dockerfiles_parsed` starts from them then runs beside the rest of the build.
        dockerfiles = {}
        for relpath in sorted(set(found.dockerfiles)):
            if scope is not None and not scope.models(relpath):
                continue
            dockerfile = load_dockerfile(loader, relpath)
            if dockerfile is not None:
                dockerfiles[relpath] = dockerfile
        if dockerfiles_parsed is not None:
            dockerfiles_parsed(MappingProxyType(dict(dockerfiles)))
        for relpath in paths:
            compose_files[relpath] = load_compose_file(loader, relpath, sources)
    # Deployments: which files run together. Loading them may load more compose files
    # (named by -f, include: or extends.file whatever their names).
    models = plan_and_load_deployments(loader, found, compose_files, sources, scope)
    if scope is not None:
        compose_files = _in_found_order(compose_files, found.compose)

    def dockerfile_of(service) -> None:
        """Files named by a build.dockerfile load too, whatever their name."""
        path = service.build.dockerfile_path if service.build else None
        if path and path not in dockerfiles and path in found.all_files:
            dockerfile = load_dockerfile(loader, path)
            if dockerfile is not None:
                dockerfiles[path] = dockerfile

    for compose in compose_files.values():
        for service in compose.services.values():
            dockerfile_of(service)
    compose_files = {path: _link_file(compose, dockerfiles, parsed) for path, compose in compose_files.items()}
    contexts = [deployment_of(model, compose_files, dockerfiles, sources, dockerfile_of, parsed) for model in models]
    if scope is not None:  # the order of a whole-repository build (rules report in it)
        dockerfiles = _in_found_order(dockerfiles, found.dockerfiles)
    deployments = [context for context in contexts if context.kind == "deployed"]
    variants = [context for context in contexts if context.kind != "deployed"]
    variants += profile_variants(deployments + variants)
    check_env_files(loader, found, compose_files, deployments + variants)
    report_empty_files(loader, deployments)
    if later is None:
        report_env_problems(loader)
    else:  # the last problems added: appended to the project's later, they keep their order
        later.append(lambda project: replace(project, problems=project.problems + report_env_problems(loader)))
    dockerignores = load_dockerignores(loader, found, compose_files.values(), deployments + variants)
    return Project(
        root=root,
        sources=MappingProxyType(loader.sources),
        compose_files=MappingProxyType(compose_files),
        dockerfiles=MappingProxyType(dockerfiles),
        dockerignores=MappingProxyType(dockerignores),
        deployments=tuple(deployments),
        variants=tuple(variants),
        problems=tuple(loader.problems),
        files=frozenset(found.all_files),
        dotenv=MappingProxyType(with_config_env(loader, dotenv_file_values(loader, ".env"))),
        read_limit=config.limits.max_file_size,
        known_hosts=frozenset(config.known_hosts),
        compose_copies=MappingProxyType(dict(found.compose_copies)),
    )


def _in_found_order(loaded: dict, found_paths) -> dict:
    """``loaded`` (path -> parsed file) in the order a whole-repository build has it: the files the walk
    found, sorted, then those loaded on demand, in the order they were."""
    listed = sorted(path for path in set(found_paths) if path in loaded)
    listed_set = set(listed)
    return {path: loaded[path] for path in (*listed, *(path for path in loaded if path not in listed_set))}


def load_dockerfile(loader: ProjectReader, relpath: str) -> Dockerfile | None:
    text = loader.read(relpath, "CL003")
    if text is None:
        return None
    lines = text.count("\n") + 1
    if lines > loader.config.limits.dockerfile_lines:
        loader.problems.append(ParseProblem(
            "CL007", f"the Dockerfile has {lines:,} lines, over the {loader.config.limits.dockerfile_lines:,}-line "
            "limit", Span(relpath, Position(1, 1)), "raise `limits.dockerfile-lines` to lint it"))
        return None
    from composelint.parsers.dockerfile import parse_dockerfile

    parsed = loader.parsed
    dockerfile = parsed.dockerfile(text, relpath) if parsed is not None else parse_dockerfile(text, relpath)
    loader.problems.extend(dockerfile.problems)
    return dockerfile


def _link_file(compose: ComposeFile, dockerfiles: Mapping[str, Dockerfile], parsed) -> ComposeFile:
    if not compose.services:
        return compose
    services = {name: link_service(service, dockerfiles, parsed) for name, service in compose.services.items()}
    return ComposeFile(compose.path, compose.document, compose.root, compose.problems, MappingProxyType(services))



def load_dockerignores(loader: ProjectReader, found: FileSet, compose_files, deployments) -> dict:
    """The .dockerignore of every local build context, keyed by context directory.

    BuildKit prefers ``<Dockerfile>.dockerignore`` next to the Dockerfile over the context's
    ``.dockerignore``; both are honoured.
    """
    from composelint.parsers.dockerignore import parse_dockerignore

    builds = [service.build for compose in compose_files for service in compose.services.values()]
    builds += [service.build for deployment in deployments for service in deployment.services.values()]
    parse = loader.parsed.dockerignore if loader.parsed is not None else parse_dockerignore
    result = {}
    seen = set()  # a Dockerfile and context looked up once (each service of each deployment has its build)
    for build in builds:
        if build is None or build.context_path is None or (build.dockerfile_path, build.context_path) in seen:
            continue
        seen.add((build.dockerfile_path, build.context_path))
        candidates = []  # (file, the key it is kept under)
        if build.dockerfile_path:
            candidates.append((build.dockerfile_path + ".dockerignore", build.dockerfile_path))
        candidates.append((f"{build.context_path}/.dockerignore" if build.context_path else ".dockerignore",
                           build.context_path))
        for candidate, key in candidates:
            if candidate in found.all_files:
                text = loader.read(candidate)
                if text is not None and key not in result:
                    result[key] = parse(text, candidate)
                break
    return result


def check_env_files(loader: ProjectReader, found: FileSet, compose_files: Mapping[str, ComposeFile],
                    deployments) -> None:
    """CL008 for an ``env_file`` that is missing (and required) or outside the root, and for a build
    context outside the root (a missing one inside it is CL305's)."""
    if not compose_files and not deployments:
        return  # no service to check (and no reason to import the deployment planner)
    from composelint.assembly.deployments import env_file_entries
    from composelint.relpaths import resolve_relative

    created = []

    def creator(relpath: str):
        """What the repository's automation or documented setup runs to create ``relpath``."""
        if not created:
            from composelint.assembly.created import created_paths, creator_files

            created.append(created_paths(creator_files(found.all_files, loader.read_quiet)))
        return created[0].creator(relpath)

    def check(service, base_dir_of) -> None:
        build = service.build
        if build is not None and not build.remote and build.context_path is None:
            loader.problems.append(ParseProblem(
                "CL008", f"build context `{build.context.value}` is outside the project root: composelint does "
                         "not read it, and the image is built from files the repository does not hold",
                build.context.span,
                "keep the build context inside the repository (or lint from a root that contains it)"))
        for value, required in env_file_entries(service):
            written = value.value
            resolved = resolve_relative(base_dir_of(value.span.path), written)
            if resolved is None:
                if required:
                    loader.problems.append(ParseProblem(
                        "CL008", f"env_file `{written}` is outside the project root: composelint does not read "
                                 "it, and the service depends on a file the repository does not hold", value.span,
                        "keep env files in the repository, or mark the entry `required: false`"))
            elif required and resolved not in found.all_files and (creation := creator(resolved)) is not None:
                where = f" (`{resolved}`)" if resolved != written else ""
                loader.problems.append(ParseProblem(
                    "CL008", f"env_file `{written}`{where} is not in the repository: {creation.describe()} "
                             f"creates it, so service '{service.name}' starts only after that step", value.span,
                    "run that step before `docker compose` (a bare `docker compose up` fails without the file), "
                    "or mark the entry `required: false`", severity=Severity.INFO, service=service.name))
            elif required and resolved not in found.all_files:
                where = f" (`{resolved}`)" if resolved != written else ""
                # A gitignored env file usually ships as a template next to where it must be created.
                template = next((resolved + suffix for suffix in TEMPLATE_SUFFIXES
                                 if resolved + suffix in found.all_files), None)
                loader.problems.append(ParseProblem(
                    "CL008", f"env_file `{written}`{where} does not exist: Compose refuses to start service "
                             f"'{service.name}'", value.span,
                    f"create it from `{template}` before deploying, or mark the entry `required: false`"
                    if template else "create the file, fix the path, or mark the entry `required: false`",
                    severity=Severity.WARNING if template else None, service=service.name))

    for deployment in deployments:  # the deployments, then the variants (fragments resolve as merged)
        for service in deployment.linted_services():
            check(service, deployment.base_dir)
    deployed = {path for deployment in deployments for path in deployment.files + deployment.included}
    for path, compose in compose_files.items():
        if path not in deployed:
            directory = dirname(path)
            for service in compose.services.values():
                check(service, lambda _path, directory=directory: directory)


def report_empty_files(loader: ProjectReader, deployments) -> None:
    """CL001 for an empty or comment-only compose file: an error when a deployment's files are all
    empty (Compose refuses the project); beside a file with content, Compose skips it (a kept-for-later
    compose.extras.yaml); in no deployment, a note that it cannot run alone."""
    if not loader.empty_files:
        return
    reported: set[str] = set()
    used: set[str] = set()
    for deployment in deployments:
        files = deployment.files + deployment.included
        used.update(files)
        if all(path in loader.empty_files for path in deployment.files) and deployment.files[0] not in reported:
            reported.add(deployment.files[0])
            loader.problems.append(loader.empty_files[deployment.files[0]])
    for relpath, problem in sorted(loader.empty_files.items()):
        if relpath not in used:
            loader.problems.append(replace(
                problem, severity=Severity.INFO,
                message=problem.message.replace("Compose refuses an empty file",
                                                "Compose refuses it alone (layered with -f over another file, "
                                                "it adds nothing)")))


def report_env_problems(loader: ProjectReader) -> tuple[ParseProblem, ...]:
    """Environment-dependent problems of each file: those of the environments deployments used (added to
    the loader's, and returned)."""
    first = len(loader.problems)
    for relpath, default_key in loader.default_env.items():
        deployed = relpath in loader.deployed_paths
        keys = loader.used_envs.get(relpath) or {default_key}
        for key in sorted(keys, key=repr):
            for problem in env_problems(loader, relpath, key):
                if not deployed and id(problem) in loader.required_known:
                    problem = replace(problem, severity=Severity.WARNING, help=(
                        f"{problem.help}; no deployment composelint found runs this file, and one that does "
                        "fails to start without it"))
                loader.problems.append(problem)
    return tuple(loader.problems[first:])
