# bench/benchlib.sh - what the load scripts share; sourced, not run.
#
#   BENCH=name; . "$(dirname "$0")/benchlib.sh"
#   bench_tmpdir            T = a fresh /tmp/facteur-bench-$BENCH.XXXXXX
#                           (0755); PIDS killed and T removed at exit
#                           (KEEP=1 keeps T)
#   wait_sock PATH PID SECS until the unix socket PATH exists; exits if
#                           PID dies first (with the tail of $T/*.log)
#   bench_split_corpus CORPUS MSGS TRAIN
#                           $T/msgs: the first MSGS/2 ham and MSGS/2 spam
#                           by name, interleaved so every prefix of a run
#                           is half and half; $T/train-ham, train-spam:
#                           the next TRAIN of each, for Bayes

bench_die() { echo "$BENCH.sh: $*" >&2; exit 1; }

bench_tmpdir() {
	T=$(mktemp -d "/tmp/facteur-bench-$BENCH.XXXXXX")
	chmod 0755 "$T"
	PIDS=""
	trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	if [ -n "${KEEP:-}" ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}

wait_sock() { # PATH PID SECONDS
	_i=0
	while [ ! -S "$1" ] && [ $_i -lt $(($3 * 10)) ]; do
		kill -0 "$2" 2>/dev/null ||
		    bench_die "$1: daemon died: $(tail -n 3 "$T"/*.log 2>/dev/null)"
		sleep 0.1; _i=$((_i + 1))
	done
	[ -S "$1" ] || bench_die "$1 never appeared"
}

bench_split_corpus() { # CORPUS MSGS TRAIN
	mkdir "$T/msgs" "$T/train-ham" "$T/train-spam"
	for _cls in ham spam; do
		ls "$1/$_cls" | sort | head -n $(($2 / 2 + $3)) > "$T/$_cls.list"
		_i=0
		while read -r _f; do
			if [ $_i -lt $(($2 / 2)) ]; then
				ln -s "$1/$_cls/$_f" \
				    "$T/msgs/$(printf %05d $_i)-$_cls"
			else
				ln -s "$1/$_cls/$_f" "$T/train-$_cls/$_f"
			fi
			_i=$((_i + 1))
		done < "$T/$_cls.list"
	done
}
