"""Cell values: how each kind of Wharf value reads in Python.

| Wharf value | Python value                              |
|-------------|-------------------------------------------|
| null        | ``None``                                  |
| string      | ``str``                                   |
| integer     | ``int`` (64-bit signed)                   |
| decimal     | :class:`Decimal`, a ``str`` of its digits |
| float       | ``float``                                 |
| boolean     | ``bool``                                  |
| date        | :class:`Date`, a ``str`` ``YYYY-MM-DD``   |
| datetime    | :class:`DateTime`, a ``str`` in RFC 3339  |

Decimals, dates and date-times stay text so that no precision is lost and reading them costs
nothing; their classes are ``str`` subclasses that remember the kind, so a value read from one
batch is written to another with the same kind. When writing, ``decimal.Decimal``,
``datetime.date`` and ``datetime.datetime`` are accepted too and turned into their canonical
text.
"""

import datetime as _datetime
import decimal as _decimal

__all__ = ["Decimal", "Date", "DateTime", "type_name"]


class Decimal(str):
    """An exact decimal number as its canonical text (``-1234.50``)."""

    __slots__ = ()


class Date(str):
    """A calendar date, ISO 8601 (``2026-11-21``)."""

    __slots__ = ()


class DateTime(str):
    """A point in time, RFC 3339 in UTC (``2026-11-21T08:30:00Z``)."""

    __slots__ = ()


def type_name(value):
    """The Wharf name of a value's type (``string``, ``integer``…), for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (Decimal, _decimal.Decimal)):
        return "decimal"
    if isinstance(value, (DateTime, _datetime.datetime)):
        return "datetime"
    if isinstance(value, (Date, _datetime.date)):
        return "date"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def decimal_text(value):
    """The canonical text of a ``decimal.Decimal``: plain digits, no exponent."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a decimal number Wharf can hold")
    return format(value, "f")


def datetime_text(value):
    """RFC 3339 text in UTC for a ``datetime.datetime``; a naive one is taken to be UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(_datetime.timezone.utc).replace(tzinfo=None)
    return value.isoformat() + "Z"
