"""Each deployment, and each variant linted beside them (a profile, a fragment, a standalone file),
loaded into its merged model (:class:`composelint.assembly.loader.ModelBuilder`) and made a
:class:`~composelint.model.Deployment`.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Callable, Mapping

from composelint.assembly.compose_files import interpolate_and_validate, load_compose_file, raw_root
from composelint.assembly.discovery import FileSet
from composelint.assembly.linking import link_service
from composelint.assembly.reader import ProjectReader, dotenv_entries, dotenv_exists, env_file_values, plan_environment
from composelint.model import ComposeFile, Deployment, Dockerfile, ParseProblem
from composelint.parsers.compose import SourceIndex
from composelint.records import record
from composelint.relpaths import dirname
from composelint.yamltree import YMap


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

    def __init__(self, loader: ProjectReader, found: FileSet, compose_files: dict, sources: SourceIndex):
        self.loader = loader
        self.found = found
        self.compose_files = compose_files
        self.sources = sources
        self.cache: dict[tuple, YMap | None] = {}
        self.first_layers: dict = {}  # see ModelBuilder
        # The language server's session keeps each loaded model (see load); one build's worth.
        parsed = loader.parsed
        self.kept, self.keeping = parsed.kept_models() if parsed is not None else ({}, None)

    def load(self, files: tuple[str, ...], project_dir: str, environment):
        """``ModelBuilder(self).load(...)``; in the language server, the model of the previous build when
        every question its loading asked this source has the same answer again (the same interpolated
        tree, the same file existence, include environments of the same values)."""
        from composelint.assembly.loader import ModelBuilder

        if self.keeping is None:
            return ModelBuilder(self, self.first_layers).load(files, project_dir, environment)
        key = (files, project_dir, environment.key)
        kept = self.kept.get(key) if key not in self.keeping else None  # one model per deployment, as cold
        if kept is not None and all(self._answers_again(question) for question in kept[0]):
            self.keeping[key] = kept
            return kept[1]
        recorder = _Recorder(self)
        loaded = ModelBuilder(recorder, self.first_layers).load(files, project_dir, environment)
        self.keeping[key] = (recorder.questions, loaded)
        return loaded

    def _answers_again(self, question: tuple) -> bool:
        kind, args, answer = question
        if kind == "interpolated":
            return self.interpolated(*args) is answer
        if kind == "exists":
            return self.exists(*args) == answer
        return self.include_environment(*args).key == answer.key

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


class _Recorder:
    """A _DeploymentSource that notes each question a ModelBuilder asks it, and the answer."""

    def __init__(self, source: _DeploymentSource):
        self.source = source
        self.questions: list[tuple] = []

    def exists(self, relpath: str) -> bool:
        return self._note("exists", (relpath,), self.source.exists(relpath))

    def interpolated(self, relpath: str, environment) -> YMap | None:
        return self._note("interpolated", (relpath, environment), self.source.interpolated(relpath, environment))

    def include_environment(self, outer, directory: str, env_files: tuple[str, ...]):
        return self._note("include", (outer, directory, env_files),
                          self.source.include_environment(outer, directory, env_files))

    def _note(self, kind: str, args: tuple, answer):
        self.questions.append((kind, args, answer))
        return answer


def plan_and_load_deployments(loader: ProjectReader, found: FileSet, compose_files: dict,
                              sources: SourceIndex, scope=None) -> list[_Model]:
    """Find the deployments (see composelint.assembly.deployments) and merge each one's files; with a
    ``scope`` (composelint.scoping.Scope), only those it wants, planned from every compose file."""
    compose_paths = sorted(compose_files) if scope is None else sorted(set(found.compose) | set(compose_files))
    dotenv_paths = sorted(path for path in found.all_files if path.rsplit("/", 1)[-1] == ".env")
    automation = []
    for path in sorted(set(found.automation)):
        text = loader.read_quiet(path)
        if text is not None and ("compose" in text or "stack" in text):
            automation.append((path, text))
    if not (loader.config.deployments or dotenv_paths or automation or compose_paths):
        return []  # nothing names or holds a deployment (a lone Dockerfile): no planner or merger to import
    from composelint.assembly.deployments import is_document_path, mentions_deployment, name_plans, plan_deployments

    documents = []
    compose_dirs = {dirname(path) for path in compose_paths}
    for path in sorted(path for path in found.all_files if is_document_path(path, compose_dirs)):
        text = loader.read_quiet(path)
        if text is not None and mentions_deployment(text):
            documents.append((path, text))
    source = _DeploymentSource(loader, found, compose_files, sources)
    plans, defaults, problems = plan_deployments(
        config_specs=loader.config.deployments, config_path=loader.config.source or ".composelint.yaml",
        dotenv_paths=dotenv_paths, automation=automation, compose_paths=compose_paths,
        exists=source.exists, dotenv=dotenv_entries(loader, found, {}), documents=documents,
        is_dir=lambda directory: directory == "" or directory in found.directories)
    loader.problems.extend(problems)
    models = []
    covered: set[str] = set()

    def load(plan) -> _Model:
        environment = plan_environment(loader, plan)
        return _Model(plan, source.load(plan.files, plan.project_dir, environment), environment)

    def keep(model: _Model) -> None:
        loader.problems.extend(model.loaded.problems)
        models.append(model)
        covered.update(model.plan.files)
        covered.update(model.loaded.included)

    def skipped(plan) -> bool:
        if scope is None or len(models) < scope.first_deployments or scope.wants(plan):
            return False
        scope.skip(plan)
        return True

    for plan in plans:
        if not skipped(plan):
            keep(load(plan))
    for plan in defaults:  # shallowest first: a root compose.yaml that includes infra/compose.yaml covers it
        if plan.files[0] not in covered and not skipped(plan):
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


def _file_variants(loader: ProjectReader, source: _DeploymentSource, compose_files: dict, models: list[_Model],
                   covered: set[str]) -> list[_Model]:
    """Contexts for the compose files no deployment runs (issue 13: every file is linted).

    A file whose services say what they run, and name no service it does not define, is linted
    standalone, with its directory's .env. Any other file is an override fragment: linted merged
    over the deployment that runs the default files of its directory, else of the nearest ancestor
    directory that has one, with that deployment's project directory and environment.
    """
    from composelint.assembly.deployments import DEFAULT_BASES, Plan

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
            loaded = source.load(plan.files, plan.project_dir, environment)
            loader.problems.extend(loaded.problems)
            variants.append(_Model(plan, loaded, environment, kind="standalone"))
            continue
        base = base_of(path)
        if base is None:  # a layer of something composelint cannot see: only what it defines whole is linted
            directory = dirname(path)
            plan = Plan(name=path, source="fragment", origin=None, files=(path,), project_dir=directory,
                        profiles=(), env_files=(), dotenv=f"{directory}/.env" if directory else ".env")
            environment = loader.environment(directory)
            loaded = source.load(plan.files, plan.project_dir, environment)
            loader.problems.extend(problem for problem in loaded.problems if problem.span.path == path)
            variants.append(_Model(plan, loaded, environment, kind="fragment", focus=complete))
            continue
        plan = replace(base.plan, name=f"{path} over {base.plan.name}", source="fragment", files=base.plan.files + (
            path,), unresolved=(), targets=(), command="")
        loaded = source.load(plan.files, plan.project_dir, base.environment)
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
                  sources: SourceIndex, dockerfile_of: Callable, parsed=None) -> Deployment:
    """The Deployment of a loaded model: every service built, linked to its Dockerfile (``parsed``: the
    server's parse cache, see link_service)."""
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
            # A kept model (see _DeploymentSource.load) keeps the services built from its nodes.
            built = loaded.services.get((name, base_dir))
            if built is None or built[0] is not node:
                built = loaded.services[(name, base_dir)] = (
                    node, service_from_node(name, entry.key.span, node, file, base_dir, sources))
            service = built[1]
            if chain:
                service = replace(service, extends_chain=chain)
            dockerfile_of(service)
            services[name] = link_service(service, dockerfiles, parsed)
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
