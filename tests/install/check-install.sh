#!/bin/sh
# tests/install/check-install.sh - `make install-check`: the real
# `make install` (release build) into a scratch DESTDIR with PREFIX=/usr,
# then the same checks as the meson test install-layout, and a listing.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
dest=$(mktemp -d "${TMPDIR:-/tmp}/facteur-destdir.XXXXXX")
trap 'rm -rf "$dest"' EXIT
make -C "$top" install DESTDIR="$dest" PREFIX=/usr
(cd "$dest" && find . -type f | sort)
/usr/bin/python3 "$top/tests/install/install_test.py" "$(command -v meson)" \
    "$top/build-release" "$top" /usr \
    "$(command -v scdoc >/dev/null && echo true || echo false)"
