"""Access to the bindings componentize-py generates for the plugin's world.

They exist only inside the component (``wit_world``), and each role's world has its own
imports, so every use goes through :func:`imports`, which says clearly what is missing
instead of failing at import time. Outside a component (a plugin's own tests) there are none.
"""

import importlib

from .errors import PluginError
from .values import Date, DateTime, Decimal, datetime_text, decimal_text

__all__ = ["imports", "in_component", "to_fields", "from_fields"]


_IN_COMPONENT = None


def in_component():
    """Whether this code runs inside a component built by componentize-py."""
    global _IN_COMPONENT
    if _IN_COMPONENT is None:
        try:
            importlib.import_module("wit_world")
            _IN_COMPONENT = True
        except ImportError:
            _IN_COMPONENT = False
    return _IN_COMPONENT


def imports(interface):
    """The generated module of imported ``interface`` (``host``, ``types``, ``outbound``,
    ``unit_of_work``); :class:`PluginError` when this plugin's world does not import it."""
    try:
        return importlib.import_module(f"wit_world.imports.{interface}")
    except ImportError:
        raise PluginError(
            f"this plugin's role cannot use wharf:plugin/{interface.replace('_', '-')}"
        ) from None


def to_value(value):
    """A Python value as a WIT ``value`` (see :mod:`wharf_plugin.values`)."""
    import datetime
    import decimal

    types = imports("types")
    if value is None:
        return types.Value_Null()
    if isinstance(value, bool):
        return types.Value_Boolean(value)
    if isinstance(value, int):
        return types.Value_Integer(value)
    if isinstance(value, float):
        return types.Value_Float(value)
    if isinstance(value, Decimal):
        return types.Value_Decimal(str(value))
    if isinstance(value, DateTime):
        return types.Value_Datetime(str(value))
    if isinstance(value, Date):
        return types.Value_Date(str(value))
    if isinstance(value, str):
        return types.Value_String(value)
    if isinstance(value, decimal.Decimal):
        return types.Value_Decimal(decimal_text(value))
    if isinstance(value, datetime.datetime):
        return types.Value_Datetime(datetime_text(value))
    if isinstance(value, datetime.date):
        return types.Value_Date(value.isoformat())
    raise TypeError(f"a {type(value).__name__} cannot be a field value")


def from_value(value):
    """A WIT ``value`` as a Python value."""
    types = imports("types")
    if isinstance(value, types.Value_Null):
        return None
    if isinstance(value, types.Value_Decimal):
        return Decimal(value.value)
    if isinstance(value, types.Value_Date):
        return Date(value.value)
    if isinstance(value, types.Value_Datetime):
        return DateTime(value.value)
    return value.value


def to_fields(fields):
    """A ``dict`` (or pairs) of field name to Python value as a WIT ``list<field>``."""
    types = imports("types")
    pairs = fields.items() if hasattr(fields, "items") else fields
    return [types.Field(str(name), to_value(value)) for name, value in pairs]


def from_fields(fields):
    """A WIT ``list<field>`` as a ``dict`` of field name to Python value, in order."""
    return {field.name: from_value(field.value) for field in fields}


def host_error(error):
    """A :class:`PluginError` from a host import's ``Err`` (its value is the message)."""
    return PluginError(str(getattr(error, "value", error)))
