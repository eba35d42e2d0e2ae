"""The container a start command runs in: the image seen through a service's mounts and settings.

:class:`ServiceView` lays a service's bind mounts, volumes and ``working_dir`` over the image (the
overlay itself is :mod:`composelint.analysis.mounts`). :func:`start_targets` lists every start
command to check: each service's effective command, and the CMD/ENTRYPOINT of Dockerfiles that no
service builds. Everything is cached per project.
"""

from __future__ import annotations

import posixpath
import re
from typing import Mapping

from composelint.analysis.commands.tables import NODE_MANAGERS, SCRIPTS_BY_NAME
from composelint.analysis.image.base import BaseInfo, base_info, is_system_path
from composelint.analysis.image.builds import all_services, built_dockerfiles, unbuilt_contexts
from composelint.analysis.image.context import context_for
from composelint.analysis.image.model import ImageModel, Lookup, model_for
from composelint.analysis.image.paths import ABSENT, DEFAULT_PATH, PRESENT, UNKNOWN, norm
from composelint.analysis.mounts import Mount, project_mounts, through_mount
from composelint.diagnostics import Position, Related, Span
from composelint.model import Deployment, Dockerfile, EffectiveCommand, Instruction, Service, Stage
from composelint.parsers.package_json import scripts_of
from composelint.records import record
from composelint.sourcetext import source_text


class ServiceView:
    """The container of one service (or of an image no service runs): image plus mounts."""

    def __init__(self, project, model: ImageModel | None, base: BaseInfo | None, mounts: list[Mount],
                 mounts_complete: bool, working_dir: str | None, environment: Mapping[str, str]) -> None:
        self.project = project
        self.model = model
        self.base = model.base if model is not None else base
        self.mounts = mounts
        self.mounts_complete = mounts_complete
        self.working_dir = working_dir
        self.environment = dict(environment)

    @property
    def known(self) -> bool:
        return self.base is not None and self.base.known

    def cwd(self) -> str | None:
        """The working directory of the container, or None when unknown."""
        if self.working_dir is not None:
            return self.working_dir if self.working_dir.startswith("/") else None
        if self.model is not None:
            if not self.model.workdir_known:
                return None
            return self.model.workdir or "/"
        if self.base is not None and self.base.workdir_known:
            return self.base.workdir or "/"
        return None

    def env(self) -> dict[str, str]:
        env = dict(self.model.env) if self.model is not None else {}
        env.update(self.environment)
        return env

    def mount_for(self, path: str) -> Mount | None:
        best = None
        for mount in self.mounts:
            target = mount.target
            if path == target or path.startswith(target.rstrip("/") + "/") or target == "/":
                if best is None or len(target) >= len(best.target):
                    best = mount
        return best

    def file(self, path: str, want: str = "file") -> Lookup:
        """Whether ``path`` is in the container: the mount over it decides (see analysis.mounts), else the image."""
        path = norm(path)
        if not self.mounts_complete:
            return Lookup(UNKNOWN, why="volumes_from")
        if want != "file":
            for mount in self.mounts:
                if mount.target.startswith(path.rstrip("/") + "/"):
                    return Lookup(PRESENT, why="mount point", mount=mount)
        mount = self.mount_for(path)
        if mount is not None:
            return through_mount(self, mount, path, want)
        return self.image_file(path, want)

    def image_file(self, path: str, want: str = "file") -> Lookup:
        """Whether ``path`` is in the image itself, mounts aside."""
        if self.model is not None:
            return self.model.lookup(path, want=want)
        if self.base is None or self.base.kind == "unknown":
            return Lookup(UNKNOWN, why="unknown image")
        if self.base.kind == "scratch":
            return Lookup(ABSENT, why="scratch")
        if is_system_path(path, self.base):
            return Lookup(UNKNOWN, why="system path")
        if self.base.workdir and path == self.base.workdir and want != "file":
            return Lookup(PRESENT)
        return Lookup(ABSENT, why="not in base")

    def program(self, name: str) -> tuple[str, str]:
        if self.model is not None:
            state, why = self.model.program(name)
        elif self.base is None:
            return UNKNOWN, "no image"
        else:
            state = self.base.program(name)
            why = f"{self.base.describe()} ships it" if state == PRESENT else "base"
        if state == ABSENT and self.mounts:
            for directory in DEFAULT_PATH:
                found = self.file(posixpath.join(directory, name), want="any")
                if found.mount is not None and found.state != ABSENT:
                    return UNKNOWN, "mounted"
        if state == PRESENT and why == "copied" and self.mounts and self.hidden_program(name) is not None:
            return ABSENT, "hidden by a mount"
        return state, why

    def hidden_program(self, name: str) -> tuple[Mount, str, Lookup] | None:
        """(mount, path, image lookup) when the image puts ``name`` on PATH only where a mount hides it."""
        if self.model is None:
            return None
        hidden = None
        for directory in self.model.path_dirs():
            path = posixpath.join(directory, name)
            found = self.file(path, want="any")
            if found.state == PRESENT or (found.state == UNKNOWN and found.why not in ("system path", "unknown base")):
                return None
            if found.mount is not None and hidden is None:
                image = self.model.lookup(path, want="any", program_mode=True)
                if image.state == PRESENT:
                    hidden = (found.mount, path, image)
        return hidden


@record(frozen=True)
class StartTarget:
    """One start command to check, with the container it runs in."""

    start: EffectiveCommand
    view: ServiceView | None
    service: Service | None = None
    deployment: Deployment | None = None
    dockerfile: Dockerfile | None = None
    stage: Stage | None = None
    model: ImageModel | None = None

    @property
    def subject(self) -> str | None:
        return f"service '{self.service.name}'" if self.service is not None else None

    @property
    def who(self) -> str:
        if self.service is not None:
            return f"service '{self.service.name}'"
        return "the image"

    def argv_semantics(self) -> str:
        """How the container treats the start command's first word.

        "direct": it is the program that runs; "node": node's entrypoint may run it with node;
        "prefix": the image's ENTRYPOINT program comes first (distroless); "unknown".
        """
        if self.start.entrypoint is not None:
            return "direct"
        base = self.view.base if self.view is not None else None
        if base is None or not base.known:
            return "unknown"
        entrypoint = base.entrypoint
        if entrypoint in ("none", None) and base.kind == "scratch":
            return "direct"
        if entrypoint == "none":
            return "direct"
        if entrypoint == "exec":
            words = self.start.argv
            return "direct" if words and not words[0].startswith("-") else "unknown"
        if entrypoint == "node":
            return "node"
        if isinstance(entrypoint, tuple):
            return "prefix"
        return "unknown"

    def notes(self, primary: Span | None) -> tuple[Related, ...]:
        """Notes for a finding at ``primary``: the other file involved (Dockerfile or compose file)."""
        notes: list[Related] = []
        path = primary.path if primary is not None else None
        if self.service is not None and path is not None and path != self.service.file and \
                not path.endswith((".yml", ".yaml")):
            notes.append(Related(self.service.name_span, f"service '{self.service.name}' runs this image"))
        if self.dockerfile is not None and self.stage is not None and path is not None and \
                path != self.dockerfile.path:
            instruction = self.stage.from_instruction
            base = self.model.base.describe() if self.model is not None else f"`{self.stage.base_resolved}`"
            notes.append(instruction_note(instruction, f"the image is built from `{self.dockerfile.path}`, "
                                                       f"FROM {base}"))
        if self.service is not None:
            from composelint.analysis.service_facts import context_notes

            notes.extend(context_notes(self.deployment, self.service))
        return tuple(notes)


def service_view(project, service: Service) -> ServiceView | None:
    """The container a service runs in, or None when nothing is known about its image."""
    cache = project.facts.table("image.views")
    key = id(service)
    hit = cache.get(key)
    if hit is not None and hit[0] is service:
        return hit[1]
    view = _service_view(project, service)
    cache[key] = (service, view)
    return view


def _service_view(project, service: Service) -> ServiceView | None:
    from composelint.yamltree import scalar_text

    if _wasm(scalar_text(service.get("platform")) or "") or "wasm" in (scalar_text(service.get("runtime")) or ""):
        return None  # a WebAssembly runtime: the entrypoint is a module file, not a Linux program
    mounts, complete = project_mounts(project, service, _deployment_of(project, service))
    working_dir_node = service.get("working_dir")
    working_dir = scalar_text(working_dir_node) if working_dir_node is not None else None
    environment = {key: value.value for key, value in service.environment.items() if value.value is not None}
    model = None
    base = None
    if service.build is not None:
        if service.dockerfile is None or service.stage is None:
            return None
        context = context_for(project, service.build.context_path, service.build.dockerfile_path)
        args = {key: value.value for key, value in service.build.args.items() if value.value is not None}
        model = model_for(project, service.dockerfile, service.stage, context, args)
    elif service.image is not None:
        base = base_info(service.image.value)
    else:
        return None
    return ServiceView(project, model, base, mounts, complete, working_dir, environment)


def _deployment_of(project, service: Service) -> Deployment | None:
    """The deployment a service object belongs to (its relative paths resolve as that deployment says)."""
    owners = project.derived("image.service_deployments", lambda p: {
        id(s): (s, deployment) for deployment in p.deployments for s in deployment.services.values()})
    hit = owners.get(id(service))
    return hit[1] if hit is not None and hit[0] is service else None


def _wasm(platform: str) -> bool:
    return "wasi" in platform.lower() or "wasm" in platform.lower()


def start_targets(project) -> list[StartTarget]:
    """Every start command to check: services' effective commands, then unused Dockerfiles' own."""
    return project.derived("image.start_targets", _start_targets)


def _start_targets(project) -> list[StartTarget]:
    from composelint.assembly.linking import image_start

    targets: list[StartTarget] = []
    for deployment, service in all_services(project):
        start = service.effective_start
        if start is None:
            continue
        view = service_view(project, service)
        targets.append(StartTarget(start, view, service, deployment, service.dockerfile, service.stage,
                                   view.model if view is not None else None))
    used = built_dockerfiles(project)
    for path, dockerfile in project.dockerfiles.items():
        if path in used or not dockerfile.stages:
            continue
        stage = dockerfile.stages[-1]
        entrypoint, cmd, complete = image_start(dockerfile, stage)
        if entrypoint is None and cmd is None:
            continue
        if any(_wasm(s.platform or "") for s in dockerfile.stages) or any(
                word.text.endswith(".wasm") for part in (entrypoint, cmd) if part for word in part.words):
            continue
        start = EffectiveCommand(entrypoint, cmd, complete)
        context = context_for(project, unbuilt_contexts(project, path)[0][0], path)
        model = model_for(project, dockerfile, stage, context)
        view = ServiceView(project, model, None, [], True, None, {})
        targets.append(StartTarget(start, view, None, None, dockerfile, stage, model))
    return targets


def instruction_note(instruction: Instruction, message: str) -> Related:
    span = instruction.span
    if span.end is not None and span.end.line != span.start.line:
        span = Span(span.path, span.start, Position(span.start.line, span.start.column + len(instruction.keyword)))
    return Related(span, message)


_DEV_NAME = re.compile(r"(?:^|[-_.])(?:dev|devel|develop|development|debug|local|dev-envs?|devcontainer)(?:[-_.]|$)",
                       re.IGNORECASE)


def dev_intent(target: StartTarget) -> bool:
    """Whether the service or image says it is for development (target, compose file, profile, stage)."""
    service = target.service
    if service is not None:
        if service.build is not None and service.build.target is not None and \
                _DEV_NAME.search(service.build.target.value or ""):
            return True
        name = posixpath.basename(service.file)
        stem = name.rsplit(".", 1)[0]
        if _DEV_NAME.search(stem.replace("docker-compose", "").replace("compose", "")):
            return True
        if any(_DEV_NAME.search(profile) for profile in service.profiles):
            return True
        return False
    return target.stage is not None and target.stage.name is not None and bool(_DEV_NAME.search(target.stage.name))


def package_scripts(project, target: StartTarget, invocation) -> tuple[str, str, Span | None, object] | None:
    """For `npm start` / `npm run x` / `yarn x`: (script label, script text, where it is defined, word)."""
    from composelint.analysis.commands.installs import _first_operand

    words = invocation.words
    name = invocation.name
    if name not in NODE_MANAGERS or target.view is None:
        return None
    operand = _first_operand(words, 1)
    if operand is None:
        return None
    index, verb = operand
    word = words[index]
    if verb in ("run", "run-script"):
        following = _first_operand(words, index + 1)
        if following is None:
            return None
        script, word = following[1], words[following[0]]
    elif verb == "start" or (name in SCRIPTS_BY_NAME and verb not in ("install", "add", "exec", "dlx", "global",
                                                                     "create")):
        script = verb
    else:
        return None
    cwd = invocation.cwd if invocation.cwd and invocation.cwd.startswith("/") else target.view.cwd()
    if cwd is None or invocation.cwd_unknown:
        return None
    found = target.view.file(posixpath.join(cwd, "package.json"))
    if found.state != PRESENT or not found.context_path:
        return None
    host_path = found.context_path
    if (found.mount is None or found.mount.kind != "bind") and target.view.model is not None:
        host_path = target.view.model.context.full(found.context_path)
    text = project.read_text(host_path)
    entry = scripts_of(text).get(script) if text else None
    if entry is None:
        return None
    span = None
    if entry.key is not None:
        source = source_text(text)
        number, column = source.position(entry.key)
        span = Span(host_path, Position(number, column), Position(number, len(source.line(number).rstrip()) + 1))
    body = entry.command
    label = f"{name} {'run ' if verb in ('run', 'run-script') else ''}{script}"
    return label, body, span, word
