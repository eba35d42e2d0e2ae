"""What BuildKit refuses in an instruction: unknown keywords and flags, wrong arguments, stage names."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Callable, Mapping

from composelint.diagnostics import Position, Span
from composelint.model import Flag, Instruction
from composelint.parsers.dockerfile.environment import _arg_pairs
from composelint.parsers.dockerfile.lines import _LineReader, _Logical
from composelint.parsers.dockerfile.words import (
    _BOOL, _EXEC_FORM_INSTRUCTIONS, _HEREDOC_INSTRUCTIONS, _HEREDOC_WORD_RE, _KNOWN, _STRING, _STRINGS,
    _WORD_RE, FLAG_SPECS, INSTRUCTIONS, _heredoc_markers, _heredoc_name, _json_array,
    _parse_words, _split_first_word,
)
from composelint.suggest import closest_name

_STAGE_NAME_RE = re.compile(r"[a-z][a-z0-9\-_.]*\Z")


class _Checker(_LineReader):
    """Checks each instruction as it is built; problems go to the parser's list."""

    def _check(self, instruction: Instruction, logical: _Logical) -> None:
        keyword = instruction.keyword
        if keyword not in _KNOWN:
            self._unknown_instruction(instruction, logical)
            return
        self._note_unsupported_heredoc(instruction, logical)
        self._check_flags(instruction)
        arguments = instruction.arguments
        check = _ARGUMENT_CHECKS.get(keyword)
        if check is not None:
            for message, help_text in check(self, instruction):
                self.problem(message, instruction.arguments_span or self._keyword_span(instruction),
                             help=help_text, anchor=instruction.first_line)
        if keyword == "FROM":
            self._check_from(instruction)
        elif keyword in ("COPY", "ADD") and instruction.heredocs:
            words = _WORD_RE.findall(arguments)
            if words and _HEREDOC_WORD_RE.match(words[-1]) and _heredoc_name(words[-1]) is not None:
                self.problem(f"`{keyword}` cannot take a heredoc as its destination",
                             instruction.arguments_span or self._keyword_span(instruction),
                             help=f"put the destination path last: `{keyword} <<EOF /path/in/image`")

    def _unknown_instruction(self, instruction: Instruction, logical: _Logical) -> None:
        in_heredoc = self._unsupported_heredoc
        if in_heredoc is not None and instruction.keyword in in_heredoc[2]:
            self._unsupported_heredoc = None  # this line is the heredoc's terminator
        if self.capped:  # the hints below cost time, and a garbage file has many lines
            self.dropped_problems += 1
            return
        word = instruction.text.split(None, 1)[0] if instruction.text.strip() else instruction.keyword
        hints = []
        if in_heredoc is not None:
            owner, line, _names = in_heredoc
            hints.append(f"line {line} starts a heredoc in `{owner}`, but Docker reads heredocs only in RUN, COPY "
                         "and ADD, so the heredoc's lines are read as instructions")
        else:
            suggestion = closest_name(instruction.keyword, INSTRUCTIONS)
            if suggestion is not None:
                hints.append(f"did you mean `{suggestion}`?")
        previous_line = logical.first_line - 1
        if not hints and previous_line >= 0 and self._continues_previous(previous_line, word):
            hints.append(f"if this line continues the instruction above, end line {previous_line + 1} with "
                         f"`{self.escape}`")
        if not hints:
            hints.append("instructions are " + ", ".join(INSTRUCTIONS))
        self.problem(
            f"unknown instruction `{word}`: Docker refuses to build a Dockerfile that contains it",
            self._keyword_span(instruction),
            help="; ".join(hints), anchor=word)

    def _continues_previous(self, previous_line: int, word: str) -> bool:
        """Heuristic: the line above is an instruction's text and this word reads like shell, not a keyword."""
        above = self.lines[previous_line].strip()
        if not above or above.startswith("#"):
            return False
        return word[:1].islower() or word[:1] in "&|;-" or word.startswith(("&&", "||"))

    def _note_unsupported_heredoc(self, instruction: Instruction, logical: _Logical) -> None:
        if instruction.keyword in _HEREDOC_INSTRUCTIONS or "<<" not in logical.joined:
            return
        if instruction.keyword == "ONBUILD":
            return
        names = frozenset(name for name, *_ in _heredoc_markers(logical.joined))
        if names:
            self._unsupported_heredoc = (instruction.keyword, instruction.span.line, names)

    def _check_flags(self, instruction: Instruction) -> None:
        keyword = instruction.keyword
        spec = FLAG_SPECS.get(keyword)
        if keyword == "HEALTHCHECK" and _split_first_word(instruction.arguments)[0].upper() == "NONE":
            return  # BuildKit does not look at the flags of HEALTHCHECK NONE
        used: dict[str, Flag] = {}
        for flag in instruction.flags:
            written = f"--{flag.name}" + (f"={flag.value}" if flag.value is not None else "")
            if spec is None:
                self.problem(
                    f"`{keyword}` takes no flags, but `{written}` is written where a flag would go",
                    flag.span, anchor=written,
                    help=f"Docker rejects this `{keyword}`; if the text is meant as an argument, use the JSON "
                         f"form (`{keyword} [\"--{flag.name}\", ...]`) or move it after the first argument"
                    if keyword in _EXEC_FORM_INSTRUCTIONS else f"remove `--{flag.name}` from this `{keyword}`")
                continue
            kind = spec.get(flag.name)
            if kind is None:
                suggestion = None if self.capped else closest_name(flag.name, tuple(spec))
                accepted = ", ".join(f"--{name}" for name in spec)
                self.problem(
                    f"unknown flag `--{flag.name}` for `{keyword}`: Docker refuses to build this instruction",
                    flag.span, anchor=written,
                    help=(f"did you mean `--{suggestion}`? " if suggestion else "")
                    + f"`{keyword}` accepts {accepted}")
                continue
            if kind == _STRING and flag.value is None:
                self.problem(f"flag `--{flag.name}` of `{keyword}` needs a value", flag.span, anchor=written,
                             help=f"write `--{flag.name}=<value>`")
            if kind == _BOOL and flag.value is not None and flag.value.lower() not in ("", "true", "false"):
                self.problem(f"flag `--{flag.name}` takes `true` or `false`, not `{flag.value}`", flag.span,
                             anchor=written, help=f"write `--{flag.name}` or `--{flag.name}=false`")
            if kind != _STRINGS and flag.name in used:
                self.problem(f"flag `--{flag.name}` is given twice", flag.span, anchor=written,
                             help=f"keep one `--{flag.name}`; Docker rejects a repeated flag")
            used[flag.name] = flag

    def _check_from(self, instruction: Instruction) -> None:
        words = _WORD_RE.findall(instruction.arguments)
        if len(words) == 3 and words[1].lower() == "as":
            name = words[2].lower()
            where = instruction.arguments_span or self._keyword_span(instruction)
            if not _STAGE_NAME_RE.match(name):
                self.problem(
                    f"invalid stage name `{words[2]}`: a stage name must start with a letter and contain only "
                    "letters, digits, `-`, `_` and `.`", where, help="rename the stage, e.g. `AS build-2`")
            elif name in self._stage_names:
                self.problem(
                    f"stage name `{name}` is already used by the stage on line {self._stage_names[name]}",
                    where, help="give every stage a unique name; Docker refuses duplicate stage names")
            else:
                self._stage_names[name] = instruction.span.line

    def _check_from_order(self, instructions: list[Instruction]) -> None:
        for instruction in instructions:
            if instruction.keyword == "FROM":
                return
            if instruction.keyword in _KNOWN and instruction.keyword != "ARG":
                self.problem(
                    f"`{instruction.keyword}` comes before the first `FROM`: there is no build stage for it to "
                    "act on", self._keyword_span(instruction), anchor=instruction.keyword,
                    help="start the Dockerfile with `FROM <image>` (only `ARG` and comments may come before it)")
                return
        if self.text.strip():
            self.problem(
                "the Dockerfile has no `FROM` instruction, so Docker has no base image to build on",
                self._keyword_span(instructions[0]) if instructions else Span(self.path, Position(1, 1)),
                help="add `FROM <image>` (or `FROM scratch`) before the build steps")

    def _keyword_span(self, instruction: Instruction) -> Span:
        # The keyword as written: `ß`.upper() is `SS`, and a continuation can split a word.
        return instruction.keyword_span


# --------------------------------------------------------------------------- argument checks


def _check_copy(parser: _Checker, instruction: Instruction) -> list[tuple[str, str]]:
    count = len(instruction.copy_words)
    if count < 2:
        keyword = instruction.keyword
        return [(f"`{keyword}` needs at least one source and a destination, but has {count} argument"
                 f"{'' if count == 1 else 's'}", f"write `{keyword} <source>... <destination>`")]
    return []


def _needs(amount: str, noun: str) -> Callable[[_Checker, Instruction], list[tuple[str, str]]]:
    """A check that the instruction has arguments: ``amount`` is "a" or "at least one"."""
    def check(parser: _Checker, instruction: Instruction) -> list[tuple[str, str]]:
        if not instruction.arguments:
            return [(f"`{instruction.keyword}` needs {amount} {noun}",
                     f"write `{instruction.keyword} <{noun}>`; Docker refuses the instruction without one")]
        return []

    return check


def _check_run(parser: _Checker, instruction: Instruction) -> list[tuple[str, str]]:
    if not instruction.arguments:
        return [("`RUN` has no command to run", "write the command after `RUN`, or delete the line")]
    return []


def _check_key_values(parser: _Checker, instruction: Instruction) -> list[tuple[str, str]]:
    keyword = instruction.keyword
    if not instruction.arguments:
        return [(f"`{keyword}` needs at least one `name=value` pair", f"write `{keyword} name=value`")]
    words = _parse_words(instruction.arguments, parser.escape)
    if not words:
        return []
    if "=" not in words[0]:
        if len(_WORD_RE.findall(instruction.arguments)) < 2:
            return [(f"`{keyword} {words[0]}` has a name but no value",
                     f"write `{keyword} {words[0]}=<value>`")]
        return []
    for word in words:
        if "=" not in word:
            return [(f"`{word}` in `{keyword}` is not of the form `name=value`",
                     "in the `name=value` form every word needs an `=`; quote values that contain spaces")]
        if word.startswith("="):
            return [(f"`{keyword}` has a value without a name: `{word}`", "write `name=value`")]
    return []


def _check_arg(parser: _Checker, instruction: Instruction) -> list[tuple[str, str]]:
    if not instruction.arguments:
        return [("`ARG` needs a name", "write `ARG NAME` or `ARG NAME=default`")]
    for key, _default in _arg_pairs(instruction.arguments, parser.escape):
        if not key:
            return [("`ARG` has a default without a name", "write `ARG NAME=default`")]
    return []


def _check_volume(parser: _Checker, instruction: Instruction) -> list[tuple[str, str]]:
    if not instruction.arguments:
        return [("`VOLUME` needs at least one path", "write `VOLUME /path`")]
    array, _error = _json_array(instruction.arguments)
    if array is not None and any(not item.strip() for item in array):
        return [("`VOLUME` lists an empty path", "remove the empty string from the list")]
    return []


def _check_shell(parser: _Checker, instruction: Instruction) -> list[tuple[str, str]]:
    if instruction.form == "exec" and instruction.exec_args:
        return []
    if instruction.form == "exec":
        return [("`SHELL` needs at least one element", 'write `SHELL ["/bin/sh", "-c"]`')]
    return [("`SHELL` must be written as a JSON array: Docker refuses the shell form here",
             'write `SHELL ["/bin/bash", "-c"]`')]


def _check_healthcheck(parser: _Checker, instruction: Instruction) -> list[tuple[str, str]]:
    if not instruction.arguments:
        return [("`HEALTHCHECK` needs `CMD <command>` or `NONE`", "write `HEALTHCHECK CMD <command>`")]
    kind, _, command = _split_first_word(instruction.arguments)
    kind = kind.upper()
    if kind == "NONE":
        if command:
            return [("`HEALTHCHECK NONE` takes no arguments", "remove what follows `NONE`")]
    elif kind == "CMD":
        if not command:
            return [("`HEALTHCHECK CMD` has no command",
                     "write the check after `CMD`, e.g. `CMD curl -f http://localhost/`")]
    else:
        return [(f"unknown `HEALTHCHECK` type `{kind}`", "write `HEALTHCHECK [options] CMD <command>` or "
                 "`HEALTHCHECK NONE`")]
    return []


def _check_onbuild(parser: _Checker, instruction: Instruction) -> list[tuple[str, str]]:
    if not instruction.arguments:
        return [("`ONBUILD` needs an instruction to run later", "write `ONBUILD <instruction>`")]
    trigger = _split_first_word(instruction.arguments)[0].upper()
    if trigger == "ONBUILD":
        return [("`ONBUILD ONBUILD` is not allowed", "use a single `ONBUILD`")]
    if trigger in ("FROM", "MAINTAINER"):
        return [(f"`{trigger}` is not allowed as an `ONBUILD` trigger", "trigger a different instruction")]
    return []


def _check_from_arguments(parser: _Checker, instruction: Instruction) -> list[tuple[str, str]]:
    words = _WORD_RE.findall(instruction.arguments)
    if not words:
        return [("`FROM` needs a base image", "write `FROM <image>[:tag] [AS <name>]`, e.g. `FROM alpine:3.20`")]
    if len(words) == 3 and words[1].lower() == "as":
        return []
    if len(words) != 1:
        return [(f"`FROM` expects `<image> [AS <name>]` but has {len(words)} arguments",
                 "write `FROM <image>` or `FROM <image> AS <name>`; flags such as `--platform` go before the image")]
    return []


_ARGUMENT_CHECKS: Mapping[str, Callable[[_Checker, Instruction], list[tuple[str, str]]]] = MappingProxyType({
    "ADD": _check_copy,
    "COPY": _check_copy,
    "ARG": _check_arg,
    "ENV": _check_key_values,
    "LABEL": _check_key_values,
    "EXPOSE": _needs("at least one", "port"),
    "VOLUME": _check_volume,
    "USER": _needs("a", "user"),
    "WORKDIR": _needs("a", "path"),
    "STOPSIGNAL": _needs("a", "signal"),
    "MAINTAINER": _needs("a", "name"),
    "RUN": _check_run,
    "SHELL": _check_shell,
    "HEALTHCHECK": _check_healthcheck,
    "ONBUILD": _check_onbuild,
    "FROM": _check_from_arguments,
})
