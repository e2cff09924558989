#!/usr/bin/env bash
# The command-line walkthrough: installs the pinned toolchain and wasm target, builds the host and
# the example plugins into the example deployment (examples/deployment), then takes documents in
# every format through it into the embedded store and back out, printing each step.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup toolchain install # reads rust-toolchain.toml: the pinned Rust and wasm32-wasip2
cargo build --release -p wharf
wharf=target/release/wharf
deployment=examples/deployment
samples=$deployment/samples
export WHARF_DEPLOYMENT=$deployment

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Exit code 4 means "done, some rows rejected": the demo shows those on purpose.
rejects_ok() { "$@" || [ $? -eq 4 ]; }

step "build the example plugins into $deployment/plugins"
for crate in plugins/*/; do
  [ -f "$crate/wharf-plugin.toml" ] && "$wharf" plugin build "$crate" --out "$deployment/plugins"
done
rm -rf "$deployment/data" # a fresh store for every demo run

step "a plain CSV, mapped by field name: $samples/customer-groups.csv"
cat "$samples/customer-groups.csv"
"$wharf" import "$samples/customer-groups.csv" --project "Customer groups"

step "a D365 data package: entities at several levels, processed in unit/level/sequence order"
"$wharf" import "$samples/contoso-setup.zip" --project "Contoso setup"

step "a partner's CSV through a mapper plugin: $samples/northwind-customers.csv"
cat "$samples/northwind-customers.csv"
rejects_ok "$wharf" import "$samples/northwind-customers.csv" --project "Northwind customers"
echo "-- the rejected rows, with their reasons:"
cat "$deployment"/data/executions/Northwind*/*-errors.csv

step "partner XML: one document becomes sales order headers and their lines"
rejects_ok "$wharf" import "$samples/fabrikam-orders.xml" --project "Fabrikam orders"

step "the same partner XML reshaped by an XSLT 1.0 stylesheet, run in the sandbox: $deployment/stylesheets/fabrikam-orders.xsl"
rejects_ok "$wharf" import "$samples/fabrikam-orders.xml" --project "Fabrikam orders (XSLT)"

step "an Excel workbook, XML-Element, NDJSON and a fixed-width report"
rejects_ok "$wharf" import "$samples/products.xlsx" --project "Products"
"$wharf" import "$samples/purchase-order-headers.xml" --project "Purchase orders" --entity PurchaseOrderHeader
rejects_ok "$wharf" import "$samples/purchase-order-lines.ndjson" --project "Purchase orders" --entity PurchaseOrderLine
rejects_ok "$wharf" import "$samples/warehouse-on-hand.txt" --project "Warehouse on-hand"

step "export: changed customers as CSV (a second run finds nothing new and writes nothing)"
"$wharf" export --project "Customers export" --out target/demo/customers.csv
cat target/demo/customers.csv
"$wharf" export --project "Customers export" --out target/demo/customers.csv

step "export: a data package for a sister company"
"$wharf" export --project "Contoso export" --out target/demo/contoso-export.zip
python3 -m zipfile -l target/demo/contoso-export.zip

step "an action plugin: on-hand inventory of item D0001 at site 1"
"$wharf" plugin run "$deployment/plugins/inventory-action.wasm" --input examples/samples/on-hand-request.json \
  --entities examples/samples/inventory.json
