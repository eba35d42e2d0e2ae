"""Differential test: `analysis.gitignore.gitignored` must answer as `git check-ignore` does.

Each case is a set of `.gitignore` files and paths; the paths are made in a fresh git repository
(a path ending in ``/`` as a directory) and git's verdict is compared with ours. The one deliberate
difference is listed: composelint asks about paths that are missing from the checkout, and a
missing path may be a directory that a build will make, so `dist/` counts for a missing `dist`.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from helpers import write_tree

from composelint.analysis.gitignore import gitignored
from composelint.assembly.project import build_project
from composelint.config import load_config

CASES = [
    # (.gitignore files, paths asked about)
    ({".gitignore": "doc/*.txt\n"}, ["doc/a.txt", "doc/server/arch.txt", "a.txt", "x/doc/a.txt"]),
    ({".gitignore": "foo/**/bar\n"}, ["foo/bar", "foo/x/bar", "foo/x/y/bar", "x/foo/bar", "foo/y/bar/z"]),
    ({".gitignore": "dist/\n*.whl\n/build\n!keep.whl\n# comment\n**/cache\n", "web/.gitignore": "out\n"},
     ["web/dist/index.html", "a/b.whl", "build/x", "web/build/x", "keep.whl", "web/out/x", "out/x",
      "x/y/cache/z", "src/main.py", "dist/"]),
    ({".gitignore": "*.log\n!important.log\n", "sub/.gitignore": "important.log\n"},
     ["a.log", "important.log", "sub/important.log", "sub/deeper/important.log", "sub/other.log"]),
    # nothing below an ignored directory can be re-included
    ({".gitignore": "target/\n!target/app.jar\n"}, ["target/app.jar", "target/other.jar"]),
    ({".gitignore": "target/*\n!target/app.jar\n"}, ["target/app.jar", "target/other.jar"]),
    ({".gitignore": "/*.env\n\\#notes\n\\!bang\nspace\\ \n"},
     ["prod.env", "config/prod.env", "#notes", "!bang", "space "]),
    ({".gitignore": "**/node_modules\nlogs/**\na/**/b/*.c\n"},
     ["node_modules/x", "web/node_modules/y", "logs/2024/app.log", "logs/", "a/b/x.c", "a/q/r/b/y.c", "a/b/sub/z.c"]),
    ({".gitignore": "*.py[co]\n[Bb]uild/\nfile?.txt\n"},
     ["m.pyc", "m.pyo", "m.py", "Build/x", "build/x", "file1.txt", "file10.txt"]),
    ({"app/.gitignore": "/local\nsettings/*.json\n"},
     ["app/local/x", "local/x", "app/sub/local/x", "app/settings/dev.json", "app/settings/a/dev.json"]),
    ({".gitignore": "!\nok\n"}, ["ok", "other"]),  # git skips the unreadable `!`
    ({".gitignore": "build/\n"}, ["build"]),  # a file named build: see DELIBERATE
]

# (case index, path): why composelint's answer differs from git's on purpose.
DELIBERATE = {
    (11, "build"): "a missing path may be the directory a build makes, so `build/` counts",
}


def _git_ignored(repo, files: dict[str, str], paths: list[str]) -> set[str]:
    """The paths `git check-ignore` reports as ignored, in a repository holding exactly these files."""
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    write_tree(repo, files)
    for path in paths:
        target = repo / path
        if path.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("", encoding="utf-8")
    done = subprocess.run(["git", "-c", "core.excludesFile=/dev/null", "check-ignore", "--stdin", "-z"],
                          cwd=repo, input="\0".join(path.rstrip("/") for path in paths), capture_output=True,
                          text=True)
    assert done.returncode in (0, 1), done.stderr
    return {path for path in done.stdout.split("\0") if path}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("index", range(len(CASES)))
def test_gitignored_agrees_with_git_check_ignore(tmp_path, index):
    files, paths = CASES[index]
    git = _git_ignored(tmp_path / "git", files, paths)
    write_tree(tmp_path / "ours", {".composelint.yaml": "", **files})
    project = build_project(tmp_path / "ours", load_config(tmp_path / "ours"))
    differing = []
    for path in paths:
        ours = gitignored(project, path.rstrip("/"))
        theirs = path.rstrip("/") in git
        if ours != theirs and (index, path) not in DELIBERATE:
            differing.append(f"{path}: git says {'ignored' if theirs else 'not ignored'}, composelint {ours}")
        if (index, path) in DELIBERATE:
            assert ours != theirs, f"{path} is listed as a deliberate difference but agrees now"
    assert not differing, "\n".join(differing)


def test_the_known_disagreements_of_the_old_matcher(tmp_path):
    """fnmatch's `*` crossed `/` and `**/` did not match zero directories."""
    write_tree(tmp_path, {".composelint.yaml": "", ".gitignore": "doc/*.txt\nfoo/**/bar\n"})
    project = build_project(tmp_path, load_config(tmp_path))
    assert not gitignored(project, "doc/server/arch.txt")
    assert gitignored(project, "foo/bar")
