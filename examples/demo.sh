#!/usr/bin/env bash
# The Wharf demo: installs the pinned toolchain and wasm target, builds the host and the
# example plugins into the example deployment (examples/deployment), starts `wharf serve` on
# the embedded store, and walks documents through the D365 recurring-integrations API as a
# client would: a CSV enqueued, processed and its job status read; a data package imported;
# its rows read through OData, a bill of materials approved by an action plugin and a custom
# service called; an export dequeued, downloaded and acknowledged. Every call is printed as the curl command
# it is, with the server's answer. The server then keeps serving, with a client's id and
# secret printed for your own calls; Ctrl-C stops it gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup toolchain install # reads rust-toolchain.toml: the pinned Rust and wasm32-wasip2
cargo build --release -p wharf
wharf=$PWD/target/release/wharf
deployment=examples/deployment
samples=$deployment/samples
export WHARF_DEPLOYMENT=$deployment
mkdir -p target/demo

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
for crate in plugins/*/; do
  [ -f "$crate/wharf-plugin.toml" ] && "$wharf" plugin build "$crate" --out "$deployment/plugins" >/dev/null
done
rm -rf "$deployment/data" # a fresh store and queue for every demo run

step "register two clients (their secrets are shown once)"
# The example jobs authorize Fabrikam ERP's id, so it is given; without --id a new GUID is made.
client_id=0f7c5d2e-8b3a-4e61-9d4f-2a1b6c8e3f57
echo "\$ wharf client add 'Fabrikam ERP' --id $client_id --role data-management --company usmf"
"$wharf" client add "Fabrikam ERP" --id $client_id --role data-management --company usmf | tee target/demo/client.txt
secret=$(awk '/client secret/ {print $3}' target/demo/client.txt)
"$wharf" client add Operations --role admin --company '*' > target/demo/ops.txt
ops_id=$(awk '/client id/ {print $3}' target/demo/ops.txt)
ops_secret=$(awk '/client secret/ {print $3}' target/demo/ops.txt)
echo "(and an admin client, Operations, for the management API)"

step "start the server: wharf serve --config examples/server.toml"
"$wharf" serve --config examples/server.toml > target/demo/server.out 2> target/demo/server.log &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 1 300); do grep -q listening target/demo/server.out 2>/dev/null && break; sleep 0.1; done
cat target/demo/server.out
base=$(sed -n 's/^listening on \([^ ]*\).*/\1/p' target/demo/server.out)
[ -n "$base" ] || { cat target/demo/server.log; exit 1; }

# Prints a call as the curl command it is (the token shown as $TOKEN), runs it, and prints the
# status and the answer (JSON pretty-printed). The answer is left in $answer.
call() {
  printf '\033[36m$ curl'
  for arg in "$@"; do
    arg=${arg//$token/\$TOKEN}
    if [[ $arg == *'$TOKEN'* ]]; then printf ' "%s"' "$arg"
    elif [[ $arg =~ ^[-A-Za-z0-9_@%:/.=,+]*$ ]]; then printf ' %s' "$arg"
    else printf " '%s'" "${arg//\'/\'\\\'\'}"; fi # so that it pastes into a shell: ' becomes '\''
  done
  printf '\033[0m\n'
  local status
  status=$(curl -sS -o target/demo/answer -w '%{http_code}' "$@")
  answer=$(cat target/demo/answer)
  echo "HTTP $status"
  if [ -n "$answer" ]; then
    python3 -m json.tool target/demo/answer 2>/dev/null || head -c 600 target/demo/answer; echo
  fi
}
# Waits (quietly) until a message's job status says it was processed, then shows that call.
job_status() {
  for _ in $(seq 1 100); do
    curl -sS "${auth[@]}" "$base/api/connector/jobstatus/$1?jobId=$2" | grep -q '"DataJobState":"Processed' && break
    sleep 0.2
  done
  call "$base/api/connector/jobstatus/$1?jobId=$2" "${auth[@]}"
}
token=
groups=6d31e09f-0249-459f-94f0-aad9c2c47b64
setup=b0b5401e-56ca-4dc8-b566-84389a001236
export_job=5acd8121-d4e1-4cf8-b31f-9713de3e3627

step "get a token (OAuth 2.0 client credentials, the Entra v1 form)"
call -X POST "$base/contoso/oauth2/token" -d grant_type=client_credentials -d client_id=$client_id \
  -d "client_secret=$secret" -d "resource=$base"
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' target/demo/answer)
auth=(-H "Authorization: Bearer $token")

step "enqueue a CSV of customer groups to the file job (activity id braced, as Microsoft's examples send it)"
cat "$samples/customer-groups.csv"
call -X POST "$base/api/connector/enqueue/%7B${groups^^}%7D?entity=Customer%20groups&company=usmf" "${auth[@]}" \
  -H "x-ms-dyn-externalidentifier: customer-groups.csv" --data-binary "@$samples/customer-groups.csv"
message=$(tr -d '"' < target/demo/answer)

step "the job processes its queue on its recurrence (every 2 s); poll the job status"
job_status "$groups" "$message"

step "the message status, through the data-package API (single-quoted JSON, as d365fo.integrations sends)"
call -X POST "$base/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.GetMessageStatus" \
  "${auth[@]}" -H "Content-Type: application/json" -d "{'messageId':'$message'}"

step "enqueue a D365 data package to the package job (customers, groups and bills of materials)"
call -X POST "$base/api/connector/enqueue/$setup?company=usmf" "${auth[@]}" -H "Content-Type: application/zip" \
  --data-binary "@$samples/contoso-setup.zip"
package=$(tr -d '"' < target/demo/answer)
job_status "$setup" "$package"

step "OData: the imported customers, filtered, ordered and narrowed (D365's /data conventions)"
call "$base/data/CustomersV3?\$filter=CreditLimit%20gt%201000&\$select=CustomerAccount,OrganizationName,CustomerGroupId,CreditLimit&\$orderby=CreditLimit%20desc" "${auth[@]}"

step "OData: a bill of materials with its lines (\$expand), then approved by the bom-approval action plugin"
call "$base/data/BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='BOM-0001')?\$expand=Lines(\$select=ItemNumber,Quantity)" "${auth[@]}"
call -X POST "$base/data/BillOfMaterialsHeaders(dataAreaId='usmf',BOMId='BOM-0001')/Microsoft.Dynamics.DataEntities.approve" \
  "${auth[@]}" -H "Content-Type: application/json" -d '{"approver":"000110"}'

step "OData: create on-hand stock, then ask the inventory custom service how many heaters site 1 has"
call -X POST "$base/data/InventoryOnHand" "${auth[@]}" -H "Content-Type: application/json" \
  -d '{"ItemNumber":"T0004","SiteId":"1","WarehouseId":"11","AvailableQuantity":12}'
call -X POST "$base/api/services/InventoryServices/InventoryService/onHand" "${auth[@]}" \
  -H "Content-Type: application/json" -d '{"itemNumber":"T0004","siteId":"1"}'

step "the export job runs every 5 s and queues changed customers; dequeue until a file is there"
for _ in $(seq 1 100); do
  status=$(curl -sS -o target/demo/dequeue -w '%{http_code}' "${auth[@]}" "$base/api/connector/dequeue/$export_job")
  [ "$status" = 200 ] && break
  sleep 0.5
done
echo "(a 204 No Content meant nothing was queued yet)"
# The dequeue above leased the message; show the same call's answer as a client sees it.
printf '\033[36m$ curl %s -H "Authorization: Bearer $TOKEN"\033[0m\nHTTP 200\n' "$base/api/connector/dequeue/$export_job"
python3 -m json.tool target/demo/dequeue
download=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["DownloadLocation"])' target/demo/dequeue)

step "download the file at DownloadLocation (with the bearer token, as RIS and d365fo.integrations do)"
call "$download" "${auth[@]}"

step "acknowledge it with the dequeue answer; the queue is then empty (204)"
call -X POST "$base/api/connector/ack/$export_job" "${auth[@]}" -H "Content-Type: application/json" \
  --data-binary @target/demo/dequeue
call "$base/api/connector/dequeue/$export_job" "${auth[@]}"

step "the operator's view: messages through the management API (admin client Operations)"
ops_token=$(curl -sS -X POST "$base/contoso/oauth2/v2.0/token" -d grant_type=client_credentials -d client_id=$ops_id \
  -d "client_secret=$ops_secret" -d "scope=$base/.default" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -sS -H "Authorization: Bearer $ops_token" "$base/manage/messages" | python3 -c '
import json, sys
for m in json.load(sys.stdin)["value"]:
    print(m["MessageId"], m["Direction"].ljust(6), m["Status"].ljust(12), "records", m["TotalRecords"], m["ExternalCorrelationId"] or "")'

step "the server keeps serving"
cat <<TEXT
URL:           $base
client id:     $client_id
client secret: $secret
token:         curl -X POST $base/contoso/oauth2/token -d grant_type=client_credentials \\
                 -d client_id=$client_id -d client_secret=$secret -d resource=$base
logs:          target/demo/server.log
Ctrl-C stops it (work under way finishes first).
TEXT
trap - EXIT
trap 'kill -TERM $server; wait $server' INT TERM
wait $server
