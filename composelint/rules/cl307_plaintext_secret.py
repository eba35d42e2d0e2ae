"""A secret is written in plain text in a compose file."""

from __future__ import annotations

import fnmatch

from composelint.analysis.secrets import FLAGS, SECRET_NAMES, secret_word
from composelint.analysis.service_facts import (by_context, env_value_span, has_variable, inherited_notes, selected,
                                                subject)
from composelint.records import record
from composelint.rules._rule import Violation, rule


@record(frozen=True, slots=True)
class Options:
    names: tuple[str, ...] = SECRET_NAMES
    allow: tuple[str, ...] = ()  # variable names (globs) that may hold a literal value


@rule(code="CL307", name="plaintext-secret", severity="warning",
      summary="an environment variable named like a secret has a literal value", options=Options)
def check(project, options: Options):
    for deployment, services in by_context(project):
        for service, key, value in selected(project, "CL307.secrets", deployment, services,
                                            lambda services: _secrets(services, options), (options,)):
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


def _secrets(services, options: Options) -> list:
    """The environment variables named like a secret with a literal value: (service, key, value)."""
    found = []
    for service in services:
        for key, value in service.environment.items():
            if value.value is None or not value.value.strip() or has_variable(value.raw):
                continue
            if value.value.strip().lower() in FLAGS or value.value.startswith("/run/secrets/"):
                continue  # a switch (`MYSQL_ALLOW_EMPTY_PASSWORD: "yes"`) or a path, not a secret
            if any(fnmatch.fnmatchcase(key, pattern) for pattern in options.allow):
                continue
            if secret_word(key, options.names) is not None:
                found.append((service, key, value))
    return found
