#!/usr/bin/env bash
# The whole push sign-in on one machine, then a QR-code claim and an in-app proof, printed step by step, with the three parties of a real
# deployment played by: curl (your backend, with the secret key; the browser, with the track token),
# the devicecred CLI (enrollment) and devicecred-agent (the device, asking its "user": a script).
#
# Run by `make demo` inside with-services.sh, which provides devicecred-server (DEVICECRED_TEST_API_URL,
# configured with demo-actions.toml) and a throwaway D-Bus session with gnome-keyring. Exits non-zero
# as soon as a step's answer differs from what a real Authsignal tenant would answer.
set -euo pipefail

bin_dir="$1"
api="$DEVICECRED_TEST_API_URL"
secret="$DEVICECRED_TEST_SECRET_KEY"
export AUTHSIGNAL_API_URL="$api" AUTHSIGNAL_TENANT_ID="$DEVICECRED_TEST_TENANT_ID"
user="alice"
work=$(mktemp -d)
agent_pid=""

finish() {
    if [ -n "$agent_pid" ]; then
        kill -TERM "$agent_pid" 2>/dev/null || true
        wait "$agent_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap finish EXIT

bold=$'\e[1m' green=$'\e[32m' red=$'\e[31m' plain=$'\e[0m'
[ -t 1 ] || { bold="" green="" red="" plain=""; }
step_number=0
step() { step_number=$((step_number + 1)); printf '\n%s%2d. %s%s\n' "$bold" "$step_number" "$*" "$plain"; }
show() { printf '    %s\n' "$@"; }
fail() { printf '%sdemo failed: %s%s\n' "$red" "$*" "$plain" >&2; exit 1; }
# expect LABEL ACTUAL WANTED: the demo stops at the first answer that differs.
expect() {
    [ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"
    show "$1: ${green}$2${plain}"
}

# Your backend calls the Server API with the secret key (HTTP Basic, empty password).
backend() { curl -sS --fail-with-body -u "$secret:" -H 'Content-Type: application/json' "$@"; }
# The browser calls the Client API with the token the backend handed it.
browser() {
    local token="$1"; shift
    curl -sS --fail-with-body -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"
}
track() { backend -d "$2" "$api/users/$user/actions/$1"; }
field() { jq -r "$1" <<<"$2"; }

# The browser polls until the device answered; bounded, like a real sign-in page.
poll_until_answered() {
    local token="$1" challenge_id="$2" answer
    for _ in $(seq 1 120); do
        answer=$(browser "$token" -d "{\"challengeId\":\"$challenge_id\"}" "$api/client/verify/push")
        if [ "$(field .isConsumed "$answer")" = "true" ]; then
            printf '%s' "$answer"
            return 0
        fi
        sleep 0.5
    done
    fail "the device did not answer challenge $challenge_id within 60 s"
}

# The device's user, scripted: devicecred-agent runs this with the challenge as JSON on stdin;
# exit 0 approves, 1 denies. It decides what $work/decision says and narrates what it was shown.
cat >"$work/scripted-user" <<'EOF'
#!/usr/bin/env bash
challenge=$(cat)
decision=$(cat "$DEMO_WORK/decision")
jq -r --arg decision "$decision" \
    '"agent asks: approve \(.actionCode) from \(.ipAddress // "?") (\(.userAgent // "?"))? user says: \($decision)"' \
    <<<"$challenge" >>"$DEMO_WORK/prompts"
[ "$decision" = approve ]
EOF
chmod +x "$work/scripted-user"
export DEMO_WORK="$work"
: >"$work/prompts"

wait_for_prompt() {
    local count="$1"
    for _ in $(seq 1 120); do
        [ "$(wc -l <"$work/prompts")" -ge "$count" ] && { show "$(sed -n "${count}p" "$work/prompts")"; return 0; }
        sleep 0.5
    done
    fail "the agent did not prompt within 60 s"
}

printf '%sDeviceCredential demo: push sign-in on one Linux machine%s\n' "$bold" "$plain"
show "server: $api (tenant $AUTHSIGNAL_TENANT_ID)" "keyring: gnome-keyring in a throwaway D-Bus session"

step "backend: track signIn for $user, who has no device yet"
answer=$(track signIn '{"ipAddress":"203.0.113.7","userAgent":"Firefox/133.0 (Windows)"}')
expect state "$(field .state "$answer")" ALLOW
expect isEnrolled "$(field .isEnrolled "$answer")" false
enrollment_token=$(field .token "$answer")
show "token: a JWT for enrollment (not shown)"

step "device: devicecred enroll (token on stdin, key generated into the keyring)"
printf '%s' "$enrollment_token" | "$bin_dir/devicecred" enroll --token - --device-name "Demo workstation" |
    sed 's/^/    /'

step "device: devicecred status"
"$bin_dir/devicecred" status | sed 's/^/    /'

step "device: start devicecred-agent, prompting through the scripted user"
echo approve >"$work/decision"
"$bin_dir/devicecred-agent" --interval 1 --prompt command --prompt-command "$work/scripted-user" \
    2>"$work/agent.log" &
agent_pid=$!
show "agent pid $agent_pid, polling every 1 s"

sign_in() {
    local decision="$1" prompt_number="$2"
    echo "$decision" >"$work/decision"

    step "backend: track signIn for $user -> a push challenge is required"
    answer=$(track signIn '{"ipAddress":"203.0.113.7","userAgent":"Firefox/133.0 (Windows)"}')
    expect state "$(field .state "$answer")" CHALLENGE_REQUIRED
    token=$(field .token "$answer")
    url=$(field .url "$answer")
    show "a browser could also open the hosted sign-in page: ${url%%\?*}?token=... (token not shown)"

    step "browser: start the push challenge with the token"
    answer=$(browser "$token" -d '{"action":"signIn"}' "$api/client/challenge/push")
    challenge_id=$(field .challengeId "$answer")
    show "challengeId: $challenge_id"

    step "agent: getChallenge, prompt, updateChallenge (signed with the device key)"
    wait_for_prompt "$prompt_number"

    step "browser: poll until the device answered"
    answer=$(poll_until_answered "$token" "$challenge_id")
    expect isConsumed "$(field .isConsumed "$answer")" true
    if [ "$decision" = approve ]; then
        expect isVerified "$(field .isVerified "$answer")" true
        token=$(field .accessToken "$answer")
        show "accessToken: a new JWT for the backend (not shown)"
    else
        expect isVerified "$(field .isVerified "$answer")" false
    fi

    step "backend: validate the token"
    answer=$(backend -d "{\"token\":\"$token\"}" "$api/validate")
    if [ "$decision" = approve ]; then
        expect state "$(field .state "$answer")" CHALLENGE_SUCCEEDED
        expect isValid "$(field .isValid "$answer")" true
    else
        expect state "$(field .state "$answer")" CHALLENGE_FAILED
        expect isValid "$(field .isValid "$answer")" false
    fi
}

printf '\n%s-- sign-in, approved on the device%s\n' "$bold" "$plain"
sign_in approve 1
printf '\n%s-- sign-in, denied on the device%s\n' "$bold" "$plain"
sign_in deny 2

printf '\n%s-- actions that need no push%s\n' "$bold" "$plain"
step "backend: track viewBalance (configured ALLOW)"
answer=$(track viewBalance '{}')
expect state "$(field .state "$answer")" ALLOW

step "backend: track wireTransfer of 25000 (rule: amount > 10000 blocks)"
answer=$(track wireTransfer '{"custom":{"amount":25000}}')
expect state "$(field .state "$answer")" BLOCK
expect ruleIds "$(field '.ruleIds | join(",")' "$answer")" block-large-transfers

printf '\n%s-- a QR-code sign-in and an in-app proof (the SDKs qr and inapp namespaces)%s\n' "$bold" "$plain"
step "device: enroll the profile's QR-code and in-app credentials (a key of their own each, same profile)"
for namespace in qr inapp; do
    answer=$(track enroll '{"scope":"add:authenticators"}')
    field .token "$answer" | "$bin_dir/devicecred" enroll --namespace "$namespace" --token - | sed 's/^/    /'
done

step "backend: track signIn; browser: show a QR code (REST polling mode)"
answer=$(track signIn '{"ipAddress":"203.0.113.7","userAgent":"Firefox/133.0 (Windows)"}')
token=$(field .token "$answer")
answer=$(browser "$token" -d '{"action":"signIn"}' "$api/client/challenge/qr-code")
challenge_id=$(field .challengeId "$answer")
device_code=$(field .deviceCode "$answer")
show "the QR code holds: $challenge_id"

step "device: the scanned text into devicecred claim - (a webcam: zbarcam --raw | devicecred claim -)"
printf '%s\n' "$challenge_id" | "$bin_dir/devicecred" claim - --approve | sed 's/^/    /'

step "browser: poll the QR code with its deviceCode"
answer=$(curl -sS --fail-with-body -u "$AUTHSIGNAL_TENANT_ID:" -H 'Content-Type: application/json' \
    -d "{\"challengeId\":\"$challenge_id\",\"deviceCode\":\"$device_code\"}" "$api/client/verify/qr-code")
expect isClaimed "$(field .isClaimed "$answer")" true
expect isVerified "$(field .isVerified "$answer")" true
token=$(field .token "$answer")

step "backend: validate the QR-code token"
answer=$(backend -d "{\"token\":\"$token\"}" "$api/validate")
expect isValid "$(field .isValid "$answer")" true
expect verificationMethod "$(field .verificationMethod "$answer")" QR_CODE

step "device: devicecred verify --action vpnConnect (in-app: a token only this machine's key can get)"
token=$("$bin_dir/devicecred" verify --action vpnConnect)
show "token: a JWT for the backend (not shown)"
answer=$(backend -d "{\"token\":\"$token\"}" "$api/validate")
expect isValid "$(field .isValid "$answer")" true
expect action "$(field .action "$answer")" vpnConnect
expect verificationMethod "$(field .verificationMethod "$answer")" IN_APP

step "device: devicecred remove, for each namespace (signed removals; keys deleted after the server confirmed)"
"$bin_dir/devicecred" remove --namespace qr | sed 's/^/    /'
"$bin_dir/devicecred" remove --namespace inapp | sed 's/^/    /'
"$bin_dir/devicecred" remove | sed 's/^/    /'

printf '\n%sdemo passed: every step answered as expected%s\n' "$green" "$plain"
