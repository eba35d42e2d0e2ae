"""What the build context's Python code imports when it loads, read with :mod:`ast` (never executed).

Also decides which files count as application code (tests, docs and tooling do not) and which top-level
names the context provides itself.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from typing import TYPE_CHECKING

from composelint.diagnostics import Position, Span
from composelint.model import Project
from composelint.records import record

if TYPE_CHECKING:
    from composelint.analysis.python.builds import BuildContext

MAX_PYTHON_SIZE = 1_000_000  # bytes of one source file


_EXTRA_STDLIB = frozenset((
    # removed from the standard library in 3.12 / 3.13, present in the images of older versions
    "distutils", "imp", "asynchat", "asyncore", "smtpd", "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt",
    "imghdr", "mailcap", "msilib", "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau",
    "telnetlib", "uu", "xdrlib", "lib2to3", "tomllib", "_distutils_hack", "__future__", "__main__", "typing",
    # added in 3.11-3.14, for a composelint that runs on an older Python than the image
    "annotationlib", "compression", "_interpreters", "_interpqueues", "_interpchannels", "wsgiref", "zoneinfo",
    "graphlib",
))


@functools.lru_cache(maxsize=1)
def stdlib_modules() -> frozenset:
    return sys.stdlib_module_names | _EXTRA_STDLIB | frozenset(sys.builtin_module_names)


@record(frozen=True, slots=True)
class ImportRef:
    module: str  # dotted, as written ("google.cloud.storage")
    span: Span  # the module name in the import statement


def parse_python(text: str) -> ast.Module | None:
    if len(text) > MAX_PYTHON_SIZE or "\x00" in text:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


_IMPORT_ERRORS = frozenset(("ImportError", "ModuleNotFoundError", "Exception", "BaseException"))


def _guards_import(handler: ast.excepthandler) -> bool:
    kind = handler.type  # type: ignore[attr-defined]
    if kind is None:
        return True
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    for name in names:
        text = name.id if isinstance(name, ast.Name) else (name.attr if isinstance(name, ast.Attribute) else "")
        if text in _IMPORT_ERRORS:
            return True
    return False


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def runtime_imports(text: str, path: str, memo: dict | None = None) -> tuple[ImportRef, ...]:
    """Absolute imports a module runs when it loads (or runs as ``__main__``).

    Only statements at module level count: imports inside functions run on demand, imports in
    ``try`` blocks that catch ImportError are optional, imports under ``if TYPE_CHECKING:`` or any other
    ``if`` (platform, version checks) are conditional. ``if __name__ == "__main__":`` bodies do count.
    ``memo``: text -> its imports without the path, for a caller that reads many files (copies of one
    module in many build contexts are parsed once).
    """
    imports = memo.get(text) if memo is not None else None
    if imports is None:
        imports = _runtime_imports(text)
        if memo is not None:
            memo[text] = imports
    return tuple(ImportRef(module, Span(path, start, end)) for module, start, end in imports)


def _runtime_imports(text: str) -> tuple[tuple[str, Position, Position | None], ...]:
    """(module, start, end) of each import :func:`runtime_imports` counts, in source order."""
    tree = parse_python(text)
    if tree is None:
        return ()
    lines = text.splitlines()
    found: list[tuple[str, Position, Position | None]] = []
    pending: list[list[ast.stmt]] = [list(tree.body)]
    while pending:
        for node in pending.pop():
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.append((alias.name, *_alias_span(lines, alias)))
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0 and node.module:
                    found.append((node.module, *_from_span(lines, node)))
            elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                if not any(_guards_import(handler) for handler in node.handlers):  # type: ignore[attr-defined]
                    pending.append(list(node.body) + list(node.orelse)  # type: ignore[attr-defined]
                                   + list(node.finalbody))  # type: ignore[attr-defined]
            elif isinstance(node, ast.If):
                if _is_main_guard(node.test):
                    pending.append(list(node.body))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                pending.append(list(node.body))
    found.sort(key=lambda ref: (ref[1].line, ref[1].column))
    return tuple(found)


def _column(lines: list[str], line: int, byte_offset: int) -> int:
    """ast columns count UTF-8 bytes; ours count code points, 1-based."""
    if 1 <= line <= len(lines):
        return len(lines[line - 1].encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1
    return byte_offset + 1


def _alias_span(lines: list[str], alias: ast.alias) -> tuple[Position, Position]:
    line = alias.lineno
    column = _column(lines, line, alias.col_offset)
    return Position(line, column), Position(line, column + len(alias.name))


def _from_span(lines: list[str], node: ast.ImportFrom) -> tuple[Position, Position | None]:
    line = node.lineno
    column = _column(lines, line, node.col_offset)
    text = lines[line - 1] if 1 <= line <= len(lines) else ""
    match = re.compile(r"from\s+(" + re.escape(node.module or "") + r")\b").search(text, max(column - 1, 0))
    if match:
        column = match.start(1) + 1
        return Position(line, column), Position(line, column + len(node.module or ""))
    return Position(line, column), None


def file_imports(project: Project, path: str) -> tuple[ImportRef, ...]:
    def compute(project: Project) -> tuple[ImportRef, ...]:
        text = project.read_text(path)
        return runtime_imports(text, path, project.facts.table("python_deps.imports_of_text")) if text else ()

    return project.derived(f"python_deps.imports:{path}", compute)


_SKIPPED_DIRS = frozenset(("test", "tests", "testing", "docs", "doc", "examples", "benchmarks", "benchmark",
                           "scripts", "tools", "site-packages", "dist-packages", "node_modules", "build", "dist",
                           "__pycache__", ".tox", ".nox", ".eggs", "venv", ".venv", "env", ".env", "fixtures",
                           "test_data", "testdata", "e2e", "integration_tests", "unit_tests", "notebooks"))
_SKIPPED_FILES = re.compile(r"^(?:test_.*|.*_test|.*_tests|conftest)\.py$")
# Development tooling that lives at the context root (invoke's tasks.py, not a package's Celery tasks.py).
_SKIPPED_ROOT_FILES = frozenset(("setup.py", "noxfile.py", "fabfile.py", "tasks.py", "dodo.py", "conf.py",
                                 "toxfile.py"))


def is_application_file(relpath: str) -> bool:
    """Python files that run in the image; tests, docs, tooling and vendored environments are left out."""
    if not relpath.endswith(".py"):
        return False
    parts = relpath.split("/")
    if any(part in _SKIPPED_DIRS or part.startswith(".") for part in parts[:-1]):
        return False
    if len(parts) == 1 and parts[0] in _SKIPPED_ROOT_FILES:
        return False
    return not _SKIPPED_FILES.match(parts[-1])


def first_party_modules(context: BuildContext) -> frozenset:
    """Top-level names the context itself provides: every module file and package directory, at any depth."""
    names: set[str] = set()
    for relpath in context.files:
        name = relpath.rsplit("/", 1)[-1]
        stem, dot, suffix = name.partition(".")
        if dot and (suffix in ("py", "pyi", "pyx", "pxd") or suffix.endswith(("so", "pyd"))):
            names.add(stem)
    for directory in context.dirs:
        if directory:
            names.add(directory.rsplit("/", 1)[-1])
    return frozenset(names)
