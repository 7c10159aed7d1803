#!/bin/sh
# tests/check-format.sh - STYLE.md rule 16: every C file of the tree
# (*.c and *.h outside build directories) matches .clang-format exactly.
# The tree was reformatted in one commit (issue 13 item 6); `make format`
# reformats it. Usage: check-format.sh SOURCE_ROOT
cd "$1" || exit 2
cf=$(command -v clang-format) || {
	echo "SKIP: missing peer: clang-format (scripts/install-deps)"
	exit 77
}
if [ -d .git ] && command -v git >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else
	files=$(find . -path './build*' -prune -o \( -name '*.c' -o \
	    -name '*.h' \) -print | sed 's|^\./||' | sort)
fi
bad=0
n=0
for f in $files; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	if ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "$f does not match .clang-format:"
		"$cf" "$f" | diff -u "$f" - | head -20
		bad=$((bad + 1))
	fi
done
if [ "$n" -eq 0 ]; then
	echo "no C file found under $1"
	exit 1
fi
if [ "$bad" -ne 0 ]; then
	echo "$bad of $n file(s) differ: run 'make format' (clang-format -i)"
	exit 1
fi
echo "$n file(s) match .clang-format"
