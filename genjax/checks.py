"""One-line checks of user input, and typed config sections.

A config arrives as an ``ml_collections.ConfigDict`` (or a plain dict); every package reads the
sections it owns into a frozen dataclass once, at the boundary, with ``read_section``: an
unknown field, a field that does not apply to the chosen method, or a value of the wrong type is
a one-line ``ValueError`` naming the field, before any data is loaded or anything compiled.
Nothing below the boundary reads the config again.

Layer 0: imports only the standard library.
"""

import dataclasses
import numbers
import typing
from collections.abc import Collection, Iterable, Mapping
from typing import Any


def is_section(value: Any) -> bool:
    """Whether a config value is a section (a dict or an ml_collections ConfigDict)."""
    return isinstance(value, Mapping) or (hasattr(value, "keys") and hasattr(value, "items"))


def check_choice(what: str, value: Any, valid: Iterable) -> None:
    """One-line error for a value outside its valid set, listing the valid ones."""
    valid = tuple(valid)
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(map(str, valid))}")


def check_at_least(what: str, value: float, low: float) -> None:
    """One-line error unless ``value >= low``."""
    if not value >= low:
        raise ValueError(f"{what} must be >= {low:g}; got {value}")


def check_divides(what: str, divisor: int, counts: Mapping[str, int], why: str = "") -> None:
    """One-line error unless ``divisor`` divides every count in ``counts`` (name -> count)."""
    bad = [f"{name}={n}" for name, n in counts.items() if n % divisor]
    if bad:
        raise ValueError(f"{what}={divisor} must divide {', '.join(bad)}{why}")


def _type_name(kind) -> str:
    return getattr(kind, "__name__", str(kind))


def _convert(value: Any, kind, where: str) -> Any:
    """``value`` as the field type ``kind`` (bool, int, float, str, tuple[T, ...] or a union
    with None), or a one-line error naming the field and the expected type."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if args and type(None) in args:  # Optional[T]
        if value is None:
            return None
        kind = next(a for a in args if a is not type(None))
        origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin is tuple:
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise ValueError(f"{where} must be a sequence of {_type_name(args[0])}; got {value!r}")
        return tuple(_convert(v, args[0], where) for v in value)
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, numbers.Integral)
        and not isinstance(value, bool)
        or isinstance(value, float)
        and value.is_integer(),
        float: isinstance(value, numbers.Real) and not isinstance(value, bool),
        str: isinstance(value, str),
    }.get(kind)
    if ok is None:
        return value
    if not ok:
        got = type(value).__name__
        raise ValueError(f"{where} must be of type {kind.__name__}; got {value!r} ({got})")
    return kind(value)


def read_section(
    section: Mapping | None,
    cls: type,
    where: str,
    *,
    owner: str = "",
    applicable: Collection[str] | None = None,
    skip: Collection[str] = (),
    strict: bool = True,
    **fixed: Any,
):
    """The frozen dataclass ``cls`` built from one config section.

    Args:
      section: the section (a ConfigDict or a dict); None reads as empty.
      cls: a dataclass whose fields name the section's keys; a field without a default must
        be in the section (or in ``fixed``).
      where: the section's path in the config, for messages (e.g. "loss").
      owner: who reads the section (e.g. "method vae"), for messages.
      applicable: the fields of ``cls`` that apply (None: all): another field present in the
        section is an error saying it does not apply.
      skip: keys of the section that someone else reads (left alone).
      strict: when False, unknown and inapplicable keys are ignored (configs saved by older
        versions, read back to evaluate a checkpoint).
      **fixed: field values set by the caller, not read from the section.

    Returns:
      An instance of ``cls``.
    """
    section = {} if section is None else section
    names = {f.name: f for f in dataclasses.fields(cls) if f.init}
    usable = set(names) if applicable is None else set(applicable)
    kwargs = dict(fixed)
    hints = typing.get_type_hints(cls)
    for key in section.keys():
        if key in skip or key in fixed:
            continue
        path = f"{where}.{key}"
        if key not in names or key not in usable:
            if not strict:
                continue
            valid = ", ".join(sorted(usable - set(fixed)))
            if key in names:
                raise ValueError(f"{path} does not apply to {owner}: remove it (fields: {valid})")
            raise ValueError(f"unknown config field {path} for {owner}; valid: {valid}")
        kwargs[key] = _convert(section[key], hints[key], path)
    missing = [
        n
        for n, f in names.items()
        if n not in kwargs
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise ValueError(f"config has no {', '.join(f'{where}.{n}' for n in missing)} ({owner})")
    return cls(**kwargs)


def read_borrowed(section: Mapping | None, cls: type, where: str, owner: str, strict: bool = True):
    """The dataclass ``cls`` from only those keys of ``section`` that are its fields: a method's
    few fields inside a section the spine owns (``train.n_critic``, ``eval.nll_samples``)."""
    section = section or {}
    picked = {f.name: section[f.name] for f in dataclasses.fields(cls) if f.name in section}
    return read_section(picked, cls, where, owner=owner, strict=strict)


def clip(text: str, limit: int = 200) -> str:
    """The first line of ``text``, cut at a word boundary to at most ``limit`` characters
    (an ellipsis marks a cut), so a message never ends mid-word."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    if len(line) <= limit:
        return line
    cut = line[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + " …"
