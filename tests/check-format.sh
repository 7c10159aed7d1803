#!/bin/sh
# tests/check-format.sh - STYLE.md rule 16: the files listed in
# tests/format-clean.txt match .clang-format exactly.
# Usage: check-format.sh SOURCE_ROOT
cd "$1" || exit 2
cf=$(command -v clang-format) || {
	echo "SKIP: missing peer: clang-format (scripts/install-deps)"
	exit 77
}
bad=0
n=0
for f in $(grep -v '^[[:space:]]*#' tests/format-clean.txt); do
	if [ ! -f "$f" ]; then
		# moved or removed: the list follows in the same commit
		echo "note: $f is listed in tests/format-clean.txt but gone"
		continue
	fi
	n=$((n + 1))
	if ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "$f does not match .clang-format:"
		"$cf" "$f" | diff -u "$f" - | head -20
		bad=$((bad + 1))
	fi
done
if [ "$bad" -ne 0 ]; then
	echo "$bad of $n listed file(s) differ: run clang-format -i on them" \
	    "(or take them off tests/format-clean.txt, saying why)"
	exit 1
fi
echo "$n listed file(s) match .clang-format"
