"""composelint.analysis.commands: scripts split like a shell, wrappers looked through, positions kept."""

from __future__ import annotations

import pytest
from helpers import write_tree
from hypothesis import given, settings
from hypothesis import strategies as st

from composelint.analysis.commands.installs import install_of, package_install, python_package_install
from composelint.analysis.commands.maps import align
from composelint.analysis.commands.operands import dev_mode, operands
from composelint.analysis.commands.start import start_analysis
from composelint.analysis.commands.syntax import expand, parse_script
from composelint.assembly.project import build_project
from composelint.config import load_config
from composelint.diagnostics import Position, Span

# --------------------------------------------------------------------------- parse_script


def argvs(script: str) -> list[tuple[str, ...]]:
    return [command.argv for command in parse_script(script).commands]


@pytest.mark.parametrize("script, expected", [
    ("pip install -r requirements.txt && python /app/main.py",
     [("pip", "install", "-r", "requirements.txt"), ("python", "/app/main.py")]),
    ("a; b || c | d & e", [("a",), ("b",), ("c",), ("d",), ("e",)]),
    ("echo 'a b' \"c d\" e\\ f", [("echo", "a b", "c d", "e f")]),
    ("echo \"a;b\" 'c&&d'", [("echo", "a;b", "c&&d")]),
    ("cmd > /log 2>&1 < in", [("cmd",)]),
    ("(cd /x && make) ; { a; b; }", [("cd", "/x"), ("make",), ("a",), ("b",)]),
    ("if [ -f x ]; then run x; else other; fi", [("[", "-f", "x", "]"), ("run", "x"), ("other",)]),
    ("for i in 1 2; do echo $i; done; after", [("echo", "$i"), ("after",)]),
    ("# a comment\nfirst # trailing\nsecond", [("first",), ("second",)]),
    ("cat <<EOF\nbody; rm -rf /\nEOF\nnext", [("cat",), ("next",)]),
    ("line one \\\n  continued", [("line", "one", "continued")]),
    ("echo $(date; id) `uname` ${X:-a b}", [("echo", "$(date; id)", "`uname`", "${X:-a b}")]),
])
def test_simple_commands(script, expected):
    assert argvs(script) == expected


def test_operators_and_flags():
    commands = parse_script("a && b || c; d & e | f").commands
    assert [c.after for c in commands] == ["", "&&", "||", ";", "&", "|"]
    assert [c.background for c in commands] == [False, False, False, True, False, False]
    assert [c.conditional for c in commands] == [False, False, True, False, False, False]
    assert commands[4].piped and commands[5].piped


def test_assignments_and_redirections_are_not_arguments():
    (command,) = parse_script("A=1 B=\"x y\" exec python app.py > /var/log/app 2>&1").commands
    assert command.argv == ("exec", "python", "app.py")
    assert [name for name, _ in command.assignments] == ["A", "B"]
    assert [(r.operator, r.target.text) for r in command.redirects] == [(">", "/var/log/app"), (">&", "1")]


def test_words_know_where_each_character_came_from():
    script = "sh -c 'python \"/app/main.py\"'"
    (command,) = parse_script(script).commands
    inner = command.words[2]
    assert inner.text == 'python "/app/main.py"'
    assert script[inner.offsets[0]] == "p"
    nested = parse_script(inner.text, inner.offsets).commands[0].words[1]
    assert nested.text == "/app/main.py"
    assert script[nested.offsets[0]:nested.offsets[-1] + 1] == "/app/main.py"


def test_literal_flag_marks_expansions():
    words = parse_script("a '$HOME' \"$HOME\" $HOME *.py ~/x \\$x").commands[0].words
    assert [w.literal for w in words] == [True, True, False, False, False, False, True]


def test_case_arms_are_skipped_unless_asked_for():
    script = 'case "$ARCH" in\n  amd64) A=x ;;\n  arm64|aarch64) pip install y && cd /a ;;\n  (*) z\nesac; after'
    assert [c.argv for c in parse_script(script).commands] == [("after",)]
    commands = parse_script(script, case_arms=True).commands
    assert [(c.argv, c.conditional) for c in commands] == [
        ((), True), (("pip", "install", "y"), True), (("cd", "/a"), True), (("z",), True), (("after",), False)]
    assert commands[1].words[0].start == script.index("pip")
    nested = parse_script("case a in x) case b in y) one ;; esac; two ;; esac; three", case_arms=True).commands
    assert [(c.argv, c.conditional) for c in nested] == [(("one",), True), (("two",), True), (("three",), False)]


def test_functions_case_and_unbalanced_quotes_make_the_script_incomplete():
    assert not parse_script("f() { a; }; f").complete
    assert not parse_script("case $x in a) b;; esac").complete
    assert not parse_script("echo 'unclosed").complete
    assert parse_script("a && b").complete


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab $'\"\\;&|()<>{}`#\n=-*?[]ifthenesac")), max_size=200))
def test_parse_never_raises(text):
    for case_arms in (False, True):
        script = parse_script(text, case_arms=case_arms)
        for command in script.commands:
            for word in command.words:
                assert len(word.offsets) == len(word.text)
                assert all(0 <= offset < len(text) for offset in word.offsets)
                assert all(text[offset] == char for offset, char in zip(word.offsets, word.text))


def test_long_scripts_are_bounded():
    assert parse_script("a " * 60_000).problem is not None
    deep = "$(" * 10_000 + ")" * 10_000
    parse_script("echo " + deep)  # no recursion error


def test_expand():
    word = parse_script("\"$APP/main.py\"").commands[0].words[0]
    assert expand(word, {"APP": "/srv"}) == "/srv/main.py"
    assert expand(word, {}) is None
    assert expand(parse_script("$(pwd)/x").commands[0].words[0], {"PWD": "/"}) is None


# --------------------------------------------------------------------------- positions in files


def test_align_maps_a_quoted_compose_value():
    source = {"c.yaml": 'x: sh -c "pip install && run"\n'}
    span = Span("c.yaml", Position(1, 10), Position(1, 31))
    positions = align(source, span, "pip install && run")
    assert positions[0] == (1, 11) and positions[-1] == (1, 28)


def test_align_follows_dockerfile_continuations_and_comment_lines():
    text = "CMD pip install \\\n# note\n    -r x.txt\n"
    span = Span("Dockerfile", Position(1, 5), Position(3, 13))
    positions = align({"Dockerfile": text}, span, "pip install     -r x.txt")
    assert positions[0] == (1, 5)
    assert positions[-1] == (3, 12)


def test_align_gives_up_rather_than_guess():
    assert align({"f": "abc"}, Span("f", Position(1, 1), Position(1, 4)), "xyz") is None


# --------------------------------------------------------------------------- start commands


def project_of(tmp_path, files):
    write_tree(tmp_path, {".composelint.yaml": "", **files})
    return build_project(tmp_path, load_config(tmp_path))


def analysis_of(project, name="s"):
    (deployment,) = project.deployments
    service = deployment.services[name]
    return start_analysis(project, service.effective_start)


def test_sh_c_is_split_with_exact_columns(tmp_path):
    project = project_of(tmp_path, {"compose.yaml": (
        'services:\n  s:\n    image: python:3.12-slim\n'
        '    entrypoint: sh -c "pip install -r r.txt && python /app/main.py"\n')})
    analysis = analysis_of(project)
    assert [(i.role, i.argv) for i in analysis.invocations] == [
        ("shell", ("sh",)), ("main", ("pip", "install", "-r", "r.txt")), ("main", ("python", "/app/main.py"))]
    python = analysis.invocations[2]
    assert (python.words[1].span.line, python.words[1].span.column) == (4, 55)
    assert python.span().end == Position(4, 67)
    (shell,) = analysis.shells
    assert shell.foreground == 2 and not shell.exec_last and not shell.backgrounds


def test_wrappers_are_looked_through(tmp_path):
    project = project_of(tmp_path, {"compose.yaml": (
        'services:\n  s:\n    image: python:3.12-slim\n'
        '    entrypoint: ["tini", "-g", "--", "gosu", "app", "env", "-i", "A=1", "nice", "-n", "5", '
        '"sh", "-ec", "cd /srv && exec python -u main.py"]\n')})
    analysis = analysis_of(project)
    main = [i for i in analysis.invocations if i.role == "main"]
    assert [i.argv for i in main] == [("python", "-u", "main.py")]
    assert main[0].exec_ and main[0].cwd == "/srv"
    assert main[0].wrapped_by[:3] == ("tini", "gosu", "env")
    assert [name for name, _ in main[0].assignments] == ["A"]
    assert analysis.shells[0].exec_last


def test_runners_mark_the_program(tmp_path):
    project = project_of(tmp_path, {"compose.yaml": (
        'services:\n  s:\n    image: python:3.12-slim\n    command: poetry run uvicorn app:app --reload\n')})
    (runner, main) = analysis_of(project).invocations
    assert runner.role == "wrapper" and main.runner == "poetry run" and main.argv[0] == "uvicorn"


def test_cd_inside_a_subshell_does_not_leak(tmp_path):
    project = project_of(tmp_path, {"compose.yaml": (
        "services:\n  s:\n    image: python:3.12-slim\n"
        "    command: [\"sh\", \"-c\", \"(cd /tmp && ls) && python app.py\"]\n")})
    main = [i for i in analysis_of(project).invocations if i.role == "main"]
    assert [(i.argv[0], i.cwd) for i in main] == [("ls", "/tmp"), ("python", None)]


def test_dockerfile_exec_form_elements_get_their_own_columns(tmp_path):
    project = project_of(tmp_path, {
        "Dockerfile": 'FROM python:3.12-slim\nCMD ["python",  "-m", "pkg.app"]\n',
        "compose.yaml": "services:\n  s:\n    build: .\n"})
    (invocation,) = analysis_of(project).invocations
    assert [(w.span.line, w.span.column) for w in invocation.words] == [(2, 7), (2, 18), (2, 24)]


def test_shell_form_is_an_implicit_shell(tmp_path):
    project = project_of(tmp_path, {
        "Dockerfile": "FROM python:3.12-slim\nCMD cd /srv && \\\n    python app.py\n",
        "compose.yaml": "services:\n  s:\n    build: .\n"})
    analysis = analysis_of(project)
    assert analysis.shells[0].implicit
    python = [i for i in analysis.invocations if i.role == "main"][0]
    assert python.argv == ("python", "app.py") and python.cwd == "/srv"
    assert (python.words[1].span.line, python.words[1].span.column) == (3, 12)


# --------------------------------------------------------------------------- what commands do


def invocation(text: str):
    from composelint.analysis.commands.start import _Walker, words_of
    from composelint.model import CommandPart, CommandWord

    span = Span("x", Position(1, 1))
    part = CommandPart("compose-command", tuple(CommandWord(w, span) for w in text.split()), span, "exec")
    walker = _Walker(part)
    walker.argv(words_of(part, None), depth=0)
    return [i for i in walker.invocations if i.role == "main"][-1]


@pytest.mark.parametrize("text, expected", [
    ("pip install -r r.txt", True), ("pip3.12 install x", True), ("python3 -m pip install x", True),
    ("uv pip install x", True), ("uv sync", True), ("npm ci", True), ("npm i", True), ("yarn", True),
    ("yarn add x", True), ("pnpm install", True), ("apt-get install -y curl", True), ("apk add bash", True),
    ("poetry install", True), ("bundle install", True), ("conda env create -f e.yml", True),
    ("pip --version", False), ("pip freeze", False), ("npm run build", False), ("yarn start", False),
    ("apt-get update", False), ("python app.py", False), ("uv run app.py", False),
])
def test_package_install(text, expected):
    assert package_install(invocation(text)) is expected


@pytest.mark.parametrize("text, tool, verb, verb_index", [
    ("pip install x", "pip", "install", 1),
    ("pip --proxy http://p:3128 -q install x", "pip", "install", 4),
    ("/usr/local/bin/pip3.12 install x", "pip", "install", 1),
    ("python3 -X dev -m pip install x", "pip", "install", 5),
    ("python -m uv pip sync r.txt", "uv pip", "sync", 4),
    ("python setup.py -q install", "setup.py", "install", 3),
    ("uv --directory app sync", "uv", "sync", 3),
    ("uv tool install ruff", "uv tool", "install", 2),
    ("poetry -C app install --no-root", "poetry", "install", 3),
    ("conda env create -f environment.yml", "conda env", "create", 2),
    ("micromamba install -y numpy", "micromamba", "install", 1),
    ("easy_install x", "easy_install", "", 0),
    ("pip-sync", "pip-sync", "", 0),
    ("apt-get -o Acquire::Retries=3 install -y curl", "apt-get", "install", 3),
    ("npm --prefix web ci", "npm", "ci", 3),
    ("yarn", "yarn", "", 0),
    ("bundle", "bundle", "", 0),
    ("cargo install ripgrep", "cargo", "install", 1),
])
def test_install_of_reads_one_table(text, tool, verb, verb_index):
    found = install_of(text.split())
    assert (found.tool, found.verb, found.verb_index) == (tool, verb, verb_index)


@pytest.mark.parametrize("text", ["pip", "pip --version", "pip freeze", "python -m pip list", "python app.py",
                                  "python -c x", "uv run app.py", "conda activate x", "npm run build", "yarn start",
                                  "apt-get update", "gem list", "setup.py install", "bundle exec rails s"])
def test_install_of_ignores_what_does_not_install(text):
    assert install_of(text.split()) is None


@pytest.mark.parametrize("text, any_install, python_install", [
    ("pip install -r r.txt", True, True), ("python3 -m pip install x", True, True), ("uv sync", True, True),
    ("poetry install", True, True), ("conda env create", True, True), ("pip-sync", True, True),
    ("pipx install black", True, False), ("uv tool install ruff", True, False),
    ("npm ci", True, False), ("yarn", True, False), ("gem install rails", True, False),
    ("cargo install x", True, False), ("composer install", True, False),
    ("apt-get install -y python3-yaml", True, True), ("apk add --no-cache py3-requests", True, True),
    ("apt-get install -y curl", True, False), ("python app.py", False, False),
])
def test_python_package_install_is_the_python_part_of_package_install(text, any_install, python_install):
    assert package_install(invocation(text)) is any_install
    assert python_package_install(invocation(text)) is python_install


@pytest.mark.parametrize("text, env, expected", [
    ("uvicorn app:app --reload", {}, "`uvicorn --reload`"),
    ("python -m uvicorn app:app --reload-dir /x", {}, "`uvicorn --reload-dir`"),
    ("uvicorn app:app", {"UVICORN_RELOAD": "true"}, "`UVICORN_RELOAD` set"),
    ("gunicorn app:app", {"GUNICORN_CMD_ARGS": "--reload"}, "`--reload` in `GUNICORN_CMD_ARGS`"),
    ("flask run --debug", {}, "`flask run --debug`"),
    ("flask --debug run", {}, "`flask --debug`"),
    ("flask run", {"FLASK_ENV": "development"}, "`flask run` with `FLASK_ENV=development`"),
    ("python manage.py runserver 0:8000", {}, "Django's `runserver`"),
    ("nodemon server.js", {}, "`nodemon`"),
    ("node --watch server.js", {}, "`node --watch`"),
    ("npm run dev", {}, "`npm run dev`"),
    ("yarn start:dev", {}, "`yarn start:dev`"),
    ("next dev", {}, "`next dev`"),
    ("vite", {}, "`vite`"),
    ("uvicorn app:app", {}, None), ("gunicorn -w 4 app:app", {}, None),
    ("flask run --no-reload", {"FLASK_DEBUG": "1"}, None),
    ("npm start", {}, None), ("vite build", {}, None), ("next start", {}, None), ("node server.js", {}, None),
])
def test_dev_mode(text, env, expected):
    found = dev_mode(invocation(text), env)
    assert (found[0] if found else None) == expected


@pytest.mark.parametrize("text, expected", [
    ("python -u /app/main.py arg", [("script", "/app/main.py")]),
    ("python -W ignore -m pkg.app", [("module", "pkg.app")]),
    ("python -c print(1)", []),
    ("node --require dotenv/config dist/index.js", [("node-script", "dist/index.js")]),
    ("bash -e scripts/run.sh", [("script", "scripts/run.sh")]),
    ("java -Xmx1g -jar app.jar", [("jar", "app.jar")]),
    ("./start.sh --port 80", [("program", "./start.sh")]),
    ("uvicorn --host 0.0.0.0 pkg.main:app", [("module", "pkg.main")]),
    ("gunicorn -b 0.0.0.0:8000 -w 3 wsgi:application", [("module", "wsgi")]),
    ("npm start", [("package.json", "package.json")]),
    ("pip install -r reqs/base.txt", [("requirements", "reqs/base.txt")]),
    ("ruby server", []), ("php -S 0.0.0.0:80", []),
    # options before the operand, and options that say no file runs
    ("python -X dev -B app.py", [("script", "app.py")]), ("python -", []), ("python3 --version", []),
    ("python -m", []), ("node -e x", []), ("bash +o posix --rcfile rc -x run.sh", [("script", "run.sh")]),
    ("sh -s arg", []), ("java -cp lib Main", []),
])
def test_operands(text, expected):
    assert [(o.kind, o.value) for o in operands(invocation(text))] == expected


def test_cd_options_and_cd_dash_in_a_start_command(tmp_path):
    # One directory tracker (analysis.commands.directories): `cd -P DIR` went to "./-P"; `cd -` was unknown.
    project = project_of(tmp_path, {"compose.yaml": (
        "services:\n  s:\n    image: python:3.12-slim\n"
        "    command: [\"sh\", \"-c\", \"cd -P /srv && ls && cd /tmp && cd - && python app.py\"]\n")})
    main = [i for i in analysis_of(project).invocations if i.role == "main"]
    assert [(i.argv[0], i.cwd, i.cwd_unknown) for i in main] == [("ls", "/srv", False), ("python", "/srv", False)]


# --------------------------------------------------------------------------- parse_shared


def test_a_run_line_repeated_across_dockerfiles_is_parsed_once_per_run(tmp_path):
    from composelint.analysis.commands.syntax import SCRIPTS
    from composelint.analysis.python.commands import stage_run_commands

    run = "RUN pip install -r requirements.txt && python -m compileall /app"
    write_tree(tmp_path, {"a/Dockerfile": f"FROM python:3.12\n{run}\n", "b/Dockerfile": f"FROM python:3.11\n{run}\n"})
    project = build_project(tmp_path, load_config(tmp_path))
    steps = [stage_run_commands(project, dockerfile, dockerfile.stages[0])[0]
             for dockerfile in project.dockerfiles.values()]
    assert [[c.argv for c in commands] for commands in steps] == [[("pip", "install", "-r", "requirements.txt"),
                                                                   ("python", "-m", "compileall", "/app")]] * 2
    # Each Dockerfile's commands stay its own (their instruction, their positions); only the parse is shared.
    assert steps[0][0].instruction is not steps[1][0].instruction
    assert [text for text, _ in project.facts.table(SCRIPTS)] == [run[4:]]


def test_the_image_model_and_the_python_analysis_share_a_run_line_s_parse_unless_it_has_a_case(tmp_path):
    from composelint.analysis.commands.syntax import SCRIPTS
    from composelint.analysis.image.runs import classify_run
    from composelint.analysis.python.commands import stage_run_commands

    plain = "pip install flask && apt-get install -y curl"
    arms = "case $(uname -m) in x86_64) pip install a ;; *) apt-get install -y b ;; esac"
    write_tree(tmp_path, {"Dockerfile": f"FROM python:3.12\nRUN {plain}\nRUN {arms}\n"})
    project = build_project(tmp_path, load_config(tmp_path))
    dockerfile = project.dockerfiles["Dockerfile"]
    memo = project.facts.table(SCRIPTS)
    infos = [classify_run(instruction, {}, memo=memo) for instruction in dockerfile.stages[0].instructions]
    steps = stage_run_commands(project, dockerfile, dockerfile.stages[0])
    # The plain line's parse serves both; with a `case`, the install analysis keeps every arm, classify_run none.
    assert sorted(memo, key=str) == sorted([(plain, False), (arms, False), (arms, True)], key=str)
    assert [c.argv[:2] for c in steps[1]] == [("pip", "install"), ("apt-get", "install")]
    assert infos[0].pip and not infos[1].pip
