"""EXPOSE with a port Docker refuses, a host address or mapping, or an upper-case protocol."""

from __future__ import annotations

from composelint.analysis.image.model import copy_word_spans
from composelint.analysis.python_deps import stage_environments_of
from composelint.diagnostics import Severity
from composelint.parsers.dockerfile import substitute
from composelint.parsers.ports import parse_port_spec, port_bounds
from composelint.rules._rule import Violation, rule

_PROTOCOLS = ("tcp", "udp", "sctp")


@rule(code="CL412", name="invalid-expose", severity="error",
      summary="EXPOSE with a port outside 0-65535, a host address or port mapping, or an upper-case protocol",
      equivalents=("hadolint:DL3011", "buildkit:ExposeInvalidFormat", "buildkit:ExposeProtoCasing"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        environments = None
        for stage in dockerfile.stages:
            for instruction in stage.instructions:
                if instruction.keyword != "EXPOSE":
                    continue
                if environments is None:
                    environments = stage_environments_of(project, dockerfile)
                env = environments[stage.index]
                for written, span in copy_word_spans(project, instruction):
                    text = substitute(written, env, escape=dockerfile.escape) if "$" in written else written
                    if "$" in text or not text:
                        continue  # a variable with no known value
                    for port in text.split():  # BuildKit splits an expanded value into words
                        found = _problem(port)
                        if found is not None:
                            message, help_text, severity = found
                            shown = f"`{written}`" + (f" (`{port}`)" if port != written else "")
                            yield Violation(span, f"`EXPOSE` {shown} {message}", help=help_text, severity=severity,
                                            subject=f"stage '{stage.label()}'", anchor_text=instruction.first_line)


def _problem(text: str):
    """(message, help, severity) for one EXPOSE word, or None when Docker reads it as meant."""
    spec = parse_port_spec(text)
    port = port_bounds(spec.target)
    if port is None:
        return (f"is not a port: Docker takes 0 to 65535 (or a range `8000-8010`), and the build stops with "
                f"\"invalid containerPort: {spec.target}\"", "write the container port the program listens on", None)
    if port[1] < port[0]:
        low, _, high = spec.target.partition("-")
        return (f"is a range that ends before it starts, and the build stops with \"invalid range\"",
                f"write `{high}-{low}`", None)
    if spec.protocol and spec.protocol.lower() not in _PROTOCOLS:
        return (f"has the protocol `{spec.protocol}`, which is none of `tcp`, `udp`, `sctp`: the build stops "
                "with \"invalid proto\"", f"write `{spec.target}/tcp` (or `/udp`, `/sctp`)", None)
    suffix = f"/{spec.protocol.lower()}" if spec.protocol else ""
    if spec.published and port_bounds(spec.published) is None:
        return (f"reads `{spec.published}` as a host port (`host:container`), and the build stops with \"invalid "
                f"hostPort: {spec.published}\"", f"write `EXPOSE {spec.target}{suffix}`: `EXPOSE` takes no address",
                None)
    if spec.host_ip or spec.published:
        mapped = "a host address" if spec.host_ip else "a host port"
        return (f"names {mapped}: `EXPOSE` only documents the container port, it publishes nothing, so "
                f"`{spec.target}` is all Docker keeps (BuildKit warns this will become an error)",
                f"write `EXPOSE {spec.target}{suffix}`, and publish it where the container runs "
                f"(compose `ports: [\"{spec.published or spec.target}:{spec.target}\"]`)", None)
    if spec.protocol != spec.protocol.lower():
        return (f"writes the protocol in upper case: Docker reads it as `{spec.protocol.lower()}`, and BuildKit "
                "warns (ExposeProtoCasing)", f"write `{spec.target}{suffix}`", Severity.WARNING)
    return None
