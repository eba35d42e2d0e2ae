"""Assemble one Project from a repository: discovery, parsing, linking.

This is the only layer that reads files. Everything a rule needs is put into
the model here (or in the analysis modules it calls), so rules stay pure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping

from composelint.config import Config
from composelint.diagnostics import Position, Related, Severity, Span
from composelint.discovery import FileSet, ReadResult, decode, is_compose_name, read_text, walk
from composelint.linking import link_service
from composelint.model import ComposeFile, Deployment, Dockerfile, ParseProblem, Project
from composelint.parsers.compose import SourceIndex, services_of
from composelint.parsers.yaml_loader import YamlLimits, load_yaml
from composelint.yamltree import YamlDocument, YMap, YScalar

_YAML_KIND_CODE = {"syntax": "CL001", "encoding": "CL001", "duplicate-key": "CL004", "limit": "CL007",
                   "tag": "CL002"}


@dataclass
class _Loader:
    """Mutable state while the project is assembled; the result is frozen."""

    root: Path
    config: Config
    overrides: Mapping[str, str]  # path -> text that replaces the file (stdin buffers)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[ParseProblem] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    environments: dict[str, dict[str, str]] = field(default_factory=dict)  # directory -> variables

    def read(self, relpath: str, code_for_io: str = "CL006") -> str | None:
        if relpath in self.sources:
            return self.sources[relpath]
        if relpath in self.failed:
            return None
        if relpath in self.overrides:
            result = decode(self.overrides[relpath].encode("utf-8", "surrogatepass"))
        else:
            result = read_text(self.root, relpath, self.config.limits.max_file_size)
        if result.text is None:
            self.failed.add(relpath)
            self.problems.append(_read_problem(relpath, result, code_for_io))
            return None
        self.sources[relpath] = result.text
        return result.text


def _read_problem(relpath: str, result: ReadResult, code_for_content: str) -> ParseProblem:
    code = "CL007" if result.kind == "limit" else ("CL006" if result.kind == "io" else code_for_content)
    help_text = {
        "CL007": "composelint bounds what it reads so that a hostile file cannot exhaust memory",
        "CL006": "make the file readable, or exclude it with `exclude` in the configuration",
    }.get(code, "a compose file or Dockerfile must be UTF-8 text")
    return ParseProblem(code, result.error or "cannot read the file",
                        Span(relpath, Position(result.line, result.column)), help_text)


def build_project(root: Path, config: Config, overrides: Mapping[str, str] | None = None,
                  fileset: FileSet | None = None) -> Project:
    loader = _Loader(root, config, dict(overrides or {}))
    found = fileset if fileset is not None else walk(root, config.exclude)
    for relpath in loader.overrides:
        found.all_files.add(relpath)
        name = relpath.rsplit("/", 1)[-1]
        if is_compose_name(name) and relpath not in found.compose:
            found.compose.append(relpath)
    for relpath, message in found.skipped:
        loader.problems.append(ParseProblem("CL006", message, Span(relpath, Position(1, 1)),
                                            "composelint reads only regular files inside the project root"))
    sources = SourceIndex(loader.sources)
    compose_files = {}
    for relpath in sorted(set(found.compose)):
        compose_files[relpath] = load_compose_file(loader, relpath, sources)
    dockerfiles = {}
    for relpath in sorted(set(found.dockerfiles)):
        dockerfile = load_dockerfile(loader, relpath)
        if dockerfile is not None:
            dockerfiles[relpath] = dockerfile
    # Files named by a build.dockerfile load too, whatever their name.
    for compose in compose_files.values():
        for service in compose.services.values():
            path = service.build.dockerfile_path if service.build else None
            if path and path not in dockerfiles and path in found.all_files:
                dockerfile = load_dockerfile(loader, path)
                if dockerfile is not None:
                    dockerfiles[path] = dockerfile
    compose_files = {path: _link_file(compose, dockerfiles) for path, compose in compose_files.items()}
    deployments = default_deployments(compose_files, dockerfiles)
    dockerignores = load_dockerignores(loader, found, compose_files.values(), deployments)
    return Project(
        root=root,
        sources=MappingProxyType(loader.sources),
        compose_files=MappingProxyType(compose_files),
        dockerfiles=MappingProxyType(dockerfiles),
        dockerignores=MappingProxyType(dockerignores),
        deployments=tuple(deployments),
        problems=tuple(loader.problems),
        files=frozenset(found.all_files),
        dotenv=MappingProxyType(dict(project_environment(loader, ""))),
        read_limit=config.limits.max_file_size,
    )


# --------------------------------------------------------------------------- environment


def project_environment(loader: _Loader, directory: str) -> dict[str, str]:
    """What interpolation sees: .env of the directory, then config `env`, then (opt-in) os.environ."""
    cached = loader.environments.get(directory)
    if cached is not None:
        return cached
    values: dict[str, str] = {}
    loader.environments[directory] = values
    dotenv_path = f"{directory}/.env" if directory else ".env"
    if (loader.root / dotenv_path).is_file() or dotenv_path in loader.overrides:
        text = loader.read(dotenv_path)
        if text is not None:
            from composelint.parsers.dotenv import parse_dotenv

            parsed = parse_dotenv(text, lambda name: loader.config.env.get(name))
            values.update(parsed.values())
            for problem, severity in [(p, None) for p in parsed.problems] + [
                    (w, Severity.WARNING) for w in parsed.warnings]:
                loader.problems.append(ParseProblem(
                    "CL005", problem.message,
                    Span(dotenv_path, Position(problem.line, problem.column)),
                    "Compose's dotenv syntax is KEY=value, with optional quotes and `${VAR}` references",
                    severity=severity))
    values.update(loader.config.env)
    if loader.config.use_environment:
        values.update(os.environ)
    return values


# --------------------------------------------------------------------------- compose


def load_compose_file(loader: _Loader, relpath: str, sources: SourceIndex) -> ComposeFile:
    empty = ComposeFile(relpath, YamlDocument(None), None)
    text = loader.read(relpath, "CL001")
    if text is None:
        return empty
    limits = YamlLimits(loader.config.limits.yaml_nodes, loader.config.limits.yaml_depth)
    document = load_yaml(text, relpath, limits)
    problems: list[ParseProblem] = []
    for problem in document.problems:
        problems.append(ParseProblem(_YAML_KIND_CODE.get(problem.kind, "CL001"), problem.message, problem.span,
                                     problem.help, problem.related))
    root = document.root
    fatal = any(problem.kind in ("syntax", "limit") for problem in document.problems) and root is None
    if not fatal and not isinstance(root, YMap):
        problems.append(_not_a_mapping(relpath, root, text))
        root = None
    if isinstance(root, YMap):
        for extra in document.more_roots:
            if isinstance(extra, YMap):
                from composelint.merge import merge_mappings

                root = merge_mappings(root, extra)
        problems.extend(_unknown_tags(root))
        directory = relpath.rsplit("/", 1)[0] if "/" in relpath else ""
        environment = project_environment(loader, directory)
        root = interpolate_root(root, environment, problems)
        problems.extend(schema_problems(root))
    base_dir = relpath.rsplit("/", 1)[0] if "/" in relpath else ""
    services = services_of(root, relpath, base_dir, sources, problems) if isinstance(root, YMap) else {}
    loader.problems.extend(problems)
    return ComposeFile(relpath, document, root if isinstance(root, YMap) else None, tuple(problems),
                       MappingProxyType(services))


def _not_a_mapping(relpath: str, root, text: str) -> ParseProblem:
    if root is None:
        what = "only comments" if text.strip() else "empty"
        return ParseProblem("CL001", f"the compose file is {what}: Compose refuses an empty file",
                            Span(relpath, Position(1, 1)),
                            "add a `services:` mapping, or delete the file")
    kind = "a list" if not isinstance(root, YScalar) else f"the scalar `{str(root.value)[:40]}`"
    return ParseProblem("CL001", f"the top level of a compose file must be a mapping, not {kind}", root.span,
                        "start the file with keys such as `services:`")


def _unknown_tags(root: YMap) -> list[ParseProblem]:
    """Tags Compose does not know are ignored by it; say so, since the author meant something."""
    from composelint.parsers.compose import iter_nodes

    problems = []
    for node in iter_nodes(root):
        tag = node.tag
        if tag and tag not in ("!reset", "!override") and not (tag.startswith("!!") and tag[2:] in (
                "str", "int", "float", "bool", "null", "map", "seq", "binary")):
            problems.append(ParseProblem(
                "CL002", f"the YAML tag `{tag}` means nothing to Compose: it is ignored and the plain value is used",
                node.span, "remove the tag; Compose knows only `!reset` and `!override`",
                severity=Severity.WARNING))
    return problems


def interpolate_root(root: YMap, environment: Mapping[str, str], problems: list[ParseProblem]) -> YMap:
    from composelint.parsers.compose import interpolate_tree

    seen: set[tuple] = set()

    def on_issue(issue, node: YScalar) -> None:
        span = _issue_span(node, issue)
        key = (span, issue.kind, issue.variable)
        if key in seen:
            return
        seen.add(key)
        severity = Severity.WARNING if issue.kind == "unset" else None
        help_text = {
            "unset": f"set `{issue.variable}` in .env or give a default: `${{{issue.variable}:-value}}`",
            "required": f"set `{issue.variable}` in .env (or the configuration's `env`) before deploying",
        }.get(issue.kind, "write `${NAME}`, `${NAME:-default}` or `$$` for a literal dollar sign")
        problems.append(ParseProblem("CL005", issue.message, span, help_text, severity=severity,
                                     anchor_text=issue.variable or ""))

    result = interpolate_tree(root, environment.get, on_issue)
    return result if isinstance(result, YMap) else root


def _issue_span(node: YScalar, issue) -> Span:
    span = node.span
    if span.end is not None and span.end.line == span.start.line and node.style in ("", "'", '"'):
        offset = 1 if node.style in ("'", '"') else 0
        width = span.end.column - span.start.column - 2 * offset
        if issue.end <= width:
            start = span.start.column + offset + issue.start
            return Span(span.path, Position(span.start.line, start),
                        Position(span.start.line, span.start.column + offset + issue.end))
    return span


def schema_problems(root: YMap) -> list[ParseProblem]:
    from composelint.parsers.schema import validate_compose
    from composelint.yamltree import locate, plain

    problems = []
    for error in validate_compose(plain(root)):
        span = locate(root, error.path, key=error.on_key) or root.span
        problems.append(ParseProblem("CL002", error.message, span,
                                     "see the Compose Specification for the allowed keys and values"))
    return problems


# --------------------------------------------------------------------------- Dockerfiles


def load_dockerfile(loader: _Loader, relpath: str) -> Dockerfile | None:
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

    dockerfile = parse_dockerfile(text, relpath)
    loader.problems.extend(dockerfile.problems)
    return dockerfile


def _link_file(compose: ComposeFile, dockerfiles: Mapping[str, Dockerfile]) -> ComposeFile:
    if not compose.services:
        return compose
    services = {name: link_service(service, dockerfiles) for name, service in compose.services.items()}
    return ComposeFile(compose.path, compose.document, compose.root, compose.problems, MappingProxyType(services))



def load_dockerignores(loader: _Loader, found: FileSet, compose_files, deployments) -> dict:
    """The .dockerignore of every local build context, keyed by context directory.

    BuildKit prefers ``<Dockerfile>.dockerignore`` next to the Dockerfile over the context's
    ``.dockerignore``; both are honoured.
    """
    from composelint.parsers.dockerignore import parse_dockerignore

    builds = [service.build for compose in compose_files for service in compose.services.values()]
    builds += [service.build for deployment in deployments for service in deployment.services.values()]
    result = {}
    for build in builds:
        if build is None or build.context_path is None:
            continue
        candidates = []
        if build.dockerfile_path:
            candidates.append(build.dockerfile_path + ".dockerignore")
        candidates.append(f"{build.context_path}/.dockerignore" if build.context_path else ".dockerignore")
        key = build.context_path if not build.dockerfile_path else build.context_path
        for candidate in candidates:
            if candidate in found.all_files:
                text = loader.read(candidate)
                if text is not None:
                    result.setdefault(key if candidate.endswith("/.dockerignore") or candidate == ".dockerignore"
                                      else build.dockerfile_path, parse_dockerignore(text, candidate))
                break
    return result


# --------------------------------------------------------------------------- deployments


def default_deployments(compose_files: Mapping[str, ComposeFile],
                        dockerfiles: Mapping[str, Dockerfile]) -> list[Deployment]:
    """``docker compose up`` in each directory: compose.yaml (or docker-compose.yaml) and its override."""
    from composelint.merge import merge_files

    by_directory: dict[str, list[str]] = {}
    for path in compose_files:
        directory, _, name = path.rpartition("/")
        by_directory.setdefault(directory, []).append(name)
    deployments = []
    for directory in sorted(by_directory):
        names = set(by_directory[directory])
        base = next((n for n in ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
                     if n in names), None)
        if base is None:
            continue
        stem, ext = base.rsplit(".", 1)
        override = next((n for n in (f"{stem}.override.yaml", f"{stem}.override.yml") if n in names), None)
        files = [f"{directory}/{n}" if directory else n for n in (base, override) if n]
        deployments.append(merge_files(tuple(files), compose_files, dockerfiles, name=files[0], source="default",
                                       origin=None, project_dir=directory))
    return deployments
