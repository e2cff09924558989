"""Keeps the rows of the company being imported and drops inactive records. The columns and
the status words that mean "inactive" come from the manifest's config.

The Python twin of the Rust `company-filter`: the same config, the same answers. Companies
and status words compare without regard to ASCII case, as the Rust plugin's
`eq_ignore_ascii_case` does.
"""

import string

import wharf_plugin as wharf

# Lower-cases ASCII letters only, leaving every other character as it is.
ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def folded(value):
    """The value's text, trimmed and ASCII-lower-cased, or None when it is not text."""
    return value.strip().translate(ASCII_LOWER) if isinstance(value, str) else None


@wharf.filter
def keep(ctx, batch):
    """One answer per row: true for an active row of the call's company."""
    company_column = wharf.config("company_column", "dataAreaId")
    status_column = wharf.config("status_column", "Status")
    inactive = {folded(word) for word in wharf.config("inactive", "").split(",") if word.strip()}
    if ctx.company is not None and batch.column(company_column) is None:
        raise wharf.PluginError(f"the input has no {company_column} column to filter on")
    rows = len(batch)
    if batch.column(status_column) is None:
        active = [True] * rows
    else:
        active = [folded(status) not in inactive for status in batch.values(status_column)]
    if ctx.company is None:
        return active
    wanted = ctx.company.translate(ASCII_LOWER)
    companies = batch.values(company_column)
    return [keep and folded(have) == wanted for keep, have in zip(active, companies)]
