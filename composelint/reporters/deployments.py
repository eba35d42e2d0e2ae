"""`composelint deployments`: the deployments found, as text for people or JSON for tools.

:func:`describe` turns the project's deployments, the variants linted beside them and the
compose files nothing runs into plain data; both formats print that data.
"""

from __future__ import annotations

import json

from composelint.assembly.deployments import undeployed_files
from composelint.diagnostics import Span


def describe(project) -> dict:
    """The deployments of a project as plain data (``composelint deployments --format json``)."""

    def where(span: Span | None) -> dict | None:
        return None if span is None else {"path": span.path, "line": span.line, "column": span.column}

    deployments = []
    for deployment in project.deployments:
        services = []
        for name, service in deployment.services.items():
            services.append({"name": name, "file": service.file, "line": service.name_span.line,
                             "active": name in deployment.active, "profiles": list(service.profiles)})
        deployments.append({
            "name": deployment.name, "source": deployment.source, "origin": where(deployment.origin),
            "orchestrator": deployment.orchestrator,
            "command": deployment.command, "files": list(deployment.files),
            "project_dir": deployment.project_dir or ".", "profiles": list(deployment.profiles),
            "env_files": list(deployment.env_files), "env_examples": list(deployment.env_examples),
            "included": list(deployment.included),
            "services": services,
            "unresolved": [{"text": item.value, **where(item.span)} for item in deployment.unresolved],
            "notes": list(deployment.notes),
        })
    variants = []
    for variant in project.variants:  # what no deployment runs as found, and how it is linted all the same
        variants.append({"name": variant.name, "kind": variant.kind, "parent": variant.parent,
                         "file": variant.files[-1], "files": list(variant.files), "profiles": list(variant.profiles),
                         "services": sorted(name for name in variant.active
                                            if variant.focus is None or name in variant.focus),
                         "how": linted_how(variant)})
    copies = sorted(project.compose_copies.items())
    return {"version": 1, "deployments": deployments, "undeployed": list(undeployed_files(project)),
            "variants": variants,
            "templates": [path for path, kind in copies if kind == "template"],
            "backups": [path for path, kind in copies if kind == "backup"]}


def linted_how(variant) -> str:
    """How a variant is linted, in the words of ``composelint deployments``."""
    if variant.kind == "profile":
        return f"profile {variant.profiles[-1]} of {variant.parent}"
    if variant.kind == "fragment":
        return f"fragment of {variant.parent}" if variant.parent else \
            "fragment, no base found: only its complete services are linted"
    return "standalone"


def render_deployments(project, output_format: str = "text") -> str:
    data = describe(project)
    if output_format == "json":
        return json.dumps(data, indent=2) + "\n"
    lines: list[str] = []
    for item in data["deployments"]:
        origin = item["origin"]
        found = f"{item['source']}, {origin['path']}:{origin['line']}" if origin else item["source"]
        lines.append(f"{item['name']}  ({found})")
        if item["command"] and item["source"] in ("automation", "dotenv", "documented"):
            lines.append(f"  command:    {item['command']}")
        if item["orchestrator"] == "swarm":
            lines.append("  runs on:    Swarm (`docker stack deploy`: build, container_name, depends_on and "
                         "restart are ignored; deploy.* applies)")
        lines.append(f"  files:      {', '.join(item['files'])}")
        if item["included"]:
            lines.append(f"  included:   {', '.join(item['included'])}")
        lines.append(f"  project:    {item['project_dir']}")
        if item["profiles"]:
            lines.append(f"  profiles:   {', '.join(item['profiles'])}")
        if item["env_files"]:
            lines.append(f"  env files:  {', '.join(item['env_files'])}")
        if item["env_examples"]:
            lines.append(f"  variables:  from {', '.join(item['env_examples'])} (no .env is committed; "
                         "pass --env-file to lint with the real values)")
        active = [s["name"] for s in item["services"] if s["active"]]
        inactive = [f"{s['name']} (profiles: {', '.join(s['profiles'])})" for s in item["services"] if not s["active"]]
        lines.append(f"  services:   {', '.join(active) if active else '(none)'}")
        if inactive:
            lines.append(f"  inactive:   {', '.join(inactive)}")
        for entry in item["unresolved"]:
            lines.append(f"  unresolved: `{entry['text']}` ({entry['path']}:{entry['line']}:{entry['column']})")
        for note in item["notes"]:
            lines.append(f"  note:       {note}")
        lines.append("")
    if not data["deployments"]:
        lines.extend(["no deployment found: no compose.yaml or docker-compose.yml, no `docker compose` in the "
                      "automation, no `deployments:` in the configuration", ""])
    if data["variants"]:
        lines.append("also linted:")
        for item in data["variants"]:
            what = item["file"] if item["kind"] != "profile" else item["how"]
            how = f"  {item['how']}" if item["kind"] != "profile" else ""
            lines.append(f"  {what}{how}  (services: {', '.join(item['services']) or 'none'})")
        lines.append("")
    if data["undeployed"]:
        lines.append(f"not deployed: {', '.join(data['undeployed'])}")
    if data["templates"]:
        lines.append(f"templates:    {', '.join(data['templates'])} (compose files to copy into place)")
    if data["backups"]:
        lines.append(f"backups:      {', '.join(data['backups'])} (copies nothing runs; not linted)")
    return "\n".join(lines).rstrip("\n") + "\n"
