"""`MAINTAINER`, deprecated since Docker 1.13: a label says who maintains the image."""

from __future__ import annotations

from composelint.rules._rule import Violation, rule


@rule(code="CL432", name="maintainer-instruction", severity="info",
      summary="`MAINTAINER` is deprecated: use `LABEL org.opencontainers.image.authors=…`",
      equivalents=("hadolint:DL4000", "buildkit:MaintainerDeprecated"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for instruction in dockerfile.instructions:
            if instruction.keyword != "MAINTAINER":
                continue
            author = instruction.arguments.strip()
            if not (len(author) >= 2 and author[0] == author[-1] == '"'):  # already quoted: what was meant
                author = '"' + author.replace("\\", "\\\\").replace('"', '\\"') + '"'
            yield Violation(
                instruction.keyword_span,
                "`MAINTAINER` is deprecated: Docker writes it only to the image's legacy `Author` field, which "
                "registries and OCI tools do not read, so the image shows no author",
                help=f"replace the line with `LABEL org.opencontainers.image.authors={author}`",
                anchor_text=instruction.first_line)
