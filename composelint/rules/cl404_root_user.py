"""The final stage runs as root: no USER, or USER root/0 last."""

from __future__ import annotations

import fnmatch
import functools
import re

from composelint.analysis.users import runs_as_other_user, target_users
from composelint.imageref import parse_image_ref
from composelint.rules._rule import Violation, rule

# Images whose default user is not root, or whose entrypoint drops to a service user (gosu, su-exec).
_NON_ROOT_IMAGES = ("bitnami/*", "*/bitnami/*", "cgr.dev/chainguard/*", "*nonroot*", "*unprivileged*", "*rootless*",
                    "jupyter/*", "quay.io/jupyter/*", "gcr.io/distroless/*:nonroot*", "postgres", "mysql", "mariadb",
                    "redis", "mongo", "rabbitmq", "elasticsearch", "kibana", "logstash", "docker.elastic.co/*",
                    "grafana/*", "prom/*", "memcached", "couchdb", "cassandra", "jenkins/jenkins", "sonarqube",
                    "consul", "hashicorp/consul", "vault", "hashicorp/vault", "zookeeper", "solr", "neo4j",
                    # Windows images: no root user (ContainerAdministrator / ContainerUser)
                    "*windows*", "*nanoserver*", "*servercore*")
# Programs that drop privileges in an entrypoint: the process that runs is not root.
_DROPS = re.compile(r"\b(gosu|su-exec|setpriv|s6-setuidgid|chpst|runuser|setuidgid|s6-overlay)\b")


@functools.cache
def _non_root_pattern() -> re.Pattern:
    """The globs as one pattern, compiled when a stage without USER first asks (~1 ms): fnmatch compiles each
    glob on first use, ~5 ms for the 35 on the awesome-compose corpus."""
    return re.compile("|".join(fnmatch.translate(pattern) for pattern in _NON_ROOT_IMAGES))


def _non_root_base(reference: str) -> bool:
    lowered = reference.lower()
    repository = parse_image_ref(lowered).short
    pattern = _non_root_pattern()
    return pattern.match(lowered) is not None or pattern.match(repository) is not None


@rule(code="CL404", name="root-user", severity="info",
      summary="the final stage runs as root: no USER instruction, or USER root/0 last",
      equivalents=("hadolint:DL3002",))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for target in target_users(project, dockerfile):
            services = target.services
            if services and all(runs_as_other_user(service) for service in services):
                continue  # compose `user:` overrides the image's user
            chain = target.chain
            if any(_DROPS.search(instruction.text) for stage in chain for instruction in stage.instructions):
                continue
            label = target.label
            last_user = target.instruction
            if last_user is None:
                if _non_root_base(chain[0].base_resolved or chain[0].base.value):
                    continue
                yield Violation(
                    target.stage.from_instruction.span,
                    f"{label} runs as root: no USER instruction switches to another user, so a "
                    "compromised process owns the whole container",
                    help="create an unprivileged user and switch to it before the start command, e.g. "
                         "`RUN useradd --create-home app` (Alpine: `adduser -D app`) then `USER app`",
                    # About the stage, not its FROM line: pinning the base image keeps it baselined.
                    anchor_text="no USER in the final stage" if target.final
                    else f"no USER in stage {target.stage.label()}",
                    keyed_on_anchor=True)
                continue
            if target.user in ("root", "0"):
                yield Violation(
                    last_user.span,
                    f"`USER {last_user.arguments.strip()}` is the last USER of {label}: the "
                    "container runs as root",
                    help="switch back to an unprivileged user after the steps that need root, e.g. `USER app`",
                    anchor_text=last_user.text)
