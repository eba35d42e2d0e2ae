"""One compose file: parsed, interpolated with an environment, and checked against the schema
(CL001, CL002, CL004, CL005, CL007).
"""

from __future__ import annotations

import contextlib
import os
import re
from types import MappingProxyType
from typing import Callable, Sequence, TypeVar

from composelint.assembly.reader import ProjectReader
from composelint.diagnostics import Position, Severity, Span
from composelint.lazyre import LazyPattern
from composelint.model import ComposeFile, ParseProblem
from composelint.parsers.compose import SourceIndex, services_of
from composelint.parsers.yaml_loader import COMPOSE_TAGS, YamlLimits, load_yaml
from composelint.relpaths import dirname
from composelint.yamltree import YamlDocument, YMap, YScalar


T = TypeVar("T")

_YAML_KIND_CODE = {"syntax": "CL001", "encoding": "CL001", "duplicate-key": "CL004", "limit": "CL007",
                   "tag": "CL002"}


def load_compose_file(loader: ProjectReader, relpath: str, sources: SourceIndex) -> ComposeFile:
    empty = ComposeFile(relpath, YamlDocument(None), None)
    text = loader.read(relpath, "CL001")
    if text is None:
        return empty
    limits = YamlLimits(loader.config.limits.yaml_nodes, loader.config.limits.yaml_depth)
    parsed = loader.parsed
    if parsed is not None:
        document = parsed.yaml(text, relpath, limits)
    else:
        ahead = loader.yaml_ahead
        document = load_yaml(text, relpath, limits, ahead.events(relpath, text) if ahead is not None else None)
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
    services: dict = {}
    if isinstance(root, YMap):
        raw = raw_root(document) or root
        if "!" in text:  # a tag is written with `!` (no YAML tag is implicit): most files need no walk for one
            problems.extend(_kept(loader, raw, "tags", lambda: tuple(_unknown_tags(raw))))
        environment = loader.environment(directory)
        if loader.parsed is None:
            root = _interpolate_deferring_schema(loader, relpath, raw, environment, env_dependent)
        else:
            root = interpolate_and_validate(loader, raw, environment, env_dependent)
        problems.extend(env_dependent)
        loader.env_problems[(relpath, environment.key)] = env_dependent
        loader.default_env[relpath] = environment.key
        if isinstance(root, YMap):
            def compute(root=root) -> tuple:
                found: list[ParseProblem] = []
                if loader.parsed is not None:
                    return _services_by_node(root, relpath, directory, sources, found, loader.parsed), tuple(found)
                return services_of(root, relpath, directory, sources, found), tuple(found)

            # Services are a function of the interpolated tree and the file's own text (positions).
            services, found = _kept(loader, raw, ("services", _environment_key(loader, environment)), compute)
            problems.extend(found)
    dependent = {id(problem) for problem in env_dependent}
    loader.problems.extend(problem for problem in problems if id(problem) not in dependent)
    return ComposeFile(relpath, document, root if isinstance(root, YMap) else None, tuple(problems),
                       MappingProxyType(services))


def _services_by_node(root: YMap, relpath: str, directory: str, sources: SourceIndex, found: list, parsed) -> dict:
    """services_of(root, ...), with the Service of each node the last build made one of (the same object,
    named at the same place: an edit parsed by blocks keeps the other services' nodes, and their lines)
    reused with the problems it had, in the same order."""
    from composelint.parsers.compose import service_from_node

    previous, current = parsed.built_services(relpath)
    services: dict = {}
    section = root.get("services")
    if not isinstance(section, YMap):
        return services
    for name, entry in section.entries.items():
        node = entry.value
        if not isinstance(node, YMap):
            continue
        done = current.get(id(node)) or previous.get(id(node))
        if done is None or done[0] is not node or done[1] != entry.key.span or done[2].name != name:
            problems: list = []
            done = (node, entry.key.span, service_from_node(name, entry.key.span, node, relpath, directory, sources,
                                                            problems), tuple(problems))
        current[id(node)] = done
        services[name] = done[2]
        found.extend(done[3])
    return services


@contextlib.contextmanager
def parsing_ahead(loader: ProjectReader, paths: Sequence[str]):
    """While the block loads the compose files ``paths`` (in this order), a second process parses all but
    the first ahead (composelint/parsers/yaml_ahead.py), when they are large enough and a fork is possible.
    The first is parsed here meanwhile, so that the build does not start by waiting."""
    from composelint import forked

    ahead = None
    if loader.parsed is None and len(paths) >= 2 and _total_size(loader, paths) >= PARSE_AHEAD_MIN_BYTES \
            and forked.available():
        from composelint.parsers.yaml_ahead import YamlAhead

        try:
            ahead = YamlAhead(lambda path: loader._fetch(path).text, paths[1:])
        except OSError:  # no process to be had: parse here
            ahead = None
    loader.yaml_ahead = ahead
    try:
        yield
    finally:
        loader.yaml_ahead = None
        if ahead is not None:
            ahead.close()


# Below this much YAML a second process costs more than it saves (measured: README, Performance): the
# 39 compose files of awesome-compose are 24 KB, a repository of 1,000 services 340 KB.
PARSE_AHEAD_MIN_BYTES = 128 * 1024


def _total_size(loader: ProjectReader, paths: Sequence[str]) -> int:
    total = 0
    for path in paths:
        try:
            total += os.stat(os.path.join(loader.root, path)).st_size
        except OSError:
            pass
        if total >= PARSE_AHEAD_MIN_BYTES:
            break
    return total


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


def interpolate_and_validate(loader: ProjectReader, raw: YMap, environment, problems: list[ParseProblem]) -> YMap:
    """``raw`` interpolated with ``environment``, its CL005 and schema (CL002) problems added to ``problems``.

    In an unknown environment a value that is invalid only because an unset variable became "" says
    nothing about the deployment (the deployer sets it): no schema problem is reported inside it.
    """
    if loader.parsed is None:
        return _interpolate_and_validate(loader, raw, environment, problems)

    def compute() -> tuple:
        found: list[ParseProblem] = []
        root = _interpolate_and_validate(loader, raw, environment, found)
        return root, tuple(found), tuple(problem for problem in found if id(problem) in loader.required_known)

    root, found, required = _kept(loader, raw, ("interpolated", _environment_key(loader, environment)), compute)
    problems.extend(found)
    loader.required_known.update(id(problem) for problem in required)
    return root


def _kept(loader: ProjectReader, raw: YMap, key, compute: Callable[[], T]) -> T:
    """``compute()``, kept by the language server's session (composelint.parsecache) per document."""
    parsed = loader.parsed
    return compute() if parsed is None else parsed.memo(raw, key, compute)


def _environment_key(loader: ProjectReader, environment) -> tuple:
    """All that interpolating a document reads besides it: the variables, whether they are known, the
    example files, and the text of the automation that may export more (_automation_may_set). Only a
    known environment asks the automation (interpolate_root): an unknown one's is left out of the key,
    so that a file one automation deploys, also linted in its own directory, is interpolated once."""
    automation = environment.automation
    if automation is not None and not environment.known:
        return environment.key_without_automation(), None
    return environment.key, automation and loader.sources.get(automation.rsplit(":", 1)[0])


def _interpolate_and_validate(loader: ProjectReader, raw: YMap, environment, problems: list[ParseProblem]) -> YMap:
    blanked: list[Span] = []
    root = interpolate_root(loader, raw, environment, problems, blanked)
    problems.extend(_schema_problems_outside(root, blanked, loader.parsed))
    return root


def _schema_problems_outside(root: YMap, blanked: list[Span], parsed=None) -> list[ParseProblem]:
    if parsed is not None and _valid_by_services(root, parsed):
        return []
    found = schema_problems(root)
    if parsed is not None and not found:
        parsed.found_valid(root)
    return [problem for problem in found if not any(_within(problem.span, span) for span in blanked)]


def _valid_by_services(root: YMap, parsed) -> bool:
    """Whether ``root`` (interpolated) is valid because a tree of the same file the last builds found valid
    differs from it only in some services (other objects) and those are valid: the schema judges each
    service alone (the root's and ``services``' keys are the same, every other value is the same object).
    The language server's edit inside a service checks that service, not the file. False: not known."""
    from composelint.parsers.schema_precheck import surely_valid
    from composelint.yamltree import plain

    services = root.get("services")
    if not isinstance(services, YMap):
        return False
    for valid in parsed.valid_roots(root.span.path):
        before = valid.get("services")
        if valid is root:
            return True
        if not isinstance(before, YMap) or valid.entries.keys() != root.entries.keys() \
                or before.entries.keys() != services.entries.keys() \
                or any(entry.value is not valid.entries[name].value
                       for name, entry in root.entries.items() if name != "services"):
            continue
        changed = {name: plain(entry.value) for name, entry in services.entries.items()
                   if entry.value is not before.entries[name].value}
        if surely_valid({"services": changed}):  # the Compose schema requires nothing else at the root
            parsed.found_valid(root)
            return True
        return False
    return False


def _interpolate_deferring_schema(loader: ProjectReader, relpath: str, raw: YMap, environment,
                                  problems: list[ParseProblem]) -> YMap:
    """``raw`` interpolated with its directory's environment; the schema check of the result waits until
    its problems are asked for (env_problems): a file that deployments interpolate with their own
    environment never reports these (a tenth of a large repository's model build)."""
    blanked: list[Span] = []
    root = interpolate_root(loader, raw, environment, problems, blanked)
    loader.unvalidated[(relpath, environment.key)] = (root, blanked)
    return root


def env_problems(loader: ProjectReader, relpath: str, key: tuple) -> list[ParseProblem]:
    """The environment-dependent problems of ``relpath`` interpolated with the environment ``key``."""
    problems = loader.env_problems.get((relpath, key), [])
    unvalidated = loader.unvalidated.pop((relpath, key), None)
    if unvalidated is not None:
        problems.extend(_schema_problems_outside(*unvalidated, loader.parsed))
    return problems


def _within(inner: Span, outer: Span) -> bool:
    if inner.path != outer.path or inner.start < outer.start:
        return False
    if outer.end is None:
        return inner.start == outer.start
    return (inner.end or inner.start) <= outer.end


def interpolate_root(loader: ProjectReader, root: YMap, environment, problems: list[ParseProblem],
                     blanked: list[Span]) -> YMap:
    result, issues = _interpolated(loader, root, environment)
    seen: set[tuple] = set()
    malformed_nodes: set[int] = set()
    blanked_nodes: set[int] = set()

    def on_issue(issue, node: YScalar, span: Span) -> None:
        if issue.kind == "malformed":
            # One broken expression can cascade into an issue per nested `${`; the first says it all.
            if id(node) in malformed_nodes:
                return
            malformed_nodes.add(id(node))
        key = (span, issue.kind, issue.variable)
        if key in seen:
            return
        seen.add(key)
        severity = Severity.WARNING if issue.kind == "unset" else None
        message = issue.message
        if issue.kind == "unset":
            help_text = f"set `{issue.variable}` in .env or give a default: `${{{issue.variable}:-value}}`"
        elif issue.kind == "required":
            help_text = f"set `{issue.variable}` in .env (or the configuration's `env`) before deploying"
        else:
            help_text = "write `${NAME}`, `${NAME:-default}` or `$$` for a literal dollar sign"
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

    for issue, node, span in issues:
        on_issue(issue, node, span)
    return result if isinstance(result, YMap) else root


def _interpolated(loader: ProjectReader, root: YMap, environment) -> tuple:
    """``root`` interpolated, and the (issue, scalar, its span) met on the way, in order: a function of the
    variables' values alone. A file's own directory and the deployments that run it often differ only
    in what their findings say (the automation that runs them, whether the environment is known), so
    they share one interpolation and one tree, and deployment_models.deployment_of then reuses the
    file's services instead of building them again (at 10,000 services: ~0.7 s of the build)."""
    key = (id(root), environment.values_key)
    entry = loader.interpolations.get(key)
    if entry is None or entry[0] is not root:  # the entry holds its root: no other object takes the id
        from composelint.parsers.compose import interpolate_tree

        issues: list[tuple] = []

        def note(issue, node) -> None:
            issues.append((issue, node, _issue_span(node, issue)))

        kept = loader.parsed.interpolated_services(root, environment.values_key) if loader.parsed else None
        if kept is None:
            tree = interpolate_tree(root, environment.get, note)
        else:
            tree = _interpolated_by_service(root, environment.get, note, issues, *kept)
        entry = loader.interpolations[key] = (root, tree, issues)
    return entry[1], entry[2]


def _interpolated_by_service(root: YMap, lookup, note, issues: list, previous: dict, current: dict) -> YMap:
    """interpolate_tree(root, lookup, note), a service at a time, reusing the last interpolation of each
    service whose node is the same object (ParseCache.interpolated_services: in a document where no
    shared node holds a variable, a service's result and issues are a function of the service alone).
    Subtrees and issues come in the same order as interpolate_tree's, and nodes left as they are
    stay the same objects."""
    from composelint.parsers.compose import interpolate_tree

    def one_service(name: str, raw):
        done = previous.get(id(raw))
        if done is not None and done[0] is raw:
            value, found = done[1], done[2]
            issues.extend(found)
        else:
            start = len(issues)
            value = interpolate_tree(raw, lookup, note)
            found = tuple(issues[start:])
        current[id(raw)] = (raw, value, found)
        return value

    def top(name: str, value):
        if name == "services" and isinstance(value, YMap):
            return value.with_values(one_service)
        return interpolate_tree(value, lookup, note)

    return root.with_values(top)


# CI services inject secrets and job variables into the environment of the steps that run Compose.
_CI_FILES = LazyPattern(r"(^|/)(\.github/workflows/[^/]+|\.gitlab-ci\.ya?ml|\.circleci/[^/]+|azure-pipelines\.ya?ml|"
                       r"bitbucket-pipelines\.ya?ml|\.drone\.ya?ml|Jenkinsfile|\.buildkite/[^/]+)$")


def _automation_may_set(loader: ProjectReader, automation: str | None, variable: str | None) -> bool:
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

    tree = plain(root)
    problems = []
    for error in validate_compose(tree):
        span = locate(root, error.path, key=error.on_key) or root.span
        advice = _NULL_VALUE_HELP if not error.on_key and _is_null_at(tree, error.path) else _SCHEMA_HELP
        problems.append(ParseProblem("CL002", error.message, span, advice))
    return problems


_SCHEMA_HELP = "see the Compose Specification for the allowed keys and values"
# `environment:` with nothing (or only a comment) below it is YAML's null, which Compose refuses.
_NULL_VALUE_HELP = ("the key has no value (nothing, or only a comment, follows it), which YAML reads as null and "
                    "`docker compose` refuses with the whole file: give it a value or remove the key")


def _is_null_at(tree, path) -> bool:
    for part in path:
        try:
            tree = tree[part]
        except (KeyError, IndexError, TypeError):
            return False
    return tree is None
