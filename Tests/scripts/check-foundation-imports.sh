#!/usr/bin/env bash
# What the devicecred package ships (the library, the agent, the CLI) uses FoundationEssentials, never the
# whole of Foundation: one `import Foundation` links ICU's data into the static binary, which took the
# stripped devicecred from 21 MB to 65 MB and its package from 9.4 MB to 21.6 MB before this check.
# The server, the benchmarks, the soak and the probes may use Foundation.
set -euo pipefail
cd "$(dirname "$0")/../.."

shipped=(DeviceCredential DeviceCredentialAgent DeviceCredentialCLI DeviceCredentialLocking DeviceCredentialRelease
    devicecred devicecred-agent)
found=$(for module in "${shipped[@]}"; do
    grep -rnE '^[[:space:]]*(@[A-Za-z_]+[[:space:]]+)*((internal|public|package|private|fileprivate)[[:space:]]+)?import[[:space:]]+Foundation([[:space:]]|$)' \
        "Sources/$module" --include='*.swift' || true
done)
if [ -n "$found" ]; then
    echo "$found" | sed 's/$/  <- import FoundationEssentials instead/'
    echo "check-foundation-imports: the devicecred package's modules import the whole of Foundation"
    exit 1
fi
echo "check-foundation-imports: the devicecred package's modules use FoundationEssentials only"
