"""Row batches in Wharf's compact row encoding: reading (:class:`Batch`, :class:`Row`) and
writing (:class:`BatchBuilder`).

A batch is its column names plus one byte buffer: every cell of every row, then a ``u32``
offset per cell, then the row count (layout in ``wit/wharf.wit``, ``row-batch``). Crossing
the host/plugin boundary costs one copy of the buffer. Reading the offsets is one C-level
copy into an ``array``; a cell is decoded only when it is read, and checked as it is: a
malformed cell raises :class:`BatchError` naming its row and column.
"""

import datetime as _datetime
import decimal as _decimal
import struct
import sys
from array import array

from .errors import BatchError, RowError
from .values import Date, DateTime, Decimal, datetime_text, decimal_text, type_name

__all__ = ["Batch", "Row", "BatchBuilder"]

_TAG_NULL = 0
_TAG_STRING = 1
_TAG_INTEGER = 2
_TAG_DECIMAL = 3
_TAG_FLOAT = 4
_TAG_BOOLEAN = 5
_TAG_DATE = 6
_TAG_DATETIME = 7

_U32 = struct.Struct("<I")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_TEXT_KINDS = {_TAG_STRING: str, _TAG_DECIMAL: Decimal, _TAG_DATE: Date, _TAG_DATETIME: DateTime}
_TRUE = bytes([_TAG_BOOLEAN, 1])
_FALSE = bytes([_TAG_BOOLEAN, 0])


def _u32_array(data):
    """Little-endian ``u32`` values of ``data`` as an ``array``, whatever this machine's order."""
    values = array("I")
    if values.itemsize != 4:
        values = array("L") if array("L").itemsize == 4 else None
        if values is None:
            raise RuntimeError("this Python has no 4-byte unsigned array type")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


class Batch:
    """A batch of rows, read-only.

    Iterate it for its :class:`Row` objects, index it (``batch[3]``) for one, or read a whole
    column at once with :meth:`values`, the fastest way through a batch.
    """

    __slots__ = ("columns", "_data", "_offsets", "_cells_end", "_rows", "_positions")

    def __init__(self, columns, data):
        """Reads a batch from its column names and encoded rows (``bytes`` or any buffer).

        The structure (row count, offsets) is checked here; each cell when it is read.
        Raises :class:`BatchError` when ``data`` is not a batch of these columns.
        """
        columns = list(columns)
        data = bytes(data) if not isinstance(data, bytes) else data
        size = len(data)
        if size < 4:
            raise BatchError(f"{size} bytes is too short for the row count")
        rows = _U32.unpack_from(data, size - 4)[0]
        cells = rows * len(columns)
        cells_end = size - 4 - 4 * cells
        if cells_end < 0:
            raise BatchError(f"{rows} rows of {len(columns)} columns do not fit in {size} bytes")
        offsets = _u32_array(data[cells_end : size - 4])
        if cells:
            if offsets[0] != 0 or offsets[-1] >= cells_end or list(offsets) != sorted(offsets):
                raise BatchError("cell offsets out of order or out of bounds")
        elif cells_end:
            raise BatchError(f"{cells_end} stray bytes after the last cell")
        #: The column names, in cell order.
        self.columns = columns
        self._data = data
        self._offsets = offsets
        self._cells_end = cells_end
        self._rows = rows
        self._positions = {name: position for position, name in reversed(list(enumerate(columns)))}

    @classmethod
    def from_rows(cls, columns, rows):
        """A batch of these columns holding ``rows``, each a sequence of values in column order."""
        builder = BatchBuilder(columns)
        for values in rows:
            builder.push_row(values)
        return builder.finish()

    @property
    def data(self):
        """The encoded rows, as ``bytes``."""
        return self._data

    def to_parts(self):
        """The column names and the encoded rows, e.g. to send them across the boundary."""
        return list(self.columns), self._data

    def column(self, name):
        """The position of the column named ``name``, or ``None`` when there is none."""
        return self._positions.get(name)

    def __len__(self):
        return self._rows

    def __iter__(self):
        return (Row(self, index) for index in range(self._rows))

    def __getitem__(self, index):
        """Row ``index`` (negative counts from the end); ``IndexError`` past the end."""
        if index < 0:
            index += self._rows
        if not 0 <= index < self._rows:
            raise IndexError(f"row {index} of a batch of {self._rows}")
        return Row(self, index)

    def __eq__(self, other):
        return isinstance(other, Batch) and self.columns == other.columns and self._data == other._data

    def __repr__(self):
        return f"Batch(columns={self.columns!r}, rows={[list(row.values()) for row in self]!r})"

    def values(self, name):
        """Every row's value in column ``name``, in row order.

        ``KeyError`` when the batch has no such column.
        """
        column = self._positions.get(name)
        if column is None:
            raise KeyError(f"the batch has no column {name}")
        width = len(self.columns)
        offsets = self._offsets
        data = self._data
        last = len(offsets) - 1
        values = []
        append = values.append
        # Text is most cells: decoded here without a call per cell; the rest (and any cell
        # that does not decode) go through the checked decoder.
        for cell in range(column, last + 1, width):
            start = offsets[cell]
            end = offsets[cell + 1] if cell < last else self._cells_end
            if end > start and data[start] == _TAG_STRING:
                try:
                    append(str(data[start + 1 : end], "utf-8"))
                    continue
                except UnicodeDecodeError:
                    pass
            append(self._cell(cell))
        return values

    def _cell(self, cell):
        """Decodes cell number ``cell`` (row by row), checking it."""
        offsets = self._offsets
        start = offsets[cell]
        end = offsets[cell + 1] if cell + 1 < len(offsets) else self._cells_end
        if end <= start:
            self._malformed(cell, "an empty cell")
        data = self._data
        tag = data[start]
        size = end - start - 1
        kind = _TEXT_KINDS.get(tag)
        if kind is not None:
            try:
                text = str(data[start + 1 : end], "utf-8")
            except UnicodeDecodeError as error:
                self._malformed(cell, f"text that is not UTF-8 ({error.reason})")
            return text if kind is str else kind(text)
        if tag == _TAG_NULL and size == 0:
            return None
        if tag == _TAG_INTEGER and size == 8:
            return _I64.unpack_from(data, start + 1)[0]
        if tag == _TAG_FLOAT and size == 8:
            return _F64.unpack_from(data, start + 1)[0]
        if tag == _TAG_BOOLEAN and size == 1 and data[start + 1] in (0, 1):
            return data[start + 1] == 1
        if tag > _TAG_DATETIME:
            self._malformed(cell, f"unknown cell tag {tag}")
        self._malformed(cell, f"a {size}-byte payload that does not fit tag {tag}")

    def _malformed(self, cell, problem):
        width = len(self.columns)
        raise BatchError(f"row {cell // width}, column {self.columns[cell % width]}: {problem}")


class Row:
    """One row of a :class:`Batch`.

    ``row["Name"]`` is the value of column ``Name`` (``KeyError`` when there is none);
    :meth:`get` gives ``None`` instead. :meth:`str`, :meth:`opt_str` and :meth:`required` read
    text and raise a :class:`RowError` naming this row and the field, ready to reject it.
    """

    __slots__ = ("batch", "index")

    def __init__(self, batch, index):
        #: The batch the row belongs to.
        self.batch = batch
        #: The row's index in its batch (0-based).
        self.index = index

    def __getitem__(self, name):
        column = self.batch._positions.get(name)
        if column is None:
            raise KeyError(f"the batch has no column {name}")
        return self.batch._cell(self.index * len(self.batch.columns) + column)

    def __contains__(self, name):
        return name in self.batch._positions

    def get(self, name, default=None):
        """The value of column ``name``, or ``default`` when the batch has no such column."""
        column = self.batch._positions.get(name)
        if column is None:
            return default
        return self.batch._cell(self.index * len(self.batch.columns) + column)

    def value(self, column):
        """The value in column position ``column``."""
        width = len(self.batch.columns)
        if not 0 <= column < width:
            raise IndexError(f"column {column} of {width}")
        return self.batch._cell(self.index * width + column)

    def values(self):
        """The row's values, in column order."""
        width = len(self.batch.columns)
        first = self.index * width
        return [self.batch._cell(cell) for cell in range(first, first + width)]

    def fields(self):
        """``(column name, value)`` pairs, in column order."""
        return list(zip(self.batch.columns, self.values()))

    def to_dict(self):
        """The row as a ``dict`` of column name to value."""
        return dict(self.fields())

    def str(self, name):
        """The text in column ``name``; null reads as ``""``.

        Raises :class:`RowError` when the column is missing or holds a number or boolean.
        """
        column = self.batch._positions.get(name)
        if column is None:
            raise self.error(name, "the column is missing")
        value = self.batch._cell(self.index * len(self.batch.columns) + column)
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        raise self.error(name, f"expected text, found a {type_name(value)}")

    def opt_str(self, name):
        """The trimmed text in column ``name``, or ``None`` when it is null or blank."""
        text = self.str(name).strip()
        return text or None

    def required(self, name):
        """The trimmed text in column ``name``; a :class:`RowError` says a value is required
        when it is null or blank."""
        text = self.opt_str(name)
        if text is None:
            raise self.error(name, "a value is required")
        return text

    def error(self, field, message):
        """A :class:`RowError` about ``field`` of this row (``None`` for the row as a whole)."""
        return RowError(self.index, message, field)

    def __repr__(self):
        return f"Row({self.index}, {self.to_dict()!r})"


class BatchBuilder:
    """Builds a :class:`Batch` row by row.

    Values are written with the kind they have (see :mod:`wharf_plugin.values`): ``None``,
    ``str``, ``int``, ``float``, ``bool``, :class:`Decimal`, :class:`Date`, :class:`DateTime`,
    and also ``decimal.Decimal``, ``datetime.date`` and ``datetime.datetime``.
    """

    __slots__ = ("columns", "_cells", "_offsets", "_rows")

    def __init__(self, columns):
        """An empty batch with these column names."""
        #: The column names.
        self.columns = list(columns)
        self._cells = bytearray()
        self._offsets = _u32_array(b"")
        self._rows = 0

    def __len__(self):
        return self._rows

    def push_row(self, values):
        """Adds a row: one value per column, in column order.

        ``ValueError`` when the number of values is not the number of columns, or an integer
        does not fit in 64 bits; ``TypeError`` for a value no cell can hold.
        """
        if len(values) != len(self.columns):
            raise ValueError(
                f"a row of {len(values)} values for {len(self.columns)} columns ({', '.join(self.columns)})"
            )
        cells = self._cells
        offsets = self._offsets
        mark = len(cells), len(offsets)
        try:
            for value in values:
                offsets.append(len(cells))
                _encode(cells, value)
        except Exception:
            # Leave the builder as it was before the row.
            del cells[mark[0] :]
            del offsets[mark[1] :]
            raise
        self._rows += 1

    def push(self, **fields):
        """Adds a row given by column name; columns left out are null. ``KeyError`` for a
        name that is not a column."""
        unknown = set(fields) - set(self.columns)
        if unknown:
            raise KeyError(f"no column {', '.join(sorted(unknown))} in ({', '.join(self.columns)})")
        self.push_row([fields.get(name) for name in self.columns])

    def finish(self):
        """The finished :class:`Batch`. The builder may go on taking rows afterwards."""
        offsets = array(self._offsets.typecode, self._offsets)
        if sys.byteorder == "big":
            offsets.byteswap()
        data = bytes(self._cells) + offsets.tobytes() + _U32.pack(self._rows)
        return Batch(self.columns, data)


def _encode(cells, value):
    """Appends the tag and payload of one cell to ``cells``."""
    kind = type(value)
    if kind is str:
        cells.append(_TAG_STRING)
        cells += value.encode()
    elif value is None:
        cells.append(_TAG_NULL)
    elif kind is bool:
        cells += _TRUE if value else _FALSE
    elif kind is int:
        _encode_integer(cells, value)
    elif kind is float:
        cells.append(_TAG_FLOAT)
        cells += _F64.pack(value)
    else:
        _encode_other(cells, value)


def _encode_integer(cells, value):
    if not -(2**63) <= value < 2**63:
        raise ValueError(f"{value} does not fit in a 64-bit integer cell")
    cells.append(_TAG_INTEGER)
    cells += _I64.pack(value)


def _encode_other(cells, value):
    """The kinds :func:`_encode` does not find by exact type: the text kinds and subclasses."""
    if isinstance(value, Decimal):
        tag, text = _TAG_DECIMAL, value
    elif isinstance(value, DateTime):
        tag, text = _TAG_DATETIME, value
    elif isinstance(value, Date):
        tag, text = _TAG_DATE, value
    elif isinstance(value, str):
        tag, text = _TAG_STRING, value
    elif isinstance(value, bool):
        cells += _TRUE if value else _FALSE
        return
    elif isinstance(value, int):
        _encode_integer(cells, int(value))
        return
    elif isinstance(value, float):
        cells.append(_TAG_FLOAT)
        cells += _F64.pack(value)
        return
    elif isinstance(value, _decimal.Decimal):
        tag, text = _TAG_DECIMAL, decimal_text(value)
    elif isinstance(value, _datetime.datetime):
        tag, text = _TAG_DATETIME, datetime_text(value)
    elif isinstance(value, _datetime.date):
        tag, text = _TAG_DATE, value.isoformat()
    else:
        raise TypeError(f"a {type(value).__name__} cannot be a cell value")
    cells.append(tag)
    cells += str.encode(text)
