#!/bin/sh
# tests/debian13/run.sh SRCDIR - the debian13 suite: facteur on a stock
# Debian 13 (trixie) server, Postfix 3.10 and Dovecot 2.4.
#
# The trixie root comes from mkroot.sh (built once, cached outside the
# checkout). Each run mounts an overlay over it, so the cached root stays
# stock and what the run changes goes away with it, and works in new
# mount, network and PID namespaces: the checkout read-only at
# /facteur/src, a build directory kept between runs (beside the root) at
# /facteur/build, /proc, a /dev of a few device nodes (no host /dev/log),
# and only a loopback interface: nothing in the root reaches the network
# or the host's services, and every process it started dies with it.
# inroot.py does the work inside. Exit 77 (a skip) names what is missing.
#
#   run.sh SRCDIR [CMD ARG...]   CMD in the root instead of inroot.py
#                                (to look around: run.sh . /bin/bash)
set -eu

src=$(cd "${1:?usage: run.sh SRCDIR [CMD ARG...]}" && pwd)
shift
[ $# -gt 0 ] || set -- /usr/bin/python3 /facteur/src/tests/debian13/inroot.py
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: missing peer: root (chroot, mounts, namespaces)"
	exit 77
fi
for t in debootstrap unshare chroot flock wget ip; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "SKIP: missing peer: $t (scripts/install-deps: debootstrap)"
		exit 77
	fi
done

t0=$(date +%s)
rc=0
root=$("$src/tests/debian13/mkroot.sh" "$src") || rc=$?
if [ "$rc" = 77 ]; then
	echo "$root"
	exit 77
fi
[ "$rc" = 0 ] || { echo "debian13: mkroot.sh failed ($rc)"; exit 1; }
echo "debian13: root $root ($(cat "$root/.facteur-root-complete")), ready after $(($(date +%s) - t0)) s"

# One run at a time per root: they share the build directory.
exec 9>"$root.run.lock"
flock -w 1800 9 || { echo "debian13: $root.run.lock held 30 min"; exit 1; }
build="$root.build"
mkdir -p "$build"
tmp=$(mktemp -d /var/tmp/facteur-debian13.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/upper" "$tmp/work" "$tmp/root"

rc=0
unshare --mount --net --pid --fork --kill-child --propagation private /bin/sh -eu -c '
root=$1 tmp=$2 src=$3 build=$4
shift 4
m=$tmp/root
mount -t overlay overlay \
    -o "lowerdir=$root,upperdir=$tmp/upper,workdir=$tmp/work" "$m"
mkdir -p "$m/facteur/src" "$m/facteur/build"
mount --bind "$src" "$m/facteur/src"
mount -o remount,bind,ro "$m/facteur/src"
mount --bind "$build" "$m/facteur/build"
# the shared test corpus beside the checkout, where unit tests look for it
if [ -d "$src/../shared" ]; then
	mkdir -p "$m/facteur/shared"
	mount --bind "$src/../shared" "$m/facteur/shared"
	mount -o remount,bind,ro "$m/facteur/shared"
fi
mount -t proc proc "$m/proc"
mount -t tmpfs -o mode=0755 tmpfs "$m/dev"
for d in null zero full random urandom tty; do
	touch "$m/dev/$d"
	mount --bind "/dev/$d" "$m/dev/$d"
done
mkdir "$m/dev/pts" "$m/dev/shm"
mount -t tmpfs -o mode=1777 tmpfs "$m/dev/shm"
ln -s /proc/self/fd "$m/dev/fd"
mount -t tmpfs -o mode=0755 tmpfs "$m/run"
mount -t tmpfs -o mode=1777 tmpfs "$m/tmp"
ip link set lo up
exec chroot "$m" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LC_ALL=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 TERM=dumb "$@"
' debian13 "$root" "$tmp" "$src" "$build" "$@" || rc=$?
echo "debian13: exit $rc after $(($(date +%s) - t0)) s"
exit "$rc"
