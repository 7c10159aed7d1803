#!/bin/sh
# tests/banned.sh - STYLE.md rule 3: unbounded string functions are banned.
# Usage: banned.sh SOURCE_ROOT
cd "$1" || exit 2
hits=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strncpy|gets|stpcpy)[[:space:]]*\(' \
    $(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]') |
    grep -v '^tests/banned.sh')
if [ -n "$hits" ]; then
	echo "banned functions (use lib/buf.h or snprintf):"
	echo "$hits"
	exit 1
fi
echo "no banned functions"
