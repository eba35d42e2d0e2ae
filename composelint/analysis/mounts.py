"""A service's mounts laid over its image, as Docker lays them: the facts behind CL203, CL207 and CL208.

* A bind mount of a host directory **replaces** the image's content under its target with the
  directory as it is on the host: the repository's files (``project.files``, and the disk for
  directories), except what the repository's own automation or ``.gitignore`` says is made before
  ``up`` (build outputs, ``mkdir -p data``): there the content is unknown, never absent.
* A bind of a relative source that does not exist: the short syntax (and the long one unless
  ``bind.create_host_path: false``) makes Docker create an **empty directory** and mount it, so
  the target is empty; with ``create_host_path: false`` Compose refuses to start the service.
* A named or anonymous volume starts as a copy of the image's content, but only when it is new:
  what the image has is there on the first run; what it lacks may have been written since.
* ``tmpfs`` starts empty; a config or secret is one file at its target.

Absolute, ``~`` and ``$VAR`` bind sources are host-specific: their content is unknown.
"""

from __future__ import annotations

import posixpath
import re
from typing import Iterator

from composelint.analysis.image.builds import all_services
from composelint.analysis.image.context import sorted_files
from composelint.analysis.image.model import Lookup
from composelint.analysis.image.paths import ABSENT, PRESENT, SKIP_DIRS, UNKNOWN, clean_rel, norm
from composelint.diagnostics import Span
from composelint.records import record

# What a bind source is on the host: a directory or a file of the repository, missing (Docker creates
# an empty directory), made before `up` by the repository's automation (content unknown), or outside.
DIRECTORY, FILE, MISSING, CREATED, OUTSIDE = "directory", "file", "missing", "created", "outside"


@record(frozen=True)
class Mount:
    target: str
    kind: str  # "bind" | "volume" | "tmpfs" | "config" | "secret"
    host: str | None  # project-relative host path of a bind mount inside the project
    span: Span
    source: str = ""  # as written: `./src`, `app-data`, "" for an anonymous volume
    long_syntax: bool = False
    create_host_path: bool = True  # long syntax `bind.create_host_path: false` turns it off
    nocopy: bool = False  # `volume.nocopy: true`: the volume is never filled from the image
    source_span: Span | None = None  # the long syntax's `source:` value

    def written(self) -> str:
        """How the mount reads in the compose file, for messages."""
        if self.kind == "tmpfs":
            return f"`{self.target}`"
        if not self.source:
            return f"`{self.target}`"
        return f"`{self.source}:{self.target}`"

    def describe(self) -> str:
        if self.kind == "bind":
            return f"the bind mount {self.written()}"
        if self.kind == "volume":
            return f"the named volume {self.written()}" if self.source else \
                f"the anonymous volume {self.written()}"
        if self.kind == "tmpfs":
            return f"the tmpfs at {self.written()}"
        return f"the {self.kind} {self.written()}"


def project_mounts(project, service, deployment=None) -> tuple[list[Mount], bool]:
    """:func:`mounts_of`, read once per run for each service (and the deployment it is linted in):
    the image views and the mount rules all ask (224 times for 81 services on awesome-compose)."""
    cache = project.facts.table("mounts.of")
    key = (id(service), id(deployment))
    hit = cache.get(key)
    if hit is not None and hit[0] is service and hit[1] is deployment:
        return hit[2]
    found = mounts_of(service, deployment)
    cache[key] = (service, deployment, found)
    return found


def mounts_of(service, deployment=None) -> tuple[list[Mount], bool]:
    """The service's mounts, and False when something mounts content we cannot see (volumes_from)."""
    from composelint.parsers.compose import resolve_path
    from composelint.yamltree import YMap, YScalar, YSeq, scalar_text

    mounts: list[Mount] = []
    complete = True
    def base_dir(item) -> str:
        # Compose's rule: the project directory for the -f files, an included or extended file's own
        # directory for what it wrote; outside a deployment, the directory of the file.
        path = item.span.path or service.file
        if deployment is not None and path in deployment.files + deployment.included:
            return deployment.base_dir(path)
        return path.rsplit("/", 1)[0] if "/" in path else ""

    node = service.get("volumes")
    items = node.items if isinstance(node, YSeq) else ()
    for item in items:
        if isinstance(item, YScalar):
            text = scalar_text(item) or ""
            parts = text.split(":")
            if len(parts) >= 2 and len(parts[0]) == 1 and parts[0].isalpha():  # C:\path
                parts = [parts[0] + ":" + parts[1]] + parts[2:]
            if len(parts) == 1:
                mounts.append(Mount(norm(parts[0]), "volume", None, item.span))
                continue
            source, target = parts[0], parts[1]
            if not target.startswith("/"):
                complete = False
                continue
            options = parts[2].split(",") if len(parts) > 2 else []
            if source.startswith((".", "/", "~")) or "$" in source or "\\" in source:
                host = resolve_path(base_dir(item), source) if source.startswith(".") and \
                    not _interpolated_source(item) else None
                mounts.append(Mount(norm(target), "bind", host, item.span, source))
            else:
                mounts.append(Mount(norm(target), "volume", None, item.span, source, nocopy="nocopy" in options))
        elif isinstance(item, YMap):
            kind = scalar_text(item.get("type")) or "volume"
            target = scalar_text(item.get("target")) or ""
            source = scalar_text(item.get("source")) or ""
            if not target.startswith("/"):
                complete = False
                continue
            source_node = item.get("source")
            host = resolve_path(base_dir(item), source) if kind == "bind" and source.startswith(".") and \
                not _interpolated_source(source_node) else None
            bind = item.get("bind")
            volume = item.get("volume")
            create = scalar_text(bind.get("create_host_path")) if isinstance(bind, YMap) else None
            nocopy = scalar_text(volume.get("nocopy")) if isinstance(volume, YMap) else None
            mounts.append(Mount(norm(target), kind if kind in ("bind", "tmpfs") else "volume", host, item.span,
                                source, True, create != "false", nocopy == "true",
                                source_node.span if source_node is not None else None))
    tmpfs = service.get("tmpfs")
    for item in (tmpfs.items if isinstance(tmpfs, YSeq) else (tmpfs,) if isinstance(tmpfs, YScalar) else ()):
        text = (scalar_text(item) or "").split(":")[0]
        if text.startswith("/"):
            mounts.append(Mount(norm(text), "tmpfs", None, item.span))
    for key, default_dir in (("configs", "/"), ("secrets", "/run/secrets/")):
        node = service.get(key)
        for item in node.items if isinstance(node, YSeq) else ():
            name = scalar_text(item) if isinstance(item, YScalar) else scalar_text(item.get("source")) \
                if isinstance(item, YMap) else None
            target = scalar_text(item.get("target")) if isinstance(item, YMap) else None
            if not name:
                continue
            where = target if target and target.startswith("/") else (
                default_dir + (target or name) if default_dir == "/run/secrets/" or not target else "/" + target)
            mounts.append(Mount(norm(where), key[:-1], None, item.span))
    if service.get("volumes_from") is not None:
        complete = False
    return mounts, complete


def _interpolated_source(node) -> bool:
    """Whether a bind source was written with a variable (`${SRC:-./src}:/app`): the value on the host that
    runs `up` may differ from the default composelint sees, so the source counts as host-specific."""
    raw = getattr(node, "raw", None)  # the text before interpolation, when interpolation changed it
    return bool(raw) and "$" in raw.split(":", 1)[0]


def inner_path(mount: Mount, path: str) -> str:
    """``path`` relative to the mount's target ("" for the target itself)."""
    if mount.target == "/":
        return path.lstrip("/")
    return path[len(mount.target):].lstrip("/")


# --------------------------------------------------------------------------- bind sources


def bind_source(project, mount: Mount) -> str:
    """What a bind mount's source is on the host (DIRECTORY, FILE, MISSING, CREATED or OUTSIDE)."""
    host = mount.host
    if mount.kind != "bind" or host is None:
        return OUTSIDE
    if host in project.files:
        return FILE
    if project.path_exists(host):
        return DIRECTORY
    if made_before_up(project, host):
        return CREATED
    return MISSING


def made_before_up(project, relpath: str) -> bool:
    """Whether a path missing from the repository is made on the host before `up`: ignored by
    `.gitignore` (a build output, local state), under a dependency directory (`node_modules`), or
    written or created by the repository's automation or documentation (`mkdir -p data`, `> .env`)."""
    from composelint.analysis.gitignore import gitignored

    parts = relpath.split("/")
    if any(part in SKIP_DIRS for part in parts):
        return True
    if gitignored(project, relpath):
        return True
    made = created_names(project)
    # The path itself, a directory above it (`mkdir -p out` makes out/app.js possible), or a name of either.
    return any("/".join(parts[index:]) in made or "/".join(parts[:index + 1]) in made or parts[index] in made
               for index in range(len(parts)))


_MKDIR = r"\bmkdir\s+((?:-[-\w=]+\s+)*)([^;&|<>\n]+)"


def created_names(project) -> frozenset:
    """Paths (and their last components) that automation and documentation write or create."""
    def compute(p):
        from composelint.assembly.deployments import written_files
        from composelint.assembly.discovery import is_automation_path

        names: set[str] = set()
        for path in sorted(p.files):
            name = path.rsplit("/", 1)[-1]
            documentation = name.lower().endswith((".md", ".rst", ".txt")) and path.count("/") <= 1 and \
                name.lower().startswith(("readme", "install", "setup", "getting", "contributing"))
            if not (is_automation_path(path) or documentation):
                continue
            text = p.read_text(path)
            if not text:
                continue
            names.update(written_files(path, text))
            for match in re.finditer(_MKDIR, text):
                for word in match.group(2).split():
                    word = word.strip("\"'`,;:()[]{}").rstrip(".`")  # prose: "run `mkdir data`."
                    if not word or word.startswith("-") or "$" in word:
                        continue
                    word = posixpath.normpath(word.removeprefix("./")).strip("/")
                    names.add(word)
                    names.add(word.rsplit("/", 1)[-1])
        return frozenset(names)

    return project.derived("mounts.created_names", compute)


# --------------------------------------------------------------------------- the overlay


def through_mount(view, mount: Mount, path: str, want: str):
    """Whether ``path`` (at or below the mount's target) is in the container, as the mount decides."""
    inner = inner_path(mount, path)
    kind = mount.kind
    project = view.project
    if kind == "bind":
        source = bind_source(project, mount)
        if source == DIRECTORY:
            if not inner:
                return Lookup(PRESENT if want != "file" else UNKNOWN, why="mounted", mount=mount)
            host = f"{mount.host}/{inner}" if mount.host else inner
            if host in project.files:
                return Lookup(PRESENT if want != "dir" else ABSENT, context_path=host, why="mounted", mount=mount)
            if project.path_exists(host):
                return Lookup(PRESENT if want != "file" else UNKNOWN, context_path=host, why="mounted", mount=mount)
            if made_before_up(project, host):
                return Lookup(UNKNOWN, why="mounted", mount=mount)
            return Lookup(ABSENT, context_path=host, why="not in the bind source", mount=mount)
        if source == FILE:
            if not inner:
                return Lookup(PRESENT if want != "dir" else ABSENT, context_path=mount.host, why="mounted",
                              mount=mount)
            return Lookup(UNKNOWN, why="mounted", mount=mount)
        if source == MISSING and mount.create_host_path:
            if not inner:
                return Lookup(PRESENT if want != "file" else ABSENT, why="created empty", mount=mount)
            return Lookup(ABSENT, why="created empty", mount=mount)
        return Lookup(UNKNOWN, why="mounted", mount=mount)
    if kind == "volume":
        if mount.nocopy:
            return Lookup(UNKNOWN, why="mounted", mount=mount)
        # Filled from the image when new: what the image has is there; what it lacks may be written later.
        found = view.image_file(path, want)
        if found.state == PRESENT:
            return Lookup(PRESENT, found.op, found.context_path, why="volume from the image", mount=mount)
        return Lookup(UNKNOWN, why="mounted", mount=mount)
    if kind == "tmpfs":
        if not inner:
            return Lookup(PRESENT if want != "file" else ABSENT, why="tmpfs", mount=mount)
        return Lookup(ABSENT, why="tmpfs starts empty", mount=mount)
    if not inner:  # a config or a secret: one file
        return Lookup(PRESENT if want != "dir" else UNKNOWN, why="mounted", mount=mount)
    return Lookup(UNKNOWN, why="mounted", mount=mount)


# --------------------------------------------------------------------------- what the image puts under a path

_CODE_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".rb", ".php", ".go", ".java", ".jar",
                  ".war", ".kt", ".scala", ".clj", ".ex", ".exs", ".rs", ".cs", ".dll", ".pl", ".lua", ".sh",
                  ".vue", ".svelte", ".dart")
_CODE_NAMES = frozenset(("package.json", "requirements.txt", "pyproject.toml", "Gemfile", "composer.json", "go.mod",
                         "Cargo.toml", "pom.xml", "build.gradle", "manage.py", "setup.py", "Pipfile"))
_NODE_INSTALL = r"\b(?:npm\s+(?:ci|install|i)|yarn(?:\s+install)?|pnpm\s+(?:install|i))\b"


@record(frozen=True)
class Content:
    op: object  # image.Op: the instruction that puts it there
    what: str  # "the application" | "node_modules"
    where: str  # the image path it lands at


def image_content_under(model, target: str) -> Content | None:
    """The instruction that puts application code (or built `node_modules`) at or below ``target``."""
    inside = target.rstrip("/") + "/"
    for op in reversed(model.ops):
        if op.run is not None:
            cwd = op.cwd()
            if posixpath.basename(target) == "node_modules" and cwd == posixpath.dirname(target) and \
                    re.search(_NODE_INSTALL, op.run.text):
                return Content(op, "node_modules", target)
            continue
        if op.kind not in ("copy", "copy-stage") or op.dest is None:
            continue
        dest = op.dest
        # "the application" when the volume covers the working directory, else "code" (`/app/src`)
        what = "the application" if model.workdir and (model.workdir == target or model.workdir.startswith(
            inside) or target == "/") else "code"
        if dest == target or dest.startswith(inside) or target == "/":
            if _copies_code(model, op):
                return Content(op, what, dest)
        elif target.startswith(dest.rstrip("/") + "/") and op.kind == "copy":
            found = model.lookup(target, want="dir")
            if found.op is op and found.state == "present" and found.context_path is not None and \
                    _context_code_below(model, found.context_path):
                return Content(op, what, target)
    return None


def _copies_code(model, op) -> bool:
    if op.kind == "copy-stage":
        return model.workdir is not None and (op.dest == model.workdir or model.workdir.startswith(
            op.dest.rstrip("/") + "/"))
    for source in op.sources:
        clean = clean_rel(source)
        if clean is None:
            continue
        kind = model.context.kind(clean)
        if kind == "dir" and _context_code_below(model, clean):
            return True
        if kind == "file" and _is_code(clean):
            return True
    return False


def _context_code_below(model, rel: str) -> bool:
    """Whether the build context sends source code at or below ``rel`` (a context-relative directory)."""
    import bisect

    context = model.context
    if context.path is None:
        return False
    full = context.full(rel)
    prefix = full + "/" if full else ""
    strip = len(context.full("")) + 1 if context.path else 0
    files = sorted_files(model.project)
    index = bisect.bisect_left(files, prefix) if prefix else 0
    for path in files[index:index + 20_000]:
        if prefix and not path.startswith(prefix):
            break
        if _is_code(path) and not context.matcher.is_excluded(path[strip:]):
            return True
    return False


def _is_code(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in _CODE_NAMES or name.endswith(_CODE_SUFFIXES)


def beside_bind(mounts: list[Mount], mount: Mount) -> Mount | None:
    """The bind mount a volume sits beside: nested in it (`./src:/app` + `/app/node_modules`), or a volume
    for dependencies next to it (`./src:/code/src` + `/code/node_modules`). That is the development pattern
    that keeps the image's dependencies while the source comes from the host."""
    parent = posixpath.dirname(mount.target)
    for other in mounts:
        if other is mount or other.kind != "bind":
            continue
        if other.target == "/" or mount.target.startswith(other.target.rstrip("/") + "/"):
            return other
        if parent != "/" and posixpath.dirname(other.target) == parent and \
                posixpath.basename(mount.target) in _DEPENDENCY_DIRS:
            return other
    return None


# Directories of installed dependencies: a volume for one of them next to a bind of the source is the
# development pattern (`./web/src:/code/src` + `/code/node_modules`).
_DEPENDENCY_DIRS = frozenset(("node_modules", "bower_components", "vendor", ".venv", "venv", "deps", "_build",
                              ".bundle", "target", "packages"))


def service_mounts(project) -> Iterator[tuple[object, object, list[Mount]]]:
    """(deployment or None, service, mounts) for every service whose mounts are all known."""
    for deployment, service in all_services(project):
        mounts, complete = project_mounts(project, service, deployment)
        if mounts and complete:
            yield deployment, service, mounts


def volume_definition(project, deployment, service, name: str):
    """The top-level `volumes:` entry a named volume refers to (a YMap), or None."""
    from composelint.yamltree import YMap

    if not name:
        return None
    root = deployment.root if deployment is not None else None
    if root is None:
        compose = project.compose_files.get(service.file)
        root = compose.root if compose is not None else None
    volumes = root.get("volumes") if isinstance(root, YMap) else None
    definition = volumes.get(name) if isinstance(volumes, YMap) else None
    return definition if isinstance(definition, YMap) else None
