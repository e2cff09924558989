"""Drives a running Wharf server with python-odata, a real OData v4 client, as an application
would: it reflects $metadata, creates customers, queries them (filters, ordering, selection,
paging), updates, deletes and reads them by key, builds a bill of materials and approves it
through its bound action.

Usage: odata_client.py SERVICE_ROOT BEARER_TOKEN

Prints one JSON object saying what the client saw; it asserts nothing itself (the test that
runs it does). Expected refusals are caught and reported; anything else ends the script with
a traceback and a non-zero exit.
"""

import json
import sys
from decimal import Decimal
from urllib.parse import unquote

import requests
from odata import ODataService
from odata.exceptions import NoResultsFound, ODataError

root, token = sys.argv[1], sys.argv[2]

# Every request the client sends, as "METHOD url" with the query decoded, so the report can
# show how the client paged.
sent = []
session = requests.Session()
session.headers["Authorization"] = f"Bearer {token}"
session.hooks["response"].append(lambda response, *args, **kwargs: sent.append(
    f"{response.request.method} {unquote(response.request.url)} -> {response.status_code}"))

from odata.flags import ODataServerFlags  # TEMP
service = ODataService(root, session=session, reflect_entities=True, quiet_progress=True, server_flags=ODataServerFlags(provide_odata_type_annotation=False))
report = {}

Customer = service.entities["CustomersV3"]
Header = service.entities["BillOfMaterialsHeaders"]
Line = service.entities["BillOfMaterialsLines"]
Blocked = service.types["Microsoft.Dynamics.DataEntities.CustVendorBlocked"]
NoYes = service.types["Microsoft.Dynamics.DataEntities.NoYes"]

def error_of(call):
    try:
        call()
    except (ODataError, NoResultsFound) as error:
        return {"kind": type(error).__name__, "text": str(error)}
    return None

def new_customer(number, **overrides):
    customer = Customer()
    customer.CustomerAccount = f"C-{number:03}"
    customer.OrganizationName = f"{'Fabrikam Retail' if number % 3 else 'Contoso Supply'} {number}"
    customer.CustomerGroupId = "10" if number % 2 else "20"
    customer.CreditLimit = Decimal(f"{number * 250}.50")
    customer.Blocked = Blocked.No
    customer.CustomerSince = f"2020-{number:02}-15"
    customer.AddressCity = "Seattle" if number <= 6 else "Redmond"
    for name, value in overrides.items():
        setattr(customer, name, value)
    return customer


created = []
for number in range(1, 13):
    customer = new_customer(number)
    service.save(customer)
    created.append(customer)
report["created"] = {
    "first": {name: value for name, value in created[0].__odata__.data.items()},
    "url": created[0].__odata__.instance_url,
}
report["duplicate"] = error_of(lambda: service.save(new_customer(1)))

def accounts(query):
    return [customer.CustomerAccount for customer in query]

def during(work):
    before = len(sent)
    result = work()
    return result, sent[before:]

query = service.query(Customer)
everyone, pages = during(lambda: accounts(query.order_by(Customer.CustomerAccount.asc())))
report["all"] = {"accounts": everyone, "requests": pages}
report["filters"] = {
    "eq": accounts(query.filter(Customer.CustomerGroupId == "20").order_by(Customer.CustomerAccount.asc())),
    "gt": accounts(query.filter(Customer.CreditLimit > Decimal("2300")).order_by(Customer.CreditLimit.desc())),
    "contains": accounts(query.filter(Customer.OrganizationName.contains("Contoso")).order_by(Customer.CustomerAccount.asc())),
    "startswith": accounts(query.filter(Customer.CustomerAccount.startswith("C-01")).order_by(Customer.CustomerAccount.desc())),
    "and": accounts(query.filter((Customer.CustomerGroupId == "10") & (Customer.AddressCity == "Redmond"))),
    "or": accounts(query.filter((Customer.CreditLimit < Decimal("600")) | (Customer.CreditLimit >= Decimal("3000.50")))),
    "two_filters": accounts(query.filter(Customer.AddressCity == "Seattle").filter(Customer.CustomerGroupId == "20")),
    "lacks": accounts(query.filter(Customer.OrganizationName.lacks("Fabrikam"))),
    "wildcard": accounts(query.filter("OrganizationName eq '*Supply*'")),
    "date": accounts(query.filter("CustomerSince ge 2020-11-01")),
    "year": accounts(query.filter("month(CustomerSince) le 2 and year(CustomerSince) eq 2020")),
    "null": accounts(query.filter(Customer.AddressStreet.is_null()).filter(Customer.CustomerAccount == "C-001")),
}
print(json.dumps(report, default=str))
print(json.dumps(sent))
