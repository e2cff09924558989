"""Access to the bindings componentize-py generates for the plugin's world.

They exist only inside the component (``wit_world``), and each role's world has its own
imports, so every use goes through :func:`imports`, which says clearly what is missing
instead of failing at import time. Outside a component (a plugin's own tests) there are none.
"""

import datetime
import decimal
import importlib

from .errors import PluginError
from .values import Date, DateTime, Decimal, datetime_text, decimal_text

__all__ = ["imports", "in_component", "to_fields", "from_fields"]

_INTERFACES = ("types", "host", "unit_of_work", "outbound")


def _load(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


# Imported now, not at the first call: componentize-py runs this import when it builds the
# component and snapshots the result, and at run time a component has no files to import
# from. An interface the role's world does not have stays None.
_IMPORTS = {interface: _load(f"wit_world.imports.{interface}") for interface in _INTERFACES}
_MAPPER = _load("wit_world.exports.mapper")
_TYPES = _load("componentize_py_types")


def in_component():
    """Whether this code runs inside a component built by componentize-py."""
    return _IMPORTS["types"] is not None


def imports(interface):
    """The generated module of imported ``interface`` (``host``, ``types``, ``outbound``,
    ``unit_of_work``); :class:`PluginError` when this plugin's world does not import it."""
    module = _IMPORTS.get(interface)
    if module is None:
        raise PluginError(f"this plugin's role cannot use wharf:plugin/{interface.replace('_', '-')}")
    return module


def mapper_exports():
    """The generated module of the exported ``mapper`` interface."""
    if _MAPPER is None:
        raise PluginError("this plugin is not built for the mapper role")
    return _MAPPER


def err_type():
    """componentize-py's ``Err``, the exception a WIT ``result``'s error travels in."""
    return _TYPES.Err


def to_value(value):
    """A Python value as a WIT ``value`` (see :mod:`wharf_plugin.values`)."""
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
