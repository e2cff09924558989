"""The two ways a plugin says no: one row (:class:`RowError`) or the whole call
(:class:`PluginError`)."""

__all__ = ["PluginError", "RowError", "BatchError"]


class PluginError(Exception):
    """Why a whole call failed. Nothing the call produced is used.

    Raise it from a plugin function; the caller (an operator, an OData client) reads
    ``message``.
    """

    def __init__(self, message):
        super().__init__(message)
        #: A sentence an operator can act on.
        self.message = str(message)


class RowError(Exception):
    """Why one input row was rejected. The row is left out; the others go on.

    Make one with :meth:`Row.error <wharf_plugin.Row.error>`, which fills in the row index
    and the field.
    """

    def __init__(self, row, message, field=None):
        super().__init__(message)
        #: The row's index in the input batch (0-based).
        self.row = row
        #: The field at fault, or ``None``.
        self.field = field
        #: A sentence an operator can act on.
        self.message = str(message)

    def __str__(self):
        if self.field is None:
            return f"row {self.row}: {self.message}"
        return f"row {self.row}, field {self.field}: {self.message}"

    def __eq__(self, other):
        return isinstance(other, RowError) and (self.row, self.field, self.message) == (
            other.row,
            other.field,
            other.message,
        )

    def __hash__(self):
        return hash((self.row, self.field, self.message))

    def __repr__(self):
        return f"RowError(row={self.row!r}, message={self.message!r}, field={self.field!r})"


class BatchError(ValueError):
    """Why a byte buffer is not a valid row batch."""

    def __init__(self, problem):
        super().__init__(f"malformed row batch: {problem}")
