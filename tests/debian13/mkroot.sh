#!/bin/sh
# tests/debian13/mkroot.sh - a Debian 13 (trixie) root for the debian13
# suite, built once with debootstrap and cached outside the checkout.
#
#   mkroot.sh SRCDIR [CACHE]   prints the root's path (CACHE/trixie-HASH)
#
# HASH names the package list (facteur's build dependencies are
# scripts/install-deps' build_pkgs, read from SRCDIR) and this builder's
# ROOT_VERSION: a new list builds a new root, an unchanged one is reused
# in seconds. The
# root is built beside its final name and renamed into place when
# complete, under a lock (flock), so two runs never build it at once and
# nobody sees half a root. Stock: "Internet Site" Postfix and Dovecot
# 2.4 with their recommends, as apt installs them on a trixie server;
# facteur's build dependencies without recommends. Services are not
# started (policy-rc.d). Needs root and the Debian mirror; without the
# mirror (and no cached root) it exits 77 naming it, which meson counts
# as a skip.
set -eu

ROOT_VERSION=1
MIRROR=${FACTEUR_TRIXIE_MIRROR:-http://deb.debian.org/debian}
SRC=${1:?usage: mkroot.sh SRCDIR [CACHE]}
CACHE=${2:-${FACTEUR_TEST_CACHE:-/var/cache/facteur-test}}
HOST=mail.example.org
# What a stock trixie mail server installs (with recommends), with
# spamassassin for its rule files (facteur-spam's default rules_path, as
# install-deps --runtime installs it), then what facteur builds with
# (install-deps' build list, no recommends) and the test needs (cmocka
# for the unit tests' build, python3, ip).
SERVER_PKGS="postfix dovecot-core dovecot-imapd dovecot-lmtpd dovecot-sieve
dovecot-sqlite publicsuffix spamassassin"
build_pkgs=
eval "$(sed -n '/^build_pkgs="/,/"$/p' "$SRC/scripts/install-deps")"
[ -n "$build_pkgs" ] ||
    { echo "mkroot: no build_pkgs in $SRC/scripts/install-deps" >&2; exit 1; }
BUILD_PKGS="$build_pkgs libcmocka-dev python3 sqlite3 openssl iproute2
ca-certificates"

# shellcheck disable=SC2086
hash=$(printf '%s\n' "$ROOT_VERSION" "$MIRROR" "$(echo $SERVER_PKGS)" \
    "$(echo $BUILD_PKGS)" | sha256sum | cut -c1-12)
root="$CACHE/trixie-$hash"

if [ -f "$root/.facteur-root-complete" ]; then
	echo "$root"
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "mkroot: needs root" >&2; exit 1; }
mkdir -p "$CACHE"
exec 9>"$CACHE/trixie-$hash.lock"
if ! flock -w 3600 9; then
	echo "mkroot: $CACHE/trixie-$hash.lock held for an hour" >&2
	exit 1
fi
# Another run may have finished it while we waited.
if [ -f "$root/.facteur-root-complete" ]; then
	echo "$root"
	exit 0
fi
if ! wget -q -T 15 -t 2 -O /dev/null "$MIRROR/dists/trixie/InRelease"; then
	echo "SKIP: missing peer: Debian trixie mirror ($MIRROR)"
	exit 77
fi

# Leftovers of a build that died are ours to remove: we hold the lock.
rm -rf "$CACHE/.trixie-$hash.tmp."*
tmp="$CACHE/.trixie-$hash.tmp.$$"
start=$(date +%s)
echo "mkroot: debootstrap trixie into $tmp" >&2
debootstrap --variant=minbase trixie "$tmp" "$MIRROR" >"$CACHE/.trixie-$hash.log" 2>&1 ||
    { tail -30 "$CACHE/.trixie-$hash.log" >&2; exit 1; }

printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 755 "$tmp/usr/sbin/policy-rc.d"
echo "$HOST" >"$tmp/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s mail\n::1\tlocalhost\n' \
    "$HOST" >"$tmp/etc/hosts"
cp /etc/resolv.conf "$tmp/etc/resolv.conf"
cat >"$tmp/root/preseed" <<PRESEED
postfix postfix/main_mailer_type select Internet Site
postfix postfix/mailname string $HOST
PRESEED

# The packages, in a private mount namespace: /proc and /dev go away
# with it.
unshare -m --propagation private /bin/sh -eu -c '
tmp=$1; server=$2; build=$3
mount -t proc proc "$tmp/proc"
mount --bind /dev "$tmp/dev"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
chroot "$tmp" debconf-set-selections /root/preseed
chroot "$tmp" apt-get update -qq
chroot "$tmp" apt-get install -y -qq $server
chroot "$tmp" apt-get install -y -qq --no-install-recommends $build
chroot "$tmp" apt-get clean
' mkroot "$tmp" "$SERVER_PKGS" "$BUILD_PKGS" >>"$CACHE/.trixie-$hash.log" 2>&1 ||
    { tail -30 "$CACHE/.trixie-$hash.log" >&2; exit 1; }
rm -f "$tmp/root/preseed"
: >"$tmp/etc/resolv.conf"
rm -rf "$tmp/var/lib/apt/lists/"*

echo "built in $(($(date +%s) - start)) s" >"$tmp/.facteur-root-complete"
mv "$tmp" "$root"
# Roots of older package lists, with their build directories, unless a
# run holds them.
for old in "$CACHE"/trixie-*; do
	case "$old" in "$root"*|*.lock|*.build) continue ;; esac
	[ -f "$old/.facteur-root-complete" ] || continue
	if flock -n "$old.run.lock" rm -rf "$old" "$old.build"; then
		rm -f "$old.run.lock" "$old.lock"
		echo "mkroot: removed the older $old" >&2
	fi
done
echo "mkroot: $root built in $(($(date +%s) - start)) s" >&2
echo "$root"
