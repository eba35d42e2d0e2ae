"""A secret is written in plain text in a compose file."""

from __future__ import annotations

import fnmatch

from composelint.analysis.service_facts import env_value_span, has_variable, inherited_notes, subject
from composelint.records import record
from composelint.rules._rule import Violation, rule

# Words after the secret word that make the key describe a secret rather than hold one.
_METADATA = frozenset(("FILE", "PATH", "DIR", "URL", "URI", "HOST", "PORT", "ENDPOINT", "NAME", "TYPE",
                       "HEADER", "ALGORITHM", "ALG", "ISSUER", "AUDIENCE", "PROVIDER", "POLICY", "LENGTH",
                       "LEN", "TTL", "TIMEOUT", "EXPIRY", "EXPIRE", "EXPIRES", "EXPIRATION", "LIFETIME",
                       "SECONDS", "MINUTES", "HOURS", "DAYS", "ROUNDS", "ENABLED", "REQUIRED"))
_FLAGS = frozenset(("true", "false", "yes", "no", "on", "off", "0", "1", "y", "n"))


@record(frozen=True, slots=True)
class Options:
    names: tuple[str, ...] = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY")
    allow: tuple[str, ...] = ()  # variable names (globs) that may hold a literal value


def secret_word(key: str, names) -> str | None:
    """The secret word a variable name contains, unless a later word makes it metadata (`TOKEN_TTL`)."""
    upper = key.upper()
    for name in names:
        index = upper.rfind(name.upper())
        if index < 0:
            continue
        after = upper[index + len(name):].strip("_").split("_")
        if not any(word in _METADATA for word in after):
            return name.upper()
    return None


@rule(code="CL307", name="plaintext-secret", severity="warning",
      summary="an environment variable named like a secret has a literal value", options=Options)
def check(project, options: Options):
    for deployment, service in project.deployed_services():
        for key, value in service.environment.items():
            if value.value is None or not value.value.strip() or has_variable(value.raw):
                continue
            if value.value.strip().lower() in _FLAGS or value.value.startswith("/run/secrets/"):
                continue  # a switch (`MYSQL_ALLOW_EMPTY_PASSWORD: "yes"`) or a path, not a secret
            if any(fnmatch.fnmatchcase(key, pattern) for pattern in options.allow):
                continue
            word = secret_word(key, options.names)
            if word is None:
                continue
            span = env_value_span(project, key, value)
            yield Violation(
                span,
                f"`{key}` of service '{service.name}' is a secret written in plain text in the compose file: "
                f"everyone who can read the repository or its history can read it",
                help=f"use a Compose secret and `{key}_FILE: /run/secrets/<name>`, or interpolate it from the "
                     f"deployment's environment: `{key}: ${{{key}:?}}`",
                related=inherited_notes(project, deployment, service, span),
                subject=subject(service),
                anchor_text=key,
                sensitive=True,
            )
