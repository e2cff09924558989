"""{{name}}: sets a customer's credit limit, refusing one above the manifest's ceiling."""

import decimal

import wharf_plugin as wharf
from wharf_plugin import unit_of_work


@wharf.action("setCreditLimit")
def set_credit_limit(ctx, params):
    """Changes the customer's CreditLimit and answers with the old and the new one."""
    account = params.required("customerAccount", str)
    try:
        limit = decimal.Decimal(str(params.required("creditLimit")))
    except decimal.InvalidOperation:
        raise wharf.PluginError("creditLimit must be a number") from None
    ceiling = decimal.Decimal(wharf.config("max_credit_limit", "100000"))
    if limit < 0 or limit > ceiling:
        raise wharf.PluginError(f"a credit limit must be between 0 and {ceiling}")
    key = {"CustomerAccount": account}
    customer = unit_of_work.read("Customer", key)
    if customer is None:
        raise wharf.PluginError(f"there is no customer {account}")
    unit_of_work.update("Customer", key, {"CreditLimit": limit})
    wharf.log(wharf.host.INFO, f"credit limit of {account} set to {limit}")
    return {"customerAccount": account, "previous": customer.get("CreditLimit"), "creditLimit": str(limit)}
