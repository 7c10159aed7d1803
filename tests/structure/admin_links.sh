#!/bin/sh
# tests/structure/admin_links.sh FACTEUR MILTER_EXE
# The admin CLI does not load libmilter (issue 13 item 2): FACTEUR
# (build/admin/facteur) has no DT_NEEDED libmilter, no smfi_* symbol and
# not the daemon skeleton (mlt_main); what its verbs read of lib/milter
# is the settings table (lib/milter/settings.c). 'facteur explain' runs
# the filter modules through lib/milter's glue (mlt_glue_*) over a
# recording seam, on purpose: that glue calls no libmilter function.
# MILTER_EXE (facteur-milter) must have all three, so the names looked
# for are the right ones. Exit 0, or 1 with each finding on stderr.
set -u
admin=$1 milter=$2
rc=0
fail() { echo "FAIL: $*" >&2; rc=1; }

readelf -d "$admin" | grep -q 'NEEDED.*libmilter' &&
    fail "$admin loads libmilter"
sym=$(nm "$admin" | awk '$NF ~ /^(smfi_|mlt_main$)/ {print $NF}' |
    sort -u | tr '\n' ' ')
[ -z "$sym" ] || fail "$admin has libmilter or daemon symbols: $sym"

readelf -d "$milter" | grep -q 'NEEDED.*libmilter' ||
    fail "$milter does not load libmilter: the check reads the wrong thing"
nm "$milter" | grep -q ' U smfi_main' ||
    fail "$milter has no smfi_main: the check looks for the wrong names"
nm "$milter" | grep -q ' T mlt_main$' ||
    fail "$milter has no mlt_main: the check looks for the wrong names"
[ $rc = 0 ] && echo "ok: $admin links no libmilter and no milter daemon"
exit $rc
