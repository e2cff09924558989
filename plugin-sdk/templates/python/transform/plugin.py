"""{{name}}: turns a semicolon-separated file into the comma-separated one Wharf reads."""

import csv
import io

import wharf_plugin as wharf


@wharf.transform
def reshape(ctx, document):
    """The same rows, separated by commas, without a byte order mark."""
    delimiter = wharf.config("delimiter", ";")
    text = document.text().removeprefix("\ufeff")
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return wharf.Document("csv", out.getvalue().encode(), document.name)
