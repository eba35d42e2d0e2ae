"""Instruction keywords in mixed casing, `FROM … as …` cased unlike its `FROM`, or a stage name with capitals."""

from __future__ import annotations

import re

from composelint.analysis.commands.maps import argument_map
from composelint.diagnostics import Edit, Fix
from composelint.parsers.dockerfile import INSTRUCTIONS
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule

_KNOWN = frozenset(INSTRUCTIONS)
_WORD = re.compile(r"[^\t\v\f\r ]+")  # BuildKit's separators of FROM's words


def _self_consistent(word: str) -> bool:
    return word == word.lower() or word == word.upper()


def _recase(project, span, written: str, wanted: str):
    """Safe: BuildKit reads keywords and `AS` in any case, so only the spelling changes."""
    if _fix.at(project, span) != written:
        return None
    return Fix.safe(f"Write `{wanted}`", Edit.replace(span, wanted))


def _keyword_findings(project, dockerfile):
    # As BuildKit: the majority among keywords written all in one case; a tie goes to upper case. An unknown
    # keyword (a command missing its `\` above) is CL003's: BuildKit stops there and checks nothing.
    known = [instruction for instruction in dockerfile.instructions if instruction.keyword in _KNOWN]
    lower = upper = 0
    for instruction in known:
        written = instruction.written_keyword
        if _self_consistent(written):
            if written == written.lower():
                lower += 1
            else:
                upper += 1
    majority_lower = lower > upper
    for instruction in known:
        written = instruction.written_keyword
        wanted = written.lower() if majority_lower else written.upper()
        if written == wanted:
            continue
        case = "lower" if majority_lower else "upper"
        yield Violation(
            instruction.keyword_span,
            f"`{written}` is not written like the other instructions of this Dockerfile, which are mostly "
            f"{case} case: mixed keyword casing makes the file harder to scan, and BuildKit warns about it",
            help=f"write `{wanted}`", anchor_text=instruction.first_line,
            fix=_recase(project, instruction.keyword_span, written, wanted))


def _from_findings(project, dockerfile, stage):
    instruction = stage.from_instruction
    words = list(_WORD.finditer(instruction.arguments))
    if len(words) != 3 or words[1].group().lower() != "as":
        return
    where = argument_map(instruction, dockerfile.escape)

    def span_of(match):
        found = where.span(match.start(), match.end()) if where is not None else None
        return found or instruction.arguments_span or instruction.keyword_span

    keyword, as_word, name = instruction.written_keyword, words[1].group(), words[2].group()
    if (keyword == keyword.lower()) != (as_word == as_word.lower()):
        wanted = as_word.lower() if keyword == keyword.lower() else as_word.upper()
        as_span = span_of(words[1])
        yield Violation(
            as_span,
            f"`{as_word}` is not cased like its `{keyword}`: BuildKit warns about the mismatch "
            "(FromAsCasing) on every build",
            help=f"write `{keyword} … {wanted} {name}`", anchor_text=instruction.first_line,
            fix=_recase(project, as_span, as_word, wanted))
    if name != name.lower():
        yield Violation(
            span_of(words[2]),
            f"stage name `{name}` has capitals, but stage names are not case-sensitive: BuildKit lower-cases "
            f"it, so `--from={name}` and `--from={name.lower()}` name the same stage, and it warns about it",
            help=f"write the stage name in lower case, `{name.lower()}`, here and where `--from=` or "
                 "`FROM` refer to it",
            anchor_text=instruction.first_line)


@rule(code="CL430", name="instruction-casing", severity="info",
      summary="keywords not cased like the Dockerfile's majority, `FROM … as` mismatched, or an upper-case stage name",
      equivalents=("buildkit:ConsistentInstructionCasing", "buildkit:FromAsCasing", "buildkit:StageNameCasing"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        yield from _keyword_findings(project, dockerfile)
        for stage in dockerfile.stages:
            yield from _from_findings(project, dockerfile, stage)
