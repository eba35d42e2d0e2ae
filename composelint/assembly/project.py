"""Assemble one Project from a repository: discovery, parsing, linking.

This is the only layer that reads files. Everything a rule needs is put into
the model here (or in the analysis modules it calls), so rules stay pure.
"""

from __future__ import annotations

import os
import re
from dataclasses import field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping

from composelint.config import Config
from composelint.diagnostics import Position, Severity, Span
from composelint.assembly.discovery import (TEMPLATE_SUFFIXES, FileSet, ReadResult, decode, is_compose_content,
                                   is_compose_name, is_dockerfile_name, note, probe_is_file, read_text, walk,
                                   yaml_candidate_kind)
from composelint.assembly.linking import link_service
from composelint.model import ComposeFile, Deployment, Dockerfile, ParseProblem, Project
from composelint.parsers.compose import SourceIndex, services_of
from composelint.parsers.yaml_loader import COMPOSE_TAGS, YamlLimits, load_yaml
from composelint.records import record
from composelint.relpaths import dirname
from composelint.yamltree import YamlDocument, YMap, YScalar

_YAML_KIND_CODE = {"syntax": "CL001", "encoding": "CL001", "duplicate-key": "CL004", "limit": "CL007",
                   "tag": "CL002"}


@record
class _Loader:
    """Mutable state while the project is assembled; the result is frozen."""

    root: Path
    config: Config
    overrides: Mapping[str, str]  # path -> text that replaces the file (stdin buffers)
    sources: dict[str, str] = field(default_factory=dict)
    problems: list[ParseProblem] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    # Problems that depend on the environment a file is interpolated with (CL005, and CL002 on the
    # interpolated values), per (file, environment key). A file that deployments use reports those
    # of the environments they interpolate it with; any other file, those of its own directory's.
    env_problems: dict[tuple, list] = field(default_factory=dict)
    default_env: dict[str, tuple] = field(default_factory=dict)  # file -> key of its own environment
    used_envs: dict[str, set] = field(default_factory=dict)  # file -> keys deployments (and variants) used
    deployed_paths: set = field(default_factory=set)  # files a real deployment read, not only a variant
    env_objects: dict = field(default_factory=dict)  # cache of merge.Environment objects
    quiet_failed: set[str] = field(default_factory=set)
    realpaths: dict = field(default_factory=dict)  # directory -> resolved, for this build's reads
    dotenvs: dict = field(default_factory=dict)  # relpath -> its parsed dotenv.Dotenv
    # id() of CL005 problems for a required variable missing from a known environment: errors only in a
    # file some deployment runs
    required_known: set = field(default_factory=set)
    empty_files: dict = field(default_factory=dict)  # relpath -> its CL001, reported per deployment
    parsed: object = None  # a composelint.parsecache.ParseCache kept between builds, or None

    def _fetch(self, relpath: str) -> ReadResult:
        if relpath in self.overrides:
            return _override_result(self.overrides[relpath], self.config.limits.max_file_size)
        return read_text(self.root, relpath, self.config.limits.max_file_size, self.realpaths)

    def read(self, relpath: str, code_for_io: str = "CL006") -> str | None:
        if relpath in self.sources:
            return self.sources[relpath]
        if relpath in self.failed:
            return None
        result = self._fetch(relpath)
        if result.text is None:
            self.failed.add(relpath)
            self.problems.append(_read_problem(relpath, result, code_for_io))
            return None
        self.sources[relpath] = result.text
        return result.text

    def read_quiet(self, relpath: str) -> str | None:
        """A file the model only looks into (automation): no problem when it cannot be read."""
        if relpath in self.sources:
            return self.sources[relpath]
        if relpath in self.failed or relpath in self.quiet_failed:
            return None
        result = self._fetch(relpath)
        if result.text is None:
            self.quiet_failed.add(relpath)
            return None
        self.sources[relpath] = result.text
        return result.text

    def environment(self, directory: str):
        """The interpolation environment of ``directory`` (its .env, config env, opt-in os.environ)."""
        from composelint.assembly.loader import Environment

        key = ("dir", directory)
        if key not in self.env_objects:
            dotenv = f"{directory}/.env" if directory else ".env"
            values = dotenv_file_values(self, dotenv)
            known = dotenv_exists(self, dotenv) or environment_given(self)
            examples: tuple[str, ...] = ()
            if not known:
                examples, values = example_env_values(self, directory, ())
            self.env_objects[key] = Environment.of(with_config_env(self, values), known, examples)
        return self.env_objects[key]

    def dotenv(self, relpath: str, text: str):
        """The dotenv file ``relpath`` parsed once for its values and for the deployment planning;
        ``text`` is its text as the loader read it (a file is read once, so always the same)."""
        if relpath not in self.dotenvs:
            from composelint.parsers.dotenv import parse_dotenv

            self.dotenvs[relpath] = parse_dotenv(text, self.config.env.get)
        return self.dotenvs[relpath]


def _override_result(text: str, max_bytes: int) -> ReadResult:
    """Text given instead of a file (standard input): its original bytes, within the size limit."""
    try:
        data = text.encode("utf-8", "surrogateescape")  # undecodable stdin bytes come back as they were
    except UnicodeEncodeError:
        data = text.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        return ReadResult(None, f"the input is over the {max_bytes:,}-byte limit; raise `limits.max-file-size` "
                                "to lint it", kind="limit")
    return decode(data)


def _read_problem(relpath: str, result: ReadResult, code_for_content: str) -> ParseProblem:
    code = "CL007" if result.kind == "limit" else ("CL006" if result.kind == "io" else code_for_content)
    help_text = {
        "CL007": "composelint bounds what it reads so that a hostile file cannot exhaust memory",
        "CL006": "make the file readable, or exclude it with `exclude` in the configuration",
    }.get(code, "a compose file or Dockerfile must be UTF-8 text")
    return ParseProblem(code, result.error or "cannot read the file",
                        Span(relpath, Position(result.line, result.column)), help_text)


def build_project(root: Path, config: Config, overrides: Mapping[str, str] | None = None,
                  fileset: FileSet | None = None, parsed=None) -> Project:
    """``parsed``: a composelint.parsecache.ParseCache kept between builds of this project."""
    loader = _Loader(root, config, dict(overrides or {}), parsed=parsed)
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
    for relpath in sorted(set(found.compose)):
        compose_files[relpath] = load_compose_file(loader, relpath, sources)
    # Deployments: which files run together. Loading them may load more compose files
    # (named by -f, include: or extends.file whatever their names).
    models = plan_and_load_deployments(loader, found, compose_files, sources)
    dockerfiles = {}
    for relpath in sorted(set(found.dockerfiles)):
        dockerfile = load_dockerfile(loader, relpath)
        if dockerfile is not None:
            dockerfiles[relpath] = dockerfile

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
    compose_files = {path: _link_file(compose, dockerfiles) for path, compose in compose_files.items()}
    contexts = [deployment_of(model, compose_files, dockerfiles, sources, dockerfile_of) for model in models]
    deployments = [context for context in contexts if context.kind == "deployed"]
    variants = [context for context in contexts if context.kind != "deployed"]
    variants += profile_variants(deployments + variants)
    check_env_files(loader, found, compose_files, deployments + variants)
    report_empty_files(loader, deployments)
    report_env_problems(loader)
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


# --------------------------------------------------------------------------- environment


def with_config_env(loader: _Loader, values: dict[str, str]) -> dict[str, str]:
    """What interpolation sees: ``values`` (of a .env or --env-files), overridden by the configured env
    files (`env-file`, `--env-file`), then by config `env`, then by os.environ (opt-in)."""
    values.update(configured_env_file_values(loader))
    values.update(loader.config.env)
    if loader.config.use_environment:
        values.update(os.environ)
    return values


# Where a repository that keeps its .env out of version control (the recommended practice) documents
# the variables instead, beside where the .env would be.
EXAMPLE_ENV_NAMES = (".env.example", ".env.sample", ".env.dist", ".env.template", "example.env", "env.example",
                     "sample.env")
_EXAMPLE_SUFFIXES = (".example", ".sample", ".dist", ".template")


def environment_given(loader: _Loader) -> bool:
    """Whether the user told composelint the deployment environment (so every file's is known)."""
    config = loader.config
    return bool(config.env or config.env_files or config.use_environment)


def dotenv_exists(loader: _Loader, relpath: str) -> bool:
    key = ("dotenv-exists", relpath)
    if key not in loader.env_objects:
        exists = relpath in loader.overrides or probe_is_file(loader.root, relpath)
        note("is_file", relpath, exists)
        loader.env_objects[key] = exists
    return loader.env_objects[key]


def example_env_values(loader: _Loader, directory: str, env_files: tuple[str, ...]) -> tuple[tuple[str, ...], dict]:
    """The example env files that stand in for an uncommitted .env (or env file), and their values
    (the first file that defines a variable wins)."""
    prefix = f"{directory}/" if directory else ""
    candidates = [path + suffix for path in env_files for suffix in _EXAMPLE_SUFFIXES]
    candidates += [prefix + name for name in EXAMPLE_ENV_NAMES]
    found: list[str] = []
    values: dict[str, str] = {}
    for relpath in dict.fromkeys(candidates):
        if not dotenv_exists(loader, relpath):
            continue
        text = loader.read_quiet(relpath)
        if text is None:
            continue
        found.append(relpath)
        for key, value in loader.dotenv(relpath, text).values().items():
            values.setdefault(key, value)
    return tuple(found), values


def configured_env_file_values(loader: _Loader) -> dict[str, str]:
    """The variables of the configuration's `env-file`s and `--env-file`s, in order (a later file wins)."""
    key = ("configured-env-files",)
    if key not in loader.env_objects:
        values: dict[str, str] = {}
        for path in loader.config.env_files:
            if os.path.isabs(path):
                values.update(_outside_env_file_values(loader, path))
            elif dotenv_exists(loader, path):
                values.update(dotenv_file_values(loader, path))
            else:
                loader.problems.append(ParseProblem(
                    "CL008", f"env file `{path}` (named by `env-file` in the configuration) does not exist: "
                             "interpolation goes on without it", Span(loader.config.source or ".", Position(1, 1)),
                    "fix the path (relative to the project root) or remove the entry"))
        loader.env_objects[key] = values
    return dict(loader.env_objects[key])


def _outside_env_file_values(loader: _Loader, path: str) -> dict[str, str]:
    """An env file given on the command line outside the project (a CI secret file): read as data."""
    from composelint.parsers.dotenv import parse_dotenv

    try:
        with open(path, "rb") as stream:
            data = stream.read(loader.config.limits.max_file_size + 1)
    except OSError:
        return {}
    if len(data) > loader.config.limits.max_file_size:
        return {}
    return dict(parse_dotenv(data.decode("utf-8", "replace"), loader.config.env.get).values())


def dotenv_file_values(loader: _Loader, relpath: str) -> dict[str, str]:
    """The variables one dotenv file defines (empty when absent); its problems are reported once."""
    key = ("dotenv-file", relpath)
    cached = loader.env_objects.get(key)
    if cached is not None:
        return dict(cached)
    values: dict[str, str] = {}
    exists = probe_is_file(loader.root, relpath)
    note("is_file", relpath, exists)  # recorded for composelint.cache: a .env appearing changes results
    if exists or relpath in loader.overrides:
        text = loader.read(relpath)
        if text is not None:
            parsed = loader.dotenv(relpath, text)
            values.update(parsed.values())
            for problem, severity in [(p, None) for p in parsed.problems] + [
                    (w, Severity.WARNING) for w in parsed.warnings]:
                loader.problems.append(ParseProblem(
                    "CL005", problem.message,
                    Span(relpath, Position(problem.line, problem.column)),
                    "Compose's dotenv syntax is KEY=value, with optional quotes and `${VAR}` references",
                    severity=severity))
    loader.env_objects[key] = values
    return dict(values)


# --------------------------------------------------------------------------- compose


def load_compose_file(loader: _Loader, relpath: str, sources: SourceIndex) -> ComposeFile:
    empty = ComposeFile(relpath, YamlDocument(None), None)
    text = loader.read(relpath, "CL001")
    if text is None:
        return empty
    limits = YamlLimits(loader.config.limits.yaml_nodes, loader.config.limits.yaml_depth)
    parsed = loader.parsed
    document = parsed.yaml(text, relpath, limits) if parsed is not None else load_yaml(text, relpath, limits)
    problems: list[ParseProblem] = []
    for problem in document.problems:
        problems.append(ParseProblem(_YAML_KIND_CODE.get(problem.kind, "CL001"), problem.message, problem.span,
                                     problem.help, problem.related))
    root = document.root
    fatal = any(problem.kind in ("syntax", "limit") for problem in document.problems) and root is None
    if not fatal and not isinstance(root, YMap):
        problem = _not_a_mapping(relpath, root, text)
        if root is None:
            # Compose skips an empty file layered with others: only an empty merged project fails.
            loader.empty_files[relpath] = problem
            return ComposeFile(relpath, document, None, (problem,))
        problems.append(problem)
        root = None
    env_dependent: list[ParseProblem] = []
    directory = dirname(relpath)
    if isinstance(root, YMap):
        root = raw_root(document) or root
        problems.extend(_unknown_tags(root))
        environment = loader.environment(directory)
        root = interpolate_and_validate(loader, root, environment, env_dependent)
        problems.extend(env_dependent)
        loader.env_problems[(relpath, environment.key)] = env_dependent
        loader.default_env[relpath] = environment.key
    services = services_of(root, relpath, directory, sources, problems) if isinstance(root, YMap) else {}
    dependent = {id(problem) for problem in env_dependent}
    loader.problems.extend(problem for problem in problems if id(problem) not in dependent)
    return ComposeFile(relpath, document, root if isinstance(root, YMap) else None, tuple(problems),
                       MappingProxyType(services))


def raw_root(document: YamlDocument) -> YMap | None:
    """The document as written (not interpolated); a multi-document stream merged in order."""
    root = document.root
    if not isinstance(root, YMap):
        return None
    if document.more_roots:
        from composelint.assembly.merge import merge_files_roots

        for extra in document.more_roots:
            if isinstance(extra, YMap):
                root = merge_files_roots(root, extra)
    return root


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
        if tag and tag not in COMPOSE_TAGS and not (tag.startswith("!!") and tag[2:] in (
                "str", "int", "float", "bool", "null", "map", "seq", "binary")):
            problems.append(ParseProblem(
                "CL002", f"the YAML tag `{tag}` means nothing to Compose: it is ignored and the plain value is used",
                node.span, "remove the tag; Compose knows only `!reset` and `!override`",
                severity=Severity.WARNING))
    return problems


def interpolate_and_validate(loader: _Loader, raw: YMap, environment, problems: list[ParseProblem]) -> YMap:
    """``raw`` interpolated with ``environment``, its CL005 and schema (CL002) problems added to ``problems``.

    In an unknown environment a value that is invalid only because an unset variable became "" says
    nothing about the deployment (the deployer sets it): no schema problem is reported inside it.
    """
    blanked: list[Span] = []
    root = interpolate_root(loader, raw, environment, problems, blanked)
    for problem in schema_problems(root):
        if not any(_within(problem.span, span) for span in blanked):
            problems.append(problem)
    return root


def _within(inner: Span, outer: Span) -> bool:
    if inner.path != outer.path or inner.start < outer.start:
        return False
    if outer.end is None:
        return inner.start == outer.start
    return (inner.end or inner.start) <= outer.end


def interpolate_root(loader: _Loader, root: YMap, environment, problems: list[ParseProblem],
                     blanked: list[Span]) -> YMap:
    from composelint.parsers.compose import interpolate_tree

    seen: set[tuple] = set()
    malformed_nodes: set[int] = set()
    blanked_nodes: set[int] = set()

    def on_issue(issue, node: YScalar) -> None:
        if issue.kind == "malformed":
            # One broken expression can cascade into an issue per nested `${`; the first says it all.
            if id(node) in malformed_nodes:
                return
            malformed_nodes.add(id(node))
        span = _issue_span(node, issue)
        key = (span, issue.kind, issue.variable)
        if key in seen:
            return
        seen.add(key)
        severity = Severity.WARNING if issue.kind == "unset" else None
        message = issue.message
        help_text = {
            "unset": f"set `{issue.variable}` in .env or give a default: `${{{issue.variable}:-value}}`",
            "required": f"set `{issue.variable}` in .env (or the configuration's `env`) before deploying",
        }.get(issue.kind, "write `${NAME}`, `${NAME:-default}` or `$$` for a literal dollar sign")
        if issue.kind in ("unset", "required") and not environment.known:
            if id(node) not in blanked_nodes:
                blanked_nodes.add(id(node))
                blanked.append(node.span)
            if issue.kind == "required":
                severity = Severity.WARNING
                where = (f"no .env is committed and {_names(environment.examples)} does not define it"
                         if environment.examples else "no .env or example env file is committed")
                message += f"; {where}, so it must be set at deploy time"
                help_text = (f"document `{issue.variable}` in an example env file, and to lint against the real "
                             "values pass `--env-file FILE` (or `env-file:` in the configuration)")
        elif issue.kind == "required" and _automation_may_set(loader, environment.automation, issue.variable):
            severity = Severity.WARNING
            message += (f"; no env file it is interpolated with sets it, so the automation at "
                        f"{environment.automation} must export it")
        problem = ParseProblem("CL005", message, span, help_text, severity=severity,
                               anchor_text=issue.variable or "")
        if issue.kind == "required" and severity is None:
            loader.required_known.add(id(problem))
        problems.append(problem)

    result = interpolate_tree(root, environment.get, on_issue)
    return result if isinstance(result, YMap) else root


# CI services inject secrets and job variables into the environment of the steps that run Compose.
_CI_FILES = re.compile(r"(^|/)(\.github/workflows/[^/]+|\.gitlab-ci\.ya?ml|\.circleci/[^/]+|azure-pipelines\.ya?ml|"
                       r"bitbucket-pipelines\.ya?ml|\.drone\.ya?ml|Jenkinsfile|\.buildkite/[^/]+)$")


def _automation_may_set(loader: _Loader, automation: str | None, variable: str | None) -> bool:
    """Whether the automation that runs a deployment may put ``variable`` in Compose's environment: a CI
    job (secrets, job variables), or a script that visibly assigns or exports it."""
    if automation is None or not variable:
        return False
    path = automation.rsplit(":", 1)[0]
    if _CI_FILES.search(path):
        return True
    text = loader.sources.get(path) or ""
    return re.search(rf"(^|[\s;&|(]|export\s+){re.escape(variable)}\s*(=|:\s)", text, re.MULTILINE) is not None


def _names(paths: tuple[str, ...]) -> str:
    return ", ".join(f"`{path}`" for path in paths)


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

    parsed = loader.parsed
    dockerfile = parsed.dockerfile(text, relpath) if parsed is not None else parse_dockerfile(text, relpath)
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
        candidates = []  # (file, the key it is kept under)
        if build.dockerfile_path:
            candidates.append((build.dockerfile_path + ".dockerignore", build.dockerfile_path))
        candidates.append((f"{build.context_path}/.dockerignore" if build.context_path else ".dockerignore",
                           build.context_path))
        for candidate, key in candidates:
            if candidate in found.all_files:
                text = loader.read(candidate)
                if text is not None and key not in result:
                    result[key] = parse_dockerignore(text, candidate)
                break
    return result


# --------------------------------------------------------------------------- deployments


@record
class _Model:
    """A deployment planned and loaded, before its services are built (they need the Dockerfiles)."""

    plan: object  # deployments.Plan
    loaded: object  # merge.LoadedModel
    environment: object  # merge.Environment
    kind: str = "deployed"  # see model.Deployment.kind
    parent: str | None = None
    focus: frozenset | None = None


class _DeploymentSource:
    """What merge.ModelBuilder reads through: files of the project, interpolated per environment."""

    def __init__(self, loader: _Loader, found: FileSet, compose_files: dict, sources: SourceIndex):
        self.loader = loader
        self.found = found
        self.compose_files = compose_files
        self.sources = sources
        self.cache: dict[tuple, YMap | None] = {}

    def exists(self, relpath: str) -> bool:
        return relpath in self.found.all_files

    def compose(self, relpath: str) -> ComposeFile | None:
        if relpath not in self.compose_files:
            if not self.exists(relpath):
                return None
            self.compose_files[relpath] = load_compose_file(self.loader, relpath, self.sources)
        return self.compose_files[relpath]

    def interpolated(self, relpath: str, environment) -> YMap | None:
        key = (relpath, environment.key)
        if key in self.cache:
            return self.cache[key]
        compose = self.compose(relpath)
        result = None
        if compose is not None and compose.root is not None:
            self.loader.used_envs.setdefault(relpath, set()).add(environment.key)
            if self.loader.default_env.get(relpath) == environment.key:
                result = compose.root
            else:
                problems: list[ParseProblem] = []
                raw = raw_root(compose.document)
                result = interpolate_and_validate(self.loader, raw, environment, problems) if raw is not None else None
                self.loader.env_problems[key] = problems
        self.cache[key] = result
        return result

    def include_environment(self, outer, directory: str, env_files: tuple[str, ...]):
        """An included project's variables: its env files (or its .env), the outer ones winning."""
        from composelint.assembly.loader import Environment

        cache_key = ("include", outer.key, directory, env_files)
        if cache_key not in self.loader.env_objects:
            paths = env_files or (f"{directory}/.env" if directory else ".env",)
            values = env_file_values(self.loader, paths)
            values.update(outer.values)
            known = outer.known or any(dotenv_exists(self.loader, path) for path in paths)
            self.loader.env_objects[cache_key] = Environment.of(values, known, outer.examples, outer.automation)
        return self.loader.env_objects[cache_key]


def env_file_values(loader: _Loader, env_files: tuple[str, ...]) -> dict[str, str]:
    """Variables of ``--env-file``s, in order (a later file wins)."""
    values: dict[str, str] = {}
    for relpath in env_files:
        values.update(dotenv_file_values(loader, relpath))
    return values


def plan_environment(loader: _Loader, plan):
    """What interpolates a deployment: its --env-files, or the .env Compose reads for it."""
    from composelint.assembly.loader import Environment

    # A script or CI job that runs Compose may export variables itself (Compose reads the process
    # environment before any env file): its deployments say so when a required variable is missing.
    automation = None
    if plan.source == "automation" and plan.origin is not None:
        automation = f"{plan.origin.path}:{plan.origin.start.line}"
    if not plan.env_files:
        directory = plan.dotenv.rsplit("/", 1)[0] if plan.dotenv and "/" in plan.dotenv else ""
        base = loader.environment(directory)
        if automation is None:
            return base
        key = ("automation", directory, automation)
        if key not in loader.env_objects:
            loader.env_objects[key] = Environment.of(base.values, base.known, base.examples, automation)
        return loader.env_objects[key]
    key = ("env-files", plan.env_files, automation)
    if key not in loader.env_objects:
        values = env_file_values(loader, plan.env_files)
        known = any(dotenv_exists(loader, path) for path in plan.env_files) or environment_given(loader)
        examples: tuple[str, ...] = ()
        if not known:
            examples, values = example_env_values(loader, dirname(plan.env_files[0]), plan.env_files)
        loader.env_objects[key] = Environment.of(with_config_env(loader, values), known, examples, automation)
    return loader.env_objects[key]


def _dotenv_entries(loader: _Loader, found: FileSet, cache: dict):
    """relpath of a .env -> {KEY: (value, span)} (None when the file does not exist)."""

    def entries(relpath: str):
        if relpath in cache:
            return cache[relpath]
        result = None
        if relpath in found.all_files:
            text = loader.read_quiet(relpath)
            if text is not None:
                parsed = loader.dotenv(relpath, text)
                result = {entry.key: (entry.value, Span(relpath, Position(entry.line, entry.column)))
                          for entry in parsed.entries if entry.value is not None}
        cache[relpath] = result
        return result

    return entries


def plan_and_load_deployments(loader: _Loader, found: FileSet, compose_files: dict,
                              sources: SourceIndex) -> list[_Model]:
    """Find the deployments (see composelint.assembly.deployments) and merge each one's files."""
    dotenv_paths = sorted(path for path in found.all_files if path.rsplit("/", 1)[-1] == ".env")
    automation = []
    for path in sorted(set(found.automation)):
        text = loader.read_quiet(path)
        if text is not None and ("compose" in text or "stack" in text):
            automation.append((path, text))
    if not (loader.config.deployments or dotenv_paths or automation or compose_files):
        return []  # nothing names or holds a deployment (a lone Dockerfile): no planner or merger to import
    from composelint.assembly.deployments import is_document_path, mentions_deployment, name_plans, plan_deployments

    documents = []
    compose_dirs = {dirname(path) for path in compose_files}
    for path in sorted(path for path in found.all_files if is_document_path(path, compose_dirs)):
        text = loader.read_quiet(path)
        if text is not None and mentions_deployment(text):
            documents.append((path, text))
    from composelint.assembly.loader import ModelBuilder

    source = _DeploymentSource(loader, found, compose_files, sources)
    plans, defaults, problems = plan_deployments(
        config_specs=loader.config.deployments, config_path=loader.config.source or ".composelint.yaml",
        dotenv_paths=dotenv_paths, automation=automation, compose_paths=sorted(compose_files),
        exists=source.exists, dotenv=_dotenv_entries(loader, found, {}), documents=documents,
        is_dir=lambda directory: directory == "" or directory in found.directories)
    loader.problems.extend(problems)
    models = []
    covered: set[str] = set()

    def load(plan) -> _Model:
        environment = plan_environment(loader, plan)
        return _Model(plan, ModelBuilder(source).load(plan.files, plan.project_dir, environment), environment)

    def keep(model: _Model) -> None:
        loader.problems.extend(model.loaded.problems)
        models.append(model)
        covered.update(model.plan.files)
        covered.update(model.loaded.included)

    for plan in plans:
        keep(load(plan))
    for plan in defaults:  # shallowest first: a root compose.yaml that includes infra/compose.yaml covers it
        if plan.files[0] not in covered:
            model = load(plan)
            if _complete(model.loaded.root):
                keep(model)
            # else `docker compose up` fails there (a service without image or build): the file is a
            # layer of another deployment, linted below as a fragment, not a deployment of its own
    named = name_plans([model.plan for model in models])
    for model, plan in zip(models, named):
        model.plan = plan
    # Variants lint files no deployment runs: reading them does not make them deployed (CL005's severity).
    loader.deployed_paths = set(covered)
    return models + _file_variants(loader, source, compose_files, models, covered)


def _complete(root) -> bool:
    """Whether every service of a merged model says what it runs (an image or a build)."""
    services = root.get("services") if isinstance(root, YMap) else None
    if not isinstance(services, YMap):
        return True
    return all(not isinstance(entry.value, YMap) or "image" in entry.value.entries or "build" in entry.value.entries
               for entry in services.entries.values())


def _file_variants(loader: _Loader, source: _DeploymentSource, compose_files: dict, models: list[_Model],
                   covered: set[str]) -> list[_Model]:
    """Contexts for the compose files no deployment runs (issue 13: every file is linted).

    A file whose services say what they run, and name no service it does not define, is linted
    standalone, with its directory's .env. Any other file is an override fragment: linted merged
    over the deployment that runs the default files of its directory, else of the nearest ancestor
    directory that has one, with that deployment's project directory and environment.
    """
    from composelint.assembly.deployments import DEFAULT_BASES, Plan
    from composelint.assembly.loader import ModelBuilder

    by_directory: dict[str, _Model] = {}
    for model in models:
        first = model.plan.files[0]
        if first.rsplit("/", 1)[-1] in DEFAULT_BASES:
            by_directory.setdefault(dirname(first), model)

    def base_of(path: str) -> _Model | None:
        directory: str | None = dirname(path)
        while directory is not None:
            if directory in by_directory:
                return by_directory[directory]
            directory = None if directory == "" else dirname(directory)
        return None

    variants = []
    for path in sorted(compose_files):
        compose = compose_files[path]
        if path in covered or compose.root is None or not compose.services:
            continue
        services = compose.services
        complete = frozenset(name for name, service in services.items()
                             if service.image is not None or service.build is not None or service.get("extends"))
        foreign = any(dependency.service.value not in services for service in services.values()
                      for dependency in service.depends_on if dependency.kind != "extends")
        if len(complete) == len(services) and not foreign:
            directory = dirname(path)
            plan = Plan(name=path, source="standalone", origin=None, files=(path,), project_dir=directory,
                        profiles=(), env_files=(), dotenv=f"{directory}/.env" if directory else ".env")
            environment = loader.environment(directory)
            loaded = ModelBuilder(source).load(plan.files, plan.project_dir, environment)
            loader.problems.extend(loaded.problems)
            variants.append(_Model(plan, loaded, environment, kind="standalone"))
            continue
        base = base_of(path)
        if base is None:  # a layer of something composelint cannot see: only what it defines whole is linted
            directory = dirname(path)
            plan = Plan(name=path, source="fragment", origin=None, files=(path,), project_dir=directory,
                        profiles=(), env_files=(), dotenv=f"{directory}/.env" if directory else ".env")
            environment = loader.environment(directory)
            loaded = ModelBuilder(source).load(plan.files, plan.project_dir, environment)
            loader.problems.extend(problem for problem in loaded.problems if problem.span.path == path)
            variants.append(_Model(plan, loaded, environment, kind="fragment", focus=complete))
            continue
        plan = replace(base.plan, name=f"{path} over {base.plan.name}", source="fragment", files=base.plan.files + (
            path,), unresolved=(), targets=(), command="")
        loaded = ModelBuilder(source).load(plan.files, plan.project_dir, base.environment)
        # the base's own problems are the base deployment's to report; the fragment's are at its lines
        loader.problems.extend(problem for problem in loaded.problems if problem.span.path == path)
        variants.append(_Model(plan, loaded, base.environment, kind="fragment", parent=base.plan.name,
                               focus=frozenset(services)))
    return variants


def _build_base_dir(node: YMap, base_dirs: Mapping[str, str], default: str) -> str:
    """The directory a service's build context resolves against: that of the file that wrote it."""
    build = node.get("build")
    if isinstance(build, YMap):
        context = build.get("context")
        path = (context if context is not None else build).span.path
    elif build is not None:
        path = build.span.path
    else:
        return default
    return base_dirs.get(path, default)


def deployment_of(model: _Model, compose_files: Mapping[str, ComposeFile], dockerfiles: Mapping[str, Dockerfile],
                  sources: SourceIndex, dockerfile_of: Callable) -> Deployment:
    """The Deployment of a loaded model: every service built, linked to its Dockerfile."""
    from composelint.parsers.compose import service_from_node

    plan, loaded = model.plan, model.loaded
    root = loaded.root
    services = {}
    section = root.get("services") if isinstance(root, YMap) else None
    if isinstance(section, YMap):
        for name, entry in section.entries.items():
            node = entry.value
            if not isinstance(node, YMap):
                continue
            file = entry.key.span.path
            base_dir = _build_base_dir(node, loaded.base_dirs, plan.project_dir)
            compose = compose_files.get(file)
            single = compose.services.get(name) if compose is not None else None
            chain = next((loaded.extends_chains[(path, name)] for path in (file, *plan.files, *loaded.included)
                          if (path, name) in loaded.extends_chains), ())
            if single is not None and single.node is node and base_dir == dirname(file) and not chain:
                services[name] = single
                continue
            service = service_from_node(name, entry.key.span, node, file, base_dir, sources)
            if chain:
                service = replace(service, extends_chain=chain)
            dockerfile_of(service)
            services[name] = link_service(service, dockerfiles)
    enabled = set(plan.profiles)
    for target in plan.targets:  # `docker compose run migrate` enables migrate's profiles
        if target in services:
            enabled.update(services[target].profiles)
    every = "*" in enabled
    active = frozenset(name for name, service in services.items()
                       if not service.profiles or every or enabled.intersection(service.profiles))
    included = tuple(path for path in loaded.included if path not in plan.files)
    return Deployment(name=plan.name, files=plan.files, source=plan.source, origin=plan.origin,
                      project_dir=plan.project_dir, profiles=plan.profiles, env_files=plan.env_files, root=root,
                      services=MappingProxyType(services), active=active, included=included,
                      unresolved=plan.unresolved, base_dirs=MappingProxyType(dict(loaded.base_dirs)),
                      edges=tuple(loaded.edges), targets=plan.targets, command=plan.command,
                      variables=model.environment.values, dotenv=plan.dotenv,
                      env_examples=model.environment.examples, orchestrator=plan.orchestrator, kind=model.kind,
                      parent=model.parent, focus=model.focus, notes=tuple(getattr(plan, "notes", ())))


def profile_variants(contexts: list[Deployment]) -> list[Deployment]:
    """A context per profile that enables services no context runs: ``docker compose --profile X``.

    Each enables one more profile over its parent (so services of mutually exclusive profiles, which
    often publish the same port, are never linted side by side) and lints only the services that
    profile enables and nothing before it lints.
    """
    linted = {(context.files, name) for context in contexts if context.kind == "deployed"
              for name in context.active}
    variants = []
    for parent in contexts:
        waiting = [service for name, service in parent.services.items() if name not in parent.active
                   and (parent.focus is None or name in parent.focus) and (parent.files, name) not in linted]
        for profile in sorted({profile for service in waiting for profile in service.profiles}):
            focus = frozenset(service.name for service in waiting if profile in service.profiles
                              and (parent.files, service.name) not in linted)
            if not focus:
                continue
            linted.update((parent.files, name) for name in focus)
            active = frozenset(name for name, service in parent.services.items()
                               if name in parent.active or profile in service.profiles)
            variants.append(replace(parent, name=f"{parent.name} [profile {profile}]", kind="profile",
                                    parent=parent.name, profiles=parent.profiles + (profile,), active=active,
                                    focus=focus, notes=()))
    return variants


def check_env_files(loader: _Loader, found: FileSet, compose_files: Mapping[str, ComposeFile],
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
            from composelint.assembly.created import created_paths, is_creator_path

            files = [(path, text) for path in sorted(found.all_files) if is_creator_path(path)
                     and (text := loader.read_quiet(path)) is not None]
            created.append(created_paths(files))
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


def report_empty_files(loader: _Loader, deployments) -> None:
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


def report_env_problems(loader: _Loader) -> None:
    """Environment-dependent problems of each file: those of the environments deployments used."""
    for relpath, default_key in loader.default_env.items():
        deployed = relpath in loader.deployed_paths
        keys = loader.used_envs.get(relpath) or {default_key}
        for key in sorted(keys, key=repr):
            for problem in loader.env_problems.get((relpath, key), ()):
                if not deployed and id(problem) in loader.required_known:
                    problem = replace(problem, severity=Severity.WARNING, help=(
                        f"{problem.help}; no deployment composelint found runs this file, and one that does "
                        "fails to start without it"))
                loader.problems.append(problem)
