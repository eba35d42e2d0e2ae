"""The command tables, each once, as data: every reader of commands (start commands, RUN steps, the
repository's automation, the Python analysis) looks programs up here.

* :data:`SHELLS` — programs that run a script (``sh -c``);
* :data:`WRAPPERS` — programs that run another program (``exec``, ``tini --``, ``gosu USER``, ``timeout 5`` …),
  with the options that take a value, the operands before the wrapped program, and per context whether a
  reader looks through them;
* :data:`INSTALLERS` — package installs, read by :func:`composelint.analysis.commands.installs.install_of`
  and by the image model's RUN classifier.

An AST test (tests/test_command_tables.py) keeps these names out of every other module.
"""

from __future__ import annotations

import re
from typing import Sequence

from composelint.records import record

SHELLS = frozenset(("sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox-sh"))
# The dialect ShellCheck checks a script in (its --shell), by the shell that runs it; zsh and the others
# ShellCheck does not read are left unchecked.
POSIX_DIALECT = "sh"  # a RUN's dialect without SHELL or a shebang: /bin/sh
SHELLCHECK_DIALECTS = {"sh": "sh", "ash": "sh", "busybox-sh": "sh", "dash": "dash", "bash": "bash", "ksh": "ksh",
                       "mksh": "ksh"}
# Images (last path component, or its prefix before "-", or a tag containing it) whose /bin/sh accepts what
# ShellCheck's POSIX portability warnings (SC3xxx) flag: bash in the Red Hat family, BusyBox ash (`echo -e`,
# `source`, `==`) in Alpine. Elsewhere (Debian, Ubuntu and the images built on them) /bin/sh is dash.
SH_NOT_DASH_IMAGES = ("fedora", "centos", "rockylinux", "almalinux", "amazonlinux", "oraclelinux", "ubi8", "ubi9",
                      "ubi", "rhel", "alpine", "busybox")


@record(frozen=True, slots=True)
class Wrapper:
    kind: str  # "init" (tini …: reaps zombies) | "user" (gosu …: changes user) | "exec" | "plain"
    value_options: frozenset = frozenset()  # options that take the next word as their value
    operands: int = 0  # words after the options before the wrapped program: gosu USER, timeout DURATION
    options: bool = True  # reads options of its own (`gosu`, `nohup` do not: the next word is theirs)
    # Per context, whether a reader looks through the wrapper:
    start: bool = True  # effective start commands (analysis.commands.start)
    run: bool = True  # Dockerfile RUN steps (image model, Python analysis)
    automation: bool = False  # the repository's scripts, read for `docker compose` calls (deployments)


def _w(kind: str, *value_options: str, **more) -> Wrapper:
    return Wrapper(kind, frozenset(value_options), **more)


WRAPPERS: dict[str, Wrapper] = {
    "tini": _w("init", "-p", "-e", "-l", run=False),
    "tini-static": _w("init", "-p", "-e", "-l", run=False),
    "docker-init": _w("init", "-p", "-e", "-l", run=False),
    "dumb-init": _w("init", "-r", "--rewrite", run=False),
    "catatonit": _w("init", "-P", run=False),
    "gosu": _w("user", operands=1, options=False),
    "su-exec": _w("user", operands=1, options=False),
    "s6-setuidgid": _w("user", operands=1, options=False, run=False),
    "nohup": _w("plain", options=False, automation=True),
    "builtin": _w("plain", options=False),
    "exec": _w("exec", "-a", automation=True),
    "command": _w("plain", automation=True),  # but `command -v x` looks x up and runs nothing
    "time": _w("plain", "-f", "-o", automation=True),
    "noglob": _w("plain", options=False, start=False),
    "nice": _w("plain", "-n", "--adjustment", automation=True),
    "ionice": _w("plain", "-c", "-n", "-p", "-P", "-u"),
    "stdbuf": _w("plain", "-i", "-o", "-e"),
    "timeout": _w("plain", "-s", "-k", "--signal", "--kill-after", operands=1),
    "taskset": _w("plain", "-c"),
    "chroot": _w("plain", operands=1, start=False),
    "setpriv": _w("user", "--reuid", "--regid", "--groups", "--ruid", "--rgid", "--euid", "--egid"),
    "runuser": _w("user", "-u", "-g", "-G", "--user", "--group", run=False),
    "sudo": _w("user", "-u", "-g", "-U", "-C", "-h", "-p", "-r", "-t", "-D", "--user", "--group", automation=True),
    "doas": _w("user", "-u", "-C", automation=True),  # OpenBSD's sudo, packaged by Alpine
    "chpst": _w("user", "-u", "-U", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c", "-r", "-t",
                run=False),
    # env's NAME=value operands are read by each reader (they set the wrapped program's environment)
    "env": _w("plain", "-u", "-C", "-S", "--unset", "--chdir", start=False, automation=True),
    # automation only: `xargs docker compose …`, `npx docker-compose …`
    "xargs": _w("plain", start=False, run=False, automation=True),
    "npx": _w("plain", start=False, run=False, automation=True),
}
INIT_PROGRAMS = frozenset(name for name, wrapper in WRAPPERS.items() if wrapper.kind == "init")


def wrapped_program(name: str, argv: Sequence[str], i: int, context: str) -> tuple[int, str] | None:
    """For a wrapper ``name`` at ``argv[i]`` read in ``context`` ("start" | "run" | "automation"): (index of
    the program it runs, the wrapper's kind), or None when ``name`` runs no program there."""
    wrapper = WRAPPERS.get(name)
    if wrapper is None or not getattr(wrapper, context):
        return None
    n = len(argv)
    j = i + 1
    if name == "command" and j < n and argv[j] in ("-v", "-V"):
        return None  # `command -v x` looks a program up; it does not run it
    k = j
    if wrapper.options:
        while k < n:
            text = argv[k]
            if text == "--":
                k += 1
                break
            if not text.startswith("-") or text == "-":
                break
            k += 2 if text in wrapper.value_options else 1
    if name == "taskset":  # `taskset MASK cmd`, but `taskset -c LIST cmd`
        return (k + 1, wrapper.kind) if k < n and not argv[j].startswith("-c") else (k, wrapper.kind)
    if wrapper.operands:
        return (k + wrapper.operands, wrapper.kind) if k < n else None
    return k, wrapper.kind


NPM_INSTALL_VERBS = frozenset(("install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal",
                          "isntall", "add", "ci", "clean-install", "install-clean", "isntall-clean", "update", "up",
                          "upgrade", "udpate"))


# Options of the Python installers that take the next word as their value (pip, uv, Poetry, PDM …): the
# option parser of analysis/python/installers.py reads them too.
PIP_VALUE_OPTIONS = frozenset((
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "-t", "--target", "--prefix",
    "--root", "--platform", "--python-version", "--implementation", "--abi", "--no-binary", "--only-binary",
    "--progress-bar", "--cache-dir", "--log", "--log-file", "--proxy", "--retries", "--timeout", "--exists-action",
    "--cert", "--client-cert", "--src", "--upgrade-strategy", "-C", "--config-settings", "--global-option",
    "--install-option", "--python", "--report", "--root-user-action", "--keyring-provider", "--python-platform",
    "--index-strategy", "--resolution", "--prerelease", "-p", "--extra", "--group", "--only-group", "--no-group",
    "--directory", "--project", "--package", "--link-mode", "--exclude-newer", "--torch-backend", "--index",
    "--default-index", "--config-file", "--use-feature", "--use-deprecated", "-w", "--wheel-dir", "-d", "--dest",
    "-o", "--output-file", "--only", "--with", "--without", "-E", "--extras", "-r", "--requirement",
    "-c", "--constraint", "-e", "--editable", "--overrides", "--build-constraint", "--no-binary-package",
))
# Options of the system package managers that take the next word as their value, per package database.
_APT_VALUE_OPTIONS = frozenset(("-o", "-t", "--target-release", "-c", "--config-file"))
_APK_VALUE_OPTIONS = frozenset(("-X", "--repository", "-t", "--virtual", "-p", "--root", "--repositories-file",
                                "--cache-dir", "--arch"))
_RPM_VALUE_OPTIONS = frozenset(("--setopt", "--enablerepo", "--disablerepo", "--installroot", "--releasever", "-c",
                                "--config"))
_CONDA_VALUE_OPTIONS = frozenset(("-n", "--name", "-p", "--prefix", "-c", "--channel", "-f", "--file"))
_NPM_VALUE_OPTIONS = frozenset(("--prefix", "-C", "--workspace", "-w", "--registry", "--cache", "--userconfig"))


@record(frozen=True, slots=True)
class _Installer:
    ecosystem: str  # "python" | "system" | "node" | "ruby" | "php" | "rust"
    verbs: frozenset | None  # the subcommands that install; None: the program installs whatever follows
    value_options: frozenset = frozenset()
    bare: bool = False  # the program alone (no subcommand) installs too: `yarn`
    isolated: bool = False  # installs applications into their own environments (pipx): nothing to import
    database: str | None = None  # system managers: the package database they fill ("apt" | "apk" | "rpm")


def _installer(ecosystem: str, *verbs: str, **more) -> _Installer:
    return _Installer(ecosystem, frozenset(verbs), **more)


# THE table of package installs: program (or "uv pip", "uv tool", "setup.py") -> how it installs. CL201
# (`package_install`), CL407 (`python_package_install`) and the Python analysis of RUN steps
# (analysis/python/installers.py) all read it through `install_of`.
INSTALLERS: dict[str, _Installer] = {
    "pip": _installer("python", "install", value_options=PIP_VALUE_OPTIONS),
    "uv pip": _installer("python", "install", "sync", value_options=PIP_VALUE_OPTIONS),
    "uv": _installer("python", "sync", "add", value_options=PIP_VALUE_OPTIONS),
    "uv tool": _installer("python", "install", value_options=PIP_VALUE_OPTIONS, isolated=True),
    "poetry": _installer("python", "install", "add", "update", "sync", value_options=PIP_VALUE_OPTIONS),
    "pipenv": _installer("python", "install", "sync", "update", value_options=PIP_VALUE_OPTIONS),
    "pdm": _installer("python", "install", "sync", "add", "update", value_options=PIP_VALUE_OPTIONS),
    "conda": _installer("python", "install", "create", "update", value_options=_CONDA_VALUE_OPTIONS),
    "conda env": _installer("python", "create", "update", value_options=_CONDA_VALUE_OPTIONS),
    "pipx": _installer("python", "install", value_options=PIP_VALUE_OPTIONS, isolated=True),
    "easy_install": _Installer("python", None),
    "pip-sync": _Installer("python", None),
    "setup.py": _installer("python", "install", "develop"),
    "apt-get": _installer("system", "install", value_options=_APT_VALUE_OPTIONS, database="apt"),
    "apt": _installer("system", "install", value_options=_APT_VALUE_OPTIONS, database="apt"),
    "aptitude": _installer("system", "install", value_options=_APT_VALUE_OPTIONS, database="apt"),
    "apk": _installer("system", "add", value_options=_APK_VALUE_OPTIONS, database="apk"),
    # `in` is dnf's (and so RHEL 8+ yum's) and zypper's short form of install
    "yum": _installer("system", "install", "in", value_options=_RPM_VALUE_OPTIONS, database="rpm"),
    "dnf": _installer("system", "install", "in", value_options=_RPM_VALUE_OPTIONS, database="rpm"),
    "microdnf": _installer("system", "install", value_options=_RPM_VALUE_OPTIONS, database="rpm"),
    "tdnf": _installer("system", "install", value_options=_RPM_VALUE_OPTIONS, database="rpm"),
    "zypper": _installer("system", "install", "in", value_options=_RPM_VALUE_OPTIONS, database="rpm"),
    "npm": _Installer("node", NPM_INSTALL_VERBS, _NPM_VALUE_OPTIONS),
    "yarn": _installer("node", "install", "add", "upgrade", bare=True),
    "pnpm": _installer("node", "install", "i", "add", "update", "up", value_options=_NPM_VALUE_OPTIONS),
    "bun": _installer("node", "install", "i", "add"),
    "gem": _installer("ruby", "install"),
    "bundle": _installer("ruby", "install", "update", bare=True),  # `bundle` alone runs `bundle install`
    "composer": _installer("php", "install", "require", "update"),
    "cargo": _installer("rust", "install"),
}
for _alias in ("mamba", "micromamba"):  # conda's drop-in replacements
    INSTALLERS[_alias] = INSTALLERS["conda"]
    INSTALLERS[f"{_alias} env"] = INSTALLERS["conda env"]


@record(frozen=True, slots=True)
class PinSyntax:
    """How a package operand of an install names its version, per package database (CL426-CL429, read by
    composelint/analysis/pins.py)."""

    database: str  # INSTALLERS' database for the system managers; the ecosystem's installer otherwise
    tools: frozenset  # INSTALLERS keys whose installs it reads
    verbs: frozenset  # the subcommands that take package operands
    marks: tuple[str, ...]  # an operand holding one of these names a version (or a range of them)
    files: tuple[str, ...] = ()  # suffixes of package files and archives: a file is its own version
    # Options whose presence pins every operand of the command: a constraints file decides the versions.
    pinning_options: frozenset = frozenset()
    pinning_variables: frozenset = frozenset()  # the same, as environment variables (PIP_CONSTRAINT)


# `pkg=1.2.3-1`, `pkg=1.2.*`; `pkg/bookworm-backports` chooses a release, as hadolint accepts.
APT_PINS = PinSyntax("apt", frozenset(name for name, entry in INSTALLERS.items() if entry.database == "apt"),
                     frozenset(("install",)), ("=", "/"), (".deb",))
# `pkg=1.2.3-r0`, and the forms that survive Alpine dropping old revisions: `pkg~1.2`, `pkg=~1.2`, `pkg>=1.2`.
APK_PINS = PinSyntax("apk", frozenset(("apk",)), frozenset(("add",)), ("=", "~", "<", ">"), (".apk",))
PIP_PINS = PinSyntax("pip", frozenset(("pip", "uv pip")), frozenset(("install",)),
                     ("==", ">=", "<=", "~=", "!=", "===", "<", ">", "@"), (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2"),
                     frozenset(("-c", "--constraint")), frozenset(("PIP_CONSTRAINT", "UV_CONSTRAINT")))
# npm's `install` verbs that add the named packages (not `ci` or `update`, which read package.json), and
# the same in pnpm, bun and yarn (`yarn add`).
NPM_PINS = PinSyntax("npm", frozenset(("npm", "pnpm", "bun", "yarn")),
                     NPM_INSTALL_VERBS - frozenset(("ci", "clean-install", "install-clean", "isntall-clean", "update",
                                                    "up", "upgrade", "udpate")),
                     ("@",), (".tgz", ".tar.gz", ".tar"))

# Programs that create a user (shadow's useradd, Debian's and BusyBox's adduser), with the options that give
# its UID: CL434 names the UID a Dockerfile gives the user its USER names.
USER_CREATORS = {"useradd": ("-u", "--uid"), "adduser": ("-u", "--uid")}


@record(frozen=True, slots=True)
class Prompt:
    """A package manager's confirmation question, and the options that answer it (CL409)."""

    question: str  # as the tool prints it
    verbs: frozenset  # the subcommands that ask
    flags: frozenset  # long options (or exact words) that answer it: `--yes`, `--assumeyes`
    letters: str = ""  # short option letters that answer it anywhere, alone or in a cluster: `-y`, `-qy`
    global_letters: str = ""  # short option letters that answer it only before the subcommand (zypper's `-n`)
    quiet: str = ""  # a letter that answers it when given twice: apt-get's `-qq` implies `-y`
    settings: frozenset = frozenset()  # NAME of `-o NAME=true` / `--setopt=NAME=1` that answers it
    answer: str = "-y"  # the option to advise
    answer_first: bool = False  # it goes before the subcommand (`zypper -n install`)


_APT_PROMPT = Prompt(
    "Do you want to continue? [Y/n]",
    frozenset(("install", "upgrade", "dist-upgrade", "full-upgrade", "remove", "purge", "autoremove", "reinstall",
               "build-dep")),
    frozenset(("--yes", "--assume-yes", "--quiet=2", "-q=2")), "y", quiet="q",
    settings=frozenset(("apt::get::assume-yes",)))
_RPM_PROMPT = Prompt(
    "Is this ok [y/N]",
    frozenset(("install", "in", "update", "upgrade", "up", "remove", "erase", "rm", "reinstall", "downgrade",
               "groupinstall", "groupupdate", "localinstall", "distro-sync", "autoremove", "swap")),
    frozenset(("--assumeyes",)), "y", settings=frozenset(("assumeyes",)))
# The package managers that ask before they change anything. Not apk (it never asks) nor microdnf
# (assumeyes is its default, rpm-software-management/microdnf#94).
PROMPTS: dict[str, Prompt] = {
    "apt-get": _APT_PROMPT,
    "apt": _APT_PROMPT,
    "aptitude": Prompt("Do you want to continue? [Y/n/?]", frozenset(("install", "remove", "purge", "upgrade",
                                                                      "safe-upgrade", "full-upgrade", "reinstall")),
                       frozenset(("--assume-yes",)), "y"),
    "yum": _RPM_PROMPT,
    "dnf": _RPM_PROMPT,
    "dnf5": _RPM_PROMPT,
    "tdnf": _RPM_PROMPT,
    "zypper": Prompt("Continue? [y/n/v/...? shows all options] (y)",
                     frozenset(("install", "in", "update", "up", "dist-upgrade", "dup", "remove", "rm", "patch",
                                "source-install", "si")),
                     frozenset(("--non-interactive", "--no-confirm")), "y", global_letters="n", answer="-n",
                     answer_first=True),
}

# Programs that download a URL to their standard output: on the left of a pipe (`curl … | sh`), their
# failure is hidden unless the shell has `pipefail` (CL415).
DOWNLOADERS = frozenset(("curl", "wget"))

# --------------------------------------------------------------------------- what installs leave in a layer

@record(frozen=True, slots=True)
class LayerCache:
    """A package manager's cache or index, written into the image layer of the RUN step that runs it, and
    what keeps it out (CL420, CL422, CL423)."""

    programs: frozenset  # the programs that write it
    verbs: frozenset  # their subcommands that write it ("": the program alone, as `yarn`)
    directories: tuple[str, ...]  # where it is written; "~/…": under the user's home
    no_cache_flags: frozenset = frozenset()  # options that write nothing there (`apk add --no-cache`)
    cleanups: tuple[tuple[str, ...], ...] = ()  # commands that empty it (`npm cache clean --force`)
    variables: tuple[str, ...] = ()  # environment variables that move it
    option: str | None = None  # the command's own option that moves it (`npm ci --cache DIR`)
    advice: str = ""  # the cleanup a finding suggests


LAYER_CACHES: dict[str, LayerCache] = {
    # `apt-get update` writes the package lists (tens of MB); installs only read them. `distclean` (apt 2.7.8+)
    # removes them.
    "apt-lists": LayerCache(frozenset(("apt-get", "apt", "aptitude")), frozenset(("update",)),
                            ("/var/lib/apt/lists",),
                            cleanups=(("apt-get", "distclean"), ("apt", "distclean"), ("apt-get", "dist-clean"),
                                      ("apt", "dist-clean"))),
    # apk stores the index it downloads (and, with /etc/apk/cache, the packages) under /var/cache/apk.
    "apk-index": LayerCache(frozenset(("apk",)), frozenset(("add",)), ("/var/cache/apk", "/etc/apk/cache"),
                      no_cache_flags=frozenset(("--no-cache",))),
    "npm-cache": LayerCache(frozenset(("npm",)), NPM_INSTALL_VERBS, ("~/.npm",), cleanups=(("npm", "cache", "clean"),),
                      variables=("npm_config_cache", "NPM_CONFIG_CACHE"), option="--cache",
                      advice="npm cache clean --force"),
    # Yarn 1 keeps its cache under /usr/local/share/.cache/yarn as root (~/.cache/yarn otherwise); Yarn 2+ under
    # ~/.yarn/berry/cache (its global cache).
    "yarn-cache": LayerCache(frozenset(("yarn",)), frozenset(("install", "add", "")),
                       ("/usr/local/share/.cache/yarn", "~/.cache/yarn", "~/.yarn/berry/cache"),
                       cleanups=(("yarn", "cache", "clean"),), variables=("YARN_CACHE_FOLDER",),
                       option="--cache-folder", advice="yarn cache clean"),
}

# apt's options that keep recommended packages out (CL421), per program; `-o APT::Install-Recommends=false`
# (or 0/no) and the same setting in an apt.conf file do too.
NO_RECOMMENDS: dict[str, frozenset] = {
    "apt-get": frozenset(("--no-install-recommends",)),
    "apt": frozenset(("--no-install-recommends",)),
    "aptitude": frozenset(("-R", "--without-recommends")),
}
RECOMMENDS_SETTING = "APT::Install-Recommends"

# Wrappers that raise privileges (CL417): `gosu`, `su-exec` and `setpriv` only drop them.
ELEVATING = frozenset(("sudo", "doas"))


# --------------------------------------------------------------------------- the image model's RUN steps
# What a program a Dockerfile RUN runs may change in the image's file system (analysis/image/runs.py).

# pip, pip3, pip3.12, pip2: the program (CL201, CL407, the image model alike).
PIP_PROGRAM = re.compile(r"pip(?:\d+(?:\.\d+)?)?\Z")
ENSUREPIP_PROGRAMS = ("pip", "pip3")  # what `python -m ensurepip` puts on PATH
# Housekeeping: writes no file a later lookup asks about (unless redirected; `ln`, `touch`, `sed -i` and
# `find -exec` write where they run).
RUN_HOUSEKEEPING = frozenset((
    "mkdir", "chown", "chmod", "chgrp", "rm", "rmdir", "useradd", "adduser", "addgroup", "groupadd", "usermod",
    "groupmod", "userdel", "deluser", "delgroup", "echo", "printf", "true", "false", "set", "export", "unset",
    "test", "[", "ls", "cat", "id", "whoami", "sleep", "update-ca-certificates", "locale-gen",
    "dpkg-reconfigure", "ldconfig", "grep", "ulimit", "umask", ":", "wait", "trap", "exit", "which", "type",
    "hash", "env", "printenv", "date", "uname", "pwd", "du", "df", "sync", "update-alternatives", "passwd",
    "chpasswd", "apt-key", "debconf-set-selections", "localedef", "ln", "find", "sed", "touch",
))

# Tools that write where they run or where their arguments say (files), but install no programs
# except where those arguments point.
RUN_LOCAL_WRITERS = frozenset((
    "go", "cargo", "mvn", "mvnw", "gradle", "gradlew", "dotnet", "javac", "jar", "java", "tsc", "node",
    "npm", "yarn", "pnpm", "bun", "npx", "deno", "python", "python3", "git", "curl", "wget", "tar", "unzip",
    "gunzip", "gzip", "bunzip2", "xz", "cp", "mv", "install", "tee", "awk", "gawk", "sort", "cut", "tr", "head",
    "tail", "openssl", "ssh-keygen", "base64", "sha256sum", "md5sum", "sha1sum", "composer", "bundle", "gem",
    "rake", "rails", "ng", "vite", "webpack", "next", "nuxt", "manage.py", "django-admin", "collectstatic",
    "flask", "alembic", "prisma", "protoc", "gcc", "g++", "cc", "c++", "strip", "upx", "jlink", "jdeps",
    "dos2unix", "envsubst", "patch", "diff", "cmake", "ninja", "meson", "tofu", "yq", "jq", "xargs",
))
# Commands that, given only absolute paths, write nowhere near the working directory.
ABSOLUTE_ONLY_WRITERS = frozenset(("cp", "mv", "ln", "touch", "install", "tee", "sed", "mkdir", "rm", "chmod",
                                   "chown", "cat", "echo", "printf", "python", "python3", "find", "rsync"))
# Commands that run what the image model cannot follow: a Makefile, a sourced script, another user's shell.
RUN_OPAQUE = frozenset(("make", "eval", "source", ".", "su", "runuser", "cmake-install", "xargs"))
# Python environment managers: they install into an environment whose scripts and modules the image model
# does not list, whatever their subcommand; conda's family and pipx may put any program on PATH.
PYTHON_ENVIRONMENT_MANAGERS = frozenset(("poetry", "pipenv", "pdm", "pip-sync", "conda", "mamba", "micromamba",
                                         "pipx", "hatch", "rye"))
ANY_PROGRAM_MANAGERS = frozenset(("conda", "mamba", "micromamba", "pipx"))
# Toolchains whose `install`, `global`, `tool` or `binstubs` puts programs on PATH (`go install`, `cargo install`).
PROGRAM_INSTALLING_TOOLCHAINS = frozenset(("go", "cargo", "gem", "dotnet", "composer", "bundle", "deno", "bun"))

# The node package managers (npm, yarn, pnpm, bun): they install globally with an option or, yarn, with
# its `global` subcommand; they run package.json scripts, and all but npm by the script's bare name
# (`yarn dev`; npm needs `npm run dev`).
NODE_MANAGERS = frozenset(name for name, entry in INSTALLERS.items() if entry.ecosystem == "node")
NODE_GLOBAL_OPTIONS = frozenset(("-g", "--global", "--location=global"))
NODE_GLOBAL_SUBCOMMANDS = {"yarn": "global"}
SCRIPTS_BY_NAME = NODE_MANAGERS - {"npm"}
