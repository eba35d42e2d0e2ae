"""Requests become plans: paths resolved, implicit files and profiles filled, problems (CL008) recorded;
then every source is read in order of precedence and identical plans found twice count once.
"""

from __future__ import annotations

from dataclasses import field, replace
from typing import Callable, Mapping, Sequence

from composelint.assembly.deployments.automation import automation_requests
from composelint.assembly.deployments.documents import document_units
from composelint.assembly.deployments.requests import (DEFAULT_OVERRIDES, Arg, Plan, Request, config_request,
                                                       default_files, dotenv_files, dotenv_request, origin_span,
                                                       split_profiles, stand_in)
from composelint.assembly.discovery import TEMPLATE_SUFFIXES
from composelint.diagnostics import Position, Span
from composelint.model import Located, ParseProblem
from composelint.records import record
from composelint.relpaths import dirname, resolve_relative


@record
class Planner:
    """Turns requests into plans: resolves paths, fills implicit files and profiles, reports CL008."""

    exists: Callable[[str], bool]
    dotenv: Callable[[str], Mapping[str, tuple[str, Span]] | None]  # relpath of a .env -> entries (None: none)
    problems: list[ParseProblem] = field(default_factory=list)
    is_dir: Callable[[str], bool] = lambda directory: True  # a directory of the repository ("" is the root)

    def _problem(self, message: str, span: Span | None, severity=None) -> None:
        if span is None:
            return
        from composelint.diagnostics import Severity

        self.problems.append(ParseProblem(
            "CL008", message, span,
            "fix the path so that it names a file in the repository" if severity is None else
            "name the file literally, or list the deployment under `deployments:` in the configuration",
            severity=Severity.INFO if severity == "info" else None))

    def _resolve(self, arg: Arg, cwd: str | None, fallbacks: Sequence[str], what: str,
                 generated: frozenset = frozenset()) -> str | None:
        if arg.symbolic or "$" in arg.text or "{{" in arg.text:
            self._problem(f"{what} `{arg.text}` holds a variable composelint does not expand; the deployment "
                          "is modelled without it", arg.span, "info")
            return None
        if arg.text == "-":
            return None  # standard input (`curl … | docker compose -f - up`): nothing of the repository
        if "://" in arg.text:
            self._problem(f"{what} `{arg.text}` is not a file in the repository; the deployment is modelled "
                          "without it", arg.span, "info")
            return None
        if cwd is None:
            if arg.text.startswith("/"):
                self._problem(f"{what} `{arg.text}` is outside the project root: composelint does not read it",
                              arg.span)
                return None
            self._problem(f"{what} `{arg.text}` is relative to a directory composelint cannot determine (an "
                          "earlier `cd` to a variable); the deployment is modelled without it", arg.span, "info")
            return None
        resolved = resolve_relative(cwd, arg.text)
        if resolved is None:
            self._problem(f"{what} `{arg.text}` is outside the project root: composelint does not read it, and "
                          "the deployment depends on a file the repository does not hold", arg.span)
            return None
        if self.exists(resolved):
            return resolved
        for other in fallbacks:
            candidate = resolve_relative(other, arg.text)
            if candidate is not None and self.exists(candidate):
                return candidate
        if arg.text in generated or arg.text.rsplit("/", 1)[-1] in generated:
            self._problem(f"{what} `{arg.text}` is written by `{arg.span.path}` itself before it runs; the "
                          "deployment is modelled without it", arg.span, "info")
            return None
        where = f" (`{resolved}`)" if resolved != arg.text else ""
        self._problem(f"{what} `{arg.text}`{where} does not exist: `docker compose` fails before starting "
                      "anything", arg.span)
        return None

    def _choose_cwd(self, request: Request) -> tuple[str | None, tuple[str, ...]]:
        """The working directory among the candidates where the named files exist (a script's caller)."""
        if request.cwd is not None and request.fallback_dirs:
            # `cd compose` from a script whose caller is unknown: only where `compose` is a directory
            existing = [d for d in (request.cwd,) + request.fallback_dirs if self.is_dir(d)]
            if existing:
                request = replace(request, cwd=existing[0], fallback_dirs=tuple(existing[1:]))
        literal = [arg.text for arg in request.files if not arg.symbolic and "$" not in arg.text and arg.text != "-"]
        if request.cwd is None or not request.fallback_dirs or not literal:
            return request.cwd, request.fallback_dirs
        for candidate in (request.cwd,) + request.fallback_dirs:
            resolved = [resolve_relative(candidate, text) for text in literal]
            if all(path is not None and self.exists(path) for path in resolved):
                return candidate, ()
        return request.cwd, request.fallback_dirs

    def _documented(self, request: Request) -> Request | None:
        """A documented command as a deployment of the repository, or None when it does not fit it:
        every file it names must exist (a README's `-f path/to/your.yml` is an example to adapt, not a
        broken deployment); without `-f`, it runs the compose file of the document's directory, else
        of the nearest one above (a docs/ page shows commands run from the repository root)."""
        if request.unresolved or request.cwd is None:
            return None
        named = request.files + request.env_files
        if not request.files and "COMPOSE_FILE" in request.environment:
            named += tuple(Arg(part, request.where.get("COMPOSE_FILE", request.origin)) for part in request.environment["COMPOSE_FILE"].split(
                request.environment.get("COMPOSE_PATH_SEPARATOR") or ":") if part)
        for arg in named:
            if arg.symbolic or "$" in arg.text or arg.text == "-":
                return False
            if not any(path is not None and self.exists(path) for path in (
                    resolve_relative(directory, arg.text) for directory in (request.cwd,) + request.fallback_dirs)):
                return None
        if request.files or "COMPOSE_FILE" in request.environment:
            return request
        for directory in (request.cwd,) + request.fallback_dirs:
            project = directory
            if request.project_directory is not None:
                project = None if request.project_directory.symbolic else \
                    resolve_relative(directory, request.project_directory.text)
            found = default_files(project, self.exists) if project is not None else ()
            if found:
                prefix = f"{project}/" if project else ""
                if len(found) == 1 and any(self.exists(prefix + name + suffix) for name in DEFAULT_OVERRIDES
                                           for suffix in TEMPLATE_SUFFIXES):
                    return None  # the docs assume the override the reader creates from its template first
                return replace(request, cwd=directory, fallback_dirs=())
        return None

    def plan(self, request: Request) -> Plan | None:
        cwd, fallbacks = self._choose_cwd(request)
        request = replace(request, cwd=cwd, fallback_dirs=fallbacks)
        if request.source == "documented":
            request = self._documented(request)
            if request is None:
                return None  # documentation that does not fit the repository is not a deployment to check
            cwd = request.cwd
        unresolved = [Located(arg.text, arg.span) for arg in request.unresolved]
        for arg in request.unresolved:
            self._problem(f"`{arg.text}` holds a variable composelint does not expand; if it adds compose "
                          "files, the deployment is modelled without them", arg.span, "info")
        env_files = []
        listed_env = request.env_files
        if not listed_env and request.environment.get("COMPOSE_ENV_FILES"):
            span = request.where.get("COMPOSE_ENV_FILES", request.origin)
            listed_env = tuple(Arg(part.strip(), span, "$" in part)
                               for part in request.environment["COMPOSE_ENV_FILES"].split(",") if part.strip())
        for arg in listed_env:
            resolved = self._resolve(arg, cwd, request.fallback_dirs, "env file", request.generated)
            if resolved is None:
                unresolved.append(Located(arg.text, arg.span))
            else:
                env_files.append(resolved)
        dotenv_path = None
        files: list[str] = []
        listed = request.files
        if not listed and "COMPOSE_FILE" in request.environment:
            text = request.environment["COMPOSE_FILE"]
            separator = request.environment.get("COMPOSE_PATH_SEPARATOR") or ":"
            listed = tuple(Arg(part, request.where.get("COMPOSE_FILE", request.origin), "$" in part)
                           for part in text.split(separator) if part)
        if listed:
            for arg in listed:
                resolved = self._resolve(arg, cwd, request.fallback_dirs, "compose file", request.generated)
                if resolved is None:
                    unresolved.append(Located(arg.text, arg.span))
                elif resolved not in files:
                    files.append(resolved)
        elif cwd is not None:
            directory = cwd
            if request.project_directory is not None and not request.project_directory.symbolic:
                directory = resolve_relative(cwd, request.project_directory.text) or cwd
            entries = self.dotenv(f"{directory}/.env" if directory else ".env") if not env_files else None
            in_dotenv = dotenv_files(entries) if entries else None
            if in_dotenv is not None:
                dotenv_path = f"{directory}/.env" if directory else ".env"
                for arg in in_dotenv:
                    resolved = self._resolve(arg, directory, (), "compose file")
                    if resolved is not None and resolved not in files:
                        files.append(resolved)
            else:
                files = list(default_files(directory, self.exists, search_parents=True))
                if not files:
                    for other in request.fallback_dirs:
                        files = list(default_files(other, self.exists))
                        if files:
                            break
                if not files and request.source == "automation" and not unresolved:
                    self._problem(f"`{request.command or 'docker compose'}` runs in `{directory or '.'}`, where "
                                  "there is no compose.yaml or docker-compose.yml: `docker compose` fails there",
                                  request.origin)
        if not files:
            return None
        if request.project_directory is not None and not request.project_directory.symbolic and cwd is not None:
            project_dir = resolve_relative(cwd, request.project_directory.text)
            if project_dir is None:
                self._problem(f"project directory `{request.project_directory.text}` is outside the project root",
                              request.project_directory.span)
                project_dir = dirname(files[0])
        else:
            project_dir = dirname(files[0])
        profiles = request.profiles
        if dotenv_path is None and not env_files:
            # COMPOSE_FILE read from a directory's .env: Compose interpolates with that same file
            dotenv_path = request.origin.path if request.source == "dotenv" and request.origin else \
                f"{project_dir}/.env" if project_dir else ".env"
        if profiles is None:
            value = None
            for source_env in reversed(env_files or [dotenv_path]):
                entries = self.dotenv(source_env)
                value = entries.get("COMPOSE_PROFILES") if entries else None
                if value is not None:
                    break
            if request.environment.get("COMPOSE_PROFILES"):
                value = (request.environment["COMPOSE_PROFILES"], request.origin)
            profiles = split_profiles(value[0]) if value else ()
        notes = tuple(f"`{path}` stands in for `{path.rsplit('.', 1)[0]}`, which is not committed: users copy it "
                      "into place before `docker compose up`" for path in files if stand_in(path))
        return Plan(name=request.name or "", source=request.source, origin=request.origin, files=tuple(files),
                    project_dir=project_dir, profiles=tuple(profiles), env_files=tuple(env_files),
                    unresolved=tuple(unresolved), targets=request.targets, command=request.command,
                    dotenv=dotenv_path if not env_files else None, orchestrator=request.orchestrator, notes=notes)


def plan_deployments(*, config_specs: Sequence, config_path: str, dotenv_paths: Sequence[str],
                     automation: Sequence[tuple[str, str]], compose_paths: Sequence[str],
                     exists: Callable[[str], bool],
                     dotenv: Callable[[str], Mapping[str, tuple[str, Span]] | None],
                     documents: Sequence[tuple[str, str]] = (),
                     is_dir: Callable[[str], bool] | None = None,
                     ) -> tuple[list[Plan], list[Plan], list[ParseProblem]]:
    """The deployments a repository names, duplicates dropped, and the default candidates.

    Returns (explicit plans in source order, default plans shallowest directory first, problems).
    The caller keeps a default only when no deployment loaded before it already runs its base
    file — directly, or through ``include:`` (which only loading reveals).
    """
    planner = Planner(exists, dotenv) if is_dir is None else Planner(exists, dotenv, is_dir=is_dir)
    plans: list[Plan] = []
    seen: dict[tuple, int] = {}

    def add(plan: Plan | None) -> None:
        if plan is None:
            return
        key = plan.key()
        if key in seen:
            index = seen[key]
            existing = plans[index]
            if plan.targets and set(plan.targets) - set(existing.targets):
                plans[index] = replace(existing, targets=existing.targets + tuple(
                    t for t in plan.targets if t not in existing.targets))
            return
        seen[key] = len(plans)
        plans.append(plan)

    if config_specs:
        for spec in config_specs:
            add(planner.plan(config_request(spec, origin_span(spec.origin, config_path))))
        return plans, [], planner.problems
    for path in dotenv_paths:
        entries = dotenv(path)
        request = dotenv_request(path, entries) if entries else None
        if request is not None:
            add(planner.plan(request))
    for path, text in automation:
        for request in automation_requests(path, text):
            add(planner.plan(request))
    for path, text in documents:  # after automation: what the repository runs wins over what it shows
        for request in automation_requests(path, text, "documented", document_units(path, text)):
            add(planner.plan(request))
    replaced = {dirname(plan.origin.path) for plan in plans if plan.source == "dotenv" and plan.origin is not None}
    defaults = []
    for directory in sorted({dirname(path) for path in compose_paths}, key=lambda d: (d.count("/") if d else -1, d)):
        if directory in replaced:
            continue  # COMPOSE_FILE in the .env there replaces the default files
        files = default_files(directory, exists)
        if not files:
            continue
        plan = planner.plan(Request("default", None, directory, tuple(
            Arg(f.rsplit("/", 1)[-1], Span(f, Position(1, 1))) for f in files), None))
        if plan is not None and plan.key() not in seen:
            defaults.append(plan)
    return plans, defaults, planner.problems


def name_plans(plans: Sequence[Plan]) -> list[Plan]:
    """Give every plan a distinct name: the config's, else its files (and profiles)."""

    used: set[str] = set()
    result = []
    for plan in plans:
        name = plan.name
        if plan.orchestrator == "swarm":
            name = f"{' + '.join(plan.files)} (stack {name})" if name else f"{' + '.join(plan.files)} (stack)"
        if not name:
            name = plan.files[0] if plan.source == "default" else " + ".join(plan.files)
            if plan.profiles:
                name += f" [{', '.join(plan.profiles)}]"
        base, counter = name, 2
        while name in used:
            name = f"{base} #{counter}"
            counter += 1
        used.add(name)
        result.append(replace(plan, name=name))
    return result
