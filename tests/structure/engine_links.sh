#!/bin/sh
# tests/structure/engine_links.sh ENGINE.a ENGINE_ONLY_EXE MODULE_EXE MODULE_DIR
# The spam engine is a library without milter glue (issue 13 item 2):
#   - ENGINE.a (libspamengine.a) holds no module.c and calls nothing of
#     lib/milter (mlt_*) or libmilter (smfi_*);
#   - ENGINE_ONLY_EXE, a program linked with the engine alone (a spam unit
#     test), has no milter symbol and does not load libmilter;
#   - MODULE_EXE (facteur-spam) does have the glue, so the symbol names
#     looked for are the right ones;
#   - MODULE_DIR (milters/spam) holds only module.c, main.c and
#     meson.build: the engine's files live in lib/spam.
# Exit 0, or 1 with each finding on stderr.
set -u
engine=$1 exe=$2 module=$3 mdir=$4
rc=0
fail() { echo "FAIL: $*" >&2; rc=1; }

members=$(ar t "$engine") || { fail "$engine: not an archive"; exit 1; }
# meson's thin archives name members by path
echo "$members" | grep -q '\(^\|/\)module\.c\.o$' &&
    fail "$engine holds module.c.o, the filter glue"
und=$(nm -u "$engine" 2>/dev/null | awk '$2 ~ /^(mlt_|smfi_)/ {print $2}' |
    sort -u | tr '\n' ' ')
[ -z "$und" ] || fail "$engine calls the milter layer: $und"
nm --defined-only "$engine" 2>/dev/null | grep -q ' spam_check$' ||
    fail "$engine does not define spam_check (the [spam] settings)"

sym=$(nm "$exe" | awk '$NF ~ /^(mlt_|smfi_|spam_filter$)/ {print $NF}' |
    sort -u | tr '\n' ' ')
[ -z "$sym" ] || fail "$exe (engine only) has milter symbols: $sym"
readelf -d "$exe" | grep -q 'NEEDED.*libmilter' &&
    fail "$exe (engine only) loads libmilter"

nm "$module" | grep -q ' spam_filter$' ||
    fail "$module has no spam_filter: the check looks for the wrong names"
nm "$module" | grep -q ' mlt_add_header$' ||
    fail "$module has no mlt_add_header: the check looks for the wrong names"

extra=$(ls -A "$mdir" | grep -vx -e module.c -e main.c -e meson.build |
    tr '\n' ' ')
[ -z "$extra" ] || fail "$mdir holds more than module.c, main.c, meson.build: $extra"
[ -f "$mdir/module.c" ] && [ -f "$mdir/main.c" ] ||
    fail "$mdir has no module.c or main.c: the check reads the wrong folder"
[ $rc = 0 ] && echo "ok: $engine and $exe have no milter glue, $mdir only the module and main"
exit $rc
