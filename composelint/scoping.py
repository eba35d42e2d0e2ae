"""What a run over some paths of a repository models: what can bear on those paths, not the whole
repository (issue 19: `composelint services/api` in a monorepo should not pay for every other service).

The findings of a run over paths are those of the whole repository's model that involve the paths
(engine's ``only_paths`` filter). Modelled here is the part of the repository that can change them:

- the compose files and Dockerfiles under the paths;
- every deployment that runs one of the modelled compose files (automation's ``-f`` lists,
  ``COMPOSE_FILE`` in a ``.env``, the defaults), and with it its other files, includes and bases;
- the deployments whose default files sit in a directory above a modelled file (a fragment is
  linted over the nearest of them), the first two of the repository when a modelled file is one no
  deployment runs (CL102's help names them), and
  those with a file named by a variable (``-f "$OVERRIDE"``: no file it may be is called undeployed);
- every other compose file that may refer to what is modelled: one whose text names a modelled
  file's directory, a modelled build context or Dockerfile, or a service name that the deployment
  graph could not resolve within a deployment (CL101's "defined in", CL102's shadowing and
  needers), or an image the model runs without building it (built elsewhere: CL304), or whose
  paths hold a variable; one in the directory of a modelled file or build context.

The planner still reads all of the repository's automation, ``.env`` files and documentation (text,
cheap): which deployments exist does not change. Deciding which compose files refer to the model
takes a plain text search of the others, never a parse. The model is then built; when it brings in
something that widens the set (a base file another deployment also runs, a name only an undeployed
file defines), it is built again with the wider set, until nothing more is found.
"""

from __future__ import annotations

import re

from composelint.assembly.discovery import FileSet, is_compose_name, is_dockerfile_name
from composelint.assembly.reading import read_text
from composelint.imageref import parse_image_ref
from composelint.relpaths import dirname, parents, resolve_relative

# CL102's help for a service nothing needs names the repository's first two deployments.
FIRST_DEPLOYMENTS = 2
# Rebuilds before falling back to the whole repository (each round only widens the set), and the share
# of the repository's compose files (1 / WHOLE_SHARE) past which the whole repository is modelled at once.
MAX_ROUNDS = 4
WHOLE_SHARE = 3
# A path-bearing line whose value holds a variable: what it names cannot be told from the text.
_DYNAMIC = re.compile(r"(?m)^[^#\n]*\b(?:include|extends|file|path|context|dockerfile|build|env_file|"
                      r"project_directory)\b[^#\n]*\$")
# An `include:` list's item holding a variable.
_DYNAMIC_ITEM = re.compile(r"(?m)^\s*-\s*[^#\n:]*\$")


_IMAGE = re.compile(r"""(?m)^[ \t]*(?:-[ \t]*)?image[ \t]*:[ \t]*["']?([^\s"'#]+)""")
_PATH_WORD = re.compile(r"""[^\s"'\[\]{},#]+""")
_PARENT_WORD = re.compile(r"""[^\s"'\[\]{},#]*\.\.[^\s"'\[\]{},#]*""")


def _words(tokens, after: str = r"\w.-") -> re.Pattern | None:
    """One pattern finding any of ``tokens`` as a whole word of a path or a name (not followed by ``after``)."""
    tokens = sorted({token for token in tokens if token and token not in (".", "..")}, key=len, reverse=True)
    if not tokens:
        return None
    return re.compile(r"(?<![\w.$-])(?:" + "|".join(map(re.escape, tokens)) + r")(?![" + after + "])")


class Scope:
    """The part of a repository one run models, widened round by round (see :func:`build_scoped_project`)."""

    def __init__(self, found: FileSet, only_paths, max_bytes: int) -> None:
        self.found = found
        self.only_paths = only_paths
        self.max_bytes = max_bytes
        self.compose = {path for path in found.compose if path in only_paths}
        self.dockerfiles: set[str] = set()
        self.texts: dict[str, str] = {}
        self.skipped: list = []
        self._ancestor_dirs: set[str] | None = None
        # How many of the repository's first deployments are loaded whatever they run: none until a
        # file of the paths turns out undeployed (CL102 names them).
        self.first_deployments = 0

    def models(self, relpath: str) -> bool:
        """Whether a compose file or Dockerfile the walk found is loaded from the start."""
        return relpath in self.compose or relpath in self.dockerfiles or relpath in self.only_paths

    def wants(self, plan) -> bool:
        """Whether a deployment (a planned one, or a directory's defaults) is loaded."""
        files = plan.files
        if plan.unresolved:
            return True  # `-f "$OVERRIDE"` may run any file: none of them is called undeployed (CL102)
        if any(path in self.compose or path in self.only_paths for path in files):
            return True
        if any(path in self.only_paths for path in (*plan.env_files, plan.project_dir, plan.dotenv or "")
               if path):
            return True
        if files and is_compose_name(files[0].rsplit("/", 1)[-1]):
            if self._ancestor_dirs is None:
                self._ancestor_dirs = {directory for path in self.compose for directory in parents(dirname(path))}
            return dirname(files[0]) in self._ancestor_dirs
        return False

    def skip(self, plan) -> None:
        self.skipped.append(plan)

    def widen(self, project) -> bool:
        """Add what the built ``project`` shows can bear on the paths; whether it must be built again."""
        bearing = _Bearing(project, self.compose, self.only_paths)
        added = set()
        for plan in self.skipped:
            if any(path in bearing.files for path in plan.files):
                added.update(plan.files)
        for path in sorted(set(self.found.compose) - self.compose - bearing.files - added):
            if bearing.refers(path, self._text(path)):
                added.add(path)
        dockerfiles = self._named_builds(project)
        self.dockerfiles |= dockerfiles
        # What the model loaded on demand for the paths counts as theirs from now on (with its directories' defaults).
        self.compose |= bearing.files | added
        self._ancestor_dirs = None
        widened = bool(added - bearing.files or dockerfiles) or any(self.wants(plan) for plan in self.skipped)
        if bearing.undeployed and self.first_deployments < FIRST_DEPLOYMENTS:
            self.first_deployments = FIRST_DEPLOYMENTS
            widened = True
        self.skipped = []
        return widened

    def _text(self, path: str) -> str:
        text = self.texts.get(path)
        if text is None:
            text = self.texts[path] = read_text(self.found.root, path, self.max_bytes).text or ""
        return text

    def _named_builds(self, project) -> set[str]:
        """Dockerfiles built (by the automation's `docker build`) with a context under the linted paths."""
        from composelint.assembly.created import project_named_contexts

        found = set()
        for dockerfile, contexts in project_named_contexts(project).items():
            if dockerfile not in project.dockerfiles and dockerfile in self.found.all_files and any(
                    context.context is not None and context.context in self.only_paths for context in contexts):
                found.add(dockerfile)
        return found


def _builds_in(service, only_paths) -> bool:
    build = service.build
    return build is not None and (build.context_path is not None and build.context_path in only_paths
                                  or build.dockerfile_path is not None and build.dockerfile_path in only_paths)


class _Bearing:
    """What of a built model bears on the linted paths: the deployments and variants that run a file of
    the scope or build under the paths, their files, services, build contexts and Dockerfiles; and
    whether another compose file's text may refer to them."""

    def __init__(self, project, compose: set[str], only_paths) -> None:
        contexts, others = [], []
        for context in (*project.deployments, *project.variants):
            touches = any(path in compose for path in (*context.files, *context.included)) or any(
                _builds_in(service, only_paths) for service in context.services.values())
            (contexts if touches else others).append(context)
        # Loaded only for a deployment that does not touch the paths (the first two): not theirs.
        theirs = {path for context in contexts for path in (*context.files, *context.included)}
        foreign = {path for context in others for path in (*context.files, *context.included)} - theirs
        self.files = theirs | (set(project.compose_files) - foreign)
        services = [service for context in contexts for service in context.services.values()]
        services += [service for path in sorted(self.files) if path in project.compose_files
                     for service in project.compose_files[path].services.values()]
        self.contexts = {service.build.context_path for service in services
                         if service.build is not None and service.build.context_path is not None}
        dockerfiles = {service.build.dockerfile_path for service in services
                       if service.build is not None and service.build.dockerfile_path}
        dockerfiles.update(path for path in project.dockerfiles if path in only_paths)
        self.dirs = {dirname(path) for path in (*self.files, *dockerfiles)} | self.contexts
        # What a path written in another file may name: these, or a directory above or below one of them.
        self.resources = self.files | self.contexts | dockerfiles | set(only_paths) | set(
            getattr(only_paths, "beside", ()))
        words = {context.rsplit("/", 1)[-1] for context in self.contexts}
        for path in (*self.files, *dockerfiles):
            directory, _, name = path.rpartition("/")
            if directory:
                words.add(directory.rsplit("/", 1)[-1])
            if not (is_compose_name(name) or is_dockerfile_name(name)):
                words.add(name)
        # A path is no mapping key: `services:` does not name a directory `services`.
        self.paths = _words(words, r"\w.:-")
        names, self.undeployed = _names(project, self.files, {id(context) for context in contexts})
        self.names = _words(names)
        self.images = {_image_name(service.image.value) for service in services
                       if service.image is not None and service.get("build") is None}

    def refers(self, path: str, text: str) -> bool:
        """Whether the compose file at ``path`` may refer to what bears on the paths (see the module)."""
        if dirname(path) in self.dirs:
            return True  # `build: .`, `extends: {file: base.yaml}`
        if ".." in text and any(self._names_resource(path, text, match.start())
                                for match in _PARENT_WORD.finditer(text)):
            return True  # `build: ../`, `include: ../compose.yaml`
        if _DYNAMIC.search(text) or "include" in text and _DYNAMIC_ITEM.search(text):
            return True
        if self.images and "build" in text and any(_image_name(match.group(1)) in self.images
                                                   and _beside_build(text, match.start())
                                                   for match in _IMAGE.finditer(text)):
            return True  # it may build an image the model runs (CL304 does not call a local build unpinned)
        if self.names is not None and self.names.search(text):
            return True
        return self.paths is not None and any(self._names_resource(path, text, match.start())
                                              for match in self.paths.finditer(text))

    def _names_resource(self, path: str, text: str, offset: int) -> bool:
        """Whether the path written around ``offset`` in the file at ``path`` resolves to (above or below)
        one of the resources: `build: proxy` in another directory names another `proxy`."""
        start = text.rfind("\n", 0, offset) + 1
        end = text.find("\n", offset)
        line = text[start:end if end >= 0 else len(text)]
        if "dockerfile" in line.lower():
            return True  # relative to a build context this line may not show
        word = next((match.group() for match in _PATH_WORD.finditer(line)
                     if match.start() <= offset - start < match.end()), "")
        base = dirname(path)
        for candidate in {word, word.split(":", 1)[0]}:  # `./conf:/etc/nginx/conf.d`: the source
            resolved = resolve_relative(base, candidate)
            if resolved is not None and any(
                    resolved == resource or resolved.startswith(resource + "/") or resource.startswith(resolved + "/")
                    or resolved == "" for resource in self.resources):
                return True
        return False


def _beside_build(text: str, offset: int) -> bool:
    """Whether the `image:` at ``offset`` has a `build` beside it: a key at its indentation in its block."""
    lines = text.split("\n")
    index = text.count("\n", 0, offset)
    line = lines[index]
    if "build" in line:
        return True  # a flow mapping
    indent = len(line) - len(line.lstrip(" -"))
    for step in (-1, 1):
        other = index + step
        while 0 <= other < len(lines):
            stripped = lines[other].lstrip(" ")
            if stripped and not stripped.startswith("#"):
                depth = len(lines[other]) - len(stripped)
                if depth < indent:
                    break
                if depth == indent and stripped.startswith("build"):
                    return True
            other += step
    return False


def _image_name(image: str) -> str:
    """The last component of an image's repository (`nginx` of `docker.io/library/nginx:1.27`)."""
    return parse_image_ref(image).path.rsplit("/", 1)[-1]


def _names(project, files: set[str], contexts: set[int]) -> tuple[set[str], bool]:
    """Service names and hosts another compose file could define or need: those the deployment graph
    resolves outside a deployment, or that only an undeployed file defines; and whether one of ``files``
    is undeployed."""
    from composelint.graph import graph_of
    from composelint.graph.references import own_hosts

    names: set[str] = set()
    if not project.compose_files:
        return names, False
    graph = graph_of(project)
    undeployed = False
    for path, scope in graph.file_scopes.items():
        if path in files:
            undeployed = True
            for service in scope.services.values():
                names.update(own_hosts(service))
    for reference in graph.references():
        source = reference.source
        if source.file not in files and id(source.deployment) not in contexts:
            continue
        if reference.target.kind != "service" or reference.target.deployment is None:
            names.add(reference.name)
            names.add(reference.target.name)
    return names, undeployed


def build_scoped_project(root, config, overrides, found: FileSet, only_paths, dockerfiles_parsed=None):
    """The model of what can bear on ``only_paths`` (see the module's docstring); ``dockerfiles_parsed``: as
    build_project's, called in every round."""
    from composelint.assembly.project import build_project

    scope = Scope(found, only_paths, config.limits.max_file_size)
    for _ in range(MAX_ROUNDS):
        project = build_project(root, config, overrides, found, scope=scope, dockerfiles_parsed=dockerfiles_parsed)
        if not scope.widen(project):
            return project
        if len(scope.compose) * WHOLE_SHARE > len(set(found.compose)):
            break  # most of the repository bears on the paths: one whole build costs less than more rounds
    return build_project(root, config, overrides, found, dockerfiles_parsed=dockerfiles_parsed)
