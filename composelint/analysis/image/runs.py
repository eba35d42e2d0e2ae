"""What a RUN instruction may change in the image, read with the command-analysis package.

:func:`classify_run` gives a :class:`RunInfo`: the system packages it installs, pip and npm
installs, where it writes (its working directory, absolute paths, ``/``), and whether it is opaque
(``curl … | sh``, another language's heredoc, an unknown tool that may install any program). The
image model then treats a RUN that mentions a path, or writes above it, as making that path unknown:
absence must be certain.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import field
from typing import Mapping

from composelint.analysis.commands.tables import (ABSOLUTE_ONLY_WRITERS, ANY_PROGRAM_MANAGERS, ENSUREPIP_PROGRAMS,
                                                  INSTALLERS, NODE_GLOBAL_OPTIONS, NODE_GLOBAL_SUBCOMMANDS,
                                                  NODE_MANAGERS, PIP_PROGRAM, PROGRAM_INSTALLING_TOOLCHAINS,
                                                  PYTHON_ENVIRONMENT_MANAGERS, RUN_HOUSEKEEPING, RUN_LOCAL_WRITERS,
                                                  RUN_OPAQUE, SHELLS)
from composelint.analysis.image.paths import norm
from composelint.model import Instruction
from composelint.records import record


_PIP_LOCAL_FLAGS = ("-e", "--editable", "-t", "--target", "--prefix", "--root", "--src")


@record
class RunInfo:
    text: str  # arguments and heredoc bodies: what the RUN mentions
    effect: str = "none"  # "none" | "local" | "opaque" (for files)
    packages: list[tuple[str, str]] = field(default_factory=list)  # (manager, package)
    unknown_packages: bool = False
    pip: bool = False
    pip_local: bool = False  # `pip install .`, -e, poetry/uv/pipenv installs: scripts and modules unknown
    npm_global: bool = False
    programs_unknown: bool = False  # a tool that may install any program
    provides_unknown: set[str] = field(default_factory=set)
    slash_argument: bool = False  # an argument that is exactly "/" (tar -C /, cp -r x /)
    write_dirs: set = field(default_factory=set)  # where commands write implicitly; None: the WORKDIR


def _bump(info: RunInfo, effect: str) -> None:
    order = {"none": 0, "local": 1, "opaque": 2}
    if order[effect] > order[info.effect]:
        info.effect = effect


def _writes_cwd(name: str, argv: list[str]) -> bool | None:
    """For download and unpack tools: whether they write into the working directory (None: not one)."""
    args = argv[1:]

    def value(*options: str) -> str | None:
        for index, word in enumerate(args):
            for option in options:
                if word == option and index + 1 < len(args):
                    return args[index + 1]
                if option.startswith("--") and word.startswith(option + "="):
                    return word.split("=", 1)[1]
                if not option.startswith("--") and word.startswith(option) and len(word) > len(option):
                    return word[len(option):]
        return None

    if name == "curl":
        output = value("-o", "--output")
        if output is not None:
            return not output.startswith("/") and output != "-"
        return any(word in ("--remote-name", "--remote-name-all") or
                   (word.startswith("-") and not word.startswith("--") and "O" in word) for word in args)
    if name == "wget":
        output = value("-O", "--output-document")
        if output is not None:
            return not output.startswith("/") and output != "-"
        prefix = value("-P", "--directory-prefix")
        return prefix is None or not prefix.startswith("/")
    if name == "git":
        if not args or args[0] != "clone":
            return args[:1] not in (["config"], ["--version"])
        positional = [word for word in args[1:] if not word.startswith("-")]
        return not (len(positional) >= 2 and positional[-1].startswith("/"))
    if name == "tar":
        directory = value("-C", "--directory")
        return directory is None or not directory.startswith("/")
    if name == "unzip":
        directory = value("-d")
        return directory is None or not directory.startswith("/")
    return None


def classify_run(instruction: Instruction, env: Mapping[str, str] | None = None, depth: int = 0,
                 memo: dict | None = None) -> RunInfo:
    """What a RUN instruction may change: packages, pip installs, where it writes (see RunInfo); ``memo``
    holds the scripts parsed so far in this run (:func:`~composelint.analysis.commands.syntax.parse_shared`)."""
    from composelint.parsers.dockerfile import substitute

    bodies = "\n".join(heredoc.body for heredoc in instruction.heredocs)
    raw = instruction.arguments + ("\n" + bodies if bodies else "")
    expanded = substitute(raw, env, keep_quotes=True) if env and "$" in raw else raw
    info = RunInfo(raw if expanded == raw else raw + "\n" + expanded)
    if instruction.form == "exec" and instruction.exec_args is not None:
        _classify_argv(list(instruction.exec_args), info, depth, False, None, memo)
        return info
    arguments = substitute(instruction.arguments, env, keep_quotes=True) if env and "$" in instruction.arguments \
        else instruction.arguments
    scripts = [arguments]
    if instruction.heredocs:
        head = arguments.split()[:2]
        first = head[0] if head else ""
        shells = SHELLS | {"/bin/sh", "/bin/bash"}
        if first.startswith("<<") or (first in shells and len(head) > 1 and head[1].startswith("<<")):
            scripts = [heredoc.body for heredoc in instruction.heredocs]
        elif "<<" in arguments and posixpath.basename(first) not in shells:
            # `RUN python3 <<EOF`: the body is another language's program
            _bump(info, "opaque")
            info.programs_unknown = True
    for script in scripts:
        _classify_script(script, info, depth, memo)
    return info


def _classify_script(script: str, info: RunInfo, depth: int, memo: dict | None) -> None:
    from composelint.analysis.commands.directories import Directories
    from composelint.analysis.commands.syntax import parse_shared

    parsed = parse_shared(script, memo)
    if not parsed.complete:
        _bump(info, "opaque")
        info.programs_unknown = True
    def change(cwd: str | None, target) -> str | None:
        if target.text.startswith("/") and target.literal:
            return norm(target.text)
        if target.text.startswith("$"):
            return "?"
        return norm(posixpath.join(cwd, target.text)) if cwd is not None else None

    # None: the instruction's WORKDIR (or a directory below it); "?": unknown
    directories = Directories(None, change, "?")
    for command in parsed.commands:
        moved = directories.follow(command.words, command.subshell, command.in_function)
        cwd = directories.previous if moved else directories.current  # `cd x > log` writes log before it moves
        targets = [r.target for r in command.redirects
                   if r.operator in (">", ">>", ">|", "&>", "&>>") and r.target is not None
                   and r.target.text not in ("/dev/null", "/dev/stderr", "/dev/stdout")]
        writes = bool(targets)
        if any(not (target.literal and target.text.startswith("/")) for target in targets):
            _bump(info, "local")
            info.write_dirs.add(cwd)  # `> out.txt`: a file in the working directory
        argv = [word.text for word in command.words]
        if not argv or moved:
            continue
        if command.piped and posixpath.basename(argv[0]) in SHELLS \
                and not any(a.startswith("-") and "c" in a for a in argv[1:2]):
            _bump(info, "opaque")  # curl … | sh
            info.programs_unknown = True
            continue
        _classify_argv(argv, info, depth, writes, cwd, memo)


def _local(info: RunInfo, argv: list[str], cwd: str | None) -> None:
    """A command that writes files: in its working directory unless all its paths are absolute."""
    _bump(info, "local")
    name = posixpath.basename(argv[0])
    downloads = _writes_cwd(name, argv)
    if downloads is not None:
        if downloads:
            info.write_dirs.add(cwd)
        return
    operands = [word for word in argv[1:] if not word.startswith("-")]
    if name in ABSOLUTE_ONLY_WRITERS and operands and all(word.startswith("/") or "://" in word or
                                                   re.fullmatch(r"[0-7]{3,4}|[\w.-]+:[\w.-]+", word)
                                                   for word in operands):
        return
    info.write_dirs.add(cwd)


def _classify_argv(argv: list[str], info: RunInfo, depth: int, has_write_redirect: bool,
                   cwd: str | None, memo: dict | None) -> None:
    from composelint.analysis.commands.installs import install_of
    from composelint.analysis.commands.tables import wrapped_program

    # Look through wrappers that do not change what runs.
    while argv:
        name = posixpath.basename(argv[0])
        if name == "env":
            rest = argv[1:]
            while rest and (rest[0].startswith("-") or "=" in rest[0]):
                rest = rest[1:]
            argv = rest
            continue
        wrapped = wrapped_program(name, argv, 0, "run")
        if wrapped is None:
            break
        argv = argv[wrapped[0]:]
    if not argv:
        return
    if any(word == "/" for word in argv[1:]):
        info.slash_argument = True
    name = posixpath.basename(argv[0])
    if name in SHELLS:
        script = None
        for index, word in enumerate(argv[1:], 1):
            if word.startswith("-") and "c" in word[1:] and index + 1 < len(argv):
                script = argv[index + 1]
                break
        if script is not None and depth < 3:
            _classify_script(script, info, depth + 1, memo)
            return
        _bump(info, "opaque")
        info.programs_unknown = True
        return
    if name in ("cd", "pushd", "popd"):
        return
    installer = INSTALLERS.get(name)
    if installer is not None and installer.database is not None:
        _packages(installer, argv, info)
        return
    install = install_of(argv)
    if install is not None and install.tool in ("pip", "uv pip") and install.verb == "install":
        _pip(argv[install.verb_index:], info, cwd)  # pip's own options before `install` are skipped
        return
    if PIP_PROGRAM.match(name):
        return  # `pip freeze`, `pip --version`: nothing installed
    if re.fullmatch(r"(?:python|pypy)(?:[23](?:\.\d+)?)?", name) and len(argv) > 2 and argv[1] == "-m":
        module = argv[2]
        if module == "pip":
            return  # not an install (install_of reads those)
        if module == "ensurepip":
            info.provides_unknown.update(ENSUREPIP_PROGRAMS)
            return
        if module in ("venv", "virtualenv", "compileall"):
            _local(info, [argv[0]] + argv[3:], cwd)
            return
        _local(info, argv, cwd)
        return
    if name == "uv" and len(argv) > 1:
        if argv[1] in ("sync", "add", "install", "tool", "venv"):
            info.pip_local = True
            _local(info, argv, cwd)
            return
    if name in PYTHON_ENVIRONMENT_MANAGERS:
        info.pip_local = True
        _local(info, argv, cwd)
        if name in ANY_PROGRAM_MANAGERS:
            info.programs_unknown = True
        return
    if name in NODE_MANAGERS and len(argv) > 1:
        if any(word in NODE_GLOBAL_OPTIONS for word in argv) or NODE_GLOBAL_SUBCOMMANDS.get(name) == argv[1]:
            info.npm_global = True
            return
    if name == "corepack":
        info.npm_global = True
        return
    if name in ("setup.py",) or (re.fullmatch(r"python[\d.]*", name) and "setup.py" in argv[1:2]):
        info.pip_local = True
        _local(info, argv, cwd)
        return
    if name in RUN_HOUSEKEEPING and has_write_redirect and name in ("echo", "printf", "cat", "printenv", "env", "date"):
        _bump(info, "local")  # it writes where its redirection says (mentioned in the text)
        return
    if name in RUN_HOUSEKEEPING and not has_write_redirect:
        if name == "find" and any(word in ("-exec", "-execdir", "-ok") for word in argv):
            _local(info, argv, cwd)
        elif name == "ln" or name == "touch" or (name == "sed" and any(
                word.startswith("-i") or word == "--in-place" for word in argv)):
            _local(info, argv, cwd)
        return
    if name in RUN_OPAQUE or "/" in argv[0] \
            and posixpath.basename(argv[0]) not in RUN_LOCAL_WRITERS and not argv[0].startswith(("/usr/", "/bin/")):
        _bump(info, "opaque")
        info.programs_unknown = True
        return
    if name in RUN_LOCAL_WRITERS or name in RUN_HOUSEKEEPING:
        _local(info, argv, cwd)
        if name in PROGRAM_INSTALLING_TOOLCHAINS and \
                any(word in ("install", "global", "tool", "binstubs") for word in argv[1:3]):
            info.programs_unknown = True  # `go install`, `cargo install`: programs on PATH
        return
    # An unknown tool: it writes somewhere and may install programs (rustup, sdkman, nvm …).
    _local(info, argv, cwd)
    info.programs_unknown = True


def _packages(installer, argv: list[str], info: RunInfo) -> None:
    """A system package manager's install: (database, package) for each package it names."""
    manager = installer.database
    words = argv[1:]
    install_words = installer.verbs
    takes = installer.value_options
    index = 0
    while index < len(words) and words[index].startswith("-"):
        index += 2 if words[index] in takes else 1
    if index >= len(words) or words[index] not in install_words:
        return  # update, upgrade, clean, del …
    index += 1
    while index < len(words):
        word = words[index]
        if word.startswith("-"):
            index += 2 if word in takes else 1
            continue
        name = re.split(r"[=<>~@]", word, maxsplit=1)[0]
        if manager == "apt":
            name = name.split("/", 1)[0]
        if not name or "$" in word or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9+._:*-]*", name):
            info.unknown_packages = True
        else:
            info.packages.append((manager, name))
        index += 1


def _pip(words: list[str], info: RunInfo, cwd: str | None = None) -> None:
    index = 0
    while index < len(words) and words[index].startswith("-"):
        index += 1
    if index >= len(words) or words[index] != "install":
        return
    info.pip = True
    rest = words[index + 1:]
    skip_next = False
    for word in rest:
        if skip_next:
            skip_next = False
            continue
        if word in ("-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f",
                    "--find-links", "--trusted-host", "--platform", "--python-version", "--only-binary",
                    "--no-binary", "--progress-bar", "--cache-dir", "--log"):
            skip_next = True
            continue
        if word in _PIP_LOCAL_FLAGS or any(word.startswith(flag + "=") for flag in _PIP_LOCAL_FLAGS if
                                            flag.startswith("--")):
            info.pip_local = True
            continue
        if word.startswith("-"):
            continue
        if word in (".", "..") or word.startswith(("./", "../", "/", "file:", "git+")) or word.endswith(
                (".whl", ".tar.gz", ".zip")):
            info.pip_local = True
    if info.pip_local:  # it writes where it runs (pip is no download tool, and takes relative paths)
        _bump(info, "local")
        info.write_dirs.add(cwd)


_END = r"(?=$|[\s'\";&|()<>`,\]=])"


def mentions(text: str, path: str) -> bool:
    """Whether ``text`` names ``path`` itself (``/app``, ``/app/``, ``/app/.``, ``/app/*``), not a longer path."""
    core = path.rstrip("/")
    if core not in text:  # most texts do not: no pattern compiled for them (one per path and run otherwise)
        return False
    pattern = r"(?<![\w.\-/~$])" + re.escape(core) + r"(?:/(?:\.|\*)?)?" + _END
    return re.search(pattern, text) is not None


def mentions_name(text: str, name: str) -> bool:
    """Whether ``text`` has a word or a path ending in ``name`` (``main.py``, ``build/main.py``)."""
    if not name or name not in text:
        return False
    pattern = r"(?<![\w.\-])" + re.escape(name) + _END
    return re.search(pattern, text) is not None
