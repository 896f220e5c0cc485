"""Typer's parameter coercion for the plain parameter types, without pydantic.

typer (0.29) checks each parameter's value with a pydantic ``TypeAdapter`` it builds when the
command line is parsed: importing pydantic and building the adapters of a scoring command is a
sixth of what ``mfgindex rank`` takes. The commands' parameters are of a few plain types
(``str``, ``int``, ``float``, ``bool``, ``Path``, an enum, a ``Literal``, lists of ``str`` and
``Path``), and this module converts their values as typer's adapters do: the same value, of
the same type. A value it is not sure of (``1e3`` for an int, a number out of ``min``/``max``,
a choice that matches none) goes to typer's own coercion, so every message of a bad value is
typer's, word for word.

:class:`FastGroup` (the app's group class) installs the conversion on every parameter. It rests
on two private names of typer, a parameter's ``type_descriptor`` and ``_runtime_param``; with a
typer that lacks them nothing is installed and typer coerces as it always does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from typer.core import TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context

#: A value converter: (value, parameter, context) -> the coerced value, or raise ``_Unsure``.
Convert = Callable[[Any, Any, Any], Any]

_INT = re.compile(r"-?[0-9]{1,18}")
_FLOAT = re.compile(r"-?[0-9]{1,18}(?:\.[0-9]{1,18})?")


class _Unsure(Exception):
    """This module cannot say what typer would make of the value: typer coerces it."""


class FastGroup(TyperGroup):
    """The app's group: its parameters, and those of the command a command line runs, coerce
    without pydantic (installed when the command is resolved: ``--help`` pays nothing)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        install(self, commands=False)

    def get_help_option(self, ctx: Context) -> Any:
        """The ``--help`` option (made on first use), with the conversion installed."""
        option = super().get_help_option(ctx)
        if option is not None:
            _install_one(option)
        return option

    def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
        """The command a command line runs, with the conversion installed on its parameters
        and its ``--help`` option (made now, from the names the context passes on to it)."""
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            install(command)
            if "help_option_names" not in command.context_settings:
                option = command.get_help_option(ctx)
                if option is not None:
                    _install_one(option)
        return name, command, rest


def install(command: Command, *, commands: bool = True) -> int:
    """Install the conversion on the parameters of ``command`` (and of its commands).

    Parameters
    ----------
    command : typer's click Command
        A typer command or group.
    commands : bool
        Whether to install on the parameters of a group's commands too.

    Returns
    -------
    int
        How many parameters convert their values here (the others: typer, as before).
    """
    installed = 0
    for param in command.params:
        installed += _install_one(param)
    for sub in getattr(command, "commands", {}).values() if commands else ():
        installed += install(sub)
    return installed


def _install_one(param: Any) -> int:
    """Install the conversion on one parameter, if typer's internals are as expected."""
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", ...) is not None:
        return 0
    convert = converter(descriptor)
    if convert is None:
        return 0
    param._runtime_param = _Coercion(convert, descriptor)
    return 1


class _Coercion:
    """Stands for typer's ``RuntimeParam`` of one parameter: converts the values it is sure
    of, and hands every other value to typer's own (built on first need)."""

    __slots__ = ("_convert", "_descriptor", "_typer")

    def __init__(self, convert: Convert, descriptor: Any) -> None:
        self._convert = convert
        self._descriptor = descriptor
        self._typer: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        """``value`` as typer's coercion of ``param`` gives it (``RuntimeParam.coerce``)."""
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        try:
            if not multi:
                return self._convert(value, param, ctx)
            if not isinstance(value, list | tuple):
                raise _Unsure
            return [self._convert(item, param, ctx) for item in value]
        except (_Unsure, ValueError, TypeError):
            if self._typer is None:
                from typer._coercion import build_runtime_param

                self._typer = build_runtime_param(self._descriptor)
            return self._typer.coerce(value, param=param, ctx=ctx)


def converter(descriptor: Any) -> Convert | None:
    """The converter of a parameter's values, or None when typer must coerce them.

    Parameters
    ----------
    descriptor : typer._coercion.TypeDescriptor
        The parameter's annotation and its ``typer.Option`` / ``typer.Argument`` settings.

    Returns
    -------
    callable or None
        ``convert(value, param, ctx)`` for one value (one item of a list parameter).
    """
    info = descriptor.parameter_info
    annotation = descriptor.annotation
    if (
        descriptor.file_annotation is not None
        or info.parser is not None
        or info.path_type is not None
        or info.allow_dash
        or info.clamp
    ):
        return None
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
        if annotation not in (str, Path):
            return None
    return _leaf(annotation, info)


def _leaf(annotation: Any, info: Any) -> Convert | None:
    """The converter of one value of ``annotation`` (None: not one of the plain types)."""
    if annotation is str:
        return _str
    if annotation is bool:
        return _bool
    if annotation is int or annotation is float:
        return _number(annotation, info.min, info.max)
    if annotation is Path:
        return _path(info)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _choice(tuple(annotation), info.case_sensitive)
    if get_origin(annotation) is Literal:
        return _choice(get_args(annotation), info.case_sensitive)
    return None


def _str(value: Any, param: Any, ctx: Any) -> str:
    if type(value) is not str:
        raise _Unsure
    return value


def _bool(value: Any, param: Any, ctx: Any) -> bool:
    if type(value) is not bool:
        raise _Unsure
    return value


def _number(kind: type[int] | type[float], low: float | None, high: float | None) -> Convert:
    """An int or float: a number, or plain decimal digits (``-12``, ``0.5``), within the
    parameter's ``min``/``max``."""
    pattern = _INT if kind is int else _FLOAT
    exact = (int,) if kind is int else (float, int)

    def convert(value: Any, param: Any, ctx: Any) -> Any:
        if not (type(value) in exact or (type(value) is str and pattern.fullmatch(value))):
            raise _Unsure
        number = kind(value)
        if (low is not None and number < low) or (high is not None and number > high):
            raise _Unsure  # typer's message says which bound
        return number

    return convert


def _path(info: Any) -> Convert | None:
    """A ``Path``, for a parameter with typer's default path settings (None for others:
    ``exists=True`` and the like are typer's to check).

    An existing path must be readable, as typer requires; one that is not goes to typer,
    which says so in its words.
    """
    defaults = {"exists": False, "file_okay": True, "dir_okay": True, "writable": False}
    defaults |= {"readable": True, "resolve_path": False}
    if any(getattr(info, key, None) != value for key, value in defaults.items()):
        return None

    def convert(value: Any, param: Any, ctx: Any) -> Path:
        if type(value) is not str and not isinstance(value, Path):
            raise _Unsure
        path = Path(value)
        try:
            os.stat(path)
        except OSError:
            return path
        if not os.access(path, os.R_OK):
            raise _Unsure
        return path

    return convert


def _choice(choices: tuple[Any, ...], case_sensitive: bool) -> Convert:
    """One of ``choices`` (an enum's members or a Literal's values), matched as typer does."""
    from typer._param_types import coerce_cli_choice

    def convert(value: Any, param: Any, ctx: Any) -> Any:
        return coerce_cli_choice(value, choices=choices, case_sensitive=case_sensitive, ctx=ctx)

    return convert
