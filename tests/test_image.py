"""composelint.analysis.image: the base-image table, build contexts, image file systems, programs, mounts."""

from __future__ import annotations

import pytest
from helpers import write_tree
from hypothesis import given, settings
from hypothesis import strategies as st

from composelint.analysis.image.base import base_info, is_system_path, package_provides, table
from composelint.analysis.image.builds import dockerfile_builds
from composelint.analysis.image.paths import ABSENT, PRESENT, UNKNOWN
from composelint.analysis.image.runs import classify_run
from composelint.analysis.image.services import service_view, start_targets
from composelint.assembly.project import build_project
from composelint.config import load_config
from composelint.parsers.dockerfile import parse_dockerfile

# --------------------------------------------------------------------------- the packaged table


def test_table_is_consistent():
    data = table()
    assert data.runtimes <= data.tracked
    assert data.python_scripts <= data.tracked
    assert not data.python_scripts & data.runtimes
    for name, land in data.userlands.items():
        assert set(land) <= {"provides", "uncertain", "package-manager", "extends", "closed", "unknown"}, name
        assert land.get("extends") is None or land["extends"] in data.userlands, name
    for name, image in data.images.items():
        assert set(image) <= {"provides", "versions", "userland", "workdir", "entrypoint", "paths", "latest"}, name
        assert "default" in image["userland"], name
        for userland in image["userland"].values():
            assert userland in data.userlands, (name, userland)
        entrypoint = image.get("entrypoint")
        assert entrypoint is None or entrypoint in ("none", "exec", "node") or isinstance(entrypoint, list), name
        workdir = image.get("workdir")
        assert workdir is None or workdir == "none" or workdir.startswith("/"), name
        for rule in image.get("versions") or ():
            assert set(rule) <= {"programs", "below", "from"} and rule["programs"], name
    for manager, packages in data.packages.items():
        assert manager in ("apk", "apt"), manager
        for package, entry in packages.items():
            assert isinstance(entry, list) or set(entry) <= {"provides", "uncertain"}, package
    for program, hint in data.hints.items():
        assert program in data.tracked, program
        assert set(hint) <= {"apk", "apt", "image", "pip", "note"}, program
    for path in data.system_paths:
        assert path.startswith("/") and not path.endswith("/"), path


@pytest.mark.parametrize("image, program, state", [
    ("python:3.12-slim", "python", PRESENT), ("python:3.12-slim", "pip3", PRESENT),
    ("python:3.12-slim", "bash", PRESENT), ("python:3.12-slim", "curl", ABSENT),
    ("python:3.12", "curl", PRESENT), ("python:3.12", "python3", PRESENT),
    ("python:3.12-alpine", "bash", ABSENT), ("python:3.12-alpine", "sh", PRESENT),
    ("python", "python3", PRESENT),  # untagged: the current major version
    ("python:3.12-windowsservercore", "bash", UNKNOWN),
    ("node:20-alpine", "yarn", PRESENT), ("node:20-alpine", "corepack", PRESENT),
    ("node:25", "corepack", ABSENT), ("node:26-slim", "yarn", ABSENT), ("node:lts", "yarn", UNKNOWN),
    ("node:22", "python3", UNKNOWN),  # the full Debian variant may have it
    ("node:22-slim", "python3", ABSENT),
    ("alpine:3.19", "python", ABSENT), ("alpine:3.19", "apk", PRESENT), ("alpine:3.19", "git", ABSENT),
    ("alpine:3.19", "my-tool", UNKNOWN),  # not a tracked program
    ("debian:bookworm-slim", "apt-get", PRESENT), ("ubuntu:24.04", "python3", ABSENT),
    ("gcr.io/distroless/static-debian12", "sh", ABSENT),
    ("gcr.io/distroless/static-debian12", "anything", ABSENT),  # closed: nothing else exists
    ("gcr.io/distroless/python3-debian12:debug", "sh", PRESENT),
    ("gcr.io/distroless/python3-debian12", "python", ABSENT),
    ("scratch", "sh", ABSENT),
    ("eclipse-temurin:21-jre", "java", PRESENT), ("eclipse-temurin:21-jre-ubi9-minimal", "bash", UNKNOWN),
    ("maven:3.9", "bash", UNKNOWN),
    ("registry.example.com/python:3.12", "python", UNKNOWN),
    ("python:${PY_VERSION}-slim", "bash", UNKNOWN),
])
def test_base_programs(image, program, state):
    assert base_info(image).program(program) == state


def test_base_workdir_and_entrypoint():
    assert (base_info("golang:1.23").workdir, base_info("golang:1.23").workdir_known) == ("/go", True)
    assert (base_info("python:3.12").workdir, base_info("python:3.12").workdir_known) == (None, True)
    assert not base_info("php:8.3-apache").workdir_known
    assert base_info("node:22").entrypoint == "node"
    assert base_info("gcr.io/distroless/java21-debian12").kind == "unknown"  # only `java` is listed
    assert base_info("gcr.io/distroless/java-debian12").entrypoint == ("java", "-jar")


def test_packages_and_system_paths():
    assert package_provides("apk", "python3") == (frozenset({"python3"}), frozenset({"python"}))
    assert package_provides("apt", "openjdk-17-jre-headless") == (frozenset({"java"}), frozenset())
    assert package_provides("apt", "vendor-thing") is None
    assert is_system_path("/usr/local/bin/python") and not is_system_path("/usr/src/app/main.py")
    assert is_system_path("/root/.local/bin/x") and not is_system_path("/home/app/main.py")


# --------------------------------------------------------------------------- RUN classification


def run_info(text: str):
    dockerfile = parse_dockerfile(f"FROM alpine\n{text}\n", "Dockerfile")
    return classify_run(dockerfile.instructions[1], {"VENV": "/opt/venv"})


def test_run_classification():
    info = run_info("RUN apk add --no-cache --virtual .build gcc python3=3.11.9-r0 && rm -rf /var/cache/apk")
    assert info.packages == [("apk", "gcc"), ("apk", "python3")] and info.effect == "none"
    assert run_info("RUN apt-get update && apt-get install -y -o X=1 curl").packages == [("apt", "curl")]
    assert run_info("RUN pip install -r requirements.txt").pip and not run_info("RUN pip install -r r.txt").pip_local
    assert run_info("RUN pip install -e .").pip_local
    assert run_info("RUN npm install -g pm2").npm_global
    assert run_info("RUN curl -fsSL https://x/install.sh | sh").effect == "opaque"
    assert run_info("RUN ./configure && make install").effect == "opaque"
    assert run_info("RUN python -m venv $VENV").write_dirs == set()  # an absolute target, after ENV
    assert run_info("RUN npm ci && npm run build").write_dirs == {None}  # the WORKDIR
    assert run_info("RUN cd /tmp && curl -LO https://x/y.tgz").write_dirs == {"/tmp"}
    assert run_info("RUN python -m ensurepip").provides_unknown == {"pip", "pip3"}
    assert run_info("RUN rustup target add wasm32").programs_unknown
    heredoc = run_info("RUN <<EOF\napt-get install -y git\nuseradd app\nEOF")
    assert heredoc.packages == [("apt", "git")] and heredoc.effect == "none"


# --------------------------------------------------------------------------- image file systems


def project_of(tmp_path, files):
    write_tree(tmp_path, {".composelint.yaml": "", **files})
    return build_project(tmp_path, load_config(tmp_path))


def view_of(project, name):
    for deployment in project.deployments:
        if name in deployment.services:
            return service_view(project, deployment.services[name])
    raise KeyError(name)


def test_copy_without_workdir_lands_in_root(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": "services:\n  s:\n    build: ./app\n",
        "app/Dockerfile": "FROM python:3.12-slim\nCOPY . .\n",
        "app/main.py": "", "app/pkg/mod.py": "",
    })
    view = view_of(project, "s")
    assert view.cwd() == "/"
    assert view.file("/main.py").state == PRESENT
    assert view.file("/main.py").context_path == "main.py"
    assert view.file("/pkg/mod.py").state == PRESENT
    assert view.file("/app/main.py").state == ABSENT
    assert view.file("/usr/lib/x").state == UNKNOWN  # the base image's own files


def test_copy_semantics(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": "services:\n  s:\n    build: .\n",
        "Dockerfile": ("FROM python:3.12-slim\nWORKDIR /srv\nCOPY src/ lib/\nCOPY one.py /opt/renamed.py\n"
                       "COPY a.py b.py bin/\nCOPY --parents conf/*.ini /etc/app/\nCOPY *.cfg ./\n"),
        "src/x.py": "", "one.py": "", "a.py": "", "b.py": "", "conf/app.ini": "", "main.cfg": "",
        ".dockerignore": "b.py\n",
    })
    view = view_of(project, "s")
    assert view.file("/srv/lib/x.py").state == PRESENT  # directory contents, not the directory
    assert view.file("/srv/lib/src/x.py").state == ABSENT
    assert view.file("/opt/renamed.py").state == PRESENT
    assert view.file("/srv/bin/a.py").state == PRESENT
    assert view.file("/srv/bin/b.py").state == ABSENT  # excluded by .dockerignore
    assert view.file("/etc/app/conf/app.ini").state == PRESENT
    assert view.file("/srv/main.cfg").state == PRESENT
    assert view.file("/srv/lib", want="dir").state == PRESENT


def test_multi_stage_copy_from(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": "services:\n  s:\n    build: .\n",
        "Dockerfile": ("FROM node:22 AS build\nWORKDIR /src\nCOPY . .\nRUN npm ci && npm run build\n\n"
                       "FROM node:22-slim AS deps\nCOPY package.json /deps/\n\n"
                       "FROM nginx:1.27\nCOPY --from=build /src/dist /usr/share/nginx/html\n"
                       "COPY --from=deps /deps/package.json /app/package.json\n"
                       "COPY --from=deps /deps/missing.json /app/missing.json\n"
                       "COPY --from=ghcr.io/x/tool:1 /tool /app/tool\n"),
        "package.json": "{}", "index.js": "",
    })
    view = view_of(project, "s")
    assert view.file("/usr/share/nginx/html/index.html").state == UNKNOWN  # built by RUN npm run build
    assert view.file("/app/package.json").state == PRESENT
    assert view.file("/app/missing.json").state == ABSENT
    assert view.file("/app/tool").state == UNKNOWN


def test_run_may_create_what_it_mentions(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": "services:\n  s:\n    build: .\n",
        "Dockerfile": ("FROM python:3.12-slim\nWORKDIR /app\nRUN mkdir -p /data && chown 1000 /data\n"
                       "RUN git clone https://example.com/r.git /opt/tool\nRUN echo hi > /srv/generated.py\n"
                       "WORKDIR /work\nRUN python make_assets.py\n"),
    })
    view = view_of(project, "s")
    assert view.file("/data/x.py").state == ABSENT  # mkdir and chown create no files
    assert view.file("/opt/tool/main.py").state == UNKNOWN
    assert view.file("/srv/generated.py").state == UNKNOWN
    assert view.file("/work/assets/a.js").state == UNKNOWN  # written where the RUN ran
    assert view.file("/app/main.py").state == ABSENT


def test_heredoc_and_remote_sources(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": "services:\n  s:\n    build: .\n",
        "Dockerfile": ("FROM python:3.12-slim\nCOPY <<EOF /app/start.sh\nexec python -m app\nEOF\n"
                       "ADD https://example.com/tini /tini\nADD vendor.tar.gz /opt/vendor/\n"),
        "vendor.tar.gz": "",
    })
    view = view_of(project, "s")
    assert view.file("/app/start.sh").state == PRESENT
    assert view.file("/tini").state == UNKNOWN
    assert view.file("/opt/vendor/lib.py").state == UNKNOWN


def test_mounts_overlay_the_image(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": ("services:\n  s:\n    image: python:3.12-slim\n    working_dir: /app\n    volumes:\n"
                         "      - ./src:/app\n      - data:/data\n      - type: bind\n        source: ./conf\n"
                         "        target: /etc/conf\n    tmpfs: /scratch\nvolumes:\n  data:\n"),
        "src/main.py": "", "conf/a.ini": "",
    })
    view = view_of(project, "s")
    assert view.cwd() == "/app"
    assert view.file("/app/main.py").state == PRESENT
    # The bind replaces /app with the repository's src/: what the repository lacks is not there (issue 20;
    # files .gitignore or the automation says are made before `up` stay unknown: tests/test_mounts.py).
    assert view.file("/app/other.py").state == ABSENT
    assert view.file("/data/x").state == UNKNOWN  # a volume may hold what the image lacks
    assert view.file("/scratch/x").state == ABSENT  # tmpfs starts empty
    assert view.file("/srv/x.py").state == ABSENT


def test_programs_from_packages_copies_and_runs(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": ("services:\n  apk:\n    build: ./apk\n  copied:\n    build: ./copied\n"
                         "  opaque:\n    build: ./opaque\n  plain:\n    image: alpine:3.19\n"),
        "apk/Dockerfile": "FROM alpine:3.19\nRUN apk add --no-cache python3 curl\n",
        "copied/Dockerfile": ("FROM alpine:3.19\nCOPY bin/tool /usr/local/bin/tool\n"
                              "COPY --from=busybox:1 /bin/busybox /bin/\n"),
        "copied/bin/tool": "",
        "opaque/Dockerfile": "FROM alpine:3.19\nRUN wget -O- https://x/install | sh\n",
    })
    apk = view_of(project, "apk")
    assert apk.program("python3")[0] == PRESENT
    assert apk.program("python")[0] == UNKNOWN  # the package may or may not link it
    assert apk.program("curl")[0] == PRESENT
    assert apk.program("node")[0] == ABSENT
    copied = view_of(project, "copied")
    assert copied.program("tool")[0] == PRESENT
    assert copied.program("busybox")[0] == UNKNOWN
    assert view_of(project, "opaque").program("python")[0] == UNKNOWN
    assert view_of(project, "plain").program("python")[0] == ABSENT


def test_pip_console_scripts_come_from_the_dependency_analysis(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": "services:\n  s:\n    build: .\n  none:\n    build: ./none\n",
        "Dockerfile": "FROM python:3.12-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
        "requirements.txt": "gunicorn==22.0.0\n",
        "none/Dockerfile": "FROM python:3.12-slim\n",
    })
    view = view_of(project, "s")
    assert view.program("gunicorn")[0] == PRESENT
    assert view.program("uvicorn")[0] == ABSENT
    assert view_of(project, "none").program("celery")[0] == ABSENT


def test_workdir_tracking(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": "services:\n  a:\n    build:\n      context: .\n      args:\n        HOME_DIR: /home/svc\n",
        "Dockerfile": ("ARG BASE=python:3.12-slim\nFROM ${BASE} AS base\nARG HOME_DIR=/home/app\nWORKDIR $HOME_DIR\n"
                       "FROM base\nWORKDIR sub\nARG UNSET\nWORKDIR ${UNSET}\n"),
    })
    view = view_of(project, "a")
    assert view.model.base.family == "python"
    assert view.cwd() is None  # a WORKDIR from an ARG without a value
    ops = [op for op in view.model.ops if op.kind == "workdir"]
    assert [op.workdir for op in ops[:2]] == ["/home/svc", "/home/svc/sub"]


# --------------------------------------------------------------------------- what gets checked


def test_start_targets_cover_services_and_unused_dockerfiles(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": "services:\n  s:\n    build: ./used\n  img:\n    image: redis:7\n    command: redis-server\n",
        "extra.compose.yaml": "services:\n  orphan:\n    image: alpine:3.19\n    command: sh -c 'a; b'\n",
        "used/Dockerfile": "FROM python:3.12-slim\nCMD [\"python\", \"-V\"]\n",
        "unused/Dockerfile": "FROM python:3.12-slim\nCMD [\"python\", \"app.py\"]\n",
        "wasm/Dockerfile": "FROM scratch\nCOPY x.wasm /x.wasm\nENTRYPOINT [\"x.wasm\"]\n",
        "builder/Dockerfile": "FROM golang:1.23\nRUN go version\n",
    })
    targets = start_targets(project)
    labels = sorted((t.service.name if t.service else t.dockerfile.path, t.argv_semantics()) for t in targets)
    assert labels == [("img", "direct"), ("orphan", "direct"), ("s", "direct"), ("unused/Dockerfile", "direct")]
    builds = {(d.path, c.path, used) for d, c, _, used, _ in dockerfile_builds(project)}
    assert ("used/Dockerfile", "used", True) in builds and ("unused/Dockerfile", "unused", "") in builds


# --------------------------------------------------------------------------- hostile input


_LINES = [
    "FROM python:3.12-slim AS a", "FROM a", "FROM scratch", "FROM ${BASE}", "FROM alpine:3.19 AS b",
    "WORKDIR /app", "WORKDIR rel", "WORKDIR $X", "WORKDIR //twice//slashes", "COPY . .", "COPY --from=a / /",
    "COPY --from=b /x ./", "COPY --from=9 /x /y", "COPY *.py [bad /dst/", "COPY ../../etc /x", "COPY",
    "COPY [\"a b\", \"/c/\"]", "ADD https://x/y.tgz /opt/", "ADD local.tar.gz .", "COPY <<EOF /f\nx\nEOF",
    "RUN apk add --no-cache python3", "RUN curl x | sh", "RUN cd / && tar xf x.tgz", "RUN pip install -e .",
    "RUN <<EOF\nnpm ci\nEOF", "RUN [\"sh\", \"-c\", \"echo $(\"]", "ENV PATH=/opt/bin:$PATH", "USER app",
    "ARG BASE=node:22", "CMD [\"python\", \"x.py\"]", "CMD python -m x", "ENTRYPOINT [\"tini\", \"--\"]",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_LINES), min_size=1, max_size=12),
       st.sampled_from(["/app/x.py", "/x", "/", "//y", "/opt/bin/tool", "rel"]))
def test_models_of_arbitrary_dockerfiles_never_raise(lines, path):
    from pathlib import Path
    from types import MappingProxyType

    from composelint.analysis.image.context import Context
    from composelint.analysis.image.model import model_for
    from composelint.model import Project

    text = "\n".join(lines) + "\n"
    dockerfile = parse_dockerfile(text, "Dockerfile")
    project = Project(root=Path("/nonexistent"), sources=MappingProxyType({"Dockerfile": text}),
                      compose_files=MappingProxyType({}), dockerfiles=MappingProxyType({"Dockerfile": dockerfile}),
                      files=frozenset({"Dockerfile", "x.py", "local.tar.gz", "a b"}))
    context = Context(project, "", None)
    for stage in dockerfile.stages:
        model = model_for(project, dockerfile, stage, context)
        assert model.lookup(path).state in (PRESENT, ABSENT, UNKNOWN)
        assert model.program("python")[0] in (PRESENT, ABSENT, UNKNOWN)
        assert model.workdir is None or model.workdir.startswith("/")


def test_gitignored_build_outputs(tmp_path):
    from composelint.analysis.gitignore import gitignored

    project = project_of(tmp_path, {
        ".gitignore": "dist/\n*.whl\n/build\n!keep.whl\n# comment\n**/cache\n",
        "web/.gitignore": "out\n",
    })
    assert gitignored(project, "web/dist/index.html") and gitignored(project, "a/b.whl")
    assert gitignored(project, "build/x") and not gitignored(project, "web/build/x")
    assert not gitignored(project, "keep.whl")
    assert gitignored(project, "web/out/x") and not gitignored(project, "out/x")
    assert gitignored(project, "x/y/cache/z") and not gitignored(project, "src/main.py")


@pytest.mark.parametrize("text, path, expected", [
    ("mkdir -p /app && chown app /app", "/app", True), ("cp x /app/", "/app/", True), ("cp x /app/.", "/app", True),
    ("ls /app/*", "/app", True), ("mkdir /application", "/app", False), ("mkdir /srv/app", "/app", False),
    ("echo", "/app", False), ("mkdir -p /", "/", True), ("rm -rf $HOME/app", "/app", False)])
def test_a_run_mentions_a_path_only_as_itself(text, path, expected):
    from composelint.analysis.image.runs import mentions

    assert mentions(text, path) is expected


@pytest.mark.parametrize("text, name, expected", [
    ("python main.py", "main.py", True), ("cp build/main.py .", "main.py", True), ("cat domain.py", "main.py", False),
    ("echo", "main.py", False), ("echo main.py", "", False)])
def test_a_run_mentions_a_file_name_as_a_word_or_a_path_end(text, name, expected):
    from composelint.analysis.image.runs import mentions_name

    assert mentions_name(text, name) is expected


def test_a_copy_s_words_are_placed_once_per_run_and_each_where_it_is_written(tmp_path):
    from composelint.analysis.image.model import copy_word_spans

    write_tree(tmp_path, {"Dockerfile": "FROM python:3.12 AS base\nCOPY requirements.txt \\\n     app/ /srv/\n"
                                        "FROM base\nCOPY . /srv/\n"})
    project = build_project(tmp_path, load_config(tmp_path))
    dockerfile = project.dockerfiles["Dockerfile"]
    first, second = [i for i in dockerfile.instructions if i.keyword == "COPY"]
    words = copy_word_spans(project, first)
    assert [(text, span.start.line, span.start.column) for text, span in words] == \
        [("requirements.txt", 2, 6), ("app/", 3, 6), ("/srv/", 3, 11)]
    assert copy_word_spans(project, first) is words
    assert [text for text, _ in copy_word_spans(project, second)] == [".", "/srv/"]
