#!/usr/bin/env bash
# Runs a command inside the real services DeviceCredential's tests and demo use, then stops them:
#   - a private D-Bus session bus with gnome-keyring-daemon's Secret Service, login keyring unlocked;
#   - the swtpm TPM 2.0 simulator on a unix socket (TPM2OPENSSL_TCTI / TPM2TOOLS_TCTI);
#   - devicecred-server on a free loopback port, in memory (DEVICECRED_TEST_API_URL).
# Everything lives in a throwaway HOME and XDG tree that is deleted on exit, whatever the command did.
#
# usage: with-services.sh [--server BIN [--server-config FILE]] [--no-tpm] -- COMMAND [ARG...]
set -euo pipefail

server_bin=""
server_args=()
want_tpm=1
while [ $# -gt 0 ]; do
    case "$1" in
        --server) server_bin="$2"; shift 2 ;;
        --server-config) server_args+=(--config "$2"); shift 2 ;;
        --no-tpm) want_tpm=0; shift ;;
        --) shift; break ;;
        *) echo "with-services: unknown option $1" >&2; exit 2 ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: with-services.sh [--server BIN [--server-config FILE]] [--no-tpm] -- COMMAND [ARG...]" >&2; exit 2; }

sandbox=$(mktemp -d "${TMPDIR:-/tmp}/devicecred-services.XXXXXX")
pids=()

# The tests run dozens of agents, D-Bus daemons and keyrings at once, each with an inotify instance; the
# kernel's default per-user limit (128) runs out (measured: 128 in use during make test), and then an
# agent falls back to re-reading its profile list on a timer and some daemons stall. As root, raise the
# limit for the run and put it back afterwards.
inotify_limit=/proc/sys/fs/inotify/max_user_instances
inotify_before=""
if [ "$(id -u)" = 0 ] && [ -w "$inotify_limit" ] && [ "$(cat "$inotify_limit")" -lt 1024 ]; then
    inotify_before=$(cat "$inotify_limit")
    echo 1024 >"$inotify_limit"
fi

stop_services() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$sandbox"
    if [ -n "$inotify_before" ]; then echo "$inotify_before" >"$inotify_limit"; fi
}
trap stop_services EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits for a condition that a service reports when ready; bounded, so a broken service fails fast.
wait_until() {
    local what="$1"; shift
    local tries=0
    until "$@" >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ $tries -ge 300 ]; then echo "with-services: $what did not come up" >&2; return 1; fi
        sleep 0.1
    done
}

# A throwaway home: the tests and the demo never touch the real user's keyring or profiles.
export HOME="$sandbox/home"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
export XDG_RUNTIME_DIR="$sandbox/run"
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR"

# D-Bus session bus.
dbus-daemon --session --nofork --nopidfile --address="unix:path=$XDG_RUNTIME_DIR/bus" \
    --print-address=3 3>"$sandbox/bus-address" 2>"$sandbox/dbus.log" &
pids+=($!)
wait_until "the D-Bus session bus" test -s "$sandbox/bus-address"
export DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG_RUNTIME_DIR/bus"

# gnome-keyring's Secret Service with an unlocked login keyring. An empty password creates no login
# keyring, so the throwaway one gets a fixed password, exported for tests that lock and unlock it.
export DEVICECRED_TEST_KEYRING_PASSWORD="devicecred-test-keyring"
printf '%s' "$DEVICECRED_TEST_KEYRING_PASSWORD" | gnome-keyring-daemon --foreground --unlock --components=secrets >"$sandbox/keyring.log" 2>&1 &
pids+=($!)
wait_until "gnome-keyring-daemon" dbus-send --session --print-reply --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.GetNameOwner string:org.freedesktop.secrets

# The TPM simulator.
if [ $want_tpm -eq 1 ]; then
    mkdir -p "$sandbox/tpm"
    swtpm socket --tpm2 --tpmstate dir="$sandbox/tpm" \
        --server type=unixio,path="$sandbox/tpm/sock" --ctrl type=unixio,path="$sandbox/tpm/sock.ctrl" \
        --flags not-need-init,startup-clear >"$sandbox/swtpm.log" 2>&1 &
    pids+=($!)
    wait_until "swtpm" test -S "$sandbox/tpm/sock"
    export TPM2OPENSSL_TCTI="swtpm:path=$sandbox/tpm/sock" TPM2TOOLS_TCTI="swtpm:path=$sandbox/tpm/sock"
fi

# The local Authsignal-compatible server, in memory, on a free loopback port.
if [ -n "$server_bin" ]; then
    "$server_bin" "${server_args[@]}" --port 0 --url-file "$sandbox/server-url" >"$sandbox/server.log" 2>&1 &
    pids+=($!)
    wait_until "devicecred-server" test -s "$sandbox/server-url"
    export DEVICECRED_TEST_API_URL
    DEVICECRED_TEST_API_URL=$(cat "$sandbox/server-url")
    export DEVICECRED_TEST_TENANT_ID="${AUTHSIGNAL_TENANT_ID:-11111111-2222-4333-8444-555555555555}"
    export DEVICECRED_TEST_SECRET_KEY="${AUTHSIGNAL_SECRET_KEY:-dev_secret_devicecred_local_only}"
fi

echo "with-services: D-Bus + gnome-keyring${TPM2OPENSSL_TCTI:+ + swtpm}${DEVICECRED_TEST_API_URL:+ + devicecred-server at $DEVICECRED_TEST_API_URL}"
status=0
"$@" || status=$?
if [ $status -ne 0 ] && [ -s "$sandbox/server.log" ]; then
    echo "with-services: the command failed ($status); last lines of the server log:" >&2
    tail -n 20 "$sandbox/server.log" >&2
fi
exit $status
