"""What a warm run takes over from the run before it: the facts derived from the Dockerfiles and
their build contexts, when an edit changed nothing they read.

Most of a run on a large project goes into facts about images: what each stage installs
(requirements files and RUN steps read), what its file system holds, which modules its Python
code imports. They are functions of the Dockerfiles, of the files of the project (the list and
the contents, with ``.dockerignore`` applied), of the configuration, and of the compose files
only through the image builds: which Dockerfile, target stage and context each build uses
(``default_context``). Compose build arguments are part of the keys they are stored under
(``image.models``). So when an edit changes only compose files, and the builds stay the same,
every such fact of the last run is what this run would compute again; it is carried over.

The facts that read a compose file or a service (the service graph, start commands, service views,
deployments) are always computed again, and every rule runs again: only their inputs are kept.
Whether a carried fact still holds is decided from declared inputs, never guessed from the edit's
size; tests/server/test_incremental.py checks each warm run against a cold one.
"""

from __future__ import annotations

from typing import Mapping

# Facts (DerivedFacts.get keys, by prefix) and tables (DerivedFacts.table names) that depend on the
# compose files through the image builds alone (see the module docstring). A fact added to the
# analysis layers that reads a service, a deployment, the graph or the .env must not be listed here.
CARRIED_FACTS = (
    "python_deps.analysis:",  # StageAnalysis: a Dockerfile's stages in one context
    "python_deps.context:",  # the files one build sends
    "python_deps.stage_environments:",  # ARG/ENV per stage: the Dockerfile alone
    "python_deps.stage_run_commands:",
    "python_deps.stage_installs:",
    "python_deps.imports:",  # the imports of one Python file
    "python_deps.missing:",  # keyed by Dockerfile, stage, context and the configured module map
    "pins.unpinned:",  # the Dockerfile alone
    "image.sorted_files",  # the file list
    # ShellCheck's run over every RUN script (analysis/shellcheck.py): the Dockerfiles alone; carried only
    # once it ran to the end (a run that failed, or found ShellCheck missing, is tried again).
    "shellcheck-run",
)
CARRIED_TABLES = (
    "image.python_install",  # (Dockerfile, stage, context); a None context means default_context
    "image.models",  # (Dockerfile, stage, context, .dockerignore, build arguments)
    "image.contexts",  # (context, Dockerfile)
    "shell.image_part_maps",  # a Dockerfile CMD/ENTRYPOINT's characters, keyed by its span
    "shell.instructions",  # a Dockerfile's instructions by span
)
# A pragma in a file the analysis read is indexed (suppressions.build_index): a read carried over from
# a run whose compose files differed must not bring one in that this run would not have read.
PRAGMA_MARK = "composelint"


def carry(previous, project, previous_buffers: Mapping[str, str], buffers: Mapping[str, str],
          parsed=None) -> bool:
    """Move the facts of ``previous`` (the last run's project) that still hold into ``project``.

    ``previous_buffers`` and ``buffers``: the editor buffers each run laid over the disk. The caller
    vouches for the configuration and the walk (the server's watched-file events); the files the
    carried facts read are read again and compared, since not every client reports changes made
    outside the editor (``parsed``: the session's composelint.parsecache.ParseCache, which reads a
    file again only when its stamp changed). True when the facts were carried.
    """
    if previous is None:
        return False
    project.facts.carried(previous.facts)  # memos whose entries check their own inputs (DerivedFacts.kept)
    if previous.root != project.root or not _only_compose_changed(
            previous, project, previous_buffers, buffers):
        return False
    if _builds(previous) != _builds(project):
        return False
    old, new = previous.facts, project.facts
    if any(text and PRAGMA_MARK in text for path, text in old.read_text.items() if path not in new.read_text):
        return False
    if not _reads_unchanged(previous, buffers, parsed):
        return False
    for key, value in old._computed.items():
        if key.startswith(CARRIED_FACTS) and key not in new._computed and getattr(value, "reusable", True):
            new._computed[key] = _rebound(value, previous, project)
    for name in CARRIED_TABLES:
        table = old._tables.get(name)
        if table:
            target = new.table(name)
            for key, value in table.items():
                target.setdefault(key, _rebound(value, previous, project))
    # What the carried facts read stays read in this run (the same files, unchanged): the files an
    # edit may change, the pragmas indexed, the text findings point into.
    for cache, kept in ((new.read_text, old.read_text), (new.path_exists, old.path_exists),
                        (new.realpaths, old.realpaths)):
        for key, value in kept.items():
            cache.setdefault(key, value)
    return True


def _only_compose_changed(previous, project, previous_buffers, buffers) -> bool:
    """Everything but the text of compose files is what the last run read."""
    if (previous.files != project.files or previous.read_limit != project.read_limit
            or previous.known_hosts != project.known_hosts or previous.dotenv != project.dotenv
            or previous.compose_copies != project.compose_copies):
        return False
    old_dockerfiles, dockerfiles = previous.dockerfiles, project.dockerfiles
    if old_dockerfiles.keys() != dockerfiles.keys() or any(
            dockerfiles[path] is not dockerfile for path, dockerfile in old_dockerfiles.items()):
        return False  # a Dockerfile parsed again (its text changed): the parse cache keeps the others
    if previous.dockerignores != project.dockerignores:
        return False

    def compose(path: str) -> bool:
        return path in project.compose_files and path in previous.compose_files

    old_sources, sources = previous.sources, project.sources
    for path in old_sources.keys() | sources.keys():
        if old_sources.get(path) != sources.get(path) and not compose(path):
            return False
    return all(previous_buffers.get(path) == buffers.get(path) or compose(path)
               for path in previous_buffers.keys() | buffers.keys())


def _reads_unchanged(previous, buffers: Mapping[str, str], parsed=None) -> bool:
    """Every file the last run read from disk (requirements, Python sources) still has the text it
    read: ~1,000 small reads at 1,000 services cost ~10 ms (an ``lstat`` each for files whose stamp
    is kept), a stale fact would cost a wrong finding."""
    from composelint.assembly.reading import read_text

    read = parsed.read if parsed is not None else read_text
    realpaths: dict = {}
    return all(read(previous.root, path, previous.read_limit, realpaths).text == text
               for path, text in previous.facts.read_text.items()
               if path not in buffers and path in previous.files)


def _builds(project) -> list[tuple]:
    """What the carried facts read of the compose files: each build's Dockerfile, stage and context,
    and whether a service uses it (default_context)."""
    from composelint.analysis.python.builds import image_builds

    return [(build.dockerfile.path, build.stage.index, build.context, bool(build.services))
            for build in image_builds(project)]


def _rebound(value, previous, project):
    """A fact that keeps the project it was computed from asks the new one from now on (they are
    equivalent for it); the replaced project is then freed by reference counting (no collector)."""
    if getattr(value, "project", None) is previous:
        value.project = project
    return value
