"""A service runs with host-level privileges."""

from __future__ import annotations

import posixpath

from composelint.analysis.service_facts import by_context, inherited_notes, matches, mounts, selected, subject
from composelint.records import record
from composelint.rules._rule import Violation, rule
from composelint.yamltree import YScalar, YSeq, scalar_text

_HOST_NAMESPACES = {
    "network_mode": "shares the host's network stack: no port isolation, and it reaches every service "
                    "listening on the host's loopback",
    "pid": "sees and can signal every process on the host",
    "ipc": "shares the host's IPC namespace and shared memory",
}
_SOCKET_DIRS = ("/var/run", "/run")


@record(frozen=True, slots=True)
class Options:
    allow: tuple[str, ...] = ()  # service names or images (globs) allowed every privilege below
    allow_privileged: tuple[str, ...] = ()  # ... allowed `privileged: true`
    allow_docker_sock: tuple[str, ...] = ()  # ... allowed to mount the Docker socket (traefik, portainer)
    allow_host_namespaces: tuple[str, ...] = ()  # ... allowed `network_mode`/`pid`/`ipc: host`
    allow_capabilities: tuple[str, ...] = ()  # ... allowed `cap_add: [ALL]` / `SYS_ADMIN`


def _findings(service):
    """(kind, span, message, help) of every host-level privilege the service asks for."""
    node = service.get("privileged")
    if isinstance(node, YScalar) and (node.value is True or scalar_text(node) == "true"):
        yield ("privileged", node.span, "runs `privileged: true`: it gets every capability and every host "
               "device, so whoever compromises it owns the host",
               "remove `privileged`; grant only the capabilities it needs with `cap_add`")
    for mount in mounts(service):
        source = (mount.source or "").rstrip("/")
        if mount.kind == "bind" and mount.source and posixpath.normpath(mount.source) in ("/", "//"):
            yield ("docker-sock", mount.span, f"mounts the host's root filesystem (`{mount.source}`): it holds the "
                   "Docker socket, the host's credentials and every other container's data, so whoever controls "
                   "the container controls the host (`:ro` does not help: the socket stays writable)",
                   "mount only the host directories it needs (for node metrics: `/proc`, `/sys` read-only), or "
                   "allow the service with the `allow-docker-sock` option")
        elif mount.kind == "bind" and (source.endswith("docker.sock") or source in _SOCKET_DIRS):
            what = f"the Docker socket (`{mount.source}`)" if source.endswith("docker.sock") else \
                f"`{mount.source}`, which holds the Docker socket"
            yield ("docker-sock", mount.span, f"mounts {what}: whoever controls the container controls the "
                   "Docker daemon, which is root on the host (`:ro` does not help)",
                   "give it a socket proxy that allows only the API calls it needs, or allow the service "
                   "with the `allow-docker-sock` option")
    for key, why in _HOST_NAMESPACES.items():
        node = service.get(key)
        if scalar_text(node) == "host":
            yield ("host-namespaces", node.span, f"uses `{key}: host`: it {why}",
                   f"remove `{key}: host`" + ("; publish the ports it needs with `ports:`" if key == "network_mode"
                                               else ""))
    caps = service.get("cap_add")
    if isinstance(caps, YSeq):
        for item in caps.items:
            text = (scalar_text(item) or "").upper()
            if text in ("ALL", "SYS_ADMIN", "CAP_ALL", "CAP_SYS_ADMIN"):
                yield ("capabilities", item.span, f"adds the capability `{scalar_text(item)}`: "
                       f"{'every capability' if 'ALL' in text else 'SYS_ADMIN'} is nearly as strong as "
                       f"`privileged: true` (mounts, namespaces, devices)",
                       "add only the narrow capabilities it needs (for example `NET_BIND_SERVICE`)")


@rule(code="CL306", name="privileged", severity="warning",
      summary="a service runs privileged, mounts the Docker socket or joins host namespaces", options=Options)
def check(project, options: Options):
    allowed = {"privileged": options.allow_privileged, "docker-sock": options.allow_docker_sock,
               "host-namespaces": options.allow_host_namespaces, "capabilities": options.allow_capabilities}
    for deployment, services in by_context(project):
        for service, kind, span, message, help_text in selected(
                project, "CL306.privileges", deployment, services,
                lambda services: _privileges(services, options, allowed), (options,)):
            yield Violation(span, f"service '{service.name}' {message}", help=help_text,
                            related=inherited_notes(project, deployment, service, span),
                            subject=subject(service), anchor_text=kind)


def _privileges(services, options: Options, allowed: dict) -> list:
    """The host-level privileges the services ask for and are not allowed: (service, kind, span, message, help)."""
    return [(service, *found) for service in services if not matches(options.allow, service)
            for found in _findings(service) if not matches(allowed[found[0]], service)]
