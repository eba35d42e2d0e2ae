"""``composelint server``: a Language Server Protocol server over stdio (the ``lsp`` extra).

Editors open compose files, Dockerfiles and the files beside them; the server lints the whole
project with the unsaved buffers laid over the files on disk, and publishes the findings of
every file they touch. Layout: ``session`` (one project root: configuration, file list, open
buffers, the last run), ``convert`` (findings as LSP diagnostics), ``hover``, ``actions`` (code
actions; fixes plug in there), ``app`` (the pygls wiring, debouncing and cancelling runs).

Nothing here is imported by the CLI unless ``composelint server`` runs: pygls and lsprotocol
cost ~100 ms of imports that a lint does not need.
"""

from __future__ import annotations

INSTALL_HINT = "the language server needs the `lsp` extra: pip install 'composelint[lsp]'"


def missing_dependency() -> str | None:
    """None when pygls and lsprotocol can be imported, else the name of what is missing."""
    import importlib

    for name in ("lsprotocol", "pygls.lsp.server"):
        try:
            importlib.import_module(name)
        except ImportError:
            return name.split(".")[0]
    return None


def serve() -> None:
    """Speak LSP on standard input and output until the client says exit."""
    from composelint.server.app import create_server

    create_server().start_io()
