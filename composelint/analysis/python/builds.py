"""The images a project builds and the files each build sees.

An :class:`ImageBuild` is a Dockerfile, its target stage and its build context, grouped over the compose
services that build it (and one build per Dockerfile no service uses). A :class:`BuildContext` is the set
of files Docker sends for one build, with ``.dockerignore`` applied.
"""

from __future__ import annotations

import bisect
import posixpath
from typing import Iterator

from composelint.analysis.image.context import context_for, sorted_files
from composelint.assembly.linking import stage_chain
from composelint.model import Dockerfile, Project, Service, Stage
from composelint.parsers.dockerfile import stage_environments
from composelint.records import record


@record
class BuildContext:
    """The files Docker sends for one build (``.dockerignore`` applied), relative to the context root."""

    root: str
    files: frozenset
    dirs: frozenset
    ordered: list

    def under(self, directory: str) -> Iterator[str]:
        if not directory:
            yield from self.ordered
            return
        prefix = directory + "/"
        index = bisect.bisect_left(self.ordered, prefix)
        while index < len(self.ordered) and self.ordered[index].startswith(prefix):
            yield self.ordered[index]
            index += 1

    def project_path(self, relpath: str) -> str:
        if not relpath:
            return self.root
        return f"{self.root}/{relpath}" if self.root else relpath


def build_context(project: Project, context: str, dockerfile_path: str | None = None) -> BuildContext:
    def compute(project: Project) -> BuildContext:
        ordered_all = sorted_files(project)
        prefix = context + "/" if context else ""
        start = bisect.bisect_left(ordered_all, prefix)
        # The image model's context, so both read one .dockerignore (a Dockerfile no service builds included)
        matcher = context_for(project, context, dockerfile_path).matcher
        files = []
        index = start
        while index < len(ordered_all) and ordered_all[index].startswith(prefix):
            relpath = ordered_all[index][len(prefix):]
            if not matcher.ignore or not matcher.is_excluded(relpath):
                files.append(relpath)
            index += 1
        dirs = {""}
        for relpath in files:
            parent = posixpath.dirname(relpath)
            while parent and parent not in dirs:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        return BuildContext(context, frozenset(files), frozenset(dirs), files)

    return project.derived(f"python_deps.context:{context}\0{dockerfile_path or ''}", compute)


def image_path(path: str, workdir: str) -> str:
    """``path`` in the image as an absolute, normalized path (a relative one is taken from ``workdir``)."""
    joined = path if path.startswith("/") else posixpath.join(workdir or "/", path)
    normalized = posixpath.normpath(joined)
    return "/" + normalized.lstrip("/")


@record(frozen=True)
class ImageBuild:
    """One image the project builds: a Dockerfile, its target stage and its build context."""

    dockerfile: Dockerfile
    stage: Stage
    context: str
    services: tuple  # Service: the compose services that build it (empty: a Dockerfile no service uses)


def image_builds(project: Project) -> tuple[ImageBuild, ...]:
    return project.derived("python_deps.builds", _compute_builds)


def builds_of(project: Project, dockerfile_path: str) -> tuple[ImageBuild, ...]:
    """The builds of one Dockerfile (indexed once, so that asking per Dockerfile stays linear)."""
    def index(project: Project) -> dict[str, tuple[ImageBuild, ...]]:
        grouped: dict[str, list[ImageBuild]] = {}
        for build in image_builds(project):
            grouped.setdefault(build.dockerfile.path, []).append(build)
        return {path: tuple(builds) for path, builds in grouped.items()}

    return project.derived("python_deps.builds_by_dockerfile", index).get(dockerfile_path, ())


def _all_services(project: Project) -> Iterator[Service]:
    for compose in project.compose_files.values():
        yield from compose.services.values()
    for deployment in project.deployments:
        yield from deployment.services.values()


def _compute_builds(project: Project) -> tuple[ImageBuild, ...]:
    groups: dict[tuple[str, int, str], dict[str, Service]] = {}
    dockerfiles: dict[str, Dockerfile] = {}
    for service in _all_services(project):
        build = service.build
        if build is None or service.dockerfile is None or service.stage is None or build.context_path is None:
            continue
        key = (service.dockerfile.path, service.stage.index, build.context_path)
        dockerfiles[service.dockerfile.path] = service.dockerfile
        groups.setdefault(key, {}).setdefault(service.name, service)
    builds = [ImageBuild(dockerfiles[path], dockerfiles[path].stages[index], context, tuple(services.values()))
              for (path, index, context), services in groups.items()]
    used = {build.dockerfile.path for build in builds}
    for path, dockerfile in project.dockerfiles.items():
        if path not in used and dockerfile.stages:
            builds.append(ImageBuild(dockerfile, dockerfile.stages[-1], posixpath.dirname(path), ()))
    builds.sort(key=lambda b: (b.dockerfile.path, b.stage.index, b.context))
    return tuple(builds)


def shipped_stages(project: Project, dockerfile: Dockerfile) -> frozenset:
    """Indexes of the stages whose layers end up in an image that runs: targets and their FROM chains."""
    # Asked by five image-size rules for every Dockerfile: worked out once per run.
    memo = project.facts.table("python_deps.shipped_stages")
    found = memo.get(dockerfile.path)
    if found is None or found[0] is not dockerfile:
        found = memo[dockerfile.path] = (dockerfile, _shipped_stages(project, dockerfile))
    return found[1]


def _shipped_stages(project: Project, dockerfile: Dockerfile) -> frozenset:
    targets = {build.stage.index for build in builds_of(project, dockerfile.path)}
    if dockerfile.stages:
        targets.add(len(dockerfile.stages) - 1)
    result: set[int] = set()
    for index in targets:
        result.update(stage_chain_of(dockerfile, index))
    return frozenset(result)


def stage_chain_of(dockerfile: Dockerfile, index: int) -> list[int]:
    """The indexes of the stage and the earlier stages it is built FROM, nearest first."""
    return [stage.index for stage in stage_chain(dockerfile, dockerfile.stages[index])]


def stage_environments_of(project: Project, dockerfile: Dockerfile) -> list[dict[str, str]]:
    """Build args and ENV values in force at the end of each stage, by stage index (computed once per
    Dockerfile; callers must not change them)."""
    return project.derived(f"python_deps.stage_environments:{dockerfile.path}",
                           lambda p: stage_environments(dockerfile))


def default_context(project: Project, dockerfile: Dockerfile) -> str:
    """The build context compose uses for this Dockerfile, else the Dockerfile's own directory."""
    contexts = sorted({build.context for build in builds_of(project, dockerfile.path) if build.services})
    if contexts:
        return contexts[0]
    return posixpath.dirname(dockerfile.path)
