#!/bin/sh
# bench/spam-accuracy.sh - SpamAssassin 4 (Debian's, default rules, Bayes
# trained on the same 70%, network tests off) against facteur on the same
# split of the shared corpus, in one run.
#
# The split is the one tests/spam_accuracy uses: the files of spam/ and
# ham/ sorted by name (C locale), index % 10 < 7 trains, the rest is
# scored. SpamAssassin runs as a private spamd on 127.0.0.1 with its own
# site config (copies of /etc/spamassassin/*.pre plus use_bayes 1,
# bayes_auto_learn 0, no DNS, no RBL), queried with spamc -c; a message is
# spam at score >= 5.0 (required_score's default). Then, when FACTEUR is
# given, facteur's side runs through tests/spam_accuracy/grouped_cv.py and
# fit_weights.py --cv (grouped folds, nested fit; the grouped comparison
# of SpamAssassin is sa_grouped_cv.py).
#
# usage: spam-accuracy.sh [FACTEUR_BINARY]
# Costs minutes of CPU (SpamAssassin is ~0.1-0.3 s per message): not part
# of `make test`. Needs spamassassin and spamc (scripts/install-deps).
set -eu

FACTEUR=${1:-}
CORPUS=${CORPUS:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpus/spamassassin}
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${PORT:-17833}
JOBS=${JOBS:-$(nproc)}
DIR=$(mktemp -d "${TMPDIR:-/tmp}/facteur-spam-accuracy.XXXXXX")
PID=
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

command -v spamd >/dev/null && command -v spamc >/dev/null ||
	{ echo "spam-accuracy: spamd/spamc missing (scripts/install-deps)" >&2;
	  exit 1; }

# split
for cls in spam ham; do
	mkdir -p "$DIR/train/$cls"
	: >"$DIR/test-$cls"
	i=0
	for f in $(cd "$CORPUS/$cls" && ls | LC_ALL=C sort); do
		if [ $((i % 10)) -lt 7 ]; then
			ln -s "$CORPUS/$cls/$f" "$DIR/train/$cls/$f"
		else
			echo "$CORPUS/$cls/$f" >>"$DIR/test-$cls"
		fi
		i=$((i + 1))
	done
done

# SpamAssassin's private configuration
mkdir -p "$DIR/site" "$DIR/bayes"
cp /etc/spamassassin/*.pre "$DIR/site/"
cat >"$DIR/site/local.cf" <<EOF
use_bayes 1
bayes_auto_learn 0
bayes_path $DIR/bayes/bayes
bayes_file_mode 0777
skip_rbl_checks 1
dns_available no
use_razor2 0
use_pyzor 0
EOF
chmod -R a+rwX "$DIR"

t0=$(date +%s)
sa-learn --siteconfigpath "$DIR/site" --dbpath "$DIR/bayes" -L \
	--spam "$DIR/train/spam" >/dev/null
sa-learn --siteconfigpath "$DIR/site" --dbpath "$DIR/bayes" -L \
	--ham "$DIR/train/ham" >/dev/null
t1=$(date +%s)
sa-learn --siteconfigpath "$DIR/site" --dbpath "$DIR/bayes" --dump magic |
	grep -E "nspam|nham" | sed 's/^/sa-learn: /'
chmod -R a+rwX "$DIR"

spamd -L -x --siteconfigpath "$DIR/site" -i 127.0.0.1 -p "$PORT" \
	-A 127.0.0.1 -m "$JOBS" -u nobody -s stderr \
	2>"$DIR/spamd.log" &
PID=$!
n=0
until spamc -d 127.0.0.1 -p "$PORT" -c </dev/null >/dev/null 2>&1 ||
    [ $? -eq 1 ]; do
	n=$((n + 1))
	[ $n -gt 120 ] && { echo "spamd did not start" >&2;
	    cat "$DIR/spamd.log" >&2; exit 1; }
	sleep 0.5
done

# "score/required" per message; spamc -c exits 1 for spam
for cls in spam ham; do
	xargs -P "$JOBS" -I{} sh -c \
	    'printf "%s %s\n" "$(spamc -d 127.0.0.1 -p '"$PORT"' -c <"$1" ||
	        true)" "$1"' _ {} <"$DIR/test-$cls" >"$DIR/sa-$cls"
done
t2=$(date +%s)

awk -v learn=$((t1 - t0)) -v score=$((t2 - t1)) '
FNR == 1 { cls = (FILENAME ~ /sa-spam$/) ? "spam" : "ham" }
{ split($1, s, "/"); n[cls]++; if (s[1] + 0 >= 5.0) hit[cls]++ }
END {
	printf "spamassassin: spam recall %d/%d = %.2f%%, ham false positives" \
	    " %d/%d = %.2f%% (learn %ds, score %ds)\n",
	    hit["spam"], n["spam"], 100 * hit["spam"] / n["spam"],
	    hit["ham"], n["ham"], 100 * hit["ham"] / n["ham"], learn, score
}' "$DIR/sa-spam" "$DIR/sa-ham"

if [ -n "$FACTEUR" ]; then
	# accuracy.py (this split) is gone: facteur's figures come from the
	# grouped cross-validation (docs/spam-accuracy.md): the dump of the
	# outer and nested folds, then the nested fit and its figures.
	/usr/bin/python3 "$HERE/../tests/spam_accuracy/grouped_cv.py" \
	    --facteur "$FACTEUR" --corpus "$CORPUS" --dump "$DIR/gcv.jsonl"
	/usr/bin/python3 "$HERE/../tests/spam_accuracy/fit_weights.py" \
	    "$DIR/gcv.jsonl" --cv | grep -v '^inner'
fi
