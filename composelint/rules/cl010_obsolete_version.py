"""The top-level `version:` of a compose file: Compose ignores it and warns."""

from __future__ import annotations

from composelint.diagnostics import Edit, Fix
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule
from composelint.yamltree import YMap, YScalar


@rule(code="CL010", name="obsolete-version", severity="warning",
      summary="a compose file sets the top-level `version`, which Compose ignores (and warns about)")
def check(project, options):
    for path, compose in project.compose_files.items():
        root = compose.document.root
        if not isinstance(root, YMap):
            continue
        entry = root.entries.get("version")
        if entry is None or entry.merged or entry.key.span.path != path:
            continue
        written = _fix.at(project, entry.value.span) if isinstance(entry.value, YScalar) else None
        shown = f" {written}" if written and len(written) <= 20 else ""
        yield Violation(
            entry.key.span,
            f"`version:{shown}` is obsolete: Compose ignores it (and warns \"the attribute `version` is obsolete\"), "
            "so the number neither selects a file format nor enables or disables any feature",
            help="remove the `version:` line; Compose reads every file with the one current specification",
            anchor_text="version",
            fix=_remove_line(project, path, entry))


def _remove_line(project, path: str, entry):
    """The whole line, when it holds nothing but `version: value` and maybe a comment."""
    value = entry.value
    end = value.span.end
    if not isinstance(value, YScalar) or value.style in ("|", ">") or end is None \
            or end.line != entry.key.span.line or not _fix.starts_line(project, entry.key.span) \
            or not _fix.rest_is_yaml_comment(project, end, path):
        return None
    line = entry.key.span.line
    return Fix.safe("Remove the obsolete `version:` line", Edit.delete_lines(path, line, line))
