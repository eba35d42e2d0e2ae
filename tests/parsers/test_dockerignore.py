""".dockerignore reading and matching, checked against the cases moby/patternmatcher is tested with."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composelint.model import DockerIgnore, IgnorePattern
from composelint.parsers.dockerignore import IgnoreMatcher, _run_tokens, _token_regex, _tokenize, parse_dockerignore

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "awesome-compose"


def matcher(*patterns: str) -> IgnoreMatcher:
    return IgnoreMatcher(parse_dockerignore("\n".join(patterns), ".dockerignore"))


# --------------------------------------------------------------------------- reading


def test_reading_follows_docker():
    text = ("\ufefftest1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! \n"
            "  # not a comment  \n./b//c/../d/\n\t*.log \r\n")
    ignore = parse_dockerignore(text, "app/.dockerignore")
    assert ignore.path == "app/.dockerignore"
    assert [(p.pattern, p.exclude, p.line) for p in ignore.patterns] == [
        ("test1", True, 1), ("test2", True, 2), ("a/file/here", True, 3), ("lastfile", True, 5),
        ("inverted/abs/path", False, 7), ("# not a comment", True, 10), ("b/d", True, 11), ("*.log", True, 12)]


def test_reading_empty_and_comment_only_files():
    assert parse_dockerignore("", ".dockerignore").patterns == ()
    assert parse_dockerignore("# only\n\n   \n", ".dockerignore").patterns == ()


# --------------------------------------------------------------------------- single patterns


# (pattern, path, excluded) — most rows come from moby/patternmatcher's own tests
# (TestMatches, with MatchesOrParentMatches semantics, and the filepath.Match table).
SINGLE = [
    ("**", "file", True), ("**/", "file", True), ("**", "dir/file", True), ("**/", "dir/file", True),
    ("**/**", "dir/file", True), ("dir/**", "dir/file", True), ("dir/**", "dir/dir2/file", True),
    ("**/dir", "dir", True), ("**/dir", "dir/file", True), ("**/dir2/*", "dir/dir2/file", True),
    ("**/dir2/**", "dir/dir2/dir3/file", True), ("**file", "file", True), ("**file", "dir/file", True),
    ("**/file", "dir/file", True), ("**file", "dir/dir/file", True), ("**/file", "dir/dir/file", True),
    ("**/file*", "dir/dir/file", True), ("**/file*", "dir/dir/file.txt", True),
    ("**/file*txt", "dir/dir/file.txt", True), ("**/file*.txt", "dir/dir/file.txt", True),
    ("**/file*.txt*", "dir/dir/file.txt", True), ("**/**/*.txt", "dir/dir/file.txt", True),
    ("**/**/*.txt2", "dir/dir/file.txt", False), ("**/*.txt", "file.txt", True), ("**/**/*.txt", "file.txt", True),
    ("a**/*.txt", "a/file.txt", True), ("a**/*.txt", "a/dir/file.txt", True),
    ("a**/*.txt", "a/dir/dir/file.txt", True), ("a/*.txt", "a/dir/file.txt", False), ("a/*.txt", "a/file.txt", True),
    ("a/*.txt**", "a/file.txt", True), ("a[b-d]e", "ae", False), ("a[b-d]e", "ace", True), ("a[b-d]e", "aae", False),
    ("a[^b-d]e", "aze", True), (".*", ".foo", True), (".*", "foo", False), ("abc.def", "abcdef", False),
    ("abc.def", "abc.def", True), ("abc.def", "abcZdef", False), ("abc?def", "abcZdef", True),
    ("abc?def", "abcdef", False), ("**/foo/bar", "foo/bar", True), ("**/foo/bar", "dir/foo/bar", True),
    ("**/foo/bar", "dir/dir2/foo/bar", True), ("abc/**", "abc", False), ("abc/**", "abc/def", True),
    ("abc/**", "abc/def/ghi", True), ("**/.foo", ".foo", True), ("**/.foo", "bar.foo", False),
    ("a(b)c/def", "a(b)c/def", True), ("a(b)c/def", "a(b)c/xyz", False), ("a.|)$(}+{bc", "a.|)$(}+{bc", True),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", True),
    ("a\\\\", "a\\", True), ("a\\*b", "a*b", True), ("a\\*b", "ab", False),
    # filepath.Match cases
    ("abc", "abc", True), ("*", "abc", True), ("*c", "abc", True), ("a*", "a", True), ("a*", "abc", True),
    ("a*", "ab/c", True), ("a*/b", "abc/b", True), ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True), ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False), ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True), ("a*b?c*x", "abxbbxdbxebxczzy", False), ("ab[c]", "abc", True),
    ("ab[b-d]", "abc", True), ("ab[e-g]", "abc", False), ("ab[^c]", "abc", False), ("ab[^b-d]", "abc", False),
    ("ab[^e-g]", "abc", True), ("a?b", "a☺b", True), ("a[^a]b", "a☺b", True), ("a???b", "a☺b", False),
    ("a[^a][^a][^a]b", "a☺b", False), ("[a-ζ]*", "α", True), ("*[a-ζ]", "A", False), ("a?b", "a/b", False),
    ("a*b", "a/b", False), ("[\\]a]", "]", True), ("[\\-]", "-", True), ("[x\\-]", "x", True), ("[x\\-]", "-", True),
    ("[x\\-]", "z", False), ("[\\-x]", "x", True), ("[\\-x]", "-", True), ("[\\-x]", "a", False), ("*x", "xxx", True),
    # malformed patterns: Docker refuses them; here they match nothing
    ("[]a]", "]", False), ("[-]", "-", False), ("[x-]", "x", False), ("[-x]", "x", False), ("\\", "\\", False),
    ("[a-b-c]", "a", False), ("[", "[", False), ("[^bc", "a", False), ("a[", "a[", False),
    # Docker's own rules that differ from .gitignore
    ("*.log", "app.log", True), ("*.log", "logs/app.log", False), ("**/*.log", "logs/deep/app.log", True),
    ("node_modules", "node_modules/pkg/index.js", True), ("node_modules", "web/node_modules/x.js", False),
    ("docs/", "docs/README.md", True), ("/docs", "docs", True), ("./docs", "docs/a/b", True),
    ("docs", "docs2/x", False), ("secret*", "secrets/key.pem", True), ("*/temp*", "x/temporary/y", True),
]


@pytest.mark.parametrize(("pattern", "path", "excluded"), SINGLE)
def test_single_pattern(pattern, path, excluded):
    assert matcher(pattern).is_excluded(path) is excluded


# --------------------------------------------------------------------------- several patterns


SEVERAL = [
    (["**", "!util/docker/web"], "util/docker/web/foo", False),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", True),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", False),
    (["!fileutils.go", "*.go"], "fileutils.go", True),
    (["*.go", "!fileutils.go"], "fileutils.go", False),
    (["docs", "!docs/README.md"], "docs/README.md", False),
    (["docs", "!docs/README.md"], "docs/guide.md", True),
    (["docs/", "!docs/README.md"], "docs/README.md", False),
    (["docs/*", "!docs/README.md"], "docs/README.md", False),
    (["*", "!src", "src/**/*.test.js"], "src/app.js", False),
    (["*", "!src", "src/**/*.test.js"], "src/lib/app.test.js", True),
    (["*", "!src"], "README.md", True),
    (["**/*.md", "!README.md"], "README.md", False),
    (["**/*.md", "!README.md"], "docs/README.md", True),
    # The last matching pattern wins, in both directions.
    (["*.txt", "!keep.txt", "*.txt"], "keep.txt", True),
    (["build", "!build/keep", "build/keep/tmp"], "build/keep/tmp/x", True),
    (["build", "!build/keep", "build/keep/tmp"], "build/keep/other", False),
]


@pytest.mark.parametrize(("patterns", "path", "excluded"), SEVERAL)
def test_several_patterns(patterns, path, excluded):
    assert matcher(*patterns).is_excluded(path) is excluded


def test_deciding_pattern_names_the_line():
    ignore = matcher("# secrets", ".env*", "*.md", "!README.md")
    decided = ignore.deciding_pattern(".env.local")
    assert decided == IgnorePattern(pattern=".env*", exclude=True, line=2)
    assert ignore.deciding_pattern("README.md") is None
    assert ignore.deciding_pattern("app.py") is None


@pytest.mark.parametrize("path", ["", ".", "./", "/"])
def test_context_root_is_never_excluded(path):
    assert matcher("*", "**").is_excluded(path) is False


def test_paths_are_cleaned_like_docker_does():
    ignore = matcher("build")
    assert ignore.is_excluded("./build/out.o")
    assert ignore.is_excluded("/build/out.o")
    assert ignore.is_excluded("src/../build/out.o")


def test_no_dockerignore_excludes_nothing():
    assert IgnoreMatcher(None).is_excluded("anything") is False
    assert IgnoreMatcher(DockerIgnore(path=".dockerignore", patterns=())).is_excluded("x") is False


# --------------------------------------------------------------------------- robustness


def test_many_wildcards_do_not_backtrack():
    ignore = matcher("*a*a*a*a*a*a*a*a*a*a*a*b", "**/**/**/**/**/**/**/**/z")
    path = "/".join(["a" * 200] * 20)
    start = time.perf_counter()
    assert ignore.is_excluded(path) is False
    assert time.perf_counter() - start < 2


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "/", "*", "?", "[ab]", "[^a]", "\\*", "."]), max_size=8).map("".join),
       st.text(alphabet="ab/.*", max_size=12))
def test_linear_matcher_agrees_with_the_regex_matcher(pattern, path):
    # Patterns with many wildcards use a backtracking-free matcher; both must say the same.
    tokens, _kind = _tokenize(pattern)
    if tokens is None:
        return
    regex = re.compile("".join(_token_regex(token) for token in tokens) + r"\Z")
    assert _run_tokens(tokens, path) == (regex.match(path) is not None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab*?[]!^-\\/. #", max_size=12), max_size=6),
       st.text(alphabet="ab/.", max_size=20))
def test_fuzzed_patterns_never_raise(lines, path):
    ignore = parse_dockerignore("\n".join(lines), ".dockerignore")
    result = IgnoreMatcher(ignore).is_excluded(path)
    assert isinstance(result, bool)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the awesome-compose corpus is not at {CORPUS}")
def test_corpus_dockerignore_files():
    files = sorted(CORPUS.rglob(".dockerignore"))
    assert len(files) == 7
    for path in files:
        ignore = parse_dockerignore(path.read_text(encoding="utf-8"), str(path))
        compiled = IgnoreMatcher(ignore)
        assert ignore.patterns, path
        for pattern in ignore.patterns:
            # Every literal entry excludes itself and what is below it; sources stay in the context.
            literal = pattern.pattern.replace("**/", "")
            assert compiled.is_excluded(literal) and compiled.is_excluded(f"{literal}/x"), (path, pattern)
        assert not compiled.is_excluded("src/index.js"), path
    react_nginx = IgnoreMatcher(parse_dockerignore((CORPUS / "react-nginx" / ".dockerignore").read_text(), "x"))
    assert react_nginx.is_excluded("packages/web/node_modules/react/index.js")
    assert not react_nginx.is_excluded("packages/web/build/index.html")  # `build` is anchored at the root
