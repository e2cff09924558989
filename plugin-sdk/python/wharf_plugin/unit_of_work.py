"""A unit of work over entities, for actions.

Every change is part of the action's unit of work: committed when the action returns, thrown
away when it raises. Only entities the plugin's manifest lists can be touched. Rows and keys
are ``dict``\\ s of field name to value. Each function raises
:class:`~wharf_plugin.PluginError` with the host's reason when it fails.
"""

from . import _wit

__all__ = ["read", "find", "insert", "update"]


def _call(function, *args):
    Err = _wit.err_type()
    try:
        return getattr(_wit.imports("unit_of_work"), function)(*args)
    except Err as failure:
        raise _wit.host_error(failure) from None


def read(entity, key):
    """The row of ``entity`` with this key (``dict``), or ``None``; sees the unit's own
    uncommitted changes."""
    row = _call("read", entity, _wit.to_fields(key))
    return None if row is None else _wit.from_fields(row)


def find(entity, criteria, limit=100):
    """Rows of ``entity`` whose fields equal every criterion (``dict``), at most ``limit``,
    in key order."""
    return [_wit.from_fields(row) for row in _call("find", entity, _wit.to_fields(criteria), limit)]


def insert(entity, row):
    """Adds ``row`` (``dict``) to ``entity``; fails when its key is taken or a required field
    is missing."""
    _call("insert", entity, _wit.to_fields(row))


def update(entity, key, changes):
    """Changes the fields in ``changes`` of the row of ``entity`` with this key; fails when
    there is no such row."""
    _call("update", entity, _wit.to_fields(key), _wit.to_fields(changes))
