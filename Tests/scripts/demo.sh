#!/usr/bin/env bash
# The whole push sign-in on one machine, printed step by step. Run by `make demo` inside
# with-services.sh, which provides devicecred-server (DEVICECRED_TEST_API_URL) and a throwaway keyring.
set -euo pipefail

bin_dir="$1"
api="$DEVICECRED_TEST_API_URL"
secret="$DEVICECRED_TEST_SECRET_KEY"

step() { printf '\n== %s\n' "$*"; }

step "backend: track action signIn for user demo-user"
curl -sS --fail-with-body -u "$secret:" -H 'Content-Type: application/json' \
    -d '{"redirectUrl":"https://example.test/after"}' "$api/users/demo-user/actions/signIn" |
    jq '{state, isEnrolled, token: (.token | .[0:12] + "...")}'

if [ ! -x "$bin_dir/devicecred" ]; then
    step "device: enrolment and push approval need the devicecred CLI and agent: not yet"
    exit 0
fi
