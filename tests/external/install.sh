#!/usr/bin/env bash
# Installs the independent OData tools the integration tests check Wharf against, into
# target/external (nothing outside the checkout):
#   venv/                     python-odata (a real OData v4 client), odata-query (an independent
#                             $filter parser), lxml (XSD validation) and schemathesis (drives
#                             the server from its OpenAPI document)
#   odata-v4-parser/          the OASIS ABNF test cases (test/odata-abnf-testcases.xml)
#   odata-csdl/               the OASIS CSDL schemas (schemas/edm.xsd, schemas/edmx.xsd)
# Safe to run again: it does nothing when the same versions are already in place.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${CARGO_TARGET_DIR:-$root/target}/external"
stamp="$out/installed"
want="python-odata==0.8.1 odata-query==0.10.0 lxml==6.1.3 schemathesis==4.32.5 npm:odata-v4-parser@0.1.29 npm:odata-csdl@0.11.2"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    exit 0
fi
mkdir -p "$out"
python3 -m venv "$out/venv"
"$out/venv/bin/pip" install --quiet --disable-pip-version-check python-odata==0.8.1 odata-query==0.10.0 lxml==6.1.3 \
    schemathesis==4.32.5
for package in odata-v4-parser@0.1.29 odata-csdl@0.11.2; do
    name="${package%@*}"
    tarball="$(cd "$out" && npm pack --silent "$package")"
    rm -rf "${out:?}/$name" && mkdir -p "$out/$name"
    tar -xzf "$out/$tarball" -C "$out/$name" --strip-components=1
    rm -f "$out/$tarball"
done
echo "$want" > "$stamp"
