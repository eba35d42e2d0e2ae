"""``record`` behaves as ``dataclasses.dataclass`` does for the forms the code base uses."""

from __future__ import annotations

import copy
import dataclasses
import pickle
import sys

import pytest

from composelint.diagnostics import Diagnostic, Position, Severity, Span
from composelint.records import record


@record(frozen=True, slots=True)
class Point:
    x: int
    y: int = 0
    tags: tuple = ()
    notes: list = dataclasses.field(default_factory=list, compare=False, repr=False)


@record(frozen=True, slots=True, order=True)
class Version:
    major: int
    minor: int


@record(frozen=True, slots=True, eq=False)
class Handle:
    name: str


@record
class Builder:
    items: list = dataclasses.field(default_factory=list)
    count: int = 0


@record(frozen=True)
class Checked:
    value: int

    def __post_init__(self):
        if self.value < 0:
            raise ValueError("negative")


def twin(**arguments):
    """The same class made by dataclasses.dataclass, to compare against."""
    @dataclasses.dataclass(**arguments)
    class Point:
        x: int
        y: int = 0
        tags: tuple = ()
        notes: list = dataclasses.field(default_factory=list, compare=False, repr=False)

    return Point


def test_construction_defaults_factories_and_repr_match_dataclass():
    reference = twin(frozen=True, slots=True)
    for args, kwargs in (((1,), {}), ((1, 2), {"tags": ("a",)}), ((), {"x": 3, "notes": ["n"]})):
        ours, theirs = Point(*args, **kwargs), reference(*args, **kwargs)
        assert repr(ours) == repr(theirs).replace("twin.<locals>.", "")
        assert [getattr(ours, f.name) for f in dataclasses.fields(ours)] == \
               [getattr(theirs, f.name) for f in dataclasses.fields(theirs)]
    assert Point(1).notes is not Point(1).notes  # a fresh list per instance
    with pytest.raises(TypeError):
        Point()  # x is required
    assert Point.__match_args__ == ("x", "y", "tags", "notes")


def test_equality_and_hash_use_the_compared_fields_only():
    assert Point(1, 2, notes=["a"]) == Point(1, 2, notes=["b"])
    assert hash(Point(1, 2, notes=["a"])) == hash(Point(1, 2, notes=["b"]))
    assert Point(1, 2) != Point(2, 1)
    assert Point(1) != (1, 0, ())  # another class: not equal, no error
    assert len({Point(1), Point(1), Point(2)}) == 2


def test_frozen_instances_refuse_assignment_like_dataclass():
    point = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.x
    assert point.x == 1


def test_dataclasses_helpers_see_a_dataclass():
    point = Point(1, 2, ("t",))
    assert dataclasses.is_dataclass(point) and dataclasses.is_dataclass(Point)
    assert dataclasses.replace(point, y=5) == Point(1, 5, ("t",))
    assert dataclasses.asdict(point) == {"x": 1, "y": 2, "tags": ("t",), "notes": []}


def test_pickle_and_copy_round_trip_frozen_slotted_instances():
    point = Point(1, 2, ("t",), ["n"])
    for again in (pickle.loads(pickle.dumps(point)), copy.copy(point), copy.deepcopy(point)):
        assert again == point and again.notes == ["n"]
    span = Span("compose.yaml", Position(3, 5), Position(3, 9))
    diagnostic = Diagnostic("CL201", "runtime-install", Severity.ERROR, "message", span, "help")
    assert pickle.loads(pickle.dumps(diagnostic)) == diagnostic


def test_order_compares_fields_as_a_tuple():
    assert Version(1, 2) < Version(1, 10) <= Version(1, 10) < Version(2, 0)
    assert sorted([Version(2, 0), Version(1, 5)]) == [Version(1, 5), Version(2, 0)]
    with pytest.raises(TypeError):
        Version(1, 0) < (1, 0)


def test_eq_false_keeps_identity_and_mutable_records_are_unhashable():
    assert Handle("a") != Handle("a") and len({Handle("a"), Handle("a")}) == 2
    builder = Builder()
    builder.items.append(1)
    builder.count += 1
    assert builder == Builder([1], 1)
    with pytest.raises(TypeError):
        hash(builder)


def test_post_init_runs_after_the_fields_are_set():
    assert Checked(1).value == 1
    with pytest.raises(ValueError, match="negative"):
        Checked(-1)


def test_inheriting_fields_is_refused():
    with pytest.raises(TypeError, match="inheriting"):
        @record(frozen=True)
        class Child(Checked):
            extra: int = 0


def test_init_is_compiled_on_first_instantiation_and_then_installed():
    @record(frozen=True, slots=True)
    class Lazy:
        a: int
        b: str = "x"

    placeholder = Lazy.__init__
    first = Lazy(1)
    assert Lazy.__init__ is not placeholder  # the compiled one replaced it
    assert (first.a, first.b) == (1, "x")
    assert Lazy(2, b="y") == Lazy(a=2, b="y")
    with pytest.raises(TypeError):
        Lazy()  # a missing argument fails as dataclass's __init__ does


def test_a_bad_first_call_still_installs_a_working_init():
    @record(frozen=True, slots=True)
    class Lazy:
        a: int

    with pytest.raises(TypeError):
        Lazy(1, 2)
    assert Lazy(3).a == 3


@pytest.mark.parametrize("decorate", [dataclasses.dataclass(frozen=True, slots=True), record(frozen=True, slots=True)],
                         ids=["dataclass", "record"])
def test_field_order_and_mutable_defaults_are_refused_as_dataclass_refuses_them(decorate):
    with pytest.raises(TypeError, match="non-default argument"):
        decorate(type("Bad", (), {"__annotations__": {"a": "int", "b": "int"}, "a": 1}))
    with pytest.raises(ValueError, match="mutable default"):
        decorate(type("Bad", (), {"__annotations__": {"a": "list"}, "a": []}))


def test_a_mutable_record_keeps_plain_defaults_as_class_attributes_like_dataclass():
    assert Builder.count == 0 and "items" not in Builder.__dict__
    assert [f.name for f in dataclasses.fields(Builder)] == ["items", "count"]
    assert dataclasses.asdict(Builder()) == {"items": [], "count": 0}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="typing.dataclass_transform is new in Python 3.11; "
                    "on 3.10 the marker is a no-op at run time and type checkers read typing_extensions")
def test_type_checkers_are_told_record_makes_dataclasses():
    """PEP 681: with the marker, mypy and pyright see each record's constructor (`P(1, "b")` type-checks)."""
    marker = record.__dataclass_transform__
    assert marker["eq_default"] is True and marker["order_default"] is False
    assert dataclasses.field in marker["field_specifiers"]


def test_the_inits_compiled_ahead_are_current():
    from pathlib import Path

    from composelint import dev, record_inits

    sources, skipped = dev.record_init_sources()
    assert sources - set(record_inits.AHEAD) == set(), \
        "composelint/record_inits.py is stale: run `python -m composelint.dev record-inits`"
    if not skipped:  # with every extra installed, exactly what the generator writes (no leftover entry)
        path = Path(dev.__file__).with_name("record_inits.py")
        assert path.read_text(encoding="utf-8") == dev.record_inits_text()


def test_a_model_record_runs_its_init_compiled_ahead_and_others_compile_their_own():
    Position(3, 4)
    assert Position.__init__.__code__.co_filename.endswith("record_inits.py")
    assert Position.__init__.__qualname__ == "Position.__init__"
    assert Position.__init__.__code__.co_name == "__init__"

    @record(frozen=True, slots=True)
    class Local:
        one_field_no_module_has: int
        listed: list = dataclasses.field(default_factory=list)
        named: str = "x"

    first, second = Local(1), Local(2, [3])
    assert Local.__init__.__code__.co_filename == "<record>"
    assert (first.listed, first.named, second.listed) == ([], "x", [3])
    assert first.listed is not Local(1).listed
