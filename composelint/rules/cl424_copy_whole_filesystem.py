"""`COPY --from=<stage> / /`: a whole file system copied into another stage."""

from __future__ import annotations

import posixpath

from composelint.analysis.image.base import base_info
from composelint.analysis.image.model import copy_word_spans
from composelint.assembly.linking import stage_chain
from composelint.rules._rule import Violation, rule


def _root(path: str) -> bool:
    text = path.strip("\"'")
    return bool(text) and "$" not in text and posixpath.normpath("/" + text.lstrip("/")) == "/"


def _whole_system(dockerfile, stage, name: str) -> bool:
    """Whether ``name`` (a `--from` value) is known to hold an operating system: a stage not built up from
    `scratch`, or an image composelint knows. An image it does not know may be a bundle of binaries built
    FROM scratch to be copied whole (`COPY --from=gloursdocker/docker / /` installs the Docker CLI)."""
    source = dockerfile.stage(name)
    if source is not None and source.index < stage.index:
        root = stage_chain(dockerfile, source)[-1]
        return base_info(root.base_resolved).kind != "scratch"
    info = base_info(name)
    return info.kind == "known" and not info.closed


@rule(code="CL424", name="copy-whole-filesystem", severity="info",
      summary="`COPY --from=X / /` copies a whole file system into the stage",
      equivalents=("hadolint:DL3067",))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for stage in dockerfile.stages:
            if stage.base_resolved.strip().lower() == "scratch":
                continue  # the flattening idiom: the result is that file system in one layer, and nothing else
            for instruction in stage.instructions:
                source = instruction.flag("from") if instruction.keyword == "COPY" else None
                if source is None or not source.value or not _whole_system(dockerfile, stage, source.value):
                    continue
                words = copy_word_spans(project, instruction)
                if len(words) < 2 or not _root(words[-1][0]) or not any(_root(text) for text, _ in words[:-1]):
                    continue
                span = next(span for text, span in words[:-1] if _root(text))
                yield Violation(
                    span,
                    f"`COPY --from={source.value} / /` copies the whole file system of `{source.value}` over this "
                    "stage's: its package manager state, build tools, caches and any secret it held come along, "
                    "and this stage's own files are overwritten",
                    help=f"copy only what the image needs (`COPY --from={source.value} /app /app`); to keep "
                         f"everything, build the stage `FROM` it instead",
                    anchor_text=instruction.first_line)
