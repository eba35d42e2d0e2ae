"""A build context: the files the builder is sent (``.dockerignore`` applied), listed from the project.

:class:`Context` answers what a COPY source names (a file, a directory, nothing, or cannot tell) and
expands its wildcards as Go's ``filepath.Match`` does, one segment at a time. Contexts are cached
per project by :func:`context_for`.
"""

from __future__ import annotations

import bisect
import re

from composelint.analysis.image.paths import GLOB, SKIP_DIRS, clean_rel


def sorted_files(project) -> list[str]:
    return project.derived("image.sorted_files", lambda p: sorted(p.files))


def _segment_regex(segment: str) -> re.Pattern[str] | None:
    """Go's filepath.Match for one path segment, as a regex; None when malformed."""
    out = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "\\" and i + 1 < len(segment):
            i += 1
            out.append(re.escape(segment[i]))
        elif char == "[":
            close = segment.find("]", i + 2)
            if close < 0:
                return None
            body = segment[i + 1:close]
            negate = body.startswith("^") or body.startswith("!")
            if negate:
                body = body[1:]
            body = body.replace("\\", "\\\\")
            out.append(f"[{'^' if negate else ''}{body}]")
            i = close
        else:
            out.append(re.escape(char))
        i += 1
    try:
        return re.compile("".join(out) + r"\Z")
    except re.error:
        return None


class Context:
    """The files a build context sends to the builder (``.dockerignore`` applied)."""

    def __init__(self, project, path: str | None, ignore) -> None:
        from composelint.parsers.dockerignore import IgnoreMatcher

        self.project = project
        self.path = path  # project-relative; "" is the root; None: not a local directory
        self.ignore = ignore
        self.matcher = IgnoreMatcher(ignore)
        self._names: tuple[frozenset, frozenset] | None = None
        self._by_name: dict[str, list[str]] | None = None  # file name -> context paths (excluded ones too)
        self._dirs: dict[str, str] | None = None  # directory name -> its shallowest context path
        self._globs: dict[str, list[tuple[str, str]] | None] = {}

    def _index(self) -> None:
        by_name: dict[str, list[str]] = {}
        dirs: dict[str, str] = {}
        if self.path is not None:
            prefix = self.full("") + "/" if self.path else ""
            files = sorted_files(self.project)
            index = bisect.bisect_left(files, prefix) if prefix else 0
            while index < len(files) and (not prefix or files[index].startswith(prefix)):
                rel = files[index][len(prefix):]
                index += 1
                parts = rel.split("/")
                by_name.setdefault(parts[-1], []).append(rel)
                for depth, part in enumerate(parts[:-1]):
                    path = "/".join(parts[:depth + 1])
                    known = dirs.get(part)
                    if known is None or path.count("/") < known.count("/"):
                        dirs[part] = path
        self._by_name, self._dirs = by_name, dirs

    def named(self, name: str) -> list[str]:
        """Context paths of files called ``name``, excluded ones included."""
        if self._by_name is None:
            self._index()
        return self._by_name.get(name, [])  # type: ignore[union-attr]

    def directory_named(self, name: str) -> str | None:
        if self._dirs is None:
            self._index()
        return self._dirs.get(name)  # type: ignore[union-attr]

    @property
    def known(self) -> bool:
        return self.path is not None

    def full(self, rel: str) -> str:
        rel = rel.strip("/")
        if not self.path:
            return rel
        return f"{self.path}/{rel}" if rel else self.path

    def excluded_by(self, rel: str):
        """The .dockerignore pattern that leaves ``rel`` out, if any."""
        if self.ignore is None or not rel:
            return None
        return self.matcher.deciding_pattern(rel)

    def kind(self, rel: str) -> str | None:
        """"file", "dir", "unknown" (exists but cannot be listed) or None for a context-relative path."""
        if self.path is None:
            return "unknown"
        rel = clean_rel(rel)
        if rel is None:
            return "unknown"
        if rel == "":
            return "dir"
        if any(part in SKIP_DIRS for part in rel.split("/")):
            return "unknown"
        files = sorted_files(self.project)
        full = self.full(rel)
        if full in self.project.files:
            return None if self.matcher.is_excluded(rel) else "file"
        prefix = full + "/"
        first = index = bisect.bisect_left(files, prefix)
        found_any = False
        strip = len(self.path) + 1 if self.path else 0
        while index < len(files) and files[index].startswith(prefix):
            found_any = True
            if self.ignore is None or not self.matcher.is_excluded(files[index][strip:]):
                return "dir"
            index += 1
            if index - first > 10_000:
                return "unknown"
        if found_any:
            return None
        if self.project.path_exists(full):
            return None if self.matcher.is_excluded(rel) else "unknown"
        return None

    def glob(self, pattern: str, limit: int = 10_000) -> list[tuple[str, str]] | None:
        """Context paths (files and directories) a COPY wildcard matches; None when it cannot tell."""
        if pattern not in self._globs:
            self._globs[pattern] = self._glob(pattern, limit)
        return self._globs[pattern]

    def _glob(self, pattern: str, limit: int) -> list[tuple[str, str]] | None:
        if self.path is None:
            return None
        clean = clean_rel(pattern)
        if clean is None:
            return None
        segments = clean.split("/")
        literal: list[str] = []
        for segment in segments:
            if GLOB.search(segment):
                break
            literal.append(segment)
        if len(literal) == len(segments):
            kind = self.kind(clean)
            return [(clean, kind)] if kind else []
        regexes = [_segment_regex(segment) for segment in segments[len(literal):]]
        if any(regex is None for regex in regexes):
            return None
        base_rel = "/".join(literal)
        base_full = self.full(base_rel)
        prefix = base_full + "/" if base_full else ""
        files = sorted_files(self.project)
        index = bisect.bisect_left(files, prefix) if prefix else 0
        depth = len(segments)
        strip = len(self.full("")) + 1 if self.path else 0
        seen: dict[str, str] = {}
        unknown = False
        scanned = 0
        while index < len(files) and (not prefix or files[index].startswith(prefix)):
            scanned += 1
            if scanned > limit:
                return None
            rel = files[index][strip:]
            index += 1
            parts = rel.split("/")
            if len(parts) < depth:
                continue
            candidate = "/".join(parts[:depth])
            if candidate in seen:
                continue
            if all(regex.match(part) for regex, part in zip(regexes, parts[len(literal):depth])):
                if any(part in SKIP_DIRS for part in parts[:depth]):
                    unknown = True
                    continue
                seen[candidate] = "file" if len(parts) == depth else "dir"
        result = [(rel, kind) for rel, kind in seen.items()
                  if not (kind == "file" and self.matcher.is_excluded(rel))]
        if not result and unknown:
            return None
        return result

    def basenames(self) -> tuple[frozenset, frozenset]:
        """Names of the context's files and directories (for "is this the user's own module")."""
        if self._names is None:
            if self._by_name is None:
                self._index()
            self._names = (frozenset(self._by_name or ()), frozenset(self._dirs or ()))
        return self._names

    def find_basename(self, name: str, limit: int = 5) -> list[str]:
        """Context-relative paths of files called ``name`` (not excluded)."""
        found = [rel for rel in self.named(name) if not self.matcher.is_excluded(rel)]
        return found[:limit]


def context_for(project, context_path: str | None, dockerfile_path: str | None) -> Context:
    cache = project.facts.table("image.contexts")
    key = (context_path, dockerfile_path)
    context = cache.get(key)
    if context is None:
        ignore = project.ignore_for(context_path, dockerfile_path) if context_path is not None else None
        if ignore is None and context_path is not None and dockerfile_path is not None:
            ignore = _read_ignore(project, context_path, dockerfile_path)
        context = Context(project, context_path, ignore)
        cache[key] = context
    return context


def _read_ignore(project, context_path: str, dockerfile_path: str):
    """The .dockerignore of a build the model did not load one for (a Dockerfile no service builds)."""
    from composelint.parsers.dockerignore import parse_dockerignore

    for candidate in (dockerfile_path + ".dockerignore",
                      f"{context_path}/.dockerignore" if context_path else ".dockerignore"):
        if candidate in project.files:
            text = project.read_text(candidate)
            if text is not None:
                return parse_dockerignore(text, candidate)
    return None
