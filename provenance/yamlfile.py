"""YAML input files (column mappings, reference data, reference lists, country aliases): read
safely and checked against a declarative schema, with every problem reported at once.

Each kind of file has a schema: pydantic models (subclasses of :class:`Schema`) whose fields say
which keys the file may have and what each holds. Unknown keys are errors, so that a typo is
heard about rather than ignored. :func:`check_file` reads a file with ``yaml.safe_load`` and
validates it as a whole: callers check a file before they write any of it to a database.

A :class:`Problem` names the key path where it was found, written as in the file: list items
counted from 1 (``split[2].pattern``), keys that are not plain words in brackets
(``sheets['Table A1'].constants.specimen``), and says what was expected.

Every YAML file is small and written by hand, so its limits are fixed: ``MAX_BYTES`` of text,
``MAX_DEPTH`` levels of nesting and ``MAX_VALUES`` values once aliases are expanded (a "billion
laughs" of nested aliases is refused before anything is built from it); no value may hold a NUL
character; the values shown in messages are shortened.

Checks that compare entries (a target filled twice, a membership listed twice) only run in a
pydantic validator once everything they compare is valid. So that such problems are reported
together with the others, :func:`check` validates again without the parts already found bad
("pruned"), keeping only the new problems that lie outside those parts.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError
from yaml.nodes import MappingNode, Node, SequenceNode

from provenance.errors import shorten

KeyPath = tuple[str | int, ...]
S = TypeVar("S", bound="Schema")

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: The longest YAML input, in bytes (the shipped ones are a few kilobytes).
MAX_BYTES = 1 << 20
#: The deepest nesting of lists and mappings in a YAML input.
MAX_DEPTH = 50
#: The most values (scalars, lists and mappings) a YAML input may hold once every alias is
#: expanded where it is used.
MAX_VALUES = 100_000
#: Validating again without the bad parts ends after this many rounds (it ends sooner: each
#: round leaves out more of the file).
_MAX_ROUNDS = 20


class Schema(BaseModel):
    """The base of every file schema: unknown keys are refused and checked values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def key_path(path: Iterable[str | int]) -> str:
    """``('split', 1, 'pattern')`` -> ``split[2].pattern``: items counted from 1, keys that are
    not plain words in brackets (``sheets['Table A1']``)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif _WORD.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out


@dataclass(frozen=True)
class Problem:
    """One problem in a file: where (a key path, empty for the whole file), what was expected,
    and the value found when the message does not show it."""

    path: KeyPath
    message: str
    value: str = ""

    @property
    def where(self) -> str:
        return key_path(self.path)

    def __str__(self) -> str:
        text = f"{shorten(self.where)}: {self.message}" if self.path else self.message
        text = shorten(text, 1000)
        return f"{text} (got {shorten(self.value)!r})" if self.value else text


# Raising problems from validators --------------------------------------------------------------


def invalid(message: str, value: object = None) -> PydanticCustomError:
    """The error a validator raises for a bad value; ``value`` is shown after the message
    (leave it out when the message shows the value itself)."""
    return PydanticCustomError("invalid", message, {"got": value})


class Conflicts:
    """Problems that a validator of a whole entry finds in its parts (a column filled twice, a
    membership listed twice), each at its path below the entry; :meth:`raise_any` raises them
    as one pydantic error that :func:`check` expands again."""

    def __init__(self) -> None:
        self.found: list[tuple[KeyPath, str, object]] = []

    def add(self, path: KeyPath, message: str, value: object = None) -> None:
        self.found.append((path, message, value))

    def raise_any(self) -> None:
        if self.found:
            raise PydanticCustomError("conflict", "conflicts", {"problems": list(self.found)})


def context_value(info: ValidationInfo, name: str) -> Any:
    """What the caller of :func:`check` gave the validators (a country resolver ...)."""
    context = info.context
    if not isinstance(context, Mapping) or name not in context:
        raise TypeError(f"this schema is checked with {name!r} in its validation context")
    return context[name]


def _empty(empty: Callable[[], object]) -> BeforeValidator:
    return BeforeValidator(lambda value: empty() if value is None else value)


#: A list or mapping that may be written as null (``key: ~``, or the key with nothing after it).
NoneAsList = _empty(list)
NoneAsDict = _empty(dict)


def scalar_text(value: object) -> str | None:
    """A YAML scalar as text (``2024`` and ``2024-06-01`` read as a number and a date are
    text again); None for anything else. true/false are refused: YAML reads a bare yes, no, on
    or off as one of them."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float) or hasattr(value, "isoformat"):
        return str(value)
    return None


def yaml_bool_hint(value: object) -> str:
    """What to say about a true/false that YAML made of a bare word."""
    return (
        f"expected text, got {str(value).lower()}: YAML reads a bare yes, no, on or off as "
        "true/false, write the text in quotes"
    )


# Checking ------------------------------------------------------------------------------------


def check(
    schema: type[S], data: Any, context: Mapping[str, Any] | None = None
) -> tuple[S | None, list[Problem]]:
    """``data`` (parsed YAML) checked against ``schema``: the checked object, or None and every
    problem found, in the order of the file."""
    found: dict[tuple[KeyPath, str], tuple[KeyPath, Problem]] = {}
    pruned: set[KeyPath] = set()
    for _ in range(_MAX_ROUNDS):
        try:
            checked = schema.model_validate(_without(data, pruned), context=dict(context or {}))
        except ValidationError as exc:
            errors = exc.errors()
        else:
            if not pruned:
                return checked, []
            break
        targets: set[KeyPath] = set()
        for error in errors:
            for loc, message, value, of_parent in _problems(schema, error):
                where = _original(data, loc, pruned)
                problem = Problem(where[:-1] if of_parent else where, message, value)
                if not pruned or not any(_related(problem.path, p) for p in pruned):
                    found.setdefault((problem.path, message), (where, problem))
            targets.add(_prune_target(data, _original(data, error["loc"], pruned), pruned))
        targets -= pruned | {()}
        if not targets:
            break
        pruned |= targets
    ordered = sorted(found.values(), key=lambda item: _document_order(data, item[0]))
    return None, [problem for _, problem in ordered]


def check_file(
    path: Path, schema: type[S], context: Mapping[str, Any] | None = None, what: str = "file"
) -> tuple[S | None, list[Problem]]:
    """Read ``path`` (UTF-8, with or without a byte-order mark) safely (``yaml.SafeLoader``,
    within the limits above) and check it; an empty file is an empty mapping. ``what`` names the
    file in read errors."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return None, [Problem((), f"the {what} is larger than {MAX_BYTES:,} bytes, the limit")]
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return None, [Problem((), f"cannot read the {what} ({exc.strerror})")]
    except UnicodeDecodeError:
        return None, [Problem((), f"the {what} is not UTF-8 text")]
    try:
        data = _load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        detail = getattr(exc, "problem", None) or " ".join(str(exc).split())
        return None, [Problem((), f"{where}not valid YAML ({shorten(detail)})")]
    except ValueError as exc:  # a date that is not one: 2024-13-01 unquoted
        return None, [
            Problem((), f"not valid YAML ({exc}): write dates in quotes, e.g. '2024-02-23'")
        ]
    nul = [Problem(p, "holds a NUL character (U+0000): remove it") for p in _nul_paths(data)]
    if nul:
        return None, nul
    return check(schema, {} if data is None else data, context)


class _Bounded(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nesting deeper than ``MAX_DEPTH`` as it composes."""

    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise yaml.YAMLError(
                    f"line {event.start_mark.line + 1}: lists and mappings nested "
                    f"more than {MAX_DEPTH} levels deep, the limit"
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _load(text: str) -> Any:
    """The data of a YAML text, once its size with every alias expanded is known to be within
    ``MAX_VALUES`` (composing shares an aliased node; building data and checking it do not)."""
    loader = _Bounded(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded(node, {}) > MAX_VALUES:
            raise yaml.YAMLError(
                f"with its aliases (*name) expanded it holds more than {MAX_VALUES:,} values, "
                "the limit: write the values out, or use fewer aliases"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded(node: Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` stands for, every alias counted where it is used (each node
    counted once and remembered, so this is quick however large the result)."""
    found = sizes.get(id(node))
    if found is not None:
        if found < 0:
            raise yaml.YAMLError("an alias refers to a list or mapping that holds it")
        return found
    sizes[id(node)] = -1  # being counted
    if isinstance(node, SequenceNode):
        size = 1 + sum(_expanded(item, sizes) for item in node.value)
    elif isinstance(node, MappingNode):
        size = 1 + sum(_expanded(k, sizes) + _expanded(v, sizes) for k, v in node.value)
    else:
        size = 1
    sizes[id(node)] = size
    return size


def _nul_paths(data: Any, at: KeyPath = ()) -> Iterable[KeyPath]:
    """The key paths of the values (and keys) that hold a NUL character."""
    if isinstance(data, str):
        if "\x00" in data:
            yield at
    elif isinstance(data, Mapping):
        for key, value in data.items():
            path = (*at, str(key))
            if isinstance(key, str) and "\x00" in key:
                yield path
            yield from _nul_paths(value, path)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from _nul_paths(item, (*at, index))


# Turning pydantic's errors into problems ------------------------------------------------------

_TYPE_MESSAGES = {
    "missing": "required, but missing",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "string_type": "expected text",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
}
_TYPE_ERRORS = {"list_type", "dict_type", "model_type", "model_attributes_type", "string_type"}


def _problems(
    schema: type[Schema], error: ErrorDetails
) -> list[tuple[tuple[str | int, ...], str, str, bool]]:
    """The problems a pydantic error stands for: (location, message, value shown, whether the
    problem is the location's parent's: an unknown key is a problem of the mapping it is in)."""
    kind, loc = error["type"], tuple(error["loc"])
    ctx = error.get("ctx") or {}
    if kind == "conflict":
        return [((*loc, *sub), text, _shown(value), False) for sub, text, value in ctx["problems"]]
    if kind == "invalid":
        return [(loc, error["msg"], _shown(ctx.get("got")), False)]
    if kind == "extra_forbidden":
        known = _known_keys(schema, loc[:-1])
        key = str(loc[-1])
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (closest: {close[0]})" if close else ""
        return [(loc, f"unknown key {key!r}{hint}; known keys: {', '.join(known)}", "", True)]
    field = _field_at(schema, loc)
    if kind in _TYPE_ERRORS and field is not None and field.description:
        return [(loc, f"expected {field.description}", "", False)]
    if kind == "model_type":
        keys = ", ".join(_known_keys(schema, loc)[:4])
        return [(loc, f"expected a mapping with keys such as {keys}", "", False)]
    shown = "" if kind == "missing" else _shown(error["input"])
    return [(loc, _TYPE_MESSAGES.get(kind, error["msg"]), shown, False)]


def _shown(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    text = scalar_text(value)
    return text if text is not None else ""


def _unwrap(annotation: Any) -> Any:
    """The type inside Annotated[...] and X | None."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _fields(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the key the file uses (the alias where there is one)."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _type_at(schema: type[BaseModel], loc: Sequence[str | int]) -> tuple[Any, FieldInfo | None]:
    """The declared type at ``loc`` below ``schema``, and the field it is the value of."""
    node: Any = schema
    field: FieldInfo | None = None
    for part in loc:
        if part == "[key]":
            return None, None
        node = _unwrap(node)
        origin = get_origin(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = _fields(node).get(str(part))
            if field is None:
                return None, None
            node = field.annotation
        elif origin in (list, tuple, Sequence):
            node, field = get_args(node)[0], None
        elif origin in (dict, Mapping):
            node, field = get_args(node)[1], None
        else:
            return None, None
    return _unwrap(node), field


def _field_at(schema: type[BaseModel], loc: Sequence[str | int]) -> FieldInfo | None:
    return _type_at(schema, loc)[1]


def _known_keys(schema: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    node, _ = _type_at(schema, loc)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return sorted(_fields(node))
    return []


# Paths in the file, and the file without its bad parts ----------------------------------------


def _key_in(node: Mapping[Any, Any], part: str | int) -> Any:
    """The key of ``node`` that pydantic's ``part`` stands for (YAML keys need not be text;
    pydantic gives a key false as 0)."""
    return next((k for k in node if k == part or str(k) == str(part)), _MISSING)


_MISSING = object()


def _walk(data: Any, loc: Sequence[str | int], pruned: set[KeyPath]) -> tuple[KeyPath, int]:
    """``loc`` (of a round that left out ``pruned``) as a path in the file as written, and how
    many of its parts exist in the file (list items that a schema made of a bare value, keys of
    a model that were not given, do not)."""
    out: list[str | int] = []
    node, depth = data, 0
    for part in loc:
        if part == "[key]":
            continue
        if node is not _MISSING and isinstance(node, list) and isinstance(part, int):
            kept = [i for i in range(len(node)) if (*out, i) not in pruned]
            index = kept[part] if part < len(kept) else part
            out.append(index)
            node = node[index] if index < len(node) else _MISSING
        elif node is not _MISSING and isinstance(node, Mapping):
            key = _key_in(node, part)
            # Keys as text (a path tells keys from list items by their type), as written: a
            # key that YAML read as false is False, not pydantic's 0.
            out.append(str(part if key is _MISSING else key))
            node = _MISSING if key is _MISSING else node[key]
        else:
            out.append(part)
            node = _MISSING
        if node is not _MISSING:
            depth = len(out)
    return tuple(out), depth


def _original(data: Any, loc: Sequence[str | int], pruned: set[KeyPath]) -> KeyPath:
    return _walk(data, loc, pruned)[0]


def _prune_target(data: Any, path: KeyPath, pruned: set[KeyPath]) -> KeyPath:
    """What to leave out so that a problem at ``path`` is gone: the deepest part of the path
    that the file has, or (when that is already left out: a required key) the entry above."""
    _, depth = _walk(data, path, set())
    target = path[:depth]
    while target and target in pruned:
        target = target[:-1]
    return target


def _related(path: KeyPath, other: KeyPath) -> bool:
    """Whether one path lies within the other (or they are the same)."""
    shorter = min(len(path), len(other))
    return path[:shorter] == other[:shorter]


def _without(data: Any, pruned: set[KeyPath], at: KeyPath = ()) -> Any:
    """A copy of ``data`` without the parts at the ``pruned`` paths."""
    if not pruned:
        return data
    if isinstance(data, Mapping):
        return {
            k: _without(v, pruned, (*at, str(k)))
            for k, v in data.items()
            if (*at, str(k)) not in pruned
        }
    if isinstance(data, list):
        return [_without(v, pruned, (*at, i)) for i, v in enumerate(data) if (*at, i) not in pruned]
    return data


def _document_order(data: Any, path: KeyPath) -> tuple[int, ...]:
    """Where ``path`` is in the file: problems are listed in the order of the file."""
    out: list[int] = []
    node = data
    for part in path:
        if isinstance(node, list) and isinstance(part, int):
            out.append(part)
            node = node[part] if part < len(node) else None
        elif isinstance(node, Mapping):
            keys = [str(k) for k in node]
            position = keys.index(str(part)) if str(part) in keys else len(keys)
            out.append(position)
            key = _key_in(node, part)
            node = None if key is _MISSING else node[key]
        else:
            out.append(0)
            node = None
    return tuple(out)
