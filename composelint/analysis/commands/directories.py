"""The working directory through a script: one reading of ``cd``, ``cd -``, ``pushd``, ``popd``, ``( )``
subshells and function bodies, for every reader of the repository's scripts (deployments, created.py).

What a directory *is* differs per reader (deployments keep several candidate directories, created.py one,
or None when unknown), so the tracker is generic: the reader gives the starting state, how a literal
``cd TARGET`` changes a state, and the unknown state (``cd`` alone, ``cd ~``, ``pushd +1`` …).
"""

from __future__ import annotations

from typing import Callable, Generic, Sequence, TypeVar

State = TypeVar("State")

_CD_OPTIONS = frozenset(("-P", "-L", "-e", "-@"))


class Directories(Generic[State]):
    """Follows the directory-changing commands of one script, command by command (:meth:`follow`)."""

    __slots__ = ("current", "previous", "_start", "_unknown", "_change", "_pushed", "_subshells", "_outside",
                 "_programs")

    def __init__(self, start: State, change: Callable[[State, object], State],
                 unknown: State | Callable[[State], State], stack: bool = True) -> None:
        # `stack`: pushd/popd are the shell's builtins (bash); dash, the `sh` of most images, has none,
        # so a start command's `pushd` is a program to look up, not a directory change.
        self._programs = ("cd", "pushd", "popd") if stack else ("cd",)
        self.current = start  # the state the next command runs in
        self.previous = start  # `cd -` goes back here (OLDPWD)
        self._start = start
        self._unknown = unknown  # the state (or a function of the state before) where a cd goes unknown
        self._change = change  # (state, the target word) -> the state after `cd TARGET`
        self._pushed: list[State] = []  # pushd's stack
        self._subshells: list[tuple[int, State, State]] = []  # (level, state, previous) on entering ( )
        self._outside: tuple[State, State, list] | None = None  # the script's state while in a function body

    def follow(self, words: Sequence, subshell: int = 0, in_function: bool = False, uncertain: bool = False) -> bool:
        """Apply one simple command (its ``words``, each with ``.text``); True when it was ``cd``/``pushd``/
        ``popd`` (it runs no program). ``subshell``/``in_function`` come from the parsed command;
        ``uncertain``: the command may not run (inside ``if``, after ``||``), so where it goes is unknown."""
        # A function body runs when it is called, from wherever the script is then: from its start.
        if in_function and self._outside is None:
            self._outside = (self.current, self.previous, self._pushed)
            self.current = self.previous = self._start
            self._pushed = []
        elif not in_function and self._outside is not None:
            self.current, self.previous, self._pushed = self._outside
            self._outside = None
        # A `cd` inside ( ) ends with the subshell.
        while self._subshells and subshell < self._subshells[-1][0]:
            _, self.current, self.previous = self._subshells.pop()
        if not words:
            return False
        program = words[0].text
        if program not in self._programs:
            return False
        if subshell and (not self._subshells or self._subshells[-1][0] < subshell):
            self._subshells.append((subshell, self.current, self.previous))
        if program == "popd":
            if self._pushed:  # an empty stack: popd fails and the directory stays
                self.previous, self.current = self.current, self._pushed.pop()
            return True
        index = 1
        while index < len(words) and words[index].text in _CD_OPTIONS:
            index += 1
        if index < len(words) and words[index].text == "--":
            index += 1
        target = words[index] if index < len(words) else None
        if program == "cd" and target is not None and target.text == "-":
            self.current, self.previous = self.previous, self.current
            return True
        if program == "pushd":
            self._pushed.append(self.current)
        self.previous = self.current
        if uncertain or target is None or target.text.startswith(("~", "-", "+")):
            # home, or a place on the directory stack
            self.current = self._unknown(self.current) if callable(self._unknown) else self._unknown
        else:
            self.current = self._change(self.current, target)
        return True
