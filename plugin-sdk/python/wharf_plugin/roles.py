"""The four roles, each a decorator that turns a plain function into the component's export.

A plugin module decorates one function per role it plays::

    import wharf_plugin as wharf

    @wharf.filter
    def keep(ctx, batch):
        return [row.get("Status") != "closed" for row in batch]

The decorator defines, in the decorated function's module, the class componentize-py exports
for the role (``Filter``, ``Mapper``, ``Transform``, ``Action``), and returns the function
unchanged so a test can call it directly with a :class:`Context` and a :class:`Batch`.

Inside the export, a :class:`PluginError` the function raises fails the call with its message
(a :class:`RowError` or :class:`BatchError` too, as text); any other exception is a bug in the
plugin: it traps, and its traceback goes to the host's log.
"""

import json
import sys
from dataclasses import dataclass

from . import _wit
from .batch import Batch, BatchBuilder
from .errors import BatchError, PluginError, RowError

__all__ = [
    "Context",
    "Document",
    "Mapped",
    "EntityRows",
    "Params",
    "filter",
    "mapper",
    "row_mapper",
    "transform",
    "action",
]


@dataclass
class Context:
    """Where a call comes from. Everything but ``entity`` is ``None`` when not known, e.g. when
    a plugin runs on a sample file from the command line."""

    #: The entity the call is for (``Customer``).
    entity: str = ""
    #: The company (``dataAreaId``) the data belongs to.
    company: str = None
    #: The recurring job's activity id.
    job: str = None
    #: The queue message being processed.
    message: str = None
    #: The sender's correlation id.
    correlation_id: str = None


@dataclass
class Document:
    """A whole document: an inbound file, or an outbound one."""

    #: The format: ``csv``, ``xml``, ``json``, ``xlsx``, ``text`` or a partner's own name.
    format: str
    #: The bytes.
    content: bytes
    #: The file's name, when it has one.
    name: str = None

    def text(self):
        """The content as UTF-8 text; :class:`PluginError` when it is not."""
        try:
            return self.content.decode()
        except UnicodeDecodeError as error:
            raise PluginError(f"the {self.format} document is not UTF-8 text: {error}") from None


class EntityRows:
    """The rows one entity receives from one input batch; made by :meth:`Mapped.entity`."""

    __slots__ = ("entity", "builder", "source_rows")

    def __init__(self, entity, fields):
        #: The entity (``Customer``).
        self.entity = entity
        #: The rows so far.
        self.builder = BatchBuilder(fields)
        #: For each output row, the index of the input row it came from.
        self.source_rows = []

    def push(self, source, values):
        """Adds a row made from input row ``source`` (a :class:`Row` or its index): one value
        per declared field, in order."""
        self.builder.push_row(values)
        self.source_rows.append(source if isinstance(source, int) else source.index)

    def batch(self):
        """The rows so far, as a :class:`Batch`."""
        return self.builder.finish()


class Mapped:
    """What a mapper made of a batch: rows for one or more entities, and the input rows it
    rejected."""

    def __init__(self):
        #: The :class:`EntityRows` per entity, in the order they were declared.
        self.outputs = []
        #: The rejected rows, :class:`RowError`\\ s.
        self.errors = []

    def entity(self, entity, fields):
        """Declares rows for ``entity`` with these fields; push rows to what it returns."""
        rows = EntityRows(entity, fields)
        self.outputs.append(rows)
        return rows

    def push(self, output, source, values):
        """Adds a row to ``output`` (from :meth:`entity`); the same as ``output.push``."""
        output.push(source, values)

    def reject(self, error):
        """Rejects an input row; it is reported with its :class:`RowError` and left out."""
        if not isinstance(error, RowError):
            raise TypeError(f"reject takes a RowError, not a {type(error).__name__}")
        self.errors.append(error)


class Params(dict):
    """An action's parameters: the JSON object it was called with, keyed by parameter name."""

    #: The member of an instance-bound action's input that holds the bound row's key.
    KEY_MEMBER = "@key"

    def required(self, name, kind=None):
        """Parameter ``name``; :class:`PluginError` when it is missing or null, or (given
        ``kind``, e.g. ``str``) of another type."""
        value = self.optional(name, kind)
        if value is None:
            raise PluginError(f"parameter {name} is required")
        return value

    def optional(self, name, kind=None):
        """Parameter ``name``, or ``None`` when it is missing or null; :class:`PluginError`
        when ``kind`` is given and the value is of another type."""
        value = self.get(name)
        if value is None or kind is None:
            return value
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise PluginError(f"parameter {name}: expected {kind.__name__}, found {type(value).__name__}")
        return value

    def key(self):
        """The key of the row an instance-bound action was called on, as a ``dict`` (every key
        field, ``dataAreaId`` included for company-scoped entities)."""
        key = self.get(self.KEY_MEMBER)
        if not isinstance(key, dict):
            raise PluginError("the action was not called on a row: its input has no @key")
        return dict(key)


def _export(function, name, cls):
    """Defines ``cls`` as ``name`` in ``function``'s module, where componentize-py finds it."""
    module = sys.modules[function.__module__]
    existing = getattr(module, name, None)
    if existing is not None and getattr(existing, "_wharf_export", False) is False:
        raise TypeError(f"{function.__module__} already defines {name}; a module exports one {name}")
    cls._wharf_export = True
    cls.__module__ = function.__module__
    cls.__qualname__ = name
    setattr(module, name, cls)


def _context(ctx):
    return Context(ctx.entity, ctx.company, ctx.job, ctx.message, ctx.correlation_id)


def _failure(error):
    """The ``Err`` that fails a call with ``error``'s message."""
    Err = _wit.err_type()
    message = error.message if isinstance(error, PluginError) else str(error)
    return Err(_wit.imports("types").PluginError(message))


def filter(function):
    """Makes ``function(ctx, batch) -> iterable of bool`` this plugin's filter: one answer per
    input row, in order; true keeps the row."""

    class Filter:
        def keep(self, ctx, input):
            try:
                batch = Batch(input.columns, input.rows)
                answers = [bool(answer) for answer in function(_context(ctx), batch)]
            except (PluginError, RowError, BatchError) as error:
                raise _failure(error) from None
            if len(answers) != len(batch):
                raise _failure(PluginError(f"the filter gave {len(answers)} answers for {len(batch)} rows"))
            return answers

    _export(function, "Filter", Filter)
    return function


def mapper(function):
    """Makes ``function(ctx, batch) -> Mapped`` this plugin's mapper."""

    class Mapper:
        def map(self, ctx, input):
            try:
                mapped = function(_context(ctx), Batch(input.columns, input.rows))
            except (PluginError, RowError, BatchError) as error:
                raise _failure(error) from None
            if not isinstance(mapped, Mapped):
                raise _failure(PluginError(f"the mapper returned a {type(mapped).__name__}, not a Mapped"))
            return _wit_mapped(mapped)

    _export(function, "Mapper", Mapper)
    return function


def row_mapper(entity, fields):
    """Makes ``function(ctx, row) -> values`` this plugin's mapper, row by row: each input row
    gives one row of ``entity`` with ``fields`` (``values`` in that order, or a ``dict``), or
    ``None`` to skip it. A :class:`RowError` the function raises rejects that row only.

    The decorated function stays callable as ``function(ctx, row)``; ``function.map_batch(ctx,
    batch)`` gives the :class:`Mapped` of a whole batch, for tests.
    """
    fields = list(fields)

    def decorate(function):
        def map_batch(ctx, batch):
            mapped = Mapped()
            rows = mapped.entity(entity, fields)
            for row in batch:
                try:
                    values = function(ctx, row)
                except RowError as error:
                    mapped.reject(error)
                    continue
                if values is None:
                    continue
                if isinstance(values, dict):
                    values = [values.get(name) for name in fields]
                rows.push(row, values)
            return mapped

        map_batch.__module__ = function.__module__
        function.map_batch = map_batch
        mapper(map_batch)
        return function

    return decorate


def _wit_mapped(mapped):
    wit = _wit.mapper_exports()
    types = _wit.imports("types")
    outputs = []
    for rows in mapped.outputs:
        columns, data = rows.batch().to_parts()
        outputs.append(wit.EntityRows(rows.entity, types.RowBatch(columns, data), rows.source_rows))
    errors = [types.RowError(error.row, error.field, error.message) for error in mapped.errors]
    return wit.Mapped(outputs, errors)


def transform(function):
    """Makes ``function(ctx, document) -> Document`` this plugin's transform."""

    class Transform:
        def transform(self, ctx, input):
            try:
                output = function(_context(ctx), Document(input.format, input.content, input.name))
            except (PluginError, RowError) as error:
                raise _failure(error) from None
            if not isinstance(output, Document):
                raise _failure(PluginError(f"the transform returned a {type(output).__name__}, not a Document"))
            return _wit.imports("types").Document(output.format, output.name, bytes(output.content))

    _export(function, "Transform", Transform)
    return function


_ACTIONS = {}


def action(name=None):
    """Makes ``function(ctx, params) -> result`` the action ``name`` (default: the function's
    name) of this plugin. ``params`` is a :class:`Params`; the result is anything
    ``json.dumps`` takes. A plugin may decorate several functions, one per action; changes
    made through :mod:`wharf_plugin.unit_of_work` are committed only when the function
    returns.

    Usable bare (``@action``) or with a name (``@action("approve")``).
    """
    if callable(name):
        return action(None)(name)

    def decorate(function):
        _ACTIONS[name or function.__name__] = function
        _export(function, "Action", _Action)
        return function

    return decorate


class _Action:
    def invoke(self, ctx, name, input):
        function = _ACTIONS.get(name)
        try:
            if function is None:
                raise PluginError(f"no action {name}; this plugin offers {', '.join(sorted(_ACTIONS))}")
            try:
                params = json.loads(input)
            except ValueError as error:
                raise PluginError(f"action input is not JSON: {error}") from None
            if not isinstance(params, dict):
                raise PluginError("action input must be a JSON object")
            result = function(_context(ctx), Params(params))
        except (PluginError, RowError) as error:
            raise _failure(error) from None
        try:
            return json.dumps(result, ensure_ascii=False)
        except (TypeError, ValueError) as error:
            raise _failure(PluginError(f"the action's result is not JSON: {error}")) from None
