"""A `# composelint:` comment suppresses nothing: it is malformed, names no rule, or covers no finding."""

from __future__ import annotations

import re

from composelint.diagnostics import Severity, Span
from composelint.rules._rule import Violation, rule

# The engine runs this rule after every other rule and the suppressions, and leaves in
# ``project.facts.suppression_usage`` the suppression index (which selector covered a finding) and the
# codes that ran; without it (the rule called on its own) only malformed pragmas and unknown names are found.
SYNTAX = "`# composelint: ignore[CODE-OR-NAME, …] -- reason` (or `file-ignore[…]`)"
_KINDS = ("ignore", "file-ignore")
_LOOSE = r"#\s*composelint\s*:\s*(?P<kind>[A-Za-z-]*)\s*(?P<rest>.*)$"


@rule(code="CL009", name="unused-suppression", severity="warning",
      summary="a `# composelint:` comment suppresses nothing: malformed, naming no rule, or covering no finding "
              "(`# hadolint ignore=` and .hadolint.yaml: info)")
def check(project, options):
    usage = project.facts.suppression_usage
    if usage is None:
        from composelint.suppressions import build_index

        index, ran = build_index(project), None
    else:
        index, ran = usage
    for comment in index.malformed:
        yield Violation(
            Span.at(comment.path, comment.line, comment.column, comment.line, comment.end_column),
            f"`{_shown(comment.text)}` is not a suppression composelint reads, so it suppresses nothing",
            help=_rewrite(comment.text))
    yield from _hadolint(index, ran)
    for suppression in index.suppressions:
        if suppression.origin != "composelint":
            continue
        unknown, unused = [], []
        for position, selector in enumerate(suppression.selectors):
            codes = _codes_of(selector)
            if codes is None:
                unknown.append(position)
            elif ran is not None and codes <= ran and not index.used(suppression, position):
                unused.append(position)
        if unknown:
            yield Violation(
                _selector_span(suppression, unknown[0]),
                f"{_listed(suppression, unknown)} {'is' if len(unknown) == 1 else 'are'} not a rule code, code "
                "prefix or rule name, so the suppression does not cover what it was written for",
                help=_guesses(suppression, unknown) + "`composelint rules` lists the codes and names")
        if unused:
            yield Violation(
                _selector_span(suppression, unused[0]),
                f"the suppression of {_listed(suppression, unused)} covers no finding "
                f"{_scope(suppression)}",
                help="remove it: a suppression that no longer applies silently hides the next real finding "
                     "there" if len(unused) == len(suppression.selectors) else
                     "remove the unused code or name from the brackets")


_HADOLINT_SCOPES = {"node": "on the instruction below it", "file": "in the file", "stage": "in the stage below it"}


def _hadolint(index, ran):
    """hadolint's pragmas and configuration, at info: they still serve hadolint while it runs beside
    composelint, so they never fail a run. A code no rule maps is reported once a file (hadolint users
    expect their ignores to keep working; one that does nothing here deserves a word, not silence)."""
    reported = set()
    for suppression in index.suppressions:
        if suppression.origin == "composelint":
            continue
        if suppression.scope == "none":
            yield Violation(
                Span.at(suppression.path, suppression.comment_line, suppression.column, suppression.comment_line,
                        suppression.end_column),
                "no instruction starts on the line below this `# hadolint ignore`, so it suppresses nothing "
                "(hadolint reads it the same way: it covers only an instruction on the very next line)",
                help="move it directly above the instruction, or remove the blank or comment line in between")
            continue
        for position, selector in enumerate(suppression.selectors):
            targets = suppression.targets[position]
            if not targets:
                if (suppression.path, selector) in reported:
                    continue
                reported.add((suppression.path, selector))
                yield Violation(
                    _selector_span(suppression, position),
                    f"hadolint's `{selector}` has no composelint equivalent, so this `# hadolint ignore` "
                    "suppresses nothing here",
                    help="keep it while hadolint still runs on this file; `composelint rules --format json` "
                         "lists each rule's hadolint equivalents", severity=Severity.INFO)
            elif ran is not None and set(targets) <= ran and not index.used(suppression, position):
                yield Violation(
                    _selector_span(suppression, position),
                    f"hadolint's `{selector}` maps to {', '.join(targets)}, which finds nothing "
                    f"{_HADOLINT_SCOPES[suppression.scope]}, so this `# hadolint ignore` suppresses nothing here",
                    help="composelint may have no finding where hadolint had one (it avoids some of hadolint's "
                         "false positives); remove the code once hadolint no longer runs on this file",
                    severity=Severity.INFO)
    for line, column, width, message, why in index.notes:
        yield Violation(Span.at(index.notes_path, line, column, line, column + max(width, 1)), message, help=why,
                        severity=Severity.INFO)


def _codes_of(selector: str) -> frozenset[str] | None:
    """The codes a selector covers (a code, a prefix or a name); None when it names nothing."""
    from composelint.rules import CODES, resolve_codes

    try:
        (prefix,) = resolve_codes([selector])
    except ValueError:
        return None
    return frozenset(code for code in CODES if code.startswith(prefix))


def _listed(suppression, positions) -> str:
    return ", ".join(f"`{suppression.selectors[position]}`" for position in positions)


def _scope(suppression) -> str:
    return {"line": "on its line", "node": "in the node below it", "file": "in the file"}[suppression.scope]


def _selector_span(suppression, position: int) -> Span:
    columns = suppression.selector_columns
    if position >= len(columns):
        return Span.at(suppression.path, suppression.comment_line, suppression.column, suppression.comment_line,
                       suppression.end_column)
    start = columns[position]
    return Span.at(suppression.path, suppression.comment_line, start, suppression.comment_line,
                   start + len(suppression.selectors[position]))


def _guesses(suppression, positions) -> str:
    from composelint.suggest import closest_name
    from composelint.rules import CODES, _BY_NAME

    hints = []
    for position in positions:
        written = suppression.selectors[position]
        guess = closest_name(written, [*_BY_NAME, *CODES])
        if guess is not None:
            hints.append(f"did you mean `{guess}` for `{written}`? " if len(positions) > 1
                         else f"did you mean `{guess}`? ")
    return "".join(hints)


def _shown(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _rewrite(text: str) -> str:
    """How to write what the comment meant: brackets around the selectors, the reason after ` -- `."""
    match = re.match(_LOOSE, text)
    kind = match.group("kind").lower() if match else ""
    rest = match.group("rest").strip() if match else ""
    if kind not in _KINDS:
        from composelint.suggest import closest_name

        guess = closest_name(kind, _KINDS) if kind else None
        if guess is None:
            return f"write {SYNTAX}"
        kind = guess
    selectors, reason = rest, ""
    if rest.startswith("["):
        inside, closed, after = rest[1:].partition("]")
        selectors, reason = inside, after.strip() if closed else ""
        if reason.startswith("--"):
            reason = reason[2:].strip()
    elif " -- " in f" {rest} ":
        selectors, _, reason = f" {rest} ".partition(" -- ")
    words = [word for word in re.split(r"[\s,]+", selectors.strip()) if word]
    codes = [word for word in words if _codes_of(word) is not None]
    if not codes:
        return f"write {SYNTAX}"
    leftover = " ".join(word for word in words if word not in codes)
    reason = " ".join(part for part in (leftover, reason.strip()) if part)
    fixed = f"# composelint: {kind}[{', '.join(codes)}]" + (f" -- {reason}" if reason else "")
    return f"write `{fixed}`: the codes or names go in brackets, a reason after ` -- `"
