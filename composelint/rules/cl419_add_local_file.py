"""ADD of a local file or directory, which COPY does without ADD's extra behaviours."""

from __future__ import annotations

from composelint.analysis.image.model import copy_word_spans
from composelint.analysis.image.paths import ARCHIVE, URL
from composelint.diagnostics import Edit, Fix
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule

# Flags that only make sense for a remote source (a URL or a Git repository): such an ADD is meant.
_REMOTE_FLAGS = frozenset(("checksum", "keep-git-dir", "unpack"))
# ADD's flags that COPY takes with the same meaning.
_COPY_FLAGS = frozenset(("chown", "chmod", "link", "exclude"))


def _local_file(source: str) -> bool:
    """A source ADD copies as COPY would: not a URL or Git address, not a tar archive ADD unpacks, and
    nothing composelint cannot read (a `$VARIABLE` may hold a URL)."""
    text = source.strip("\"'")
    return bool(text) and "$" not in text and not URL.match(text) and not ARCHIVE.search(text)


@rule(code="CL419", name="add-local-file", severity="warning",
      summary="ADD of a local file or directory (not a URL or a tar archive to unpack): use COPY",
      equivalents=("hadolint:DL3020",))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for instruction in dockerfile.instructions:
            if instruction.keyword != "ADD" or instruction.heredocs:
                continue
            if any(flag.name in _REMOTE_FLAGS for flag in instruction.flags):
                continue
            words = copy_word_spans(project, instruction)[:-1]
            local = [(text, span) for text, span in words if _local_file(text)]
            if not local:
                continue
            text, span = local[0]
            shown = ", ".join(f"`{written}`" for written, _ in local)
            yield Violation(
                span,
                f"`ADD` copies {shown} from the build context: `COPY` does the same, "
                "while `ADD` also unpacks tar archives and downloads URLs: a reader cannot tell which was meant, "
                "and a source that becomes a tar archive is silently unpacked",
                help="use `COPY` for files and directories of the build context; keep `ADD` for a URL, a Git "
                     "repository or a tar archive to unpack",
                anchor_text=instruction.first_line,
                fix=_copy_fix(project, instruction, words, local))


def _copy_fix(project, instruction, words, local):
    """`ADD` -> `COPY`, the keyword only, in its case, when every source is local and every flag COPY's.

    Safe when every source is a directory by its spelling (`.`, `src/`): ADD unpacks only a source
    *file* that is a tar archive. Unsafe otherwise: ADD recognises an archive by its content, whatever
    its name, and composelint does not open the build context's files, so `vendor.bin` might be one."""
    if len(local) != len(words) or any(flag.name not in _COPY_FLAGS for flag in instruction.flags):
        return None
    written = instruction.written_keyword
    span = instruction.keyword_span
    if _fix.at(project, span) != written:
        return None
    directories = all(text.strip("\"'") in (".", "./") or text.strip("\"'").endswith("/") for text, _ in local)
    make = Fix.safe if directories else Fix.unsafe
    return make("Use `COPY`", Edit.replace(span, _fix.same_case(written, "COPY")))
