"""The command tables exist once: no installer, wrapper or shell name outside composelint/analysis/commands/.

Issue 14: four wrapper tables (only one knew tini), two package-install tables and three shell-name
lists disagreed. Every reader now looks programs up in analysis/commands/tables.py; this test finds a
new private table by its string literals (an exact ``"apt-get"``, ``"gosu"``, ``"sh"`` …).
"""

from __future__ import annotations

import ast
from pathlib import Path

from composelint.analysis.commands.tables import INSTALLERS, SHELLS, WRAPPERS

PACKAGE = Path(__file__).resolve().parent.parent / "composelint"
COMMANDS = PACKAGE / "analysis" / "commands"

# Names that are only ever program names (not "env", "exec", "command", "time": compose keys and words too).
NAMES = (SHELLS | {name for name, entry in INSTALLERS.items() if entry.ecosystem == "system"}
         | {name for name, wrapper in WRAPPERS.items() if wrapper.kind in ("init", "user")}
         | {"nohup", "stdbuf", "ionice", "taskset", "noglob", "pip", "pip3", "npm", "yarn"})

# Literals that are legitimately elsewhere, each with its reason. This list may only shrink.
_DATABASE = "a package database or ecosystem named in a message or a key, not a program looked up"
ALLOWED = {
    ("composelint/rules/cl204_command_not_found.py", "apk"): _DATABASE,
    ("composelint/rules/cl204_command_not_found.py", "apt"): _DATABASE,
    ("composelint/rules/cl204_command_not_found.py", "pip"): _DATABASE,
    ("composelint/rules/cl402_pip_cache.py", "pip"): _DATABASE + " (and the `pip cache purge` advice)",
    ("composelint/rules/cl402_pip_cache.py", "pip3"): _DATABASE + " (and the `pip3 cache purge` advice)",
    ("composelint/rules/cl405_cache_busting_copy.py", "pip"): _DATABASE,
    ("composelint/analysis/python/requirements.py", "pip"): _DATABASE,
    ("composelint/analysis/python/installers.py", "pip"): _DATABASE + " (the advice: `pip install -r …`)",
    ("composelint/analysis/python/installers.py", "npm"): _DATABASE + " (the advice: `npm ci`)",
    ("composelint/analysis/python/installers.py", "yarn"): _DATABASE + " (the advice: `yarn install`)",
    ("composelint/assembly/deployments/documents.py", "sh"): "a Markdown fence language (```sh), not a program",
    ("composelint/assembly/deployments/documents.py", "bash"): "a Markdown fence language (```bash), not a program",
    ("composelint/assembly/deployments/documents.py", "zsh"): "a Markdown fence language (```zsh), not a program",
    ("composelint/analysis/image/runs.py", "apt"): _DATABASE + " (INSTALLERS' `database`)",
    ("composelint/analysis/image/runs.py", "pip"): "the module of `python -m pip` (a module, not a program)",
    ("composelint/analysis/image/model.py", "pip"): _DATABASE + " (the base-image table's hint key; a reason shown)",
}


def _literals(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in NAMES:
            yield node.value, node.lineno


def test_no_command_tables_outside_the_commands_package():
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if COMMANDS in path.parents:
            continue
        relative = path.relative_to(PACKAGE.parent).as_posix()
        for value, line in _literals(path):
            if (relative, value) not in ALLOWED:
                found.add(f"{relative}:{line}: {value!r}")
    assert not found, "command names outside composelint/analysis/commands/ (use its tables):\n" + "\n".join(
        sorted(found))


def test_the_allowlist_only_names_literals_that_exist():
    present = {(path.relative_to(PACKAGE.parent).as_posix(), value)
               for path in PACKAGE.rglob("*.py") if COMMANDS not in path.parents for value, _ in _literals(path)}
    assert set(ALLOWED) <= present, sorted(set(ALLOWED) - present)


# Where the twins disagreed, the one table decides (each of these failed before it).

def _run(text: str):
    from composelint.analysis.image.runs import classify_run
    from composelint.parsers.dockerfile import parse_dockerfile

    return classify_run(parse_dockerfile(f"FROM debian\n{text}\n", "Dockerfile").instructions[1])


def test_the_image_model_reads_every_shell_of_the_list():
    # image.py knew five shells; `mksh -c` hid the install (the image model called the RUN opaque)
    info = _run('RUN mksh -c "apt-get install -y curl"')
    assert info.packages == [("apt", "curl")] and not info.programs_unknown


def test_the_image_model_looks_through_the_run_wrappers_of_the_python_analysis():
    # timeout/taskset/chroot were wrappers for the Python analysis of RUN steps, not for the image model
    assert _run("RUN timeout 600 apt-get install -y curl").packages == [("apt", "curl")]
    assert _run("RUN taskset -c 0 apk add gcc").packages == [("apk", "gcc")]


def test_the_image_model_knows_the_pip_programs_of_the_install_table():
    # image.classify_run knew pip, pip3 and pip3.X; install_of (CL201, CL407) also pip2: one PIP_PROGRAM now
    info = _run("RUN pip2 install requests")
    assert info.pip and not info.programs_unknown  # was an unknown tool that may install any program
    assert _run("RUN pip2.7 install -e .").pip_local


def test_the_image_model_finds_pip_installs_with_install_of():
    # classify_run found `pip install` by position (argv[1] == "-m", argv[2] == "pip"; its own option loop
    # stopped at an option's value); install_of, which CL201 and CL407 use, skips options as pip does
    assert _run("RUN python -u -m pip install requests").pip  # was a local write, no pip install
    assert _run("RUN pip --cache-dir /tmp/c install requests").pip  # was nothing at all
    assert _run("RUN python3 -m uv pip install requests").pip
    assert not _run("RUN python -m pip --version").pip


def test_system_installers_read_their_own_options_and_short_verbs():
    from composelint.analysis.commands.installs import install_of

    # `dnf in` is dnf's install (the image model knew it; install_of did not)
    assert install_of(["dnf", "in", "-y", "gcc"]) is not None
    assert install_of(["microdnf", "in", "gcc"]) is None
    # apk's -t/--virtual takes a value: the virtual package's name is no package to fetch
    apk = install_of(["apk", "add", "-t", ".build-deps", "gcc"])
    assert apk is not None and apk.operands(["apk", "add", "-t", ".build-deps", "gcc"]) == ["gcc"]
    assert _run("RUN apk add -t .build-deps gcc").packages == [("apk", "gcc")]


def test_start_commands_and_run_steps_share_the_wrappers():
    from composelint.analysis.commands.tables import wrapped_program

    argv = ["gosu", "app", "sudo", "-u", "root", "nice", "-n", "5", "python", "app.py"]
    index = 0
    for context in ("start", "run"):
        index = 0
        while (found := wrapped_program(argv[index], argv, index, context)) is not None:
            index = found[0]
        assert argv[index] == "python", context
    assert wrapped_program("tini", ["tini", "--", "x"], 0, "start") == (2, "init")
    assert wrapped_program("command", ["command", "-v", "x"], 0, "run") is None


# One tokenizer: deployments and created.py read the repository's automation with analysis.commands.syntax,
# where they had a tokenizer of their own. Where it read a script wrongly (each failed before):

def test_a_redirection_target_is_no_service_of_a_compose_invocation():
    from composelint.assembly.deployments import automation_requests

    (request,) = automation_requests("run.sh", "docker compose -f a.yml up web > up.log\n")
    assert request.targets == ("web",)  # was ("web", "up.log"): `>` was dropped and its target kept


def test_a_cd_in_a_function_body_does_not_move_the_script_after_it():
    from composelint.assembly.created import created_paths

    created = created_paths([("setup.sh", "f() {\n  cd sub\n}\nmkdir out\n")])
    assert sorted(created.by_path) == ["out"]  # was ["sub/out"]: the body's `cd` leaked past its `}`


# One working-directory tracker (analysis.commands.directories) for deployments and created.py, which
# followed cd/pushd/popd each their own way. Where they read a script wrongly (each failed before):

def _cwds(script: str) -> list:
    from composelint.assembly.deployments import automation_requests

    return [request.cwd for request in automation_requests("run.sh", script)]


def test_a_cd_inside_a_subshell_ends_with_it():
    assert _cwds("(cd sub && docker compose up)\ndocker compose -f x.yml up\n") == ["sub", ""]
    from composelint.assembly.created import created_paths

    assert sorted(created_paths([("setup.sh", "(cd sub && mkdir a)\nmkdir b\n")]).by_path) == ["b", "sub/a"]


def test_cd_options_home_and_function_bodies():
    assert _cwds("cd -P sub && docker compose up\n") == ["sub"]  # was "": any `cd -…` was ignored
    assert _cwds("cd\ndocker compose up\n") == [None]  # was "": `cd` alone goes home, out of the repository
    assert _cwds("up() {\n cd sub\n}\ndocker compose up\n") == [""]  # was "sub": the body is not run here


def test_cd_dash_and_an_empty_popd_keep_the_directory_known():
    from composelint.assembly.created import created_paths

    assert sorted(created_paths([("setup.sh", "cd sub\ncd -\nmkdir out\n")]).by_path) == ["out"]
    assert sorted(created_paths([("setup.sh", "popd\nmkdir out\n")]).by_path) == ["out"]


def test_the_image_model_follows_the_same_directories_in_run_steps():
    # was {"/tmp"}: the subshell's cd leaked; `cd -` was unknown; popd was ignored
    assert _run("RUN (cd /tmp && wget https://x/y.tgz) && wget https://x/z.tgz").write_dirs == {"/tmp", None}
    assert _run("RUN cd /opt && cd /srv && cd - && wget https://x/z.tgz").write_dirs == {"/opt"}
    assert _run("RUN pushd /opt && popd && wget https://x/z.tgz").write_dirs == {None}


def test_install_of_reads_each_argv_once_whatever_sequence_holds_it():
    from composelint.analysis.commands.installs import install_of

    found = install_of(["python3", "-m", "pip", "install", "--no-cache-dir", "flask"])
    assert (found.tool, found.verb, found.verb_index, found.program_end) == ("pip", "install", 3, 3)
    assert install_of(("python3", "-m", "pip", "install", "--no-cache-dir", "flask")) is found
    assert install_of([]) is None and install_of(("python3", "-m")) is None
