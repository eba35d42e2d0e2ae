"""``record``: ``dataclasses.dataclass`` with its methods generated in one step.

The model is made of frozen dataclasses, ~110 classes. CPython's ``dataclass`` compiles each
generated method (``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``,
``__delattr__`` …) with a separate ``exec``: ~1.2 ms per class on a 2-core machine, ~45% of
linting a lone Dockerfile (measured; see README, Performance). ``record`` lets ``dataclass``
collect the fields (so ``dataclasses.fields``, ``replace``, ``is_dataclass`` and ``asdict``
work unchanged) without generating any method, then makes only ``__init__`` (the rest is
shared code), and that on the class's first instantiation: about a sixth of the cost. Its code
comes compiled ahead from composelint/record_inits.py (generated; Python caches its bytecode as
any module's), which takes a small repository's ~120 compilations (~20 ms) off every run.

It takes the ``dataclass`` arguments the code base uses (``frozen``, ``slots``, ``eq``,
``order``; same defaults) and keeps their meaning: ``field(default=…, default_factory=…,
repr=…, compare=…, hash=…)``, value equality between instances of the same class, a hash of
the compared fields for a frozen class (none for a mutable one with ``eq``), assignment on a
frozen instance raising ``dataclasses.FrozenInstanceError``, pickling of frozen slotted
instances, ``__post_init__``. Not supported (and not used here): inheritance between records,
``InitVar``, ``kw_only``, ``field(init=False)``; ``record`` refuses a class that needs them.
"""

from __future__ import annotations

import dataclasses
import operator
import sys
from types import CodeType, FunctionType, MemberDescriptorType
from typing import TYPE_CHECKING, Callable, TypeVar, overload

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
elif TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # Python 3.10 at run time: the marker only informs type checkers, which take the branch above
    def dataclass_transform(**_kwargs):
        return lambda decorator: decorator

_MISSING = dataclasses.MISSING
_T = TypeVar("_T")


@overload
def record(cls: type[_T], /) -> type[_T]: ...


@overload
def record(*, frozen: bool = False, slots: bool = False, eq: bool = True,
           order: bool = False) -> Callable[[type[_T]], type[_T]]: ...


# Type checkers then see each record's constructor, equality and ordering as they do a dataclass's.
@dataclass_transform(eq_default=True, order_default=False, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls=None, /, *, frozen: bool = False, slots: bool = False, eq: bool = True, order: bool = False):
    """Decorate like ``@dataclass``/``@dataclass(frozen=True, slots=True)``."""
    def wrap(cls):
        return _build(cls, frozen=frozen, slots=slots, eq=eq, order=order)

    return wrap if cls is None else wrap(cls)


def _build(cls, *, frozen: bool, slots: bool, eq: bool, order: bool):
    if any(dataclasses.is_dataclass(base) for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: record does not support inheriting fields")
    if not cls.__dict__.get("__doc__"):
        # dataclass would build this text with inspect.signature, which costs more than the class
        cls.__doc__ = f"{cls.__name__}({', '.join(cls.__dict__.get('__annotations__', {}))})"
    fields = _fields_of(cls)
    if slots:
        cls = _slotted(cls, fields)
    else:
        for item in fields:  # class attributes hold plain defaults, as dataclass leaves them
            if isinstance(cls.__dict__.get(item.name), dataclasses.Field):
                if item.default is _MISSING:
                    delattr(cls, item.name)
                else:
                    setattr(cls, item.name, item.default)
    # What dataclasses.fields, replace, asdict and is_dataclass read.
    cls.__dataclass_fields__ = {item.name: item for item in fields}
    namespace = _methods(cls, fields, frozen=frozen, eq=eq, order=order, slots=slots)
    for name, function in namespace.items():
        setattr(cls, name, function)
    if eq and not frozen:
        cls.__hash__ = None  # a mutable value is not hashable, as with dataclass(eq=True)
    cls.__match_args__ = tuple(item.name for item in fields)
    return cls


def _fields_of(cls) -> tuple[dataclasses.Field, ...]:
    """The fields as ``dataclass`` collects them: annotations in order, defaults from the class body.

    Done here rather than by ``dataclass(init=False, …)``, which costs ~0.15 ms per class (it
    matches every string annotation against ClassVar/InitVar patterns and, for slots, builds the
    class twice).
    """
    fields = []
    seen_default = False
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        if text.split("[", 1)[0].rsplit(".", 1)[-1] in ("ClassVar", "InitVar"):
            raise TypeError(f"{cls.__name__}.{name}: record does not support ClassVar or InitVar annotations")
        value = cls.__dict__.get(name, _MISSING)
        item = value if isinstance(value, dataclasses.Field) else dataclasses.field(default=value)
        if not item.init or item.kw_only is True:
            raise TypeError(f"{cls.__name__}.{name}: record supports plain init fields only")
        if item.default is not _MISSING and item.default.__class__.__hash__ is None:
            raise ValueError(f"mutable default {type(item.default)} for field {name} is not allowed: "
                             f"use default_factory")
        has_default = item.default is not _MISSING or item.default_factory is not _MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
        seen_default = seen_default or has_default
        item.name, item.type, item._field_type = name, annotation, dataclasses._FIELD
        fields.append(item)
    return tuple(fields)


def _slotted(cls, fields):
    """The class rebuilt with ``__slots__`` for its fields, as ``dataclass(slots=True)`` does."""
    body = dict(cls.__dict__)
    for item in fields:
        body.pop(item.name, None)
    body.pop("__dict__", None)
    body.pop("__weakref__", None)
    body["__slots__"] = tuple(item.name for item in fields)
    slotted = type(cls)(cls.__name__, cls.__bases__, body)
    slotted.__qualname__ = cls.__qualname__
    return slotted


def _methods(cls, fields, *, frozen: bool, eq: bool, order: bool, slots: bool) -> dict:
    """The methods: ``__init__`` compiled (it runs for every node of the model), the rest shared code."""
    names = tuple(item.name for item in fields)
    methods = {"__init__": _compiled_on_first_call(cls, fields, frozen, post_init=hasattr(cls, "__post_init__"))}
    shown = tuple(item.name for item in fields if item.repr)

    def __repr__(self):
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inner})"

    methods["__repr__"] = __repr__
    key = _getter(tuple(item.name for item in fields if item.compare))
    if eq:
        def __eq__(self, other):
            if other.__class__ is self.__class__:
                return key(self) == key(other)
            return NotImplemented

        methods["__eq__"] = __eq__
    if order:
        for method, compare in (("__lt__", operator.lt), ("__le__", operator.le),
                                ("__gt__", operator.gt), ("__ge__", operator.ge)):
            methods[method] = _ordering(key, compare)
    if frozen:
        if eq:
            hashed = _getter(tuple(item.name for item in fields
                                   if (item.compare if item.hash is None else item.hash)))

            def __hash__(self):
                return hash(hashed(self))

            methods["__hash__"] = __hash__
        methods["__setattr__"] = _frozen_setattr
        methods["__delattr__"] = _frozen_delattr
        if slots:  # pickle and copy restore slots through setattr, which a frozen instance refuses
            every = _getter(names)

            def __getstate__(self):
                return list(every(self))

            def __setstate__(self, state):
                for name, value in zip(names, state):
                    object.__setattr__(self, name, value)

            methods["__getstate__"] = __getstate__
            methods["__setstate__"] = __setstate__
    return methods


def _compiled_on_first_call(cls, fields, frozen: bool, post_init: bool):
    """An ``__init__`` that makes the real one, installs it on the class, and delegates.

    A run creates instances of only some of the ~150 classes (a lone Dockerfile: about half), so
    the others never pay for theirs.
    """
    def __init__(self, *args, **kwargs):
        compiled = _init(cls, fields, frozen, post_init)
        cls.__init__ = compiled
        compiled(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _init(cls, fields, frozen: bool, post_init: bool):
    """The real ``__init__``: the code of :func:`init_source`'s text (compiled ahead in
    composelint/record_inits.py, else here) with this class's defaults, factories and setters."""
    # A frozen slotted class sets each field through its slot's own setter: a third faster than
    # object.__setattr__, which looks the name up on the class first (the model has millions of nodes).
    slot_setters = {item.name: slot.__set__ for item in fields
                    if frozen and isinstance(slot := cls.__dict__.get(item.name), MemberDescriptorType)}
    source = _init_source(fields, frozen, post_init, slot_setters)
    namespace = {"__MISSING": _MISSING, "__set": object.__setattr__,
                 "__factories": {item.name: item.default_factory for item in fields
                                 if item.default_factory is not _MISSING}}
    namespace.update((f"__slot{index}", slot_setters[item.name]) for index, item in enumerate(fields)
                     if item.name in slot_setters)
    ahead = _precompiled().get(source)
    if ahead is None:  # a record whose fields changed since composelint/record_inits.py was generated
        code = next(value for value in compile(source, "<record>", "exec").co_consts if isinstance(value, CodeType))
    else:
        code = ahead.__code__
    names = {"co_name": "__init__"}
    if sys.version_info >= (3, 11):
        names["co_qualname"] = f"{cls.__qualname__}.__init__"
    defaults = tuple(item.default for item in fields
                     if item.default is not _MISSING or item.default_factory is not _MISSING)
    compiled = FunctionType(code.replace(**names), namespace, "__init__", defaults or None)
    compiled.__qualname__ = f"{cls.__qualname__}.__init__"
    return compiled


def _init_source(fields, frozen: bool, post_init: bool, slot_setters) -> str:
    """The ``__init__`` of a record with these fields, as one line of Python: a function of the field
    names and kinds alone. Its globals (bound per class by _init): ``__set`` (object.__setattr__),
    ``__slotN`` (field N's slot setter), ``__factories`` (default factories by name) and ``__MISSING``,
    the default of a field with a factory; a plain default is the parameter's own."""
    parameters, body = [], []
    for index, item in enumerate(fields):
        name = item.name
        factory = item.default_factory is not _MISSING
        parameters.append(f"{name}=__MISSING" if item.default is not _MISSING or factory else name)
        value = f"__factories[{name!r}]() if {name} is __MISSING else {name}" if factory else name
        if name in slot_setters:
            body.append(f"__slot{index}(self, {value})")
        else:
            body.append(f"__set(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    if post_init:
        body.append("self.__post_init__()")
    return f"def __init__({', '.join(['self', *parameters])}): {'; '.join(body) or 'pass'}"


def _precompiled() -> dict:
    """Compiled ``__init__`` functions by their :func:`init_source` text (composelint/record_inits.py):
    compiling one costs ~0.1-0.25 ms, ~120 of them ~20 ms of a run over a small repository, where
    Python loads the generated module's cached bytecode in about a millisecond."""
    try:
        from composelint.record_inits import AHEAD
    except ImportError:  # pragma: no cover - not generated (yet): each record compiles its own
        return {}
    return AHEAD


def init_source(cls) -> str:
    """The :func:`_init_source` text of a record class (``python -m composelint.dev record-inits``)."""
    fields = tuple(cls.__dataclass_fields__.values())
    frozen = cls.__setattr__ is _frozen_setattr
    slot_setters = {item.name: None for item in fields
                    if frozen and isinstance(cls.__dict__.get(item.name), MemberDescriptorType)}
    return _init_source(fields, frozen, hasattr(cls, "__post_init__"), slot_setters)


def is_record(cls) -> bool:
    """Whether ``cls`` was made by :func:`record`."""
    return isinstance(cls, type) and "__dataclass_fields__" in cls.__dict__ and \
        getattr(cls.__dict__.get("__repr__"), "__module__", None) == __name__


def _getter(names: tuple[str, ...]):
    """A function returning the tuple of those attributes (C-speed through operator.attrgetter)."""
    if not names:
        return lambda self: ()
    if len(names) == 1:
        single = operator.attrgetter(names[0])
        return lambda self: (single(self),)
    return operator.attrgetter(*names)


def _ordering(key, compare):
    def method(self, other):
        if other.__class__ is self.__class__:
            return compare(key(self), key(other))
        return NotImplemented

    return method


def _frozen_setattr(self, name, value):
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self, name):
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
