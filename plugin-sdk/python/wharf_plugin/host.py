"""Services the host offers every plugin: its structured log, the manifest's configuration and
read-only entity lookups.

Outside a component (a plugin's own tests under plain Python) there is no host: log lines go
to stderr, :func:`config` reads :data:`native_config`, and :func:`lookup` reads
:data:`native_entities`, both empty until a test fills them.
"""

import sys

from . import _wit

__all__ = ["DEBUG", "INFO", "WARN", "ERROR", "log", "debug", "info", "warn", "error", "config", "lookup"]

#: Detail for whoever debugs the plugin.
DEBUG = "debug"
#: Normal operation.
INFO = "info"
#: Something odd that did not stop the call.
WARN = "warn"
#: Something failed.
ERROR = "error"

#: ``[config]`` values :func:`config` returns outside a component.
native_config = {}
#: Rows :func:`lookup` finds outside a component: entity name to a list of row ``dict``\ s.
native_entities = {}


def log(level, message):
    """Writes ``message`` to the host's structured log at ``level`` (:data:`DEBUG`,
    :data:`INFO`, :data:`WARN` or :data:`ERROR`), tagged with this plugin's name and version."""
    if level not in (DEBUG, INFO, WARN, ERROR):
        raise ValueError(f"unknown log level {level!r}")
    if not _wit.in_component():
        print(f"{level}: {message}", file=sys.stderr)
        return
    host = _wit.imports("host")
    host.log(host.Level[level.upper()], str(message))


def debug(message):
    """Logs ``message`` at :data:`DEBUG`."""
    log(DEBUG, message)


def info(message):
    """Logs ``message`` at :data:`INFO`."""
    log(INFO, message)


def warn(message):
    """Logs ``message`` at :data:`WARN`."""
    log(WARN, message)


def error(message):
    """Logs ``message`` at :data:`ERROR`."""
    log(ERROR, message)


def config(key, default=None):
    """The value of ``key`` in the ``[config]`` table of this plugin's manifest (text), or
    ``default`` when it has none."""
    if not _wit.in_component():
        value = native_config.get(key)
    else:
        value = _wit.imports("host").config(key)
    return default if value is None else value


def lookup(entity, key):
    """The committed row of ``entity`` whose key fields equal ``key`` (a ``dict`` of field
    name to value), as a ``dict``, or ``None`` when there is none.

    Raises :class:`~wharf_plugin.PluginError` when the entity is unknown or ``key`` does not
    name its key fields.
    """
    if not _wit.in_component():
        rows = native_entities.get(entity, [])
        return next((dict(row) for row in rows if all(row.get(k) == v for k, v in key.items())), None)
    Err = _wit.err_type()
    try:
        row = _wit.imports("host").lookup(entity, _wit.to_fields(key))
    except Err as failure:
        raise _wit.host_error(failure) from None
    return None if row is None else _wit.from_fields(row)
