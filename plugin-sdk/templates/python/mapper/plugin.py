"""{{name}}: maps a partner's customer list onto the Customer entity."""

import wharf_plugin as wharf

FIELDS = ["CustomerAccount", "OrganizationName", "CreditLimit"]


@wharf.row_mapper("Customer", FIELDS)
def customer(ctx, row):
    """One Customer row per input row; a row without an account number is rejected."""
    prefix = wharf.config("account_prefix", "")
    account = row.required("cust_no").upper()
    name = row.str("company_name").strip()
    limit = row.opt_str("credit_limit")
    if limit is not None:
        limit = limit.replace(",", ".")
        if not limit.replace(".", "", 1).isdigit():
            raise row.error("credit_limit", f"{limit} is not a number")
        limit = wharf.Decimal(limit)
    return [prefix + account, name, limit]
