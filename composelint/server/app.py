"""The pygls wiring: documents in, diagnostics out; when to run, and which runs to drop.

Runs happen one at a time in a worker thread, so that hover and code actions stay answered
while a large project is linted. An edit bumps its project's generation: a run started for an
older generation stops before the rules when it can, and its findings are never published;
the newest buffers are linted instead. Debouncing adapts to the project: when the last run
took under ``FAST_RUN`` seconds, an edit is linted at once (waiting would cost more than the
run); otherwise edits made within ``debounce`` ms of each other make one run.
"""

from __future__ import annotations

import asyncio
import gc
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from composelint import __version__
from composelint.assembly.discovery import SKIP_DIRS, find_project_root, yaml_candidate_kind
from composelint.engine import FORK_MIN_SUBJECTS
from composelint.server.actions import actions_for
from composelint.server.convert import Lines, diagnostic_json, path_to_uri, to_lsp, uri_to_path
from composelint.server.hover import findings_at, hover_markdown
from composelint.server.session import Session

FAST_RUN = 0.05  # seconds
DEFAULT_DEBOUNCE_MS = 150
# The process runs with the cyclic collector off (cli.main): a collection pass over a large model
# costs ~0.1-0.3 s. What each run leaves in cycles (a replaced YAML document, the reader; ~6 MB a run
# at 1,000 services) is collected once the editor has been quiet for COLLECT_IDLE seconds, and after
# COLLECT_EVERY runs without such a pause.
COLLECT_IDLE = 2.0  # seconds
COLLECT_EVERY = 50  # runs


class _Buffer:
    __slots__ = ("uri", "text", "version")

    def __init__(self, uri: str, text: str, version: int | None):
        self.uri, self.text, self.version = uri, text, version


class _State:
    """A session and what the server knows about it: open buffers, runs, what it published."""

    def __init__(self, session: Session):
        self.session = session
        self.buffers: dict[str, _Buffer] = {}
        self.generation = 0
        self.task: asyncio.Task | None = None
        self.published: dict[str, tuple] = {}  # relpath -> (findings, text) last published
        self.touched: set[str] = set()  # buffers edited since the last publish


class ComposelintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("composelint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.states: dict[Path, _State] = {}
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="composelint-lint")
        self.debounce = DEFAULT_DEBOUNCE_MS / 1000
        self.uncollected = 0  # runs since the last collection of cyclic garbage
        self.idle: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------------ documents

    def state_for(self, uri: str) -> tuple[_State, str] | None:
        """The project a document belongs to (found as the CLI finds it), and its path there."""
        path = uri_to_path(uri)
        if path is None:
            return None
        root = find_project_root(_existing(path))  # resolved, as the walk's paths are
        try:
            relpath = path.resolve().relative_to(root).as_posix()
        except (ValueError, OSError):
            return None
        state = self.states.get(root)
        if state is None:
            session = Session.open(root)
            session.beside_min_subjects = FORK_MIN_SUBJECTS  # a second process on a large project
            state = self.states[root] = _State(session)
        return state, relpath

    def document_changed(self, uri: str, closed: bool = False) -> None:
        found = self.state_for(uri)
        if found is None:
            return
        state, relpath = found
        if closed:
            state.buffers.pop(relpath, None)
        else:
            document = self.workspace.get_text_document(uri)
            state.buffers[relpath] = _Buffer(uri, document.source, document.version)
        state.touched.add(relpath)
        self.schedule(state)

    # ------------------------------------------------------------------ runs

    def schedule(self, state: _State) -> None:
        state.generation += 1
        if state.task is None or state.task.done():
            state.task = asyncio.ensure_future(self._lint_loop(state))

    async def _lint_loop(self, state: _State) -> None:
        loop = asyncio.get_running_loop()
        while True:
            last = state.session.last
            if last is not None and last.seconds >= FAST_RUN and self.debounce > 0:
                generation = state.generation
                await asyncio.sleep(self.debounce)
                if state.generation != generation:
                    continue  # still typing
            generation = state.generation
            buffers = {path: buffer.text for path, buffer in state.buffers.items()}
            versions = {path: (buffer.uri, buffer.version) for path, buffer in state.buffers.items()}
            try:
                outcome = await loop.run_in_executor(
                    self.executor, state.session.lint, buffers, lambda: state.generation != generation)
            except Exception as exc:  # one failed run must not end the server: say so, keep serving
                self.log(types.MessageType.Error,
                         f"composelint: internal error while linting {state.session.root}: "
                         f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
                if state.generation == generation:
                    return
                continue
            if state.generation != generation:
                continue  # an edit arrived meanwhile: these findings are already stale
            if outcome is not None:
                try:
                    self.publish(state, outcome, versions)
                except Exception as exc:
                    self.log(types.MessageType.Error, f"composelint: internal error while publishing: "
                                                      f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            # Free the model this run replaced, now that the editor has the findings (in the lint thread:
            # a run that starts meanwhile waits for it; see Session.settle).
            loop.run_in_executor(self.executor, state.session.settle)
            self.ran()
            return

    def ran(self) -> None:
        """A run ended: collect its cyclic garbage when the editor pauses, or now if it never does."""
        if gc.isenabled():
            return  # the collector runs by itself (a server started in another way)
        self.uncollected += 1
        if self.idle is not None:
            self.idle.cancel()
        loop = asyncio.get_running_loop()
        if self.uncollected >= COLLECT_EVERY:
            self.collect()
        else:
            self.idle = loop.call_later(COLLECT_IDLE, self.collect)

    def collect(self) -> None:
        self.idle = None
        self.uncollected = 0
        # In the lint thread: a run that starts meanwhile waits (runs are serial), queries do not.
        asyncio.get_running_loop().run_in_executor(self.executor, gc.collect)

    def publish(self, state: _State, outcome, versions: dict) -> None:
        """Publish every file whose findings changed, and each edited buffer (with its version)."""
        root = state.session.root
        codec = self.workspace.position_codec
        cache: dict[str, Lines] = {}

        def lines_of(path: str) -> Lines:
            if path not in cache:
                cache[path] = Lines(outcome.text_of(path), codec)
            return cache[path]

        def uri_of(path: str) -> str:
            return versions[path][0] if path in versions else path_to_uri(root, path)

        paths = set(outcome.by_path) | set(state.published) | state.touched
        for path in sorted(paths):
            findings = outcome.by_path.get(path, ())
            snapshot = (findings, outcome.text_of(path) if findings else None)  # positions depend on the text
            if path not in state.touched and state.published.get(path, ((), None)) == snapshot:
                continue
            lines = lines_of(path)
            diagnostics = [diagnostic_json(finding, lines, uri_of, lines_of) for finding in findings]
            self.send_diagnostics(uri_of(path), diagnostics, versions[path][1] if path in versions else None)
            if findings:
                state.published[path] = snapshot
            else:
                state.published.pop(path, None)
        state.touched.clear()

    def send_diagnostics(self, uri: str, diagnostics: list[dict], version: int | None) -> None:
        """Publish JSON diagnostics (convert.diagnostic_json) as they are: pygls's typed path would build
        and then unstructure lsprotocol objects, ~40 ms for the ~800 findings of a large compose file."""
        params = {"uri": uri, "diagnostics": diagnostics}
        if version is not None:
            params["version"] = version
        send = getattr(self.protocol, "_send_data", None)  # pygls 1.x and 2.x: one JSON-RPC message
        if send is None:
            from lsprotocol.converters import get_converter

            self.text_document_publish_diagnostics(get_converter().structure(params, types.PublishDiagnosticsParams))
        else:
            send({"jsonrpc": "2.0", "method": types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params})

    def log(self, kind: types.MessageType, message: str) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    # ------------------------------------------------------------------ queries

    def findings_for(self, uri: str):
        found = self.state_for(uri)
        if found is None or found[0].session.last is None:
            return None, None, ()
        state, relpath = found
        outcome = state.session.last
        return outcome, relpath, outcome.by_path.get(relpath, ())


def _existing(path: Path) -> Path:
    """The path, or its nearest existing ancestor (an editor buffer not saved yet)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _client_position(lines: Lines, position: types.Position) -> tuple[int, int]:
    """The client's 0-based position -> composelint's 1-based (line, code-point column)."""
    server = lines.codec.position_from_client_units(lines.lines, types.Position(position.line, position.character))
    return server.line + 1, server.character + 1


def create_server() -> ComposelintServer:
    server = ComposelintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: ComposelintServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounce"), (int, float)):
            ls.debounce = max(float(options["debounce"]), 0.0) / 1000

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ComposelintServer, params: types.InitializedParams) -> None:
        watched = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if watched and watched.dynamic_registration:
            # Files edited outside the editor (git checkout, a formatter): any file may be one a run reads.
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern="**/*")])
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                    types.Registration(id="composelint-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                       register_options=options)]))
            except Exception as exc:
                ls.log(types.MessageType.Warning, f"composelint: cannot watch files: {exc}")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ComposelintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.document_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ComposelintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.document_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ComposelintServer, params: types.DidSaveTextDocumentParams) -> None:
        found = ls.state_for(params.text_document.uri)
        if found is not None and found[0].session.is_config(found[1]):
            found[0].session.reload_config()
        ls.document_changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ComposelintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.document_changed(params.text_document.uri, closed=True)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: ComposelintServer, params: types.DidChangeWatchedFilesParams) -> None:
        changed: dict[Path, _State] = {}
        for event in params.changes:
            path = uri_to_path(event.uri)
            if path is None:
                continue
            path = path.resolve()
            for root, state in ls.states.items():
                if root not in path.parents:
                    continue
                relpath = path.relative_to(root).as_posix()
                if any(part in SKIP_DIRS for part in relpath.split("/")):
                    continue  # .git/index changes on every `git status`: nothing composelint reads
                if state.session.is_config(relpath):
                    state.session.reload_config()
                elif event.type != types.FileChangeType.Changed or yaml_candidate_kind(path.name):
                    state.session.files_changed()  # the walk tells compose files from other YAML by content
                elif not state.session.reads(relpath):
                    continue
                else:
                    state.session.file_changed(relpath)
                changed[root] = state
        for state in changed.values():
            ls.schedule(state)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ComposelintServer, params: types.HoverParams) -> types.Hover | None:
        outcome, relpath, findings = ls.findings_for(params.text_document.uri)
        if not findings:
            return None
        lines = Lines(outcome.text_of(relpath), ls.workspace.position_codec)
        line, column = _client_position(lines, params.position)
        text = hover_markdown(findings_at(findings, line, column))
        if text is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
    def code_action(ls: ComposelintServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        outcome, relpath, findings = ls.findings_for(params.text_document.uri)
        if not findings:
            return None
        lines = Lines(outcome.text_of(relpath), ls.workspace.position_codec)
        start = _client_position(lines, params.range.start)
        end = _client_position(lines, params.range.end)
        actions = []
        for finding in findings:
            if finding.span.end_line < start[0] or finding.span.start.line > end[0]:
                continue  # the editor asks for the lines of the cursor or selection
            lsp_finding = to_lsp(finding, lines, lambda path: path_to_uri(outcome.project.root, path),
                                 lambda path: Lines(outcome.text_of(path), ls.workspace.position_codec))
            for fix in actions_for(finding, outcome):
                where = lines if fix.path is None else Lines(outcome.text_of(fix.path), ls.workspace.position_codec)
                edits = [types.TextEdit(range=types.Range(start=where.position(edit.line, edit.column),
                                                          end=where.position(edit.end_line, edit.end_column)),
                                        new_text=edit.text) for edit in fix.edits]
                uri = params.text_document.uri if fix.path is None else path_to_uri(outcome.project.root, fix.path)
                title = fix.title if fix.safe else f"{fix.title} (unsafe: review the change)"
                actions.append(types.CodeAction(
                    title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[lsp_finding],
                    is_preferred=fix.preferred or None, edit=types.WorkspaceEdit(changes={uri: edits})))
        return actions or None

    return server
