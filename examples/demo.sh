#!/usr/bin/env bash
# The Wharf demo: installs the pinned toolchain and wasm target, builds the host and the
# example plugins, then runs plugins on the sample files, showing input and output.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup toolchain install # reads rust-toolchain.toml: the pinned Rust and wasm32-wasip2
cargo build --release -p wharf
wharf=target/release/wharf
plugins=target/demo/plugins

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "build the example plugins into $plugins"
for crate in plugins/*/; do
  [ -f "$crate/wharf-plugin.toml" ] && "$wharf" plugin build "$crate" --out "$plugins"
done

step "what the customer mapper offers"
"$wharf" plugin check "$plugins/customer-csv-mapper.wasm"

step "input: a partner's customer CSV (examples/samples/northwind-customers.csv)"
cat examples/samples/northwind-customers.csv

step "output: Customer rows, and the rows rejected with their reasons (exit code 4: rows rejected)"
"$wharf" plugin run "$plugins/customer-csv-mapper.wasm" --input examples/samples/northwind-customers.csv || [ $? -eq 4 ]

step "one XML document, several orders: headers and lines (examples/samples/fabrikam-orders.xml)"
"$wharf" plugin run "$plugins/sales-order-xml-mapper.wasm" --input examples/samples/fabrikam-orders.xml || [ $? -eq 4 ]

step "an action: on-hand inventory of item D0001 at site 1 (examples/samples/on-hand-request.json)"
"$wharf" plugin run "$plugins/inventory-action.wasm" --input examples/samples/on-hand-request.json \
  --entities examples/samples/inventory.json
