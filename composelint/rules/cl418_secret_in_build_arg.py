"""An ARG default or ENV value named like a secret is written in the Dockerfile."""

from __future__ import annotations

import fnmatch
import re

from composelint.analysis.arguments import assignments
from composelint.analysis.secrets import FLAGS, SECRET_NAMES, secret_word
from composelint.records import record
from composelint.rules._rule import Violation, rule

# BuildKit's allowlist: a name with one of these words names no secret (`NEXT_PUBLIC_API_KEY` is meant for
# the browser, `GPG_KEY_VERSION` is a number).
_PUBLIC = re.compile(r"(?:^|_)(?:PUBLIC|PUB|VERSION)(?:_|$)", re.IGNORECASE)
_PATH = re.compile(r"(?:/|\./|\.\./|~/)")


@record(frozen=True, slots=True)
class Options:
    names: tuple[str, ...] = SECRET_NAMES
    allow: tuple[str, ...] = ()  # variable names (globs) that may hold a literal value


def _literal(value: str | None) -> str | None:
    """The value without quotes, when it is a literal that may be a secret: not empty, not a variable, not a
    switch (`true`), not a path (`/run/secrets/db`, `./certs/key.pem`)."""
    if value is None:
        return None
    text = value.strip().strip("\"'").strip()
    if not text or "$" in text or text.lower() in FLAGS or _PATH.match(text):
        return None
    return text


@rule(code="CL418", name="secret-in-build-arg", severity="warning",
      summary="an ARG default or ENV value named like a secret (`*_PASSWORD`, `*_TOKEN`) is a literal",
      options=Options, equivalents=("hadolint:DL3064", "buildkit:SecretsUsedInArgOrEnv"))
def check(project, options: Options):
    for dockerfile in project.dockerfiles.values():
        for instruction in dockerfile.instructions:
            if instruction.keyword not in ("ARG", "ENV", "ONBUILD"):
                continue
            for assignment in assignments(project, instruction, dockerfile.escape):
                name = assignment.name
                if _literal(assignment.value) is None or assignment.value_span is None or _PUBLIC.search(name):
                    continue
                if any(fnmatch.fnmatchcase(name, pattern) for pattern in options.allow):
                    continue
                if secret_word(name, options.names) is None:
                    continue
                keyword = assignment.keyword
                if keyword == "ENV":
                    where = ("it is stored in the image's configuration, so everyone who can pull the image reads "
                             "it with `docker inspect`, and in the repository")
                else:
                    where = ("the default is in the repository and in the history of every RUN step that uses it "
                             "(`docker history`)")
                yield Violation(
                    assignment.value_span,
                    f"`{keyword} {name}` has a literal value in the Dockerfile: {where}",
                    help=f"pass it as a build secret (`RUN --mount=type=secret,id={name.lower()} …`, compose "
                         "`build.secrets`), and give the container its run-time value from compose `secrets:` or "
                         "the environment (a build arg without a default still shows in `docker history`)",
                    anchor_text=f"{keyword} {name}",
                    sensitive=True)
