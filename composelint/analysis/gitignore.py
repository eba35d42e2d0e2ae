"""Whether a project path is ignored by the repository's ``.gitignore`` files, as git decides it.

Each pattern is read and matched by pathspec (git's wildmatch: ``*`` stops at ``/``, ``**/`` matches
zero or more directories, a pattern with an inner ``/`` is anchored at its file's directory);
tests/test_gitignore.py checks the whole against ``git check-ignore``. What git does around the
patterns is done here, as pathspec's ``GitIgnoreSpec`` does not: a directory is matched by its name
(``logs/**`` ignores what is in ``logs``, not ``logs``), each directory's ``.gitignore`` speaks for
paths below it and a deeper one overrides a shallower one, and nothing inside an ignored directory
can be re-included.
"""

from __future__ import annotations

_MAX_LINES = 5000  # per .gitignore: a generated or hostile file must not cost more than this


def gitignored(project, relpath: str) -> bool:
    """Whether a project path is ignored by the repository's `.gitignore` files (a build output such as
    `dist/` or `target/app.jar` that CI creates before `docker build`, so its absence proves nothing).

    A path that does not exist may be a directory that will be made, so directory patterns (`dist/`)
    count for the path itself too."""
    parts = relpath.split("/")
    # git does not descend into an ignored directory: what lies below it stays ignored.
    for end in range(1, len(parts)):
        if _verdict(project, parts[:end], directory=True):
            return True
    return _verdict(project, parts, directory=False) or _verdict(project, parts, directory=True)


def _verdict(project, parts: list[str], *, directory: bool) -> bool:
    """The deepest `.gitignore` with a pattern matching the path decides, by its last matching pattern."""
    for depth in range(len(parts) - 1, -1, -1):
        rest = "/".join(parts[depth:])
        for pattern, only_directories in reversed(_patterns(project, "/".join(parts[:depth]))):
            if only_directories:
                # pathspec reads `dist/` as "dist and all below"; asked about `dist/`, that is the directory
                matched = directory and pattern.match_file(rest + "/") is not None
            else:
                matched = pattern.match_file(rest) is not None
            if matched:
                return bool(pattern.include)
    return False


def _patterns(project, directory: str) -> list:
    """The patterns of ``directory``'s `.gitignore`, each with whether it names directories only."""
    cache = project.facts.table("gitignore")
    if directory in cache:
        return cache[directory]
    path = f"{directory}/.gitignore" if directory else ".gitignore"
    text = project.read_text(path) if path in project.files else None
    lines = [line for line in (text or "").splitlines()[:_MAX_LINES] if line.strip() and not line.startswith("#")]
    patterns = []
    if lines:
        import pathspec  # ~30 ms to import: only for projects that have a .gitignore to read

        for line in lines:
            try:
                pattern = pathspec.GitIgnoreSpec.from_lines([line]).patterns[0]
            except ValueError:  # git skips a pattern it cannot read (a lone `!`, a trailing `\`); so do we
                continue
            if pattern.include is not None:
                patterns.append((pattern, _names_directories(line)))
    cache[directory] = patterns
    return patterns


def _names_directories(line: str) -> bool:
    """Whether a pattern line ends in `/` (after git's stripping of unescaped trailing spaces)."""
    stripped = line.rstrip(" ")
    if stripped != line and stripped.endswith("\\"):
        stripped += " "
    return stripped.endswith("/")
