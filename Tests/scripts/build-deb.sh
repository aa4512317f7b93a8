#!/usr/bin/env bash
# Builds the two Debian packages into OUT_DIR (default dist/):
#   devicecred_<version>_<arch>.deb         devicecred, devicecred-agent, the user unit and its preset,
#                                           man pages, completions, docs
#   devicecred-server_<version>_<arch>.deb  devicecred-server with a hardened system unit
# The binaries are release builds with the Swift runtime linked statically (see the README's packaging
# figures for why), so the packages run where no Swift toolchain is installed. `Depends` comes from
# dpkg-shlibdeps; the version from `devicecred --version`, the one the binaries print and send.
#
# usage: build-deb.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."

out="${1:-dist}"
swift="${SWIFT:-swift}"
maintainer="${DEB_MAINTAINER:-DeviceCredential developers <devicecred@users.noreply.github.com>}"
arch=$(dpkg --print-architecture)

for product in devicecred devicecred-agent devicecred-server; do
    "$swift" build -c release --static-swift-stdlib --product "$product"
done
bin=$("$swift" build -c release --static-swift-stdlib --show-bin-path)
version=$("$bin/devicecred" --version)
for product in devicecred-agent devicecred-server; do
    product_version=$("$bin/$product" --version)
    [ "$product_version" = "$version" ] || {
        echo "build-deb: $product --version says '$product_version', devicecred says '$version'" >&2
        exit 1
    }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/devicecred-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# Installs a stripped binary (the debug info is most of a release binary's size).
install_binary() {
    install -D -m 755 "$bin/$1" "$2/usr/bin/$1"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$2/usr/bin/$1"
}

# A man page from the binary's --help, for the executables without a hand-made one.
help_manual() {
    local program="$1" section_name="$2" root="$3"
    help2man --no-info --no-discard-stderr --version-string="$version" --name="$section_name" \
        "$root/usr/bin/$program" | gzip -9n >"$root/usr/share/man/man1/$program.1.gz"
}

# The copyright file (free-form, not DEP-5): this project's licence, then the licences of the Swift
# packages linked into the binaries (their own LICENSE files, as checked out for this build). An Apache-2.0
# text is named, not copied (Debian has it in /usr/share/common-licenses); anything after its terms, such
# as the Swift runtime's exception, is kept.
license_text() {
    local file="$1"
    if grep -q "Apache License" "$file" && grep -q "Version 2.0" "$file"; then
        printf 'Apache-2.0: on Debian systems in /usr/share/common-licenses/Apache-2.0.\n'
        sed -n '/Runtime Library Exception/,$p' "$file"
    else
        cat "$file"
    fi
}

write_copyright() {
    local destination="$1"
    {
        cat packaging/copyright
        local toolchain_license
        toolchain_license="$(dirname "$(dirname "$(command -v "$swift")")")/share/swift/LICENSE.txt"
        if [ -f "$toolchain_license" ]; then
            printf '\n\n==== The Swift runtime, standard library and Foundation (linked statically):\n\n'
            license_text "$toolchain_license"
        fi
        local checkout name license
        for checkout in .build/checkouts/*/ .build/checkouts/swift-crypto/Sources/CCryptoBoringSSL/; do
            [ -d "$checkout" ] || continue
            name=${checkout#.build/checkouts/}
            name=${name%/}
            for license in "$checkout"LICENSE* "$checkout"LICENCE* "$checkout"COPYING*; do
                [ -f "$license" ] || continue
                printf '\n\n==== %s (Swift package, linked statically), its %s:\n\n' "$name" "$(basename "$license")"
                license_text "$license"
                break
            done
        done
    } >"$destination"
}

write_changelog() {
    local package="$1" destination="$2"
    {
        printf '%s (%s) unstable; urgency=medium\n\n' "$package" "$version"
        printf '  * Release %s, built from commit %s.\n\n' "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
        printf ' -- %s  %s\n' "$maintainer" "$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
    } | gzip -9n >"$destination"
}

# dpkg-shlibdeps wants a debian/control beside it; the one it reads only needs the package names.
shlib_depends() {
    local shlibs="$work/shlibs"
    mkdir -p "$shlibs/debian"
    printf 'Source: devicecred\n\nPackage: devicecred\nArchitecture: any\n' >"$shlibs/debian/control"
    local binaries=()
    local binary
    for binary in "$@"; do binaries+=("-e$(realpath "$binary")"); done
    (cd "$shlibs" && dpkg-shlibdeps -O "${binaries[@]}" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}

# Writes DEBIAN/control from the template, then builds the package.
build_package() {
    local package="$1" root="$2"
    shift 2
    local depends size
    depends=$(shlib_depends "$@")
    size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
        -e "s|@INSTALLED_SIZE@|$size|" -e "s|@DEPENDS@|$depends|" \
        "packaging/$package/control.in" >"$root/DEBIAN/control"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | xargs md5sum) \
        >"$root/DEBIAN/md5sums"
    chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
    dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${package}_${version}_${arch}.deb" >/dev/null
    echo "build-deb: $out/${package}_${version}_${arch}.deb ($(du -k "$out/${package}_${version}_${arch}.deb" | cut -f1) kB)"
}

# devicecred: the CLI and the agent.
root="$work/devicecred"
install -d -m 755 "$root/DEBIAN" "$root/usr/share/man/man1" "$root/usr/share/doc/devicecred"
install_binary devicecred "$root"
install_binary devicecred-agent "$root"
sed 's|^ExecStart=.*|ExecStart=/usr/bin/devicecred-agent|' Sources/devicecred-agent/systemd/devicecred-agent.service \
    | grep -v '^# `make install\|^# binary (the default\|^#   systemctl --user daemon-reload' \
    | install -D -m 644 /dev/stdin "$root/usr/lib/systemd/user/devicecred-agent.service"
install -D -m 644 packaging/devicecred/devicecred-agent.preset "$root/usr/lib/systemd/user-preset/80-devicecred.preset"
install -D -m 644 packaging/devicecred-open.desktop "$root/usr/share/applications/devicecred-open.desktop"
# The agent's D-Bus API: activation through the user unit, and the interface for app developers.
grep -v '^#' Sources/devicecred-agent/dbus/io.github.DeviceCredential.Agent.service \
    | install -D -m 644 /dev/stdin "$root/usr/share/dbus-1/services/io.github.DeviceCredential.Agent.service"
install -D -m 644 Sources/devicecred-agent/dbus/io.github.DeviceCredential.Agent1.xml \
    "$root/usr/share/dbus-1/interfaces/io.github.DeviceCredential.Agent1.xml"
install -D -m 644 Sources/devicecred-agent/dbus/io.github.DeviceCredential.Prompter1.xml \
    "$root/usr/share/dbus-1/interfaces/io.github.DeviceCredential.Prompter1.xml"
Tests/scripts/generate-cli-extras.sh "$root/usr/bin" "$work/extras" >/dev/null
# A completion is sourced, not run: no #! line (lintian: bash-completion-with-hashbang).
sed '1{/^#!/d}' "$work/extras/bash-completion/completions/devicecred" |
    install -D -m 644 /dev/stdin "$root/usr/share/bash-completion/completions/devicecred"
install -D -m 644 "$work/extras/zsh/site-functions/_devicecred" "$root/usr/share/zsh/vendor-completions/_devicecred"
install -D -m 644 "$work/extras/fish/vendor_completions.d/devicecred.fish" \
    "$root/usr/share/fish/vendor_completions.d/devicecred.fish"
gzip -9n <"$work/extras/man/man1/devicecred.1" >"$root/usr/share/man/man1/devicecred.1.gz"
help_manual devicecred-agent "shows push sign-in challenges and sends your answer" "$root"
install -m 644 README.md Docs/cli.md Docs/agent.md Docs/security.md Docs/tpm.md Docs/embedding.md \
    Docs/enrollment-for-scripts.md "$root/usr/share/doc/devicecred/"
write_copyright "$root/usr/share/doc/devicecred/copyright"
write_changelog devicecred "$root/usr/share/doc/devicecred/changelog.gz"
install -m 755 packaging/devicecred/postinst packaging/devicecred/postrm "$root/DEBIAN/"
chmod 644 "$root"/usr/share/man/man1/*.gz "$root/usr/share/doc/devicecred/changelog.gz"
build_package devicecred "$root" "$root/usr/bin/devicecred" "$root/usr/bin/devicecred-agent"

# devicecred-server: the server and its system unit.
root="$work/devicecred-server"
install -d -m 755 "$root/DEBIAN" "$root/usr/share/man/man1" "$root/usr/share/doc/devicecred-server"
install_binary devicecred-server "$root"
install -D -m 644 packaging/devicecred-server/devicecred-server.service \
    "$root/usr/lib/systemd/system/devicecred-server.service"
install -D -m 600 packaging/devicecred-server/environment "$root/etc/devicecred-server/environment"
echo /etc/devicecred-server/environment >"$root/DEBIAN/conffiles"
help_manual devicecred-server "a local Authsignal-compatible server for one tenant" "$root"
install -m 644 Docs/server.md "$root/usr/share/doc/devicecred-server/"
write_copyright "$root/usr/share/doc/devicecred-server/copyright"
write_changelog devicecred-server "$root/usr/share/doc/devicecred-server/changelog.gz"
install -m 755 packaging/devicecred-server/postinst packaging/devicecred-server/prerm \
    packaging/devicecred-server/postrm "$root/DEBIAN/"
chmod 644 "$root/DEBIAN/conffiles" "$root"/usr/share/man/man1/*.gz "$root/usr/share/doc/devicecred-server/changelog.gz"
build_package devicecred-server "$root" "$root/usr/bin/devicecred-server"
