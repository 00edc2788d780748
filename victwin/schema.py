"""One declarative schema for victwin's configuration: recipes, systems, AEC tables, trial specs.

A schema is a :class:`Table` of fields, one entry per key, each saying its type, its rule and
its default::

    COHORT = Table({
        "size": Number(lo=2, hi=1_000_000, integer=True),          # required
        "laterality": Choice(("L", "R", "random"), default="random"),
        "age_years": Pair(18, 100, default=[40, 75]),
    })
    values = check(COHORT, data, "trial spec", "cohort")

:func:`check` returns plain Python values with every default filled in, or raises one
``ValueError`` line in one format that names the key, the rule and the value::

    trial spec: cohort.size must be >= 2, got -6
    trial spec: missing key trial.seed (an integer >= 0)
    trial spec: unknown key cohort.szie; did you mean size?

Checks that tie several keys together stay in the code that owns the file and raise through
:func:`invalid`, so that their messages have the same form.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping

__all__ = ["REQUIRED", "Field", "Number", "String", "Choice", "Boolean", "List", "Pair",
           "Tuple", "Range", "Table", "Fractions", "Either", "Anything", "check", "invalid",
           "unknown_key", "show"]


class _Required:
    def __repr__(self):
        return "REQUIRED"


#: Default of a key that must be given.
REQUIRED = _Required()


def show(value) -> str:
    """``repr`` of a value, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def invalid(what: str, key: str, rule: str, value) -> ValueError:
    """The one error line: ``"<what>: <key> must be <rule>, got <value>"``."""
    return ValueError(f"{what}: {key} must be {rule}, got {show(value)}")


def _join(path: str, key) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _num(x) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Field:
    """A key's type and rule. ``default``: :data:`REQUIRED`, ``None`` (absent -> ``None``), or
    a value (absent -> that value, checked like a given one)."""

    default = REQUIRED
    #: Python types this field reads (Either reports the error of the field the value's type
    #: belongs to).
    kinds: tuple = (object,)

    def describe(self) -> str:
        """The rule in words ("a number > 0")."""
        raise NotImplementedError

    def check(self, value, what: str, path: str):
        raise NotImplementedError


class Number(Field):
    """A finite number (or an integer) within optional bounds."""

    kinds = (int, float)

    def __init__(self, lo=None, hi=None, *, lo_open=False, hi_open=False, integer=False,
                 default=REQUIRED):
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open
        self.integer, self.default = integer, default

    def _bounds(self) -> str:
        parts = []
        if self.lo is not None:
            parts.append(f"{'>' if self.lo_open else '>='} {_num(self.lo)}")
        if self.hi is not None:
            parts.append(f"{'<' if self.hi_open else '<='} {_num(self.hi)}")
        return " and ".join(parts)

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a number"
        bounds = self._bounds()
        return f"{kind} {bounds}" if bounds else kind

    def check(self, value, what, path):
        if not _is_number(value) or (self.integer and not float(value).is_integer()):
            raise invalid(what, path, "an integer" if self.integer else "a number", value)
        if not math.isfinite(value):
            raise invalid(what, path, "finite", value)
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            raise invalid(what, path, f"{'>' if self.lo_open else '>='} {_num(self.lo)}", value)
        if self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)):
            raise invalid(what, path, f"{'<' if self.hi_open else '<='} {_num(self.hi)}", value)
        return int(value) if self.integer else float(value)


class String(Field):
    """A string; ``rule`` (a predicate) and ``rule_text`` for an extra condition."""

    def __init__(self, *, default=REQUIRED, rule: Callable[[str], bool] | None = None,
                 rule_text: str = "a string"):
        self.default, self.rule, self.rule_text = default, rule, rule_text

    kinds = (str,)

    def describe(self) -> str:
        return self.rule_text

    def check(self, value, what, path):
        if not isinstance(value, str) or (self.rule is not None and not self.rule(value)):
            raise invalid(what, path, self.rule_text, value)
        return value


class Choice(Field):
    """One of a closed set of strings (``options`` may be a function returning them)."""

    kinds = (str,)

    def __init__(self, options, *, default=REQUIRED):
        self._options, self.default = options, default

    @property
    def options(self) -> tuple:
        return tuple(self._options() if callable(self._options) else self._options)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)

    def check(self, value, what, path):
        if value not in self.options:
            raise invalid(what, path, self.describe(), value)
        return value


class Boolean(Field):
    kinds = (bool,)

    def __init__(self, *, default=REQUIRED):
        self.default = default

    def describe(self) -> str:
        return "true or false"

    def check(self, value, what, path):
        if not isinstance(value, bool):
            raise invalid(what, path, "true or false", value)
        return value


class Anything(Field):
    """Any value, unchecked (free text kept as given)."""

    def __init__(self, *, default=REQUIRED):
        self.default = default

    def describe(self) -> str:
        return "a value"

    def check(self, value, what, path):
        return value


class List(Field):
    """A list whose items all follow ``item`` (``None``: any items)."""

    kinds = (list, tuple)

    def __init__(self, item: Field | None = None, *, min_len: int = 0, length: int | None = None,
                 default=REQUIRED, rule_text: str | None = None):
        self.item, self.min_len, self.length = item, min_len, length
        self.default, self.rule_text = default, rule_text

    def describe(self) -> str:
        if self.rule_text:
            return self.rule_text
        n = (f" of {self.length}" if self.length is not None
             else f" of at least {self.min_len}" if self.min_len else "")
        items = f", each {self.item.describe()}" if self.item is not None else ""
        return f"a list{n}{items}"

    def check(self, value, what, path):
        if (not isinstance(value, (list, tuple)) or len(value) < self.min_len
                or (self.length is not None and len(value) != self.length)):
            raise invalid(what, path, self.describe(), value)
        if self.item is None:
            return list(value)
        return [self.item.check(v, what, _join(path, i)) for i, v in enumerate(value)]


class Tuple(Field):
    """A fixed-length list of differently typed items, e.g. ``[material, thickness_mm]``."""

    kinds = (list, tuple)

    def __init__(self, *items: Field, default=REQUIRED, rule_text: str | None = None):
        self.items, self.default, self.rule_text = items, default, rule_text

    def describe(self) -> str:
        return self.rule_text or "[" + ", ".join(f.describe() for f in self.items) + "]"

    def check(self, value, what, path):
        if not isinstance(value, (list, tuple)) or len(value) != len(self.items):
            raise invalid(what, path, self.describe(), value)
        try:
            return [f.check(v, what, path) for f, v in zip(self.items, value)]
        except ValueError:
            raise invalid(what, path, self.describe(), value) from None


class Pair(Field):
    """``[min, max]`` with ``lo <= min <= max <= hi``; returns ``[min, max]`` as floats."""

    kinds = (list, tuple)

    def __init__(self, lo: float, hi: float, *, default=REQUIRED):
        self.lo, self.hi, self.default = lo, hi, default

    def describe(self) -> str:
        return f"[min, max] with {self.lo:g} <= min <= max <= {self.hi:g}"

    def check(self, value, what, path):
        if (not isinstance(value, (list, tuple)) or len(value) != 2
                or not all(_is_number(v) for v in value)):
            raise invalid(what, path, "[min, max]", value)
        a, b = float(value[0]), float(value[1])
        if not (self.lo <= a <= b <= self.hi):
            raise invalid(what, path, self.describe(), value)
        return [a, b]


class Range(Field):
    """A value drawn per patient: a number (fixed) or ``{min, max}`` (uniform), each end
    following ``bound``; returns ``{"min": lo, "max": hi}``."""

    kinds = (int, float, Mapping)

    def __init__(self, bound: Number, *, default=REQUIRED):
        self.bound, self.default = bound, default

    @property
    def integer(self) -> bool:
        return self.bound.integer

    def describe(self) -> str:
        return f"{self.bound.describe()}, or {{min, max}} of those"

    def check(self, value, what, path):
        if isinstance(value, Mapping):
            if set(value) != {"min", "max"}:
                raise invalid(what, path, "a number or {min, max}", dict(value))
            lo = self.bound.check(value["min"], what, path + ".min")
            hi = self.bound.check(value["max"], what, path + ".max")
            if lo > hi:
                raise invalid(what, path, "{min, max} with min <= max", dict(value))
            return {"min": lo, "max": hi}
        v = self.bound.check(value, what, path)
        return {"min": v, "max": v}


class Table(Field):
    """A table of named keys, each with its :class:`Field` (or a nested :class:`Table`)."""

    kinds = (Mapping,)

    def __init__(self, fields: dict, *, default=REQUIRED):
        self.fields, self.default = dict(fields), default

    def describe(self) -> str:
        return "a table"

    def check(self, value, what, path):
        if not isinstance(value, Mapping):
            raise invalid(what, path or "the file", "a table", value)
        for key in value:
            if key not in self.fields:
                raise unknown_key(what, path, key, self.fields)
        out = {}
        for key, field in self.fields.items():
            sub = _join(path, key)
            if key in value:
                out[key] = field.check(value[key], what, sub)
            elif field.default is REQUIRED:
                raise ValueError(f"{what}: missing key {sub} ({field.describe()})")
            elif field.default is None:
                out[key] = None
            else:
                out[key] = field.check(field.default, what, sub)
        return out


class Fractions(Field):
    """A non-empty table ``name -> fraction in [0, 1]`` over a closed set of names."""

    kinds = (Mapping,)

    def __init__(self, names, *, default=REQUIRED):
        self.names, self.default = tuple(names), default

    def describe(self) -> str:
        return "a non-empty table of fractions"

    def check(self, value, what, path):
        if not isinstance(value, Mapping) or not value:
            raise invalid(what, path, self.describe(), value)
        out = {}
        for key, frac in value.items():
            if key not in self.names:
                raise unknown_key(what, path, key, self.names)
            out[key] = Number(0.0, 1.0).check(frac, what, _join(path, key))
        return out


class Either(Field):
    """The first of several fields that accepts the value; the error names them all."""

    def __init__(self, *options: Field, default=REQUIRED):
        self.options, self.default = options, default

    def describe(self) -> str:
        return " or ".join(f.describe() for f in self.options)

    def check(self, value, what, path):
        errors = []
        for f in self.options:
            try:
                return f.check(value, what, path)
            except ValueError as exc:
                errors.append(exc)
        kind = [e for f, e in zip(self.options, errors)
                if isinstance(value, f.kinds) and not (isinstance(value, bool)
                                                       and bool not in f.kinds)]
        if len(kind) == 1:          # the value is of one option's type: that option's error
            raise kind[0]
        raise invalid(what, path, self.describe(), value)


def unknown_key(what: str, path: str, key, valid) -> ValueError:
    """``"<what>: unknown key <path.key>; did you mean <closest>?"`` (difflib), or the list of
    valid keys when none is close."""
    valid = [str(v) for v in valid]
    close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.7)
    hint = (f"did you mean {close[0]}?" if close
            else f"valid keys here: {', '.join(sorted(valid))}")
    return ValueError(f"{what}: unknown key {_join(path, key)}; {hint}")


def check(schema: Field, data, what: str, path: str = ""):
    """Check ``data`` against ``schema``; returns plain values with defaults filled in.

    Parameters
    ----------
    schema : Field
        Usually a :class:`Table`.
    data
        The parsed file (dicts, lists, numbers, strings as TOML gives them).
    what : str
        What is checked, for the message: ``"trial spec"``, ``"system"``, ``"recipe"``...
    path : str
        Key path of ``data`` inside its file ("" for the whole file).

    Raises
    ------
    ValueError
        One line naming the key, the rule and the value.
    """
    return schema.check(data, what, path)
