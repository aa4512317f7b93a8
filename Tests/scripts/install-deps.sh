#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, when they are missing.
# Runs apt-get only when something is missing, so a prepared machine pays nothing.
set -euo pipefail

# dbus-x11 (dbus-launch) and xvfb are there so the tests can prove nothing autolaunches a session bus;
# iproute2 (ss) tells the soak which of the agent's sockets are libcurl's pooled socket pairs.
packages=(
    pkg-config libssl-dev openssl libsecret-1-dev libglib2.0-dev libcurl4-openssl-dev libsqlite3-dev libqrencode-dev
    ca-certificates curl jq dbus dbus-daemon dbus-bin gnome-keyring libsecret-tools
    swtpm swtpm-tools tpm2-openssl tpm2-tools tmux pinentry-curses dbus-x11 python3 python3-dbus python3-gi gir1.2-glib-2.0 libglib2.0-bin
    xvfb xdotool imagemagick zbar-tools xfce4-notifyd dunst desktop-file-utils xdg-utils
    iproute2
)

# `--packaging` adds what `make deb` and `make test-deb` need.
if [ "${1:-}" = "--packaging" ]; then
    packages+=(dpkg-dev binutils help2man lintian debootstrap fakeroot)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
    command -v sudo >/dev/null || { echo "install-deps: run as root, or: apt-get install ${missing[*]}" >&2; exit 1; }
else
    sudo=
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
