"""The one grammar of parameter types: a type read once, and the form field it asks for.

Every front door (the CLI, the REST API, the ipywidgets form, the Lab form) works from
what this module reads; none of them takes a type string apart again.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..models import Parameter, ParameterSet

__all__ = [
    "ANY",
    "Annotation",
    "Kind",
    "ParameterField",
    "ParameterType",
    "UnsupportedAnnotationError",
    "describe",
    "infer_type",
    "parameter_set_with_fields",
    "parse_type",
    "read_annotation",
    "read_type_comment",
]

Kind = Literal["integer", "number", "boolean", "text", "list", "dict", "json"]
"""What a value is: a whole number, a number, true or false, text, a list, a dict with
string keys, or any JSON value."""


@dataclass(frozen=True)
class ParameterType:
    """A parameter type, read once.

    Its text (``str(type)``) is the normalised type expression a `Parameter` carries:
    ``int``, ``float``, ``bool``, ``str``, ``list``, ``list[T]``, ``dict``,
    ``dict[str, T]``, ``any``, and ``T | None`` for a value that may also be None.

    Parameters
    ----------
    kind : Kind
        ``integer``, ``number`` (an int is accepted and becomes a float), ``boolean``,
        ``text``, ``list``, ``dict`` or ``json`` (``any``: every JSON value).
    nullable : bool
        Whether None is a value too; always true for ``json``.
    item : ParameterType or None
        The type of each element of a list or each value of a dict (`ANY` when the
        annotation does not say); None for the other kinds.
    """

    kind: Kind
    nullable: bool = False
    item: ParameterType | None = None

    def __str__(self) -> str:
        if self.kind == "json":
            return "any"
        base = _TYPE_NAMES[self.kind]
        if self.item is not None and self.item != ANY:
            base += f"[str, {self.item}]" if self.kind == "dict" else f"[{self.item}]"
        return f"{base} | None" if self.nullable else base

    def or_none(self) -> ParameterType:
        """The same type, with None allowed."""
        return dataclasses.replace(self, nullable=True)

    def to_dict(self) -> dict[str, Any]:
        """``{kind, nullable, item}``, ``item`` described the same way or None."""
        return dataclasses.asdict(self)


_TYPE_NAMES = {
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "text": "str",
    "list": "list",
    "dict": "dict",
}
ANY = ParameterType("json", nullable=True)
"""``any``: every JSON value, None included."""
_INTEGER = ParameterType("integer")
_NUMBER = ParameterType("number")
_BOOLEAN = ParameterType("boolean")
_TEXT = ParameterType("text")
_LIST = ParameterType("list", item=ANY)
_DICT = ParameterType("dict", item=ANY)
# The names an annotation may use; `Literal`, `Optional` and `Union` are read apart.
_ANNOTATION_NAMES: Mapping[str, ParameterType] = {
    "int": _INTEGER,
    "float": _NUMBER,
    "bool": _BOOLEAN,
    "str": _TEXT,
    "list": _LIST,
    "List": _LIST,
    "dict": _DICT,
    "Dict": _DICT,
    "Any": ANY,
}


@dataclass(frozen=True)
class Annotation:
    """A parameter type read from an annotation or a type comment, and a Literal's choices."""

    type: ParameterType
    choices: list[Any] | None = None


class UnsupportedAnnotationError(Exception):
    """An annotation that does not name a JSON-representable parameter type."""


@dataclass(frozen=True)
class _Reader:
    """Reads the syntax tree of a type expression; ``names`` are the plain names it knows."""

    names: Mapping[str, ParameterType]

    def read(self, node: ast.expr) -> Annotation:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return self.read(ast.parse(node.value, mode="eval").body)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return self._union([node.left, node.right])
        if isinstance(node, ast.Subscript):
            arguments = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            return self._generic(_type_name(node.value), arguments)
        name = _type_name(node)
        if name not in self.names:
            raise UnsupportedAnnotationError(name)
        return Annotation(self.names[name])

    def _generic(self, name: str, arguments: list[ast.expr]) -> Annotation:
        if name == "Optional" and len(arguments) == 1:
            inner = self.read(arguments[0])
            return Annotation(inner.type.or_none(), inner.choices)
        if name == "Union":
            return self._union(arguments)
        if name == "Literal":
            choices = [ast.literal_eval(argument) for argument in arguments]
            type_ = _common_type([choice for choice in choices if choice is not None])
            return Annotation(type_.or_none() if None in choices else type_, choices)
        base = self.names.get(name)
        if base == _LIST and len(arguments) == 1:
            # ``list[Literal[...]]``: the Literal's values are the list's allowed items.
            item = self.read(arguments[0])
            return Annotation(ParameterType("list", item=item.type), item.choices)
        if base == _DICT and len(arguments) == 2 and self.read(arguments[0]).type == _TEXT:
            return Annotation(ParameterType("dict", item=self.read(arguments[1]).type))
        raise UnsupportedAnnotationError(name)

    def _union(self, members: list[ast.expr]) -> Annotation:
        others = [m for m in members if not (isinstance(m, ast.Constant) and m.value is None)]
        if len(others) != 1 or len(members) == 1:
            raise UnsupportedAnnotationError("Union")
        inner = self.read(others[0])
        return Annotation(inner.type.or_none(), inner.choices)


def _type_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr  # typing.List, t.Optional ...
    raise UnsupportedAnnotationError(ast.unparse(node))


_ANNOTATIONS = _Reader(_ANNOTATION_NAMES)
# A type string is written as an annotation is, with ``any`` for `ANY`.
_TYPE_TEXT = _Reader({**_ANNOTATION_NAMES, "any": ANY})
_READ_ERRORS = (UnsupportedAnnotationError, SyntaxError, ValueError, RecursionError, MemoryError)


@functools.lru_cache(maxsize=1024)
def parse_type(text: str) -> ParameterType:
    """Read a parameter's type string.

    Parameters
    ----------
    text : str
        A normalised type (see `ParameterType`); the spellings an annotation may use
        (``Optional[int]``, ``List[str]``) are read too.

    Returns
    -------
    ParameterType
        The type. A string outside the grammar (a name greenhouse does not know, a
        malformed expression) is `ANY`: it accepts every JSON value.
    """
    try:
        return _TYPE_TEXT.read(ast.parse(text.strip(), mode="eval").body).type
    except _READ_ERRORS:
        return ANY


def read_annotation(node: ast.expr) -> Annotation:
    """Read the parameter type an annotation names.

    Parameters
    ----------
    node : ast.expr
        The annotation: a name (``int``, ``typing.List``), ``T | None``, ``Optional[T]``,
        ``Union[T, None]``, ``list[T]``, ``dict[str, T]``, ``Literal[...]`` or a string
        holding one of them.

    Returns
    -------
    Annotation
        The type, and the choices of a ``Literal``.

    Raises
    ------
    UnsupportedAnnotationError, SyntaxError, ValueError
        The annotation names no JSON-representable type.
    """
    return _ANNOTATIONS.read(node)


def read_type_comment(text: str) -> tuple[Annotation | None, str, str | None]:
    """Split papermill's ``# type: T help`` (without ``# type:``) into T and the help.

    Returns
    -------
    tuple
        ``(annotation, help, problem)``: the annotation of T (None when no leading words
        name a supported type), the help text after it, and why T was ignored (or None).
    """
    cuts = [match.start() for match in re.finditer(r"\s", text)] + [len(text)]
    for cut in reversed(cuts):
        try:
            return (
                read_annotation(ast.parse(text[:cut], mode="eval").body),
                text[cut:].strip(),
                None,
            )
        except _READ_ERRORS:
            continue
    first, _, rest = text.partition(" ")
    error = f"the type comment '{first}' is not a supported parameter type; it is ignored."
    return None, rest.strip(), error


def infer_type(value: Any) -> ParameterType:
    """The parameter type of a literal default (a list's items by their common type)."""
    if isinstance(value, list):
        return ParameterType("list", item=_common_type(value) if value else ANY)
    if isinstance(value, dict):
        return _DICT
    for kind, type_ in ((bool, _BOOLEAN), (int, _INTEGER), (float, _NUMBER), (str, _TEXT)):
        if isinstance(value, kind):
            return type_
    return ANY


def _common_type(values: list[Any]) -> ParameterType:
    types = {infer_type(value) for value in values}
    if types == {_INTEGER, _NUMBER}:
        return _NUMBER
    return types.pop() if len(types) == 1 else ANY


@dataclass(frozen=True)
class ParameterField:
    """How a form offers one parameter: what every form draws, whatever draws it.

    The kind, ``nullable`` and ``item`` are the parameter's `ParameterType`; the form
    picks its input from them (a secret of any kind is still described by its kind).

    Parameters
    ----------
    kind, nullable, item
        As `ParameterType`.
    choices : list or None
        The values to choose from, in order, None last when the type allows it and the
        declaration did not list it; a ``bool | None`` offers true, false and None (a
        checkbox cannot say None). For a list, the items it may hold (the list is typed,
        not chosen). None when the value is typed freely.
    minimum, maximum : float or None
        The declared bounds.
    secret : bool
        Whether the value must not be shown.
    """

    kind: Kind
    nullable: bool
    item: ParameterType | None
    choices: list[Any] | None
    minimum: float | None
    maximum: float | None
    secret: bool

    def to_dict(self) -> dict[str, Any]:
        """The description as the API sends it (``item`` as `ParameterType.to_dict`)."""
        return dataclasses.asdict(self)


def describe(parameter: Parameter) -> ParameterField:
    """The form field of a parameter.

    Parameters
    ----------
    parameter : Parameter
        A declared parameter.

    Returns
    -------
    ParameterField
        Its kind, whether None is a value, its choices, bounds and secrecy.
    """
    type_ = parse_type(parameter.type)
    return ParameterField(
        kind=type_.kind,
        nullable=type_.nullable,
        item=type_.item,
        choices=_choices(parameter, type_),
        minimum=parameter.min,
        maximum=parameter.max,
        secret=parameter.secret,
    )


def _choices(parameter: Parameter, type_: ParameterType) -> list[Any] | None:
    if parameter.choices and type_.kind == "list":
        return list(parameter.choices)
    if parameter.choices:
        none = [None] if type_.nullable and None not in parameter.choices else []
        return [*parameter.choices, *none]
    if type_ == _BOOLEAN.or_none():
        return [True, False, None]
    return None


def parameter_set_with_fields(spec: ParameterSet) -> dict[str, Any]:
    """A parameter set as the REST API and ``greenhouse params --json`` show it.

    Parameters
    ----------
    spec : ParameterSet
        A notebook's parameters.

    Returns
    -------
    dict
        `ParameterSet.to_dict`, each parameter with its ``field`` (`describe`).
    """
    data = spec.to_dict()
    for shown, parameter in zip(data["parameters"], spec.parameters, strict=True):
        shown["field"] = describe(parameter).to_dict()
    return data
