"""Host references: every form a service can address another host in, with exact positions."""

from __future__ import annotations

import pytest
from helpers import write_tree

from composelint.analysis.hosts import host_references, is_external, scan_text
from composelint.assembly.project import build_project
from composelint.config import Config


def refs_of(tmp_path, body: str, service: str = "app"):
    """Host references of one service of a one-file project: (host, where, key, line, column, form).

    Every span must cover exactly the host as written: that is the position check.
    """
    write_tree(tmp_path, {"compose.yaml": body})
    project = build_project(tmp_path, Config())
    svc = project.compose_files["compose.yaml"].services[service]
    lines = body.split("\n")
    refs = host_references(svc, project.sources)
    for ref in refs:
        if ref.span.end is not None and ref.span.end.line == ref.span.line and "$" not in lines[ref.span.line - 1]:
            written = lines[ref.span.line - 1][ref.span.column - 1:ref.span.end_column - 1]
            assert written == ref.host, f"span of {ref.host!r} covers {written!r}"
    return [(r.host, r.where, r.key, r.span.line, r.span.column, r.form) for r in refs]


def env_refs(tmp_path, key: str, value: str):
    """(host, column in the value (1-based), form) of one environment entry."""
    body = f"services:\n  app:\n    image: a:1\n    environment:\n      {key}: {value}\n"
    offset = len(f"      {key}: ")
    return [(host, column - offset, form) for host, _, _, _, column, form in refs_of(tmp_path, body)]


# --------------------------------------------------------------------------- URLs

@pytest.mark.parametrize("value, host, column", [
    ("http://consul:8500", "consul", 8),
    ("amqp://u:p@rabbitmq:5672/vhost", "rabbitmq", 12),
    ("redis://redis:6379/0", "redis", 9),
    ("postgres://app:pw@db/app", "db", 19),
    ("postgresql+asyncpg://app@db:5432/app", "db", 26),
    ("jdbc:postgresql://db:5432/app", "db", 19),
    ("tcp://docker-proxy:2375", "docker-proxy", 7),
    ("'http://search:9200'", "search", 9),
    ('"nats://nats"', "nats", 9),
])
def test_url_in_any_value(tmp_path, value, host, column):
    assert env_refs(tmp_path, "UPSTREAM", value) == [(host, column, "url")]


def test_url_with_several_hosts(tmp_path):
    assert env_refs(tmp_path, "MONGO", "mongodb://mongo-1:27017,mongo-2:27017/app?replicaSet=rs0") == [
        ("mongo-1", 11, "url"), ("mongo-2", 25, "url")]


def test_urls_after_each_other_split_at_the_next_scheme(tmp_path):
    value = "PLAINTEXT://kafka:29092,PLAINTEXT_HOST://localhost:9092"
    assert env_refs(tmp_path, "BROKERS", value) == [("kafka", 13, "url"), ("localhost", 42, "url")]


def test_mysql_go_dsn(tmp_path):
    assert env_refs(tmp_path, "DSN_X", "app:pw@tcp(mysql:3306)/app") == [("mysql", 12, "url")]


def test_schemes_that_name_no_host_are_skipped(tmp_path):
    assert env_refs(tmp_path, "STORE", "s3://my-bucket/prefix") == []
    assert env_refs(tmp_path, "SOCK", "unix:///var/run/docker.sock") == []
    assert env_refs(tmp_path, "DB", "sqlite:///data/app.db") == []


def test_url_text_never_carries_credentials():
    (found,) = scan_text("amqp://guest:s3cret@rabbitmq:5672/vhost")
    assert found.text == "amqp://rabbitmq:5672"
    assert "s3cret" not in found.text


# --------------------------------------------------------------------------- host:port


@pytest.mark.parametrize("value, expected", [
    ("db:5432", [("db", 1, "host-port")]),
    ("kafka-1:9092,kafka-2:9092", [("kafka-1", 1, "host-port"), ("kafka-2", 14, "host-port")]),
    ("node:18", []),  # an image tag, not a port
    ("python:3.12", []),
    ("12:30", []),
    ("0.0.0.0:8001", []),  # an IP is not matched as a name
])
def test_host_port(tmp_path, value, expected):
    assert env_refs(tmp_path, "TARGET", value) == expected


def test_host_port_in_image_like_keys_is_a_tag(tmp_path):
    assert env_refs(tmp_path, "BASE_IMAGE", "builder:8080") == []


# --------------------------------------------------------------------------- keys that hold addresses


@pytest.mark.parametrize("key, value, expected", [
    ("DB_HOST", "db", [("db", 1, "key")]),
    ("REDIS_HOSTNAME", "cache", [("cache", 1, "key")]),
    ("CONSUL_HTTP_ADDR", "consul:8500", [("consul", 1, "host-port")]),
    ("SMTP_HOST", "mail:25", [("mail", 1, "key")]),  # a small port is fine where the key says host
    ("KAFKA_ADDRESS", "k1:1,k2:2", [("k1", 1, "key"), ("k2", 6, "key")]),
    ("S3_ENDPOINT", "minio:9000", [("minio", 1, "host-port")]),
    ("AUTH_URL", "keycloak:8080", [("keycloak", 1, "host-port")]),
    ("AUTH_URL", "keycloak", []),  # a bare word under *_URL is no address
    ("PG_DSN", "host=db port=5432 dbname=app", [("db", 6, "key")]),
    ("ConnectionStrings__Default", "Server=sql,1433;Database=app", [("sql", 8, "key")]),
    ("DB_HOST", "true", []),
    ("HOSTNAME", "web", []),  # the container's own name, not an address it dials
    ("HOST", "api", []),
    ("DB_HOST", "${UNSET:-}", []),
])
def test_address_keys(tmp_path, key, value, expected):
    assert env_refs(tmp_path, key, value) == expected


@pytest.mark.parametrize("key", ["VIRTUAL_HOST", "LETSENCRYPT_HOST", "DJANGO_ALLOWED_HOSTS", "APP_BIND_ADDR",
                                 "GRPC_LISTEN_ADDRESS", "NEXT_PUBLIC_API_URL", "SITE_URL", "CORS_ORIGIN",
                                 "APP_BASE_URL"])
def test_keys_naming_what_the_container_serves_are_not_read(tmp_path, key):
    assert env_refs(tmp_path, key, "http://web:8080") == []


def test_database_url_is_not_a_base_url(tmp_path):
    assert env_refs(tmp_path, "DATABASE_URL", "postgres://db/app") == [("db", 12, "url")]


def test_list_form_environment(tmp_path):
    body = "services:\n  app:\n    image: a:1\n    environment:\n      - DB_HOST=db\n      - 'API=http://api:80'\n"
    assert refs_of(tmp_path, body) == [("db", "environment", "DB_HOST", 5, 17, "key"),
                                       ("api", "environment", "API", 6, 21, "url")]


def test_interpolated_value_keeps_the_whole_value_span(tmp_path):
    write_tree(tmp_path, {".env": "PORT=5432\n"})
    body = "services:\n  app:\n    image: a:1\n    environment:\n      DB_ADDR: db:${PORT}\n"
    assert refs_of(tmp_path, body) == [("db", "environment", "DB_ADDR", 5, 16, "host-port")]


# --------------------------------------------------------------------------- commands and healthchecks


def test_exec_form_command(tmp_path):
    body = ('services:\n  app:\n    image: a:1\n'
            '    command: ["wait-for-it", "db:5432", "--", "celery", "--broker=amqp://rabbitmq", "--host", "api"]\n')
    assert refs_of(tmp_path, body) == [
        ("db", "command", None, 4, 31, "host-port"),
        ("rabbitmq", "command", None, 4, 74, "url"),
        ("api", "command", None, 4, 96, "option")]


def test_string_command_and_shell_script(tmp_path):
    body = ('services:\n  app:\n    image: a:1\n'
            '    entrypoint: sh -c "dockerize -wait tcp://db:5432 && exec app --host=cache"\n'
            '    command: --server search\n')
    assert refs_of(tmp_path, body) == [
        ("db", "entrypoint", None, 4, 46, "url"),
        ("cache", "entrypoint", None, 4, 73, "option"),
        ("search", "command", None, 5, 23, "option")]


def test_short_h_only_for_database_clients(tmp_path):
    body = ('services:\n  app:\n    image: a:1\n'
            '    healthcheck:\n      test: ["CMD", "pg_isready", "-h", "db", "-U", "app"]\n'
            '  web:\n    image: a:1\n    command: ["curl", "-h", "x"]\n')
    assert refs_of(tmp_path, body) == [("db", "healthcheck", None, 5, 42, "option")]
    assert refs_of(tmp_path, body, "web") == []


def test_healthcheck_string_form(tmp_path):
    body = ('services:\n  app:\n    image: a:1\n'
            '    healthcheck:\n      test: curl -fsS http://upstream:8080/health || exit 1\n')
    assert refs_of(tmp_path, body) == [("upstream", "healthcheck", None, 5, 30, "url")]


def test_healthcheck_cmd_shell(tmp_path):
    body = ('services:\n  app:\n    image: a:1\n'
            '    healthcheck:\n      test: ["CMD-SHELL", "redis-cli -h cache ping"]\n')
    assert refs_of(tmp_path, body) == [("cache", "healthcheck", None, 5, 41, "option")]


# --------------------------------------------------------------------------- external hosts


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "10.0.0.5", "db.internal.example.com",
                                  "host.docker.internal", "[::1]", "::1", "ip6-localhost"])
def test_external_hosts(host):
    assert is_external(host)


@pytest.mark.parametrize("host", ["db", "redis-cache", "api_v2", "Consul"])
def test_service_like_names_are_not_external(host):
    assert not is_external(host)


def test_external_references_are_marked(tmp_path):
    body = ('services:\n  app:\n    image: a:1\n    environment:\n'
            '      A_URL: http://localhost:80\n      B_HOST: api.example.com\n      C_ADDR: 10.1.2.3:80\n')
    write_tree(tmp_path, {"compose.yaml": body})
    project = build_project(tmp_path, Config())
    refs = host_references(project.compose_files["compose.yaml"].services["app"], project.sources)
    assert [(r.host, r.external) for r in refs] == [("localhost", True), ("api.example.com", True),
                                                    ("10.1.2.3", True)]


def test_describe_names_the_place(tmp_path):
    body = ('services:\n  app:\n    image: a:1\n    environment:\n      DB_HOST: db\n'
            '    command: ["wait-for-it", "db:5432"]\n    healthcheck:\n      test: ["CMD", "nc", "-z", "db:5432"]\n')
    write_tree(tmp_path, {"compose.yaml": body})
    project = build_project(tmp_path, Config())
    refs = host_references(project.compose_files["compose.yaml"].services["app"], project.sources)
    assert [ref.describe() for ref in refs] == ["`DB_HOST`", "its command", "its healthcheck"]


@pytest.mark.parametrize("text", ["a" * 100_000 + "://", "http://" + "a," * 50_000, ":" * 100_000 + "1",
                                  "-h " * 30_000])
def test_hostile_values_are_scanned_quickly(text):
    import time

    start = time.perf_counter()
    scan_text(text)
    assert time.perf_counter() - start < 2


def test_unresolved_host_suggests_any_name_the_deployment_answers_to(tmp_path):
    from helpers import lint

    write_tree(tmp_path, {".composelint.yaml": "known-hosts: [mainframe]\n", "compose.yaml": (
        "services:\n"
        "  api:\n"
        "    image: api:1.0\n"
        "    environment:\n"
        "      CACHE_URL: redis://cahce:6379/0\n"
        "      SEARCH_HOST: elastik\n"
        "      LEGACY_ADDR: mainfrane:7000\n"
        "      DB_HOST: postgress\n"
        "      QUEUE_HOST: nothing-like-it\n"
        "  redis:\n"
        "    image: redis:7.2\n"
        "    networks:\n"
        "      default:\n"
        "        aliases: [cache]\n"
        "  search:\n"
        "    image: elasticsearch:8.15.0\n"
        "    hostname: elastic\n"
        "  postgres:\n"
        "    image: postgres:16.4\n")})
    found = {d.span.line: d for d in lint(tmp_path, select=("CL103",)).diagnostics}
    assert sorted(found) == [5, 6, 7, 8, 9]
    helps = {line: d.help.split("?")[0] for line, d in found.items()}
    assert helps == {5: "did you mean `cache`", 6: "did you mean `elastic`", 7: "did you mean `mainframe`",
                     8: "did you mean `postgres`", 9: found[9].help.split("?")[0]}
    assert not found[9].help.startswith("did you mean")
    notes = {line: [(r.span.line, r.message) for r in d.related] for line, d in found.items()}
    assert notes[5] == [(10, "`cache` is a network alias of service 'redis'")]
    assert notes[6] == [(15, "`elastic` is the `hostname` of service 'search'")]
    assert notes[7] == []  # known-hosts: nothing in the files to point at
    assert notes[8] == [(18, "`postgres` is defined here")]
