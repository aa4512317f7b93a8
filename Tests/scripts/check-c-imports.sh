#!/usr/bin/env bash
# C stays at the edge: only files named for their C library may import one of our C modules, and only
# with `internal import`, so no C type can leak into a public signature.
set -euo pipefail
cd "$(dirname "$0")/../.."

declare -A allowed_suffix=(
    [CDeviceCredentialOpenSSL]="_openssl.swift"
    [CDeviceCredentialSecret]="_libsecret.swift _gio.swift"
    [CDeviceCredentialGio]="_gio.swift"
    [CDeviceCredentialCurl]="_curl.swift"
    [CDeviceCredentialMalloc]="_malloc.swift"
    [CDeviceCredentialQRencode]="_qrencode.swift"
    [CDeviceCredentialFuzzer]="_libfuzzer.swift"
)

failures=0
while IFS=: read -r file line text; do
    module=$(sed -E 's/.*import[[:space:]]+(CDeviceCredential[A-Za-z]*).*/\1/' <<<"$text")
    ok=0
    for suffix in ${allowed_suffix[$module]:-}; do
        [[ "$file" == *"$suffix" ]] && ok=1
    done
    if [ $ok -eq 0 ]; then
        echo "$file:$line: $module may only be imported by files ending in ${allowed_suffix[$module]:-<none>}"
        failures=$((failures + 1))
    elif ! grep -Eq '^[[:space:]]*internal[[:space:]]+import' <<<"$text"; then
        echo "$file:$line: import $module with 'internal import'"
        failures=$((failures + 1))
    fi
done < <(grep -rnE '^[[:space:]]*(@[A-Za-z_]+[[:space:]]+)*((internal|public|package|private|fileprivate)[[:space:]]+)?import[[:space:]]+CDeviceCredential' Sources Tests --include='*.swift' || true)

if [ $failures -gt 0 ]; then
    echo "check-c-imports: $failures violation(s)"
    exit 1
fi
echo "check-c-imports: only edge files import C modules"
