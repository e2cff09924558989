"""{{name}}: keeps the rows whose status is not one of the closed ones."""

import wharf_plugin as wharf


@wharf.filter
def keep(ctx, batch):
    """One answer per row, in order: true keeps the row."""
    status_column = wharf.config("status_column", "Status")
    closed = {word.strip().lower() for word in wharf.config("closed", "").split(",") if word.strip()}
    if batch.column(status_column) is None:
        raise wharf.PluginError(f"the input has no {status_column} column to filter on")
    return [(status or "").strip().lower() not in closed for status in batch.values(status_column)]
