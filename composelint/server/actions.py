"""Code actions for a finding: its fixes, and a suppression comment.

Every action is a ``Fix``: a title and text edits in composelint's own coordinates (1-based
lines, code-point columns), turned into an LSP WorkspaceEdit by the app. ``fixes_for`` gives the fix a
rule attached to the finding (what ``check --fix`` applies; labelled safe or unsafe), first.
"""

from __future__ import annotations

from composelint.diagnostics import Diagnostic
from composelint.records import record

REASON = "reason"  # the placeholder after ``--``: the user says why the finding does not apply


@record(frozen=True, slots=True)
class Edit:
    line: int  # 1-based
    column: int  # 1-based, code points; the edit inserts or replaces from here
    end_line: int
    end_column: int
    text: str


@record(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    safe: bool
    preferred: bool = False
    path: str | None = None  # the file the edits change, when not the finding's (a requirements file)


def fixes_for(diagnostic: Diagnostic, outcome) -> list[Fix]:
    """The fix a rule attached to ``diagnostic`` (``Diagnostic.fix``, what ``check --fix`` applies, and
    with ``--unsafe-fixes`` an unsafe one): a safe one is the preferred action, as an editor's "fix all"
    applies it."""
    fix = diagnostic.fix
    if fix is None or not fix.edits or any(edit.path != fix.path for edit in fix.edits):
        return []
    edits = tuple(Edit(edit.start.line, edit.start.column, edit.end.line, edit.end.column, edit.content)
                  for edit in fix.edits)
    return [Fix(fix.title, edits, fix.is_safe, preferred=fix.is_safe,
                path=None if fix.path == diagnostic.span.path else fix.path)]


def actions_for(diagnostic: Diagnostic, outcome) -> list[Fix]:
    fixes = list(fixes_for(diagnostic, outcome))
    suppression = suppression_fix(diagnostic, outcome)
    if suppression is not None:
        fixes.append(suppression)
    return fixes


def suppression_fix(diagnostic: Diagnostic, outcome) -> Fix | None:
    """``# composelint: ignore[name] -- reason`` where composelint reads it for this finding.

    YAML: at the end of the line when the line is a whole node (a one-line key or list item
    without a comment), else on its own line above the innermost node holding the line (a
    comment line inside a block scalar would become part of the value). Dockerfiles: on its own
    line above the instruction (a ``#`` after an instruction is not a comment in a Dockerfile).
    Requirements files and other files an analysis reads: on its own line above the line. Files
    whose pragmas composelint does not read (.env, .dockerignore, the configuration) get none.
    """
    project = outcome.project
    path = diagnostic.span.path
    text = outcome.text_of(path)
    if text is None or diagnostic.code in ("CL000", "config"):
        return None
    lines = text.split("\n")
    line = diagnostic.span.start.line
    if not 1 <= line <= len(lines):
        return None
    pragma = f"# composelint: ignore[{diagnostic.name}] -- {REASON}"
    title = f"Suppress {diagnostic.code} ({diagnostic.name}) here with a `# composelint: ignore` comment"
    if path in project.compose_files:
        target = _yaml_target(project.compose_files[path].document, line, lines)
        if target is None:
            end = len(lines[line - 1].rstrip()) + 1  # trailing blanks give way to the comment
            return Fix(title, (Edit(line, end, line, len(lines[line - 1]) + 1, f"  {pragma}"),), safe=True)
    elif path in project.dockerfiles:
        target = next((instruction.span.line for instruction in project.dockerfiles[path].instructions
                       if instruction.span.line <= line <= instruction.span.end_line), None)
        if target is None:
            return None  # a comment or parser directive line: nothing to suppress there
    elif path in project.facts.read_text and path not in project.sources:
        target = line
    else:
        return None
    indent = lines[target - 1][:len(lines[target - 1]) - len(lines[target - 1].lstrip())]
    return Fix(title, (Edit(target, 1, target, 1, f"{indent}{pragma}\n"),), safe=True)


def _yaml_target(document, line: int, lines: list[str]) -> int | None:
    """None: append to ``line``; else the line to put an own-line pragma above."""
    from composelint.suppressions import _yaml_node_ranges

    ranges = _yaml_node_ranges(document) if document.root is not None else {}
    if ranges.get(line) == line and "#" not in lines[line - 1]:
        return None
    if line in ranges:
        return line
    holders = [start for start, end in ranges.items() if start <= line <= end]
    return max(holders) if holders else line
