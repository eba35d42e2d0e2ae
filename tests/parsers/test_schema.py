"""composelint's Compose schema (rule CL002): messages, Compose's casts, and agreement with the oracles.

The oracles are the official Compose Specification schema (../shared/schemas,
present in CI) and the real `docker compose config` binary (a test extra).
Tests that need one skip, saying why, when it is absent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import compose_binary, needs_compose
from ruamel.yaml import YAML

from composelint.parsers import schema as schema_module
from composelint.parsers import schema_messages
from composelint.parsers.schema import SchemaError, validate_compose

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
OFFICIAL_SCHEMA = SHARED / "schemas" / "compose-spec.json"
CORPUS = SHARED / "corpus"
OUR_SCHEMA = REPO / "composelint" / "parsers" / "compose_schema.json"

needs_official = pytest.mark.skipif(
    not OFFICIAL_SCHEMA.is_file(), reason=f"official Compose schema not found at {OFFICIAL_SCHEMA} (CI provides it)"
)


def load(text: str) -> object:
    """YAML 1.2, as Compose (go-yaml v3) and composelint's loader read it: `8080:80` and `no` stay strings."""
    return YAML(typ="safe", pure=True).load(textwrap.dedent(text))


def errors_of(text: str) -> list[SchemaError]:
    return validate_compose(load(text))


def service(body: str, extra: str = "") -> str:
    """A file with one service `web` whose mapping is `body` (indented here), plus top-level `extra`."""
    indented = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    top_level = extra.strip("\n")
    return f"services:\n  web:\n{indented}\n{top_level}\n"


def port_file(port: str) -> str:
    return service(f"image: nginx\nports: ['{port}']")


def volume_file(volume: str) -> str:
    return service(f"image: nginx\nvolumes: ['{volume}']", "volumes:\n  data: {}")


def cast_file(body: str) -> str:
    """`body` in service `web`, with the secret `s` that some bodies mount declared."""
    return service(f"image: nginx\n{body}", "secrets:\n  s:\n    file: ./s.txt")


def only_error(text: str) -> SchemaError:
    found = errors_of(text)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- kinds of error


def test_a_minimal_file_is_valid():
    assert errors_of(service("image: nginx")) == []


def test_unknown_top_level_key_is_reported_on_the_key_with_a_suggestion():
    error = only_error("servces:\n  web:\n    image: nginx\n")
    assert error == SchemaError(("servces",), "unknown top-level key `servces`; did you mean `services`?", True)


def test_unknown_service_key_names_the_service_and_suggests_the_known_key():
    error = only_error(service("imgae: nginx"))
    assert error == SchemaError(
        ("services", "web", "imgae"), "unknown key `imgae` in service `web`; did you mean `image`?", True
    )


def test_unknown_key_deeper_down_names_its_mapping():
    error = only_error(service("image: nginx\nhealthcheck:\n  test: [CMD, 'true']\n  intervl: 10s"))
    assert error.path == ("services", "web", "healthcheck", "intervl")
    assert error.message == "unknown key `intervl` in `services.web.healthcheck`; did you mean `interval`?"
    assert error.on_key


def test_every_unknown_key_is_its_own_error():
    found = errors_of(service("image: nginx\nportz: []\nenvironmnt: {}\nfoo: 1"))
    assert [error.path[-1] for error in found] == ["environmnt", "foo", "portz"]
    assert all(error.on_key for error in found)
    assert found[2].message.endswith("did you mean `ports`?")
    assert "did you mean" not in found[1].message


def test_service_name_outside_the_allowed_characters():
    error = only_error("services:\n  my web:\n    image: nginx\n")
    assert error.path == ("services", "my web") and error.on_key
    assert error.message == (
        "`my web` is not a valid service name in `services`: use only letters, digits, `.`, `_` and `-`"
    )


def test_capitalised_extension_key_gets_a_hint_instead_of_a_suggestion():
    error = only_error("X-common: {}\nservices:\n  web:\n    image: nginx\n")
    assert error.message == "unknown top-level key `X-common`; extension keys must start with lowercase `x-`"


def test_wrong_type_says_what_was_expected_and_what_was_found():
    error = only_error(service("image: nginx\nmem_limit: [512m]"))
    assert error == SchemaError(
        ("services", "web", "mem_limit"), "`services.web.mem_limit` must be a string or number, not a list", False
    )


def test_wrong_scalar_type_shows_the_value_and_its_kind():
    error = only_error(service("image: nginx\nuser: 1000"))
    assert error.message == "`services.web.user` must be a string, not the number `1000`"


def test_restart_policy_must_be_one_the_engine_knows():
    # `docker compose config` accepts any string here; the engine rejects it when it
    # creates the container, so composelint checks it as the engine does.
    error = only_error(service("image: nginx\nrestart: allways"))
    assert error.path == ("services", "web", "restart")
    assert error.message == (
        "`services.web.restart` must be one of `no`, `always`, `on-failure`, `unless-stopped`, not `allways`; "
        "did you mean `always`?"
    )


@pytest.mark.parametrize("policy", ["no", "always", "on-failure", "on-failure:3", "unless-stopped"])
def test_restart_policies_the_engine_accepts(policy):
    assert errors_of(service(f"image: nginx\nrestart: '{policy}'")) == []


def test_enum_error_lists_the_choices_and_suggests_one():
    error = only_error(service("image: nginx\ncgroup: hots"))
    assert error.message == "`services.web.cgroup` must be one of `host`, `private`, not `hots`; did you mean `host`?"


def test_missing_required_key_is_reported_on_the_mapping():
    error = only_error(service("image: nginx\ndepends_on:\n  db:\n    restart: true", "  db:\n    image: postgres"))
    assert error == SchemaError(
        ("services", "web", "depends_on", "db"),
        "`services.web.depends_on.db` is missing the required key `condition`",
        False,
    )


def test_depends_on_condition_must_be_known():
    error = only_error(service("image: nginx\ndepends_on:\n  db:\n    condition: healthy"))
    assert error.path == ("services", "web", "depends_on", "db", "condition")
    assert error.message.startswith("`services.web.depends_on.db.condition` must be one of `service_started`, ")


def test_duplicate_is_reported_at_its_second_occurrence():
    error = only_error(service("image: nginx\ndepends_on: [db, cache, db]"))
    assert error == SchemaError(
        ("services", "web", "depends_on", 2), "`services.web.depends_on` lists `db` more than once", False
    )


@pytest.mark.parametrize(
    "body",
    [
        "cap_add: [NET_ADMIN, NET_ADMIN]",
        "environment: [A=1, A=1]",
        "labels: [a=b, a=b]",
        "ports: ['80:80', '80:80']",
        "profiles: [dev, dev]",
        "volumes: [/data, /data]",
    ],
)
def test_duplicates_compose_merges_silently_are_accepted(body):
    # Compose de-duplicates these lists before it validates (the official schema
    # says uniqueItems, `docker compose config` accepts them): follow Compose.
    assert errors_of(service(f"image: nginx\n{body}")) == []


def test_empty_mapping_key_is_reported_on_the_key():
    error = only_error(service("image: nginx\nenvironment:\n  '': x"))
    assert error == SchemaError(("services", "web", "environment", ""), "empty key in `services.web.environment`", True)


def test_healthcheck_test_list_must_start_with_a_known_word():
    error = only_error(service("image: nginx\nhealthcheck:\n  test: [curl, -f, http://localhost]"))
    assert error.path == ("services", "web", "healthcheck", "test", 0)
    assert error.message == "`services.web.healthcheck.test[0]` must be one of `CMD`, `CMD-SHELL`, `NONE`, not `curl`"


def test_all_errors_are_reported_sorted_by_path_then_message():
    found = errors_of(
        """
        services:
          web:
            image: nginx
            restart: sometimes
            ports: ["abc:80"]
            privileged: maybe
          db:
            imag: postgres
        volumez: {}
        """
    )
    assert [error.path for error in found] == [
        ("services", "db", "imag"),
        ("services", "web", "ports", 0),
        ("services", "web", "privileged"),
        ("services", "web", "restart"),
        ("volumez",),
    ]
    assert validate_compose(load("services:\n  b:\n    imag: x\n  a:\n    imag: x\n"))[0].path[1] == "a"


def test_messages_read_as_composelint_not_as_jsonschema():
    found = errors_of(
        service(
            """
            image: 5
            command: {a: 1}
            ports: [1.5, {target: 80, bogus: 1}]
            gpus: "2"
            deploy: {resources: {limits: {memory: 1}}}
            """
        )
    )
    assert len(found) == 6
    for error in found:
        assert "schema" not in error.message and "is not of type" not in error.message, error
        assert "'" not in error.message, error


# --------------------------------------------------------------------------- ports and volumes


PORTS_COMPOSE_ACCEPTS = [
    "8080:80", "80", "127.0.0.1:8080:80", "127.0.0.1::80", "8080:80/udp", "53:53/SCTP", "8000-8010:8000-8010",
    "8000-8010:80", "[::1]:8080:80", "::1:8080:80", ":80", "0:80", "080", "80/",
]


@pytest.mark.parametrize("port", PORTS_COMPOSE_ACCEPTS)
def test_short_port_syntax_compose_accepts(port):
    assert errors_of(port_file(port)) == []


PORTS_COMPOSE_REJECTS = [
    ("abc:80", "the host port `abc` is not a port from 0 to 65535"),
    ("80:abc", "the container port `abc` is not a port from 1 to 65535"),
    ("80:80/xyz", "the protocol `xyz` is not `tcp`, `udp` or `sctp`"),
    ("99999:80", "the host port `99999`"),
    ("8080-8070:80", "the host port `8080-8070`"),
    ("8000-8001:80-82", "differ in size"),
    ("localhost:80:80", "`localhost` is not an IP address"),
    ("1.2.3.999:80:80", "`1.2.3.999` is not an IP address"),
    ("[::1]:80", "a bracketed IPv6 address needs both ports"),
    ("8080:", "the container port is missing"),
    ("0:0", "the container port `0`"),
    ("", "the mapping is empty"),
    ("8080:80 ", "the container port `80 `"),
]


@pytest.mark.parametrize(("port", "reason"), PORTS_COMPOSE_REJECTS)
def test_short_port_syntax_compose_rejects(port, reason):
    error = only_error(port_file(port))
    assert error.path == ("services", "web", "ports", 0)
    assert error.message.startswith("`services.web.ports[0]` is not a valid port mapping (")
    assert reason in error.message


def test_port_numbers_must_be_ports():
    found = errors_of(service("image: nginx\nports: [80, 0, 70000, -1, 1.5]"))
    assert [error.path[-1] for error in found] == [1, 2, 3, 4]


def test_long_port_syntax():
    ok = "image: nginx\nports:\n  - {target: 80, published: '8080', host_ip: '::1', protocol: udp, mode: host}"
    assert errors_of(service(ok)) == []
    assert errors_of(service("image: nginx\nports:\n  - target: '80'\n    published: 8000-8010")) == []
    missing = only_error(service("image: nginx\nports:\n  - published: 8080"))
    assert missing.message == "`services.web.ports[0]` is missing the required key `target`"
    bad_ip = only_error(service("image: nginx\nports:\n  - {target: 80, host_ip: somewhere}"))
    assert bad_ip.path == ("services", "web", "ports", 0, "host_ip")
    assert "is not a valid IP address (`somewhere`)" in bad_ip.message


VOLUMES_COMPOSE_ACCEPTS = ["./data:/data", "data:/data:ro", "/data", "./a:/b:ro,z", "C:\\data:/data", "a:b:c:d", "ab"]


@pytest.mark.parametrize("volume", VOLUMES_COMPOSE_ACCEPTS)
def test_short_volume_syntax_compose_accepts(volume):
    assert errors_of(volume_file(volume)) == []


VOLUMES_COMPOSE_REJECTS = [
    ("", "the volume is empty"),
    (":/data", "empty section between colons"),
    ("./a:/b:ro:extra", "too many colons"),
    ("./a:", "ends with a colon"),
]


@pytest.mark.parametrize(("volume", "reason"), VOLUMES_COMPOSE_REJECTS)
def test_short_volume_syntax_compose_rejects(volume, reason):
    error = only_error(volume_file(volume))
    assert error.path == ("services", "web", "volumes", 0)
    assert reason in error.message


def test_long_volume_syntax():
    ok = """
        image: nginx
        volumes:
          - {type: bind, source: ., target: /src, read_only: true, bind: {create_host_path: true, selinux: z}}
          - {type: volume, source: data, target: /data, volume: {nocopy: "true", subpath: sub}}
          - {type: tmpfs, target: /tmp, tmpfs: {size: 64m, mode: 1777}}
        """
    assert errors_of(service(ok, "volumes:\n  data: {}")) == []
    missing = only_error(service("image: nginx\nvolumes:\n  - {type: bind, source: .}"))
    assert missing.message == "`services.web.volumes[0]` is missing the required key `target`"
    kind = only_error(service("image: nginx\nvolumes:\n  - {type: nfs, target: /x}"))
    assert kind.path == ("services", "web", "volumes", 0, "type")


# --------------------------------------------------------------------------- Compose's casts of strings


CASTS_COMPOSE_ACCEPTS = [
    "privileged: 'true'", "read_only: 'yes'", "tty: 'TRUE'", "stdin_open: 'off'", "init: 'false'",
    "oom_kill_disable: 'no'", "cpus: '0.5'", "cpus: '2'", "cpu_shares: '512'", "cpu_percent: '50'",
    "cpu_count: '+2'", "pids_limit: '-1'", "oom_score_adj: '-500'", "scale: '3'", "mem_limit: 512m",
    "mem_limit: '1.5g'", "mem_limit: '512 MB'", "mem_limit: 1073741824", "memswap_limit: -1", "shm_size: '1gb'",
    "mem_reservation: '256MiB'", "mem_swappiness: '60'", "stop_grace_period: 1m30s", "stop_grace_period: '0'",
    "stop_grace_period: 1.5h", "stop_grace_period: 2d", "deploy: {replicas: '2'}",
    "deploy: {resources: {limits: {cpus: '0.5', memory: 512M, pids: '100'}}}",
    "deploy: {update_config: {parallelism: '2', delay: 10s, max_failure_ratio: '0.1'}}",
    "deploy: {restart_policy: {condition: on-failure, max_attempts: '3', window: 2m}}",
    "healthcheck: {test: curl -f http://localhost, retries: '3', interval: 30s, disable: 'false'}",
    "ulimits: {nofile: {soft: '1024', hard: '2048'}, nproc: '65535'}",
    "ports: [{target: '80', published: '8080'}]", "secrets: [{source: s, mode: '0440'}]",
    "gpus: [{driver: nvidia, count: all}]",
]


@pytest.mark.parametrize("body", CASTS_COMPOSE_ACCEPTS)
def test_strings_compose_casts_are_accepted(body):
    assert errors_of(cast_file(body)) == []


CASTS_COMPOSE_REJECTS = [
    ("privileged: banana", "privileged"),
    ("privileged: '1'", "privileged"),
    ("tty: ''", "tty"),
    ("cpus: abc", "cpus"),
    ("cpus: inf", "cpus"),
    ("cpu_shares: '5.5'", "cpu_shares"),
    ("cpu_percent: '101'", "cpu_percent"),
    ("cpu_count: '-1'", "cpu_count"),
    ("oom_score_adj: -1001", "oom_score_adj"),
    ("mem_limit: 512x", "mem_limit"),
    ("mem_limit: '-1'", "mem_limit"),
    ("mem_limit: 5i", "mem_limit"),
    ("stop_grace_period: '10'", "stop_grace_period"),
    ("stop_grace_period: 10", "stop_grace_period"),
    ("stop_grace_period: 1h 2m", "stop_grace_period"),
    ("scale: '1.5'", "scale"),
    ("deploy: {replicas: '-1'}", "replicas"),
    ("healthcheck: {retries: '-5'}", "retries"),
    ("healthcheck: {interval: soon}", "interval"),
    ("ulimits: {nofile: 1.5}", "nofile"),
    ("ports: [{target: http}]", "target"),
    ("secrets: [{source: s, mode: '0448'}]", "mode"),
    ("blkio_config: {weight: '10'}", "weight"),
    ("extra_hosts: [somehost]", 0),
    ("use_api_socket: 'true'", "use_api_socket"),
]


@pytest.mark.parametrize(("body", "path_end"), CASTS_COMPOSE_REJECTS)
def test_strings_compose_cannot_cast_are_rejected(body, path_end):
    error = only_error(cast_file(body))
    assert error.path[-1] == path_end
    assert error.message.startswith("`services.web.")


def test_cast_error_says_what_form_is_expected():
    assert only_error(service("image: nginx\nprivileged: banana")).message == (
        "`services.web.privileged` must be a boolean (`true` or `false`), not `banana`"
    )
    assert only_error(service("image: nginx\nstop_grace_period: '10'")).message == (
        "`services.web.stop_grace_period` must be a duration such as `30s` or `1m30s`, not `10`"
    )
    assert only_error(service("image: nginx\nmem_limit: lots")).message == (
        "`services.web.mem_limit` must be a byte size such as `512m` or `1g`, not `lots`"
    )


# --------------------------------------------------------------------------- extensions


EXTENSIONS_COMPOSE_ACCEPTS = [
    "x-common: &common {restart: always}\nservices:\n  web:\n    image: nginx",
    service("image: nginx\nx-owner: team-a"),
    service("image: nginx\nbuild: {context: ., x-cache: warm}"),
    service("image: nginx\ndeploy: {x-tier: gold, resources: {x-note: 1, limits: {x-a: 1}}}"),
    service("image: nginx\ndeploy: {resources: {reservations: {devices: [{capabilities: [gpu], x-a: 1}]}}}"),
    service("image: nginx\nhealthcheck: {test: [NONE], x-why: flaky}"),
    service("image: nginx\nlogging: {driver: json-file, x-why: debug}"),
    service("image: nginx\nports: [{target: 80, x-exposed: true}]"),
    service("image: nginx\nvolumes: [{type: bind, source: ., target: /x, x-a: 1, bind: {x-b: 2}}]"),
    service("image: nginx\nnetworks:\n  default:\n    x-a: 1"),
    service("image: nginx\ndepends_on:\n  db:\n    condition: service_started\n    x-a: 1", "  db:\n    image: x"),
    service("image: nginx\ndevelop: {x-a: 1, watch: [{path: ., action: rebuild, x-b: 2}]}"),
    service("image: nginx", "networks:\n  front:\n    x-a: 1\n    ipam: {x-b: 2, config: [{subnet: 10.0.0.0/24}]}"),
    service("image: nginx", "volumes:\n  data:\n    x-backup: daily"),
    service("image: nginx", "secrets:\n  s:\n    file: ./s\n    x-a: 1"),
    service("image: nginx", "configs:\n  c:\n    content: hi\n    x-b: 2"),
    service("image: nginx", "models:\n  llm:\n    model: ai/smollm2\n    x-a: 1"),
    service("image: nginx\nextends: {service: base, x-a: 1}", "  base:\n    image: x"),
]


@pytest.mark.parametrize("text", EXTENSIONS_COMPOSE_ACCEPTS)
def test_extensions_are_accepted_where_the_specification_allows_them(text):
    assert errors_of(text) == []


EXTENSIONS_COMPOSE_REJECTS = [
    ("env_file: [{path: .env, x-a: 1}]", "x-a"),
    ("blkio_config: {x-a: 1}", "x-a"),
]


@pytest.mark.parametrize(("body", "path_end"), EXTENSIONS_COMPOSE_REJECTS)
def test_extensions_are_rejected_where_compose_rejects_them(body, path_end):
    error = only_error(service(f"image: nginx\n{body}"))
    assert error.path[-1] == path_end and error.on_key
    assert error.message.endswith("extension keys (`x-`) are not allowed here")


# --------------------------------------------------------------------------- the rest of the format


def test_a_file_using_most_of_the_format_is_valid():
    text = """
        version: "3.8"
        name: shop
        include:
          - other.yaml
          - path: [a.yaml, b.yaml]
            env_file: .env
            project_directory: ..
        services:
          base:
            image: python:3.12
          web:
            extends: base
            build:
              context: .
              dockerfile: Dockerfile
              args: [PYTHON=3.12]
              ssh: {default: ~}
              cache_from: [type=local,src=/tmp]
              target: runtime
              secrets: [npmrc]
              platforms: [linux/amd64]
            command: ["gunicorn", "app:app"]
            entrypoint: /entry.sh
            environment:
              DEBUG: false
              WORKERS: 4
              EMPTY:
            env_file: [.env, {path: .env.local, required: false, format: raw}]
            depends_on:
              db: {condition: service_healthy, restart: true, required: false}
            healthcheck:
              test: ["CMD-SHELL", "curl -f http://localhost || exit 1"]
              interval: 30s
              timeout: 5s
              retries: 3
              start_period: 1m
              start_interval: 2s
            deploy:
              mode: replicated
              replicas: 2
              resources:
                limits: {cpus: "1.5", memory: 1g}
                reservations:
                  devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]
              placement: {constraints: [node.role==worker], preferences: [{spread: node.labels.zone}]}
            develop:
              watch:
                - {path: ./src, action: sync+restart, target: /app, ignore: [.venv]}
            networks:
              front: {aliases: [www], ipv4_address: 172.16.0.10, priority: 10}
              back:
            ports: ["8080:80"]
            expose: ["9000", 9001]
            volumes: ["static:/static"]
            secrets: [api_key, {source: tls, target: /run/tls, mode: 0400}]
            configs: [nginx]
            logging: {driver: json-file, options: {max-size: 10m, max-file: "3"}}
            ulimits: {nofile: {soft: 1024, hard: 2048}}
            extra_hosts: {db.local: 10.0.0.2, dual: ["10.0.0.3", "::1"]}
            sysctls: {net.core.somaxconn: 1024}
            labels: {com.example.team: shop}
            profiles: [web]
            post_start: [{command: ./warm.sh, user: root}]
            models: {llm: {endpoint_var: LLM_URL}}
            gpus: all
            stop_signal: SIGINT
            tmpfs: /run
            dns: 1.1.1.1
            pull_policy: daily
          db:
            image: postgres:16
            restart: unless-stopped
            network_mode: "service:web"
            pid: host
        networks:
          front:
            driver: bridge
            ipam: {config: [{subnet: 172.16.0.0/24, gateway: 172.16.0.1}]}
          back: {internal: true}
          outside: {external: true, name: corp}
        volumes:
          static: ~
          legacy: {external: {name: old}}
        secrets:
          api_key: {environment: API_KEY}
          tls: {file: ./tls.pem}
        configs:
          nginx: {file: ./nginx.conf}
        models:
          llm: {model: ai/smollm2, context_size: 4096, runtime_flags: ["--verbose"]}
        x-defaults: &defaults {restart: always}
        """
    assert errors_of(text) == []


def test_include_entries_accept_only_known_keys():
    # Compose resolves `include` before it validates, so `docker compose config`
    # never sees a misspelt key: it ignores it. The official schema rejects it,
    # and a misspelt `env_file` is silently dropped, so composelint reports it.
    error = only_error("include:\n  - path: other.yaml\n    env_fle: .env\nservices: {}\n")
    assert error.path == ("include", 0, "env_fle")
    assert error.message == "unknown key `env_fle` in `include[0]`; did you mean `env_file`?"


def test_extends_accepts_only_known_keys():
    # As with include: Compose resolves `extends` before validating and silently
    # ignores `fiel`, which would make it extend from the wrong file.
    error = only_error(service("image: nginx\nextends: {service: base, fiel: base.yaml}"))
    assert error.message == "unknown key `fiel` in `services.web.extends`; did you mean `file`?"


def test_alternatives_are_explained_by_the_branch_meant_for_the_value():
    # Our schema uses type lists, not oneOf; should a oneOf come in, its errors
    # must still read as the specific problem, not "valid under none of".
    from jsonschema import Draft202012Validator

    either = {"oneOf": [{"type": "string"}, {"type": "object", "properties": {"a": {"type": "integer"}}}]}
    validator = Draft202012Validator({"properties": {"v": either}})
    [inner_error] = validator.iter_errors({"v": {"a": "x"}})
    assert list(schema_messages.explain(inner_error)) == [
        SchemaError(("v", "a"), "`v.a` must be an integer, not the string `x`", False)
    ]
    [type_error] = validator.iter_errors({"v": [1]})
    assert list(schema_messages.explain(type_error)) == [
        SchemaError(("v",), "`v` must be a string or mapping, not a list", False)
    ]


def test_empty_file_is_an_error():
    assert validate_compose(None) == [
        SchemaError((), "the Compose file is empty; it needs at least a `services` mapping", False)
    ]


def test_a_document_that_is_not_a_mapping():
    assert validate_compose(["services"]) == [
        SchemaError((), "the Compose file must be a mapping, not a list", False)
    ]


def test_non_string_keys_are_read_as_compose_reads_them():
    found = validate_compose({"services": {1: {"image": "x", None: 1}}, 80: True})
    assert found == [
        SchemaError(("80",), "unknown top-level key `80`", True),
        SchemaError(("services", "1", "null"), "unknown key `null` in service `1`", True),
    ]


def test_deep_nesting_does_not_escape_as_an_exception():
    deep: list = []
    node = deep
    for _ in range(sys.getrecursionlimit() * 3):
        node.append([])
        node = node[0]
    found = validate_compose({"services": {"web": {"image": "x", "x-deep": deep, "security_opt": [deep, deep]}}})
    assert found and all(isinstance(error, SchemaError) for error in found)


def test_jsonschema_is_imported_only_when_a_file_is_validated():
    code = "import sys, composelint.parsers.schema; print('jsonschema' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "False"


def test_the_validator_is_compiled_once():
    validate_compose({"services": {}})
    assert schema_module._compiled_validator() is schema_module._compiled_validator()


def test_our_schema_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(json.loads(OUR_SCHEMA.read_text("utf-8")))


@needs_official
@pytest.mark.parametrize(
    ("official_pointer", "ours_pointer"),
    [
        ("properties", "properties"),
        ("$defs/service/properties", "$defs/service/properties"),
        ("$defs/service/properties/build/oneOf/1/properties", "$defs/service/properties/build/properties"),
        ("$defs/deployment/properties", "$defs/deployment/properties"),
        ("$defs/healthcheck/properties", "$defs/healthcheck/properties"),
        ("$defs/development/properties/watch/items/properties",
         "$defs/development/properties/watch/items/properties"),
        ("$defs/network/properties", "$defs/network/properties"),
        ("$defs/volume/properties", "$defs/volume/properties"),
        ("$defs/secret/properties", "$defs/secret/properties"),
        ("$defs/config/properties", "$defs/config/properties"),
        ("$defs/model/properties", "$defs/model/properties"),
        ("$defs/include/oneOf/1/properties", "$defs/include/properties"),
    ],
)
def test_we_know_every_key_the_official_schema_knows(official_pointer, ours_pointer):
    def keys_at(document: dict, pointer: str) -> set:
        node = document
        for part in pointer.split("/"):
            node = node[int(part)] if isinstance(node, list) else node[part]
        return set(node)

    official = json.loads(OFFICIAL_SCHEMA.read_text("utf-8"))
    ours = json.loads(OUR_SCHEMA.read_text("utf-8"))
    assert keys_at(official, official_pointer) <= keys_at(ours, ours_pointer)


# --------------------------------------------------------------------------- oracle: the corpus


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(path for path in CORPUS.rglob("compose*.y*ml") if path.is_file())


def compose_yaml() -> YAML:
    """A safe loader that reads Compose's merge tags (`!reset`, `!override`) as their plain values."""
    yaml = YAML(typ="safe", pure=True)

    def plain(constructor, node):
        if node.id == "mapping":
            return constructor.construct_mapping(node, deep=True)
        if node.id == "sequence":
            return constructor.construct_sequence(node, deep=True)
        return constructor.construct_scalar(node)

    for tag in ("!reset", "!override"):
        yaml.constructor.add_constructor(tag, plain)
    return yaml


def official_validator():
    from jsonschema import validators

    document = json.loads(OFFICIAL_SCHEMA.read_text("utf-8"))
    validator_class = validators.validator_for(document)  # the draft it declares
    return validator_class(document)


@needs_official
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real-world corpus not found at {CORPUS} (CI provides it)")
def test_we_agree_with_the_official_schema_on_every_corpus_file():
    files = corpus_files()
    assert files, f"no compose*.y*ml files under {CORPUS}"
    official = official_validator()
    disagreements = []
    for path in files:
        data = compose_yaml().load(path.read_text("utf-8"))
        ours_valid = not validate_compose(data)
        official_valid = official.is_valid(data)
        if ours_valid != official_valid:
            disagreements.append((str(path.relative_to(CORPUS)), validate_compose(data)))
    assert disagreements == []


# --------------------------------------------------------------------------- oracle: small variations


@dataclass(frozen=True)
class Variation:
    """A small file with the verdicts of composelint, the official schema and `docker compose config`.

    `official` and `binary` default to `ours`; a row sets one only where that
    oracle disagrees, and says why next to it.
    """

    name: str
    text: str
    ours: bool  # True: valid
    official: bool | None = None
    binary: bool | None = None
    files: dict = field(default_factory=dict)

    @property
    def official_valid(self) -> bool:
        return self.ours if self.official is None else self.official

    @property
    def binary_valid(self) -> bool:
        return self.ours if self.binary is None else self.binary


WEB = "services:\n  web:\n    image: nginx\n"
VALID, INVALID = True, False

VARIATIONS = [
    # ---- all three accept
    Variation("minimal", WEB, VALID),
    Variation("short ports", WEB + "    ports: ['8080:80', '127.0.0.1:8081:81/udp', '8000-8010:8000-8010', 9000, "
              "'[::1]:9001:91']\n", VALID),
    Variation("long ports", WEB + "    ports: [{target: 80, published: '8080', host_ip: 127.0.0.1, protocol: tcp, "
              "mode: host}]\n", VALID),
    Variation("long port target as a string", WEB + "    ports: [{target: '80'}]\n", VALID),
    Variation("booleans as strings", WEB + "    privileged: 'true'\n    read_only: 'yes'\n    tty: 'off'\n", VALID),
    Variation("sizes and cpus", WEB + "    cpus: '0.5'\n    mem_limit: 512m\n    memswap_limit: -1\n"
              "    shm_size: 1gb\n", VALID),
    Variation("deploy", WEB + "    deploy: {replicas: '2', resources: {limits: {cpus: '0.5', memory: 512M}}, "
              "restart_policy: {condition: on-failure, max_attempts: 3, delay: 5s}}\n", VALID),
    Variation("healthcheck", WEB + "    healthcheck: {test: [CMD, curl, -f, 'http://localhost'], interval: 1m30s, "
              "timeout: 10s, retries: '3', start_period: 40s, start_interval: 5s}\n", VALID),
    Variation("depends_on mapping", WEB + "    depends_on: {db: {condition: service_healthy, restart: true, "
              "required: false}}\n  db:\n    image: postgres\n", VALID),
    Variation("depends_on list", WEB + "    depends_on: [db]\n  db:\n    image: postgres\n", VALID),
    Variation("environment forms", WEB + "    environment: {A: 1, B: true, C: null, D: x}\n    labels: [a=b]\n", VALID),
    Variation("build forms", WEB + "    build: {context: ., args: [A=1], x-cache: 1}\n  worker:\n    build: .\n",
              VALID),
    Variation("extends", WEB + "  worker:\n    extends: web\n", VALID),
    Variation("networks", WEB + "    networks:\n      front: {aliases: [www], ipv4_address: 172.16.0.10}\n"
              "networks:\n  front:\n    ipam: {config: [{subnet: 172.16.0.0/24}]}\n", VALID),
    Variation("volumes", WEB + "    volumes: ['data:/data:ro', './src:/src', {type: tmpfs, target: /tmp, "
              "tmpfs: {size: 64m}}]\nvolumes:\n  data: {}\n", VALID),
    Variation("secrets and configs", WEB + "    secrets: [s, {source: s, target: /run/x, mode: '0440'}]\n"
              "    configs: [c]\nsecrets:\n  s: {file: ./compose.yaml}\nconfigs:\n  c: {content: hi}\n", VALID),
    Variation("ulimits", WEB + "    ulimits: {nofile: {soft: 1024, hard: '2048'}, nproc: '65535'}\n", VALID),
    Variation("logging", WEB + "    logging: {driver: json-file, options: {max-size: 10m, max-file: '3'}}\n", VALID),
    Variation("extensions", "x-a: 1\n" + WEB + "    x-b: 2\n    deploy: {x-c: 3}\n"
              "networks:\n  n: {x-d: 4}\nvolumes:\n  v: {x-e: 5}\n", VALID),
    Variation("version and name", "version: '3.8'\nname: shop\n" + WEB, VALID),
    Variation("include", "include: [other.yaml]\n" + WEB, VALID,
              files={"other.yaml": "services:\n  other:\n    image: busybox\n"}),
    Variation("assorted lists", WEB + "    profiles: [dev]\n    tmpfs: /run\n    dns: 1.1.1.1\n"
              "    extra_hosts: ['db:10.0.0.2', 'gw=10.0.0.1']\n", VALID),
    Variation("develop", WEB + "    develop: {watch: [{path: ., action: sync+restart, target: /app}]}\n", VALID),
    Variation("models and gpus", WEB + "    models: [llm]\n    gpus: all\nmodels:\n  llm: {model: ai/smollm2}\n",
              VALID),
    # ---- all three reject
    Variation("unknown service key", WEB + "    imgae: nginx\n", INVALID),
    Variation("unknown top-level key", WEB + "servces: {}\n", INVALID),
    Variation("capital X- extension", "X-a: 1\n" + WEB, INVALID),
    Variation("depends_on without condition", WEB + "    depends_on: {db: {restart: true}}\n  db:\n    image: x\n",
              INVALID),
    Variation("depends_on bad condition", WEB + "    depends_on: {db: {condition: healthy}}\n  db:\n    image: x\n",
              INVALID),
    Variation("duration as a number", WEB + "    healthcheck: {interval: 10}\n", INVALID),
    Variation("cgroup value", WEB + "    cgroup: hots\n", INVALID),
    Variation("volume type", WEB + "    volumes: [{type: nfs, target: /x}]\n", INVALID),
    Variation("nested environment", WEB + "    environment: {A: {b: 1}}\n", INVALID),
    Variation("version as a number", "version: 3.8\n" + WEB, INVALID),
    Variation("mem_limit list", WEB + "    mem_limit: [1]\n", INVALID),
    Variation("service networks twice", WEB + "    networks: [a, a]\nnetworks:\n  a: {}\n", INVALID),
    Variation("service name with a space", "services:\n  my web:\n    image: nginx\n", INVALID),
    Variation("command as a number", WEB + "    command: 1\n", INVALID),
    # ---- the official schema accepts, Compose rejects when it casts or parses: follow Compose
    Variation("boolean that is not one", WEB + "    privileged: banana\n", INVALID, official=VALID),
    Variation("port host not a number", WEB + "    ports: ['abc:80']\n", INVALID, official=VALID),
    Variation("port protocol", WEB + "    ports: ['80:80/xyz']\n", INVALID, official=VALID),
    Variation("duration text", WEB + "    stop_grace_period: soon\n", INVALID, official=VALID),
    Variation("size text", WEB + "    mem_limit: lots\n", INVALID, official=VALID),
    Variation("cpus text", WEB + "    cpus: half\n", INVALID, official=VALID),
    Variation("extra host without address", WEB + "    extra_hosts: [somehost]\n", INVALID, official=VALID),
    Variation("volume with too many colons", WEB + "    volumes: ['./a:/b:ro:x']\n", INVALID, official=VALID),
    Variation("long volume without target", WEB + "    volumes: [{type: bind, source: .}]\n", INVALID, official=VALID),
    Variation("long port without target", WEB + "    ports: [{published: 8080}]\n", INVALID, official=VALID),
    Variation("device without target", WEB + "    devices: [{source: /dev/null}]\n", INVALID, official=VALID),
    Variation("negative replicas", WEB + "    deploy: {replicas: '-1'}\n", INVALID, official=VALID),
    Variation("healthcheck test word", WEB + "    healthcheck: {test: [curl, x]}\n", INVALID, official=VALID),
    Variation("blkio weight as a string", WEB + "    blkio_config: {weight: '10'}\n", INVALID, official=VALID),
    Variation("pid null", WEB + "    pid: null\n", INVALID, official=VALID),  # Compose 2.40 panics on it
    # ---- the official schema rejects duplicates Compose merges before validating: follow Compose
    Variation("cap_add twice", WEB + "    cap_add: [NET_ADMIN, NET_ADMIN]\n", VALID, official=INVALID),
    Variation("environment entry twice", WEB + "    environment: [A=1, A=1]\n", VALID, official=INVALID),
    # ---- newer than the Compose binary under test: the key set follows the specification
    Variation("build no_cache_filter", WEB + "    build: {context: ., no_cache_filter: [deps]}\n", VALID,
              binary=INVALID),
    Variation("pre_start hook", WEB + "    pre_start: [{command: ./migrate.sh}]\n", VALID, binary=INVALID),
    # ---- deliberately stricter than `docker compose config` (see the unit tests above for why)
    Variation("restart typo", WEB + "    restart: allways\n", INVALID, official=VALID, binary=VALID),
    Variation("container name the engine refuses", WEB + "    container_name: my web\n", INVALID,
              official=VALID, binary=VALID),
    Variation("extends typo", WEB + "  worker:\n    extends: {service: web, fiel: x.yaml}\n", INVALID, binary=VALID),
    Variation("include typo", "include: [{path: other.yaml, env_fle: .env}]\n" + WEB, INVALID, binary=VALID,
              files={"other.yaml": "services:\n  other:\n    image: busybox\n"}),
]


@pytest.mark.parametrize("variation", VARIATIONS, ids=lambda variation: variation.name)
def test_variation_verdict_of_our_schema(variation):
    assert (validate_compose(load(variation.text)) == []) is variation.ours


@needs_official
@pytest.mark.parametrize("variation", VARIATIONS, ids=lambda variation: variation.name)
def test_variation_verdict_of_the_official_schema(variation):
    assert official_validator().is_valid(load(variation.text)) is variation.official_valid


def compose_config_accepts(directory: Path, text: str, files: dict | None = None) -> tuple[bool, str]:
    """Whether `docker compose config` accepts `text` as compose.yaml in `directory`, and what it said."""
    for name, content in (files or {}).items():
        (directory / name).write_text(content)
    compose_file = directory / "compose.yaml"
    compose_file.write_text(text)
    result = subprocess.run(
        [str(compose_binary()), "-f", str(compose_file), "config", "--format", "json"],
        cwd=directory,
        env={"PATH": "/usr/bin:/bin", "HOME": str(directory)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode == 0, result.stderr


SECRET_FILE = {"s.txt": "secret"}  # the file of secret `s` that cast_file declares


def oracle_case(text: str, valid: bool, label: str):
    return pytest.param(text, valid, id=f"{label} ({'accepted' if valid else 'rejected'})")


SHORT_SYNTAX_AND_CASTS = (
    [oracle_case(port_file(port), True, f"port {port!r}") for port in PORTS_COMPOSE_ACCEPTS]
    + [oracle_case(port_file(port), False, f"port {port!r}") for port, _ in PORTS_COMPOSE_REJECTS]
    + [oracle_case(volume_file(volume), True, f"volume {volume!r}") for volume in VOLUMES_COMPOSE_ACCEPTS]
    + [oracle_case(volume_file(volume), False, f"volume {volume!r}") for volume, _ in VOLUMES_COMPOSE_REJECTS]
    + [oracle_case(cast_file(body), True, body) for body in CASTS_COMPOSE_ACCEPTS]
    + [oracle_case(cast_file(body), False, body) for body, _ in CASTS_COMPOSE_REJECTS]
    + [oracle_case(text, True, f"extension {index}") for index, text in enumerate(EXTENSIONS_COMPOSE_ACCEPTS)]
    + [oracle_case(cast_file(body), False, body) for body, _ in EXTENSIONS_COMPOSE_REJECTS]
)


@pytest.fixture(scope="module")
def compose_config_verdicts(tmp_path_factory):
    """`docker compose config`'s verdict on every oracle case, run in parallel once (~80 ms a run)."""
    from concurrent.futures import ThreadPoolExecutor

    cases = [(variation.text, variation.files) for variation in VARIATIONS]
    cases += [(param.values[0], SECRET_FILE) for param in SHORT_SYNTAX_AND_CASTS]

    def verdict(pair):
        directory, (text, files) = pair
        return compose_config_accepts(directory, text, files)

    # Directories made here, not in the threads: pytest's base temporary directory is created on
    # first use, and two threads doing that at once make two of them.
    directories = [tmp_path_factory.mktemp("compose") for _ in cases]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip((verdict_key(text, files) for text, files in cases), pool.map(verdict, zip(directories, cases))))


def verdict_key(text: str, files: dict) -> tuple:
    return text, tuple(sorted(files.items()))


@pytest.mark.oracle
@needs_compose
@pytest.mark.parametrize("variation", VARIATIONS, ids=lambda variation: variation.name)
def test_variation_verdict_of_docker_compose_config(variation, compose_config_verdicts):
    accepted, said = compose_config_verdicts[verdict_key(variation.text, variation.files)]
    assert accepted is variation.binary_valid, said


@pytest.mark.oracle
@needs_compose
@pytest.mark.parametrize(("text", "valid"), SHORT_SYNTAX_AND_CASTS)
def test_docker_compose_config_agrees_on_short_syntax_and_casts(text, valid, compose_config_verdicts):
    # The unit cases above say what Compose accepts; this keeps them honest.
    accepted, said = compose_config_verdicts[verdict_key(text, SECRET_FILE)]
    assert accepted is valid, said


def test_a_key_left_without_a_value_says_so(tmp_path):
    # nginx-proxy's docker-compose-separate-containers.yml: `environment:` followed only by a comment.
    from composelint.assembly.project import build_project
    from composelint.config import load_config

    (tmp_path / ".git").mkdir()
    (tmp_path / "compose.yaml").write_text(
        "services:\n  gen:\n    image: nginxproxy/docker-gen\n    environment:\n"
        "      # set HTTP_PORT here\n    restart: unless-stopped\n", encoding="utf-8")
    (tmp_path / "compose.override.yaml").write_text("services:\n  gen:\n    mem_limit: []\n", encoding="utf-8")
    project = build_project(tmp_path, load_config(tmp_path))
    problems = {problem.message: problem.help for problem in project.problems if problem.code == "CL002"}
    assert problems["`services.gen.environment` must be a list or mapping, not null"].startswith(
        "the key has no value (nothing, or only a comment, follows it)")
    assert problems["`services.gen.mem_limit` must be a string or number, not a list"] == (
        "see the Compose Specification for the allowed keys and values")
