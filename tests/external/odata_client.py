"""Drives a running Wharf server with python-odata, a real OData v4 client, the way an
application would: it reflects $metadata, creates customers, queries them (filters, ordering,
selection, paging), reads them by key, updates and deletes them, builds a bill of materials and
approves it through its bound action.

Usage: odata_client.py SERVICE_ROOT BEARER_TOKEN

Prints one JSON object saying what the client saw and the requests it sent; it asserts nothing
itself (the test that runs it does). Expected refusals are caught and reported; anything else
ends the script with a traceback and a non-zero exit.
"""

import json
import sys
from decimal import Decimal
from urllib.parse import unquote

import requests
from odata import ODataService
from odata.exceptions import NoResultsFound, ODataError

root, token = sys.argv[1], sys.argv[2]

# Every request the client sends, as "METHOD path?query -> status" relative to the service
# root, with the query decoded, so the report shows how the client paged and what it called.
sent = []
# The bodies of the answers to action calls, as the server sent them.
action_answers = []


def record(response, *args, **kwargs):
    url = unquote(response.request.url).removeprefix(root)
    sent.append(f"{response.request.method} {url} -> {response.status_code}")
    if response.request.method == "POST" and "/Microsoft.Dynamics.DataEntities." in url:
        action_answers.append(response.text)


session = requests.Session()
session.headers["Authorization"] = f"Bearer {token}"
session.hooks["response"].append(record)

# python-odata writes "@odata.type" into every insert and update as the bare qualified name
# ("Microsoft.Dynamics.DataEntities.Customer"; odata/state.py), which the server accepts as
# D365's OData library does, so the client runs with its defaults.
service = ODataService(root, session=session, reflect_entities=True, quiet_progress=True)

Customer = service.entities["CustomersV3"]
Header = service.entities["BillOfMaterialsHeaders"]
Line = service.entities["BillOfMaterialsLines"]
Blocked = service.types["Microsoft.Dynamics.DataEntities.CustVendorBlocked"]
NoYes = service.types["Microsoft.Dynamics.DataEntities.NoYes"]
PARTY = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

report = {
    "metadata": {
        "sets": sorted(service.entities),
        "customer_keys": [p["name"] for p in Customer.__odata_schema__["properties"] if p["is_primary_key"]],
        "blocked": [member.name for member in Blocked],
        "lines": Header.Lines.entitycls.__odata_schema__["name"],
    },
}


def refusal(call):
    """What the client raised for call, or None when it succeeded."""
    try:
        call()
    except (ODataError, NoResultsFound) as error:
        return {"kind": type(error).__name__, "text": str(error)}
    return None


def requests_of(call):
    """call's result and the requests it sent."""
    before = len(sent)
    result = call()
    return result, sent[before:]


def accounts(query):
    return [customer.CustomerAccount for customer in query]


def new_customer(number):
    """Customer C-{number}. dataAreaId is left out: the server puts the row in the caller's
    default company. (python-odata would drop it anyway: it leaves a navigation property's first
    referential-constraint property out of inserts, and CustomerGroup's is dataAreaId.)"""
    customer = Customer()
    customer.CustomerAccount = f"C-{number:03}"
    customer.OrganizationName = f"{'Fabrikam Retail' if number % 3 else 'Contoso Supply'} {number}"
    customer.CustomerGroupId = "10" if number % 2 else "20"
    customer.CreditLimit = Decimal(f"{number * 250}.50")
    customer.Blocked = {4: Blocked.Invoice, 8: Blocked.All}.get(number, Blocked.No)
    customer.CustomerSince = f"2020-{number:02}-15"
    customer.AddressCity = "Seattle" if number <= 6 else "Redmond"
    if number == 1:
        customer.PartyId = PARTY
    return customer


# Create twelve customers, more than two pages of five; then one more with a taken key.
customers = [new_customer(number) for number in range(1, 13)]
for customer in customers:
    service.save(customer)
first = customers[0].__odata__
duplicate = new_customer(1)
duplicate.OrganizationName = "Duplicate"
report["created"] = {
    "values": {name: value for name, value in first.data.items() if not name.startswith("@")},
    "url": first.instance_url.removeprefix(root),
    "duplicate": refusal(lambda: service.save(duplicate)),
}

# Query: the whole set page by page, filters of every kind, a selection, a window, counts.
query = service.query(Customer)
everyone, pages = requests_of(lambda: accounts(query.order_by(Customer.CustomerAccount.asc())))
group_20, group_pages = requests_of(
    lambda: accounts(query.filter(Customer.CustomerGroupId == "20").order_by(Customer.CustomerAccount.desc()))
)
report["paging"] = {"all": everyone, "all_requests": pages, "group_20": group_20, "group_20_requests": group_pages}
report["filters"] = {
    "gt": accounts(query.filter(Customer.CreditLimit > Decimal("2300")).order_by(Customer.CreditLimit.desc())),
    "contains": accounts(
        query.filter(Customer.OrganizationName.contains("Contoso")).order_by(Customer.CustomerAccount.asc())
    ),
    "startswith": accounts(
        query.filter(Customer.CustomerAccount.startswith("C-01")).order_by(Customer.CustomerAccount.desc())
    ),
    "and": accounts(query.filter((Customer.CustomerGroupId == "10") & (Customer.AddressCity == "Redmond"))),
    "or": accounts(
        query.filter((Customer.CreditLimit < Decimal("600")) | (Customer.CreditLimit >= Decimal("3000.50")))
    ),
    "two_filters": accounts(query.filter(Customer.AddressCity == "Seattle").filter(Customer.CustomerGroupId == "20")),
    "enum": accounts(query.filter(Customer.Blocked != Blocked.No)),
    "guid": accounts(query.filter(Customer.PartyId == PARTY)),
    "null": accounts(query.filter(Customer.PartyId.is_null()).filter(Customer.CustomerAccount.endswith("2"))),
    # Raw filters: D365's wildcard, dates and date functions. Negation is raw too: the client's
    # lacks() writes "not(...)" without the space the ABNF requires ("not" RWS boolCommonExpr),
    # which the server refuses as invalid.
    "wildcard": accounts(query.filter("OrganizationName eq '*Supply*'")),
    "not": accounts(query.filter("not contains(OrganizationName,'Fabrikam')")),
    "date": accounts(query.filter("CustomerSince ge 2020-11-01")),
    "date_functions": accounts(query.filter("month(CustomerSince) le 2 and year(CustomerSince) eq 2020")),
}
selected = query.select(Customer.CustomerAccount, Customer.CreditLimit, Customer.Blocked)
report["select"] = list(selected.filter(Customer.CreditLimit > Decimal("2500")).order_by(Customer.CreditLimit.desc()))
window, window_requests = requests_of(
    lambda: accounts(query.order_by(Customer.CreditLimit.desc()).offset(2).limit(3))
)
report["window"] = {"accounts": window, "requests": window_requests}
cheapest = query.filter(Customer.CustomerGroupId == "20").order_by(Customer.CreditLimit.asc()).first()
report["first"] = cheapest.CustomerAccount
report["count"] = {
    "all": query.count(),
    "group_10": query.filter(Customer.CustomerGroupId == "10").count(),
    "blocked": query.filter(Customer.Blocked != Blocked.No).count(),
}

# Read by the composite key, change two fields and save (a PATCH of what changed, then a read
# of the entity), read again; delete another and look for it.
customer = query.get(dataAreaId="usmf", CustomerAccount="C-003")
report["read"] = {
    "CreditLimit": customer.CreditLimit,
    "Blocked": customer.Blocked.name,
    "CustomerSince": customer.CustomerSince,
}
customer.CreditLimit = Decimal("99.95")
customer.AddressCity = "Bellevue"
_, update_requests = requests_of(lambda: service.save(customer))
again = query.get(dataAreaId="usmf", CustomerAccount="C-003")
report["updated"] = {
    "requests": update_requests,
    "CreditLimit": again.CreditLimit,
    "AddressCity": again.AddressCity,
    "OrganizationName": again.OrganizationName,
}
doomed = query.get(dataAreaId="usmf", CustomerAccount="C-005")
_, delete_requests = requests_of(lambda: service.delete(doomed))
report["deleted"] = {
    "requests": delete_requests,
    "read": refusal(lambda: query.get(dataAreaId="usmf", CustomerAccount="C-005")),
    "count": query.count(),
}

# A bill of materials with three lines, read back with its lines expanded.
header = Header()
header.BOMId = "B-100"
header.BOMName = "Heater assembly"
header.ProductionSiteId = "1"
header.IsApproved = NoYes.No
service.save(header)
for number, quantity in [(1, "2.5"), (2, "0.5"), (3, "12.125")]:
    line = Line()
    line.BOMId = "B-100"
    line.LineNumber = number
    line.ItemNumber = f"I-{number:03}"
    line.Quantity = Decimal(quantity)
    line.UnitSymbol = "pcs"
    service.save(line)
bom = service.query(Header).expand(Header.Lines).filter(Header.BOMId == "B-100").first()
report["bom"] = {
    "url": bom.__odata__.instance_url.removeprefix(root),
    "lines": [[line.LineNumber, line.ItemNumber, line.Quantity, line.UnitSymbol] for line in bom.Lines],
}

# python-odata takes a bound action's binding parameter only when it is named
# "bindingParameter" (odata/metadata.py, MetaData._parse_action). CSDL makes the first parameter
# of a bound action its binding parameter whatever its name (OData CSDL 4.0, "IsBound"), and
# D365 names it "_this"; so the client files approve among the unbound actions, with _this as
# an ordinary parameter. Bind the reflected action to its entity type, as the client would have.
reflected = service.actions["approve"]
report["bom"]["reflected_parameters"] = sorted(reflected.parameters)
approve = type("approve", (type(reflected),), {
    "parameters": {name: kind for name, kind in reflected.parameters.items() if name != "_this"},
    "bound_to_collection": False,
})
setattr(service.types["Microsoft.Dynamics.DataEntities.BillOfMaterialsHeader"], "approve", approve())
approved, approve_requests = requests_of(lambda: bom.approve(approver="000123"))
report["approve"] = {
    "result": approved,
    "answer": action_answers[-1],
    "requests": approve_requests,
    "again": refusal(lambda: bom.approve(approver="000124")),
}
bom = service.query(Header).get(dataAreaId="usmf", BOMId="B-100")
report["approved"] = {"IsApproved": bom.IsApproved.name, "ApproverPersonnelNumber": bom.ApproverPersonnelNumber}

print(json.dumps(report, default=str))
