"""Write Wharf plugins in Python.

A plugin is a Python module built into a WebAssembly component by componentize-py
(``wharf plugin build`` runs the manifest's ``[build]`` command, which calls
:mod:`wharf_plugin.build`). The module decorates one function per role it plays —
:func:`filter`, :func:`mapper` (or :func:`row_mapper`), :func:`transform`, :func:`action` —
and a manifest (``wharf-plugin.toml``) beside it names the plugin, its entities, its
configuration and its limits.

A complete filter::

    import wharf_plugin as wharf

    @wharf.filter
    def keep(ctx, batch):
        closed = wharf.config("closed_status", "closed")
        return [status != closed for status in batch.values("Status")]

A complete mapper, row by row::

    @wharf.row_mapper("Vendor", ["VendorAccount", "Name"])
    def vendor(ctx, row):
        return [row.required("vendor_no"), row.str("vendor_name").strip()]

Rows arrive in a :class:`Batch`; read them with :class:`Row`'s accessors, and reject a bad
row with :meth:`Row.error`. Values read as Python values (see :mod:`wharf_plugin.values`).
What a plugin needs from outside comes through :mod:`wharf_plugin.host` (log, config,
lookup), for actions :mod:`wharf_plugin.unit_of_work`, and for mappers and actions the web
services its manifest allows through :mod:`wharf_plugin.outbound`.

Every call runs in a fresh instance of the component, started from a snapshot taken when the
component was built: module-level code (imports, tables, compiled regular expressions) runs
once, at build time, not per call.
"""

from . import host, outbound, unit_of_work
from .batch import Batch, BatchBuilder, Row
from .errors import BatchError, PluginError, RowError
from .host import config, log, lookup
from .roles import Context, Document, EntityRows, Mapped, Params, action, filter, mapper, row_mapper, transform
from .values import Date, DateTime, Decimal

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "BatchBuilder",
    "BatchError",
    "Context",
    "Date",
    "DateTime",
    "Decimal",
    "Document",
    "EntityRows",
    "Mapped",
    "Params",
    "PluginError",
    "Row",
    "RowError",
    "action",
    "config",
    "filter",
    "host",
    "log",
    "lookup",
    "mapper",
    "outbound",
    "row_mapper",
    "transform",
    "unit_of_work",
]
