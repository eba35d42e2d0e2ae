"""Development servers (:func:`dev_mode`) and the files a command runs (:func:`operands`)."""

from __future__ import annotations

import posixpath
import re
from dataclasses import field
from typing import Callable, Mapping, Sequence

from composelint.records import record
from composelint.analysis.commands.tables import NPM_INSTALL_VERBS, SHELLS
from composelint.analysis.commands.syntax import Script, ShWord, expand
from composelint.analysis.commands.start import Invocation, describe, is_python
from composelint.analysis.commands.installs import _PYTHON_VALUE_OPTIONS, _first_operand, install_of

def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().strip("'\"").lower() in ("1", "true", "yes", "on")


# Script names that say "development server" when the package.json cannot be read (`serve` does not:
# it is as often `serve -s build`, a static server).
_DEV_SCRIPT = (r"^(?:dev|develop|development|watch|start[:_-]?dev|start[:_-]?watch|dev[:_-].*|"
               r"watch[:_-].*|.*[:_-]watch)$")
_DEV_TEXT = re.compile(
    r"(?:^|[\s;&|(])(?:npx\s+)?(?:nodemon|ts-node-dev|tsnd|node-dev|react-scripts\s+start|next\s+dev|nuxt\s+dev|"
    r"nuxi\s+dev|vite(?:\s+(?:dev|serve))?(?=\s*$|\s*[;&|)]|\s+-)|ng\s+serve|vue-cli-service\s+serve|webpack\s+serve|"
    r"webpack-dev-server|nest\s+start\s+[^;&|]*--watch|tsx\s+watch|node\s+[^;&|]*--watch|astro\s+dev|"
    r"remix\s+dev|svelte-kit\s+dev|gatsby\s+develop|ember\s+serve|parcel(?!\s+build))(?=\s|$|[;&|)])")


def dev_mode(invocation: Invocation, env: Mapping[str, str]) -> tuple[str, ShWord | None] | None:
    """A development server or reload mode: (what, the word that says so) or None.

    ``env`` is the container's environment (image ENV and compose ``environment``) for flags
    such as ``FLASK_DEBUG=1`` or ``UVICORN_RELOAD=true``.
    """
    words = invocation.words
    if not words or invocation.role == "shell":
        return None
    name = invocation.name
    start = 1
    if is_python(name) and len(words) > 2 and words[1].text == "-m":
        name, start = words[2].text, 3
    argv = [word.text for word in words]
    local_env = dict(env)
    local_env.update(invocation.env())
    if name in ("uvicorn", "hypercorn", "gunicorn"):
        for word in words[start:]:
            if word.text == "--reload" or word.text.startswith("--reload-") or word.text.startswith("--reload="):
                return f"`{name} {word.text}`", word
        if name == "uvicorn" and _truthy(local_env.get("UVICORN_RELOAD")):
            return "`UVICORN_RELOAD` set", None
        if name == "gunicorn" and "--reload" in (local_env.get("GUNICORN_CMD_ARGS") or "").split():
            return "`--reload` in `GUNICORN_CMD_ARGS`", None
        return None
    if name == "flask":
        if "run" not in argv[start:]:
            return None
        run_index = argv.index("run", start)
        for word in words[start:]:
            if word.text in ("--debug", "--reload"):
                return f"`flask {'run ' if argv.index(word.text) > run_index else ''}{word.text}`", word
        if "--no-reload" in argv or "--no-debug" in argv:
            return None
        if _truthy(local_env.get("FLASK_DEBUG")):
            return "`flask run` with `FLASK_DEBUG` set", None
        if (local_env.get("FLASK_ENV") or "").strip().lower() == "development":
            return "`flask run` with `FLASK_ENV=development`", None
        return None
    if name in ("manage.py", "django-admin") or (is_python(invocation.name) and start == 1 and len(words) > 1
                                                 and posixpath.basename(words[1].text) == "manage.py"):
        for word in words:
            if word.text in ("runserver", "runserver_plus"):
                return f"Django's `{word.text}`", word
        return None
    if name in ("watchmedo", "watchfiles", "nodemon", "ts-node-dev", "tsnd", "node-dev"):
        return f"`{name}`", words[start - 1] if start > 1 else words[0]
    if name in ("node", "nodejs", "deno", "bun"):
        for word in words[1:]:
            if word.text in ("--watch", "--watch-path") or word.text.startswith("--watch="):
                return f"`{name} {word.text}`", word
            if not word.text.startswith("-"):
                break
        return None
    if name in ("npm", "yarn", "pnpm", "bun"):
        operand = _first_operand(words, 1)
        if operand is None:
            return None
        index, verb = operand
        script = None
        if verb in ("run", "run-script"):
            following = _first_operand(words, index + 1)
            script = following[1] if following else None
            word = words[following[0]] if following else None
        elif name != "npm" or verb in ("start",):
            script, word = verb, words[index]
        else:
            return None
        if script is not None and script != "start" and re.match(_DEV_SCRIPT, script):
            return f"`{name} {'run ' if verb in ('run', 'run-script') else ''}{script}`", word
        return None
    text = " ".join(argv)
    if _DEV_TEXT.search(text):
        return f"`{describe(invocation, 40)}`", words[0]
    return None


def dev_script_text(script: str) -> bool:
    """Whether a package.json script (its text) runs a development server."""
    return bool(_DEV_TEXT.search(script))


@record(frozen=True, slots=True)
class Operand:
    """A file a command needs in order to start: a script, a module, a jar, the program itself."""

    word: ShWord
    kind: str  # "program" | "script" | "module" | "jar" | "package.json" | "node-script"
    value: str  # the path or dotted module name (expanded)


def _pip_files(invocation: Invocation, name: str) -> list[ShWord] | None:
    """The requirement/constraint files of `pip install -r FILE` (None: not a pip install)."""
    words = invocation.words
    found = install_of((name,) + invocation.argv[1:])  # `name`: the program word expanded
    if found is None or found.tool not in ("pip", "uv pip") or found.verb != "install":
        return None
    files = []
    for index in range(found.verb_index + 1, len(words) - 1):
        if words[index].text in ("-r", "--requirement", "-c", "--constraint"):
            files.append(words[index + 1])
    return files


def _operand(word: ShWord, kind: str, env: Mapping[str, str] | None) -> Operand | None:
    value = expand(word, env)
    return Operand(word, kind, value) if value else None


def _never(text: str) -> bool:
    return False


@record(frozen=True)
class _Interpreter:
    """How an interpreter's argv names the file it runs, read past its options."""

    positional: str | None  # the kind of its first positional word (None: that word is no file of ours)
    value_options: frozenset = frozenset()  # options whose value is the next word
    operand_options: Mapping[str, str] = field(default_factory=dict)  # `-m MODULE`, `-jar FILE`: next word's kind
    stop: Callable[[str], bool] = _never  # an option after which the code comes from elsewhere (`-c CODE`)
    option_prefixes: tuple[str, ...] = ("-",)

    def operand(self, words: Sequence[ShWord], env: Mapping[str, str] | None) -> Operand | None:
        index = 1
        while index < len(words):
            text = words[index].text
            if text in self.value_options:
                index += 2
                continue
            if text in self.operand_options:
                return _operand(words[index + 1], self.operand_options[text], env) if index + 1 < len(words) else None
            if self.stop(text):
                return None
            if text.startswith(self.option_prefixes):
                index += 1
                continue
            return _operand(words[index], self.positional, env) if self.positional else None
        return None


def _shell_stop(text: str) -> bool:
    # `-c` reads the script from an argument and `-s` from stdin, in any cluster of flags (`-ec`).
    return text.startswith(("-", "+")) and ("c" in text or "s" in text[1:] or text in ("--version", "--help"))


_PYTHON = _Interpreter(
    "script", _PYTHON_VALUE_OPTIONS, {"-m": "module"},
    lambda text: text == "-" or text.startswith("-c") or text in ("--version", "-V", "--help", "-h"))
_INTERPRETERS = {
    "node": _Interpreter("node-script", frozenset((
        "-r", "--require", "--import", "--loader", "--experimental-loader", "--env-file", "--inspect-port", "--title",
        "--conditions", "-C", "--input-type", "--stack-size", "--max-old-space-size", "--watch-path",
        "--localstorage-file")), stop=frozenset((
            "-e", "--eval", "-p", "--print", "-i", "--interactive", "-v", "--version", "-h", "--help", "-", "--test",
            "--run")).__contains__),
    "sh": _Interpreter("script", frozenset(("-o", "+o", "-O", "+O", "--rcfile", "--init-file")), stop=_shell_stop,
                       option_prefixes=("-", "+")),
    "java": _Interpreter(None, frozenset((
        "-cp", "-classpath", "--class-path", "-p", "--module-path", "--add-modules", "--add-opens", "--add-exports",
        "-javaagent", "--enable-native-access")), {"-jar": "jar"}),
}
_INTERPRETERS["nodejs"] = _INTERPRETERS["node"]


def operands(invocation: Invocation, env: Mapping[str, str] | None = None) -> list[Operand]:
    """Files and modules the invocation runs (see :class:`Operand`); only what is certain."""
    words = invocation.words
    if not words or invocation.role == "shell":
        return []
    found: list[Operand] = []
    program = words[0]
    program_text = expand(program, env)
    if program_text is None:
        return []
    name = posixpath.basename(program_text)
    if "/" in program_text and invocation.runner is None:
        found.append(Operand(program, "program", program_text))
    if invocation.role != "main":
        return found
    requirements = _pip_files(invocation, name)
    if requirements is not None:
        found.extend(operand for operand in (_operand(word, "requirements", env) for word in requirements) if operand)
        return found
    interpreter = _PYTHON if is_python(name) else _INTERPRETERS.get("sh" if name in SHELLS else name)
    if interpreter is not None:
        operand = interpreter.operand(words, env)
        if operand is not None:
            found.append(operand)
        return found
    if name in ("ruby", "perl", "php", "Rscript", "deno", "bun", "ts-node", "tsx") and len(words) > 1:
        index = 1
        if name in ("deno", "bun") and words[1].text == "run":
            index = 2
        elif name in ("deno", "bun"):
            return found
        if name in ("ruby", "perl", "php", "Rscript") and index < len(words) and words[index].text.startswith("-"):
            return found  # options may take values (`php -S addr`): do not guess which word is the script
        while index < len(words) and words[index].text.startswith("-"):
            index += 1
        if index < len(words):
            value = expand(words[index], env)
            if value and (name not in ("ruby", "perl", "php") or "." in posixpath.basename(value)):
                found.append(Operand(words[index], "script", value))
        return found
    if name in ("npm", "yarn", "pnpm"):
        operand = _first_operand(words, 1)
        if operand is not None and (operand[1] in ("start", "run", "run-script", "test") or
                                    (name != "npm" and operand[1] not in NPM_INSTALL_VERBS and operand[1] not in (
                                        "install", "add", "exec", "dlx", "global", "create", "init", "config",
                                        "cache", "--version", "version", "help"))):
            found.append(Operand(words[operand[0]], "package.json", "package.json"))
        return found
    if name in ("uvicorn", "gunicorn", "hypercorn", "daphne"):
        for word in words[1:]:
            text = word.text
            if text.startswith("-") or "=" in text:
                continue
            if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.()]*", text):
                found.append(Operand(word, "module", text.split(":", 1)[0]))
                break
        return found
    return found
