#!/usr/bin/env bash
# Installs the packages from build-deb.sh into a minimal Debian 12 that has no Swift toolchain (made with
# debootstrap, cached as a tarball between runs), and checks, inside it:
#   - no Swift runtime anywhere in the root, and no binary loads a Swift library or misses any library
#     (ldd); `--version` of each binary is the package's version;
#   - the server, started as its system unit starts it (unprivileged, state in /var/lib), answers;
#   - `devicecred enroll --key-store file` and a whole push sign-in approved through the packaged CLI;
#   - `systemd-analyze verify` of both units;
#   - `dpkg --purge` of both packages leaves no file of theirs behind.
# Then lintian: any error fails; the warnings kept are listed in packaging/lintian-accepted.txt.
# Must run as root (debootstrap, chroot). The chroot shares this machine's network (loopback only is
# used by the checks, plus Debian's archive for apt).
#
# usage: test-deb.sh DIST_DIR
set -euo pipefail
cd "$(dirname "$0")/../.."

dist="$(realpath "${1:-dist}")"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${DEVICECRED_DEB_TEST_CACHE:-/var/cache/devicecred-test}"
tarball="$cache/bookworm-minbase.tar"
[ "$(id -u)" -eq 0 ] || { echo "test-deb: run as root (debootstrap and chroot need it)" >&2; exit 1; }

debs=("$dist"/devicecred_*.deb "$dist"/devicecred-server_*.deb)
for deb in "${debs[@]}"; do [ -f "$deb" ] || { echo "test-deb: no $deb; run make deb first" >&2; exit 1; }; done
version=$(dpkg-deb -f "${debs[0]}" Version)

step() { printf 'test-deb: %s\n' "$*"; }
fail() { printf 'test-deb: FAILED: %s\n' "$*" >&2; exit 1; }

# Everything below runs in a private mount namespace, so the chroot's /proc and /dev mounts go away with
# it, whatever happens.
if [ -z "${DEVICECRED_DEB_TEST_INSIDE:-}" ]; then
    export DEVICECRED_DEB_TEST_INSIDE=1
    exec unshare --mount --propagation private "$0" "$@"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/devicecred-deb-test.XXXXXX")
root="$work/root"
server_pid=""
finish() {
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
    umount -R "$root/proc" "$root/dev" 2>/dev/null || true
    rm -rf --one-file-system "$work"
}
trap finish EXIT

if [ ! -s "$tarball" ]; then
    step "debootstrap a minimal Debian 12 (once; cached in $tarball)"
    mkdir -p "$cache"
    debootstrap --variant=minbase bookworm "$work/fresh" "$mirror" >"$work/debootstrap.log" 2>&1 ||
        { tail -20 "$work/debootstrap.log" >&2; fail "debootstrap"; }
    tar -C "$work/fresh" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf --one-file-system "$work/fresh"
fi
mkdir "$root"
tar -C "$root" -xf "$tarball"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

# -xdev: not into the chroot's /proc and /dev.
[ -z "$(find "$root" -xdev -name 'libswift*' -print -quit)" ] && ! in_root sh -c 'command -v swift' >/dev/null ||
    fail "the root has a Swift toolchain or runtime"

step "apt install ./devicecred_$version ./devicecred-server_$version (and systemd, for systemd-analyze)"
cp "${debs[@]}" "$root/tmp/"
in_root apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get update"; }
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${debs[@]/#$dist//tmp}" systemd >>"$work/apt.log" 2>&1 || { tail -30 "$work/apt.log" >&2; fail "apt install"; }
[ -z "$(find "$root" -xdev -name 'libswift*' -print -quit)" ] || fail "installing brought a Swift runtime"

step "no binary loads a Swift library (the runtime is linked in), and none misses a library"
# The Swift runtime's libraries by name: the standard library's, Foundation's, Dispatch's.
swift_library='^\s*lib(swift|_?Foundation|dispatch|BlocksRuntime)[^ ]*\.so'
for binary in /usr/bin/devicecred /usr/bin/devicecred-agent /usr/bin/devicecred-server; do
    loaded=$(in_root ldd "$binary") || fail "ldd $binary: $loaded"
    ! grep -q 'not found' <<<"$loaded" || fail "$binary: $(grep 'not found' <<<"$loaded")"
    swift=$(grep -E "$swift_library" <<<"$loaded") || true
    [ -z "$swift" ] || fail "$binary loads the Swift runtime from outside itself: $swift"
done

step "--version of each binary is $version"
for binary in devicecred devicecred-agent devicecred-server; do
    [ "$(in_root "$binary" --version)" = "$version" ] || fail "$binary --version is not $version"
done

step "systemd-analyze verify of both units, and the man pages their Documentation= names"
# --man=no: a minimal root has no man(1) to look pages up with; the pages are checked in the package instead.
in_root systemd-analyze verify --man=no /usr/lib/systemd/system/devicecred-server.service
install -d -m 700 "$root/run/user/0"  # the user manager systemd-analyze --user sets up needs a runtime dir
in_root env XDG_RUNTIME_DIR=/run/user/0 systemd-analyze --user verify --man=no \
    /usr/lib/systemd/user/devicecred-agent.service
for page in devicecred devicecred-agent devicecred-server; do
    [ -s "$root/usr/share/man/man1/$page.1.gz" ] || fail "no man page for $page"
done

step "the server, started as its unit does: unprivileged, state in /var/lib/devicecred-server"
exec_start=$(sed -n 's/^ExecStart=//p' "$root/usr/lib/systemd/system/devicecred-server.service")
[[ "$exec_start" == "/usr/bin/devicecred-server "* ]] || fail "unexpected ExecStart: $exec_start"
install -d -o nobody -g nogroup -m 700 "$root/var/lib/devicecred-server"
# The unit's command line, with port 0 (a free one) instead of 8787 and the URL written to a file.
command_line=${exec_start//'${DEVICECRED_SERVER_HOST}'/127.0.0.1}
command_line=${command_line//'${DEVICECRED_SERVER_PORT}'/0}
chroot --userspec=nobody:nogroup "$root" /usr/bin/env -i PATH=/usr/bin:/bin \
    $command_line --url-file /var/lib/devicecred-server/url >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do [ -s "$root/var/lib/devicecred-server/url" ] && break; sleep 0.1; done
api=$(cat "$root/var/lib/devicecred-server/url" 2>/dev/null) || { cat "$work/server.log" >&2; fail "the server did not start"; }
[ -s "$root/var/lib/devicecred-server/devicecred-server.sqlite" ] || fail "no SQLite state in /var/lib/devicecred-server"

# The documented development tenant (Docs/server.md): the backend and the browser are curl, outside.
tenant=11111111-2222-4333-8444-555555555555
secret=dev_secret_devicecred_local_only
backend() { curl -sS --fail-with-body -u "$secret:" -H 'Content-Type: application/json' "$@"; }
browser() { local token="$1"; shift; curl -sS --fail-with-body -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }

step "devicecred enroll --key-store file"
install -d -m 700 "$root/tmp/home" "$root/tmp/home/run"
backend -d '{}' "$api/users/deb-user/actions/signIn" | jq -r .token >"$root/tmp/home/token"
chmod 600 "$root/tmp/home/token"
in_root env HOME=/tmp/home XDG_RUNTIME_DIR=/tmp/home/run devicecred enroll --key-store file \
    --token-file /tmp/home/token --api-url "$api" --tenant-id "$tenant" --device-name "packaged" >/dev/null
key_mode=$(stat -c %a "$root"/tmp/home/.local/share/devicecred/keys/*.pem)
[ "$key_mode" = 600 ] || fail "the key file is mode $key_mode, not 600"

step "a push sign-in approved through the packaged CLI"
answer=$(backend -d '{"ipAddress":"203.0.113.7"}' "$api/users/deb-user/actions/signIn")
[ "$(jq -r .state <<<"$answer")" = CHALLENGE_REQUIRED ] || fail "track: $answer"
token=$(jq -r .token <<<"$answer")
challenge=$(browser "$token" -d '{}' "$api/client/challenge/push" | jq -r .challengeId)
in_root env HOME=/tmp/home XDG_RUNTIME_DIR=/tmp/home/run devicecred approve "$challenge" >/dev/null
poll=$(browser "$token" -d "{\"challengeId\":\"$challenge\"}" "$api/client/verify/push")
[ "$(jq -r .isVerified <<<"$poll")" = true ] || fail "the browser's poll: $poll"
validated=$(backend -d "{\"token\":\"$(jq -r .accessToken <<<"$poll")\"}" "$api/validate")
[ "$(jq -r .state <<<"$validated")" = CHALLENGE_SUCCEEDED ] || fail "validate: $validated"
kill -TERM "$server_pid"
wait "$server_pid" || fail "the server did not stop cleanly on SIGTERM"
server_pid=""

step "dpkg --purge leaves nothing behind"
rm -rf "$root/tmp/home" "$root"/tmp/*.deb
in_root dpkg --purge devicecred devicecred-server >/dev/null
left=$(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev \) -prune -o -path '*devicecred*' -print)
[ -z "$left" ] || fail "left after purge: $left"

step "lintian"
lintian --fail-on error --suppress-tags-from-file packaging/lintian-accepted.txt "${debs[@]}"
step "ok: $(basename "${debs[0]}") and $(basename "${debs[1]}")"
