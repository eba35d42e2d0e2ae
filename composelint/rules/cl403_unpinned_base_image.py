"""FROM an image without a tag or digest, or with `:latest`."""

from __future__ import annotations

import re

from composelint.analysis.commands.words import UnterminatedQuote, split_words
from composelint.imageref import parse_image_ref
from composelint.diagnostics import Related
from composelint.rules._rule import Violation, rule

_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_]|:?-)")  # ${VAR:-default} carries its own default


def _global_defaults(dockerfile) -> dict[str, tuple[str, object]]:
    """Global ARG name -> (default, instruction); ARGs without a default are left out."""
    defaults = {}
    for instruction in dockerfile.global_args:
        try:
            words = [word.text for word in split_words(instruction.arguments)]
        except UnterminatedQuote:
            words = instruction.arguments.split()
        for word in words:
            name, equals, value = word.partition("=")
            if equals:
                defaults[name] = (value, instruction)
            else:
                defaults.pop(name, None)
    return defaults


@rule(code="CL403", name="unpinned-base-image", severity="warning",
      summary="FROM an image without a tag or digest, or with the moving `latest` tag",
      equivalents=("hadolint:DL3006", "hadolint:DL3007"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        defaults = _global_defaults(dockerfile)
        earlier: set[str] = set()
        for stage in dockerfile.stages:
            written = stage.base.value
            resolved = stage.base_resolved.strip()
            lowered = resolved.lower()
            is_stage = lowered in earlier
            if stage.name:
                earlier.add(stage.name)
            if not resolved or lowered == "scratch" or is_stage:
                continue
            names = _VARIABLE.findall(written)
            if any(name not in defaults for name in names):
                continue  # decided by a build argument without a default: nothing to check here
            related = tuple(Related(defaults[name][1].span, f"`{written}` takes `${name}` from this default")
                            for name in dict.fromkeys(names))
            ref = parse_image_ref(resolved)
            repository, tag = ref.repository, ref.tag
            if ref.digest:
                continue
            if tag is None:
                message = (f"base image `{resolved}` has no tag, so it means `{repository}:latest`: each build "
                           "may pull a different image than the one you tested")
            elif tag.lower() == "latest":
                message = (f"base image `{resolved}` uses the moving `latest` tag: each build may pull a "
                           "different image than the one you tested")
            else:
                continue
            yield Violation(
                stage.base.span, message,
                help=f"pin a version tag such as `{repository}:<version>`, or a digest "
                     f"(`{repository}@sha256:…`), and update it deliberately",
                related=related, anchor_text=resolved)
