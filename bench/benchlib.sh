# bench/benchlib.sh - what the load scripts share; sourced, not run.
#
#   BENCH=name; . "$(dirname "$0")/benchlib.sh"
#   bench_tmpdir            T = a fresh $TMPDIR (/tmp)/facteur-bench-$BENCH.XXXXXX
#                           (0755); PIDS killed, a Dovecot started by
#                           bench_dovecot_lmtp stopped and T removed at
#                           exit (KEEP=1 keeps T)
#   wait_sock PATH PID SECS until the unix socket PATH exists; exits if
#                           PID dies first (with the tail of $T/*.log)
#   bench_split_corpus CORPUS MSGS TRAIN
#                           $T/msgs: the first MSGS/2 ham and MSGS/2 spam
#                           by name, interleaved so every prefix of a run
#                           is half and half; $T/train-ham, train-spam:
#                           the next TRAIN of each, for Bayes
#   procsum cpu|pss PID...  CPU ticks (utime+stime+cutime+cstime) or Pss
#                           KiB summed over the pids and all their
#                           descendants (bench/procsum.py)
#   bench_load_run SOCK N CONNS GREP PID...
#                           milter-load (LOAD) -c CONNS -n N -t SECS -g GREP
#                           on unix:SOCK with $T/msgs; prints its RESULT
#                           fields and ticks=<procsum cpu of the PIDs over
#                           the run>
#   bench_bayes_hits SOCK   how many of 20 messages through SOCK name a
#                           BAYES_ rule in their fields (a warm-up, and
#                           proof that Bayes answers)
#   bench_start NAME EXE SOCK [CONF]
#                           EXE -f -c CONF ($T/facteur.conf), stderr to
#                           $T/NAME.log, until SOCK exists; LASTPID
#   bench_alive NAME:PID... 1 (and a message) if one of facteur's daemons
#                           died or its $T/NAME.log has a sanitizer report
#   bench_facteur_db FAC BAYES_PATH
#                           FAC (facteur -c ... --db ...): db init, a DKIM
#                           key for bench.example (selector s1, RSA 2048;
#                           its TXT record in TXT), 10 blacklisted
#                           senders, Bayes trained on $T/train-* unless
#                           BAYES_PATH is empty
#   bench_dns SRC TXT       the private Knot of bench/stack-dns.py (read
#                           its header); DNSPORT
#   bench_spamassassin BAYES
#                           spamd -L (8 children, its Bayes trained with
#                           sa-learn on $T/train-* when BAYES=1, no
#                           network tests) on $T/spamd.sock and
#                           spamass-milter -m on $T/spamass.sock; SPID,
#                           MPID (the caller waits for the sockets)
#   bench_rspamd NAMESERVER TIMEOUT RETRANSMITS KEEP [BAYES]
#                           a private offline rspamd (RSPAMD_ROOT, see
#                           spam.sh's header): the proxy worker in milter
#                           mode on $T/rspamd.sock, one per CPU, every
#                           module that looks anything up off but the
#                           ones in KEEP ("dkim spf": they then ask
#                           NAMESERVER), no Bayes; RPID. With BAYES=1 a
#                           second instance, the same but in
#                           $T/rspamd-bayes on $T/rspamd-bayes.sock, its
#                           Bayes classifier on bench_redis's server and
#                           its controller worker on
#                           $T/rspamd-bayes/ctl.sock (unix socket only);
#                           RBPID, REDIS_PID
#   bench_redis             a private redis-server in $T/redis: unix
#                           socket $T/redis/redis.sock only (port 0), no
#                           persistence, in the foreground (stopped with
#                           the bench); REDIS_PID once it answers
#   bench_rspamd_learn      waits for the Bayes instance's controller,
#                           learns $T/train-spam and $T/train-ham with
#                           rspamc learn_spam/learn_ham (the messages
#                           facteur and sa-learn learn) as a bulk
#                           training ('Learn-Type: bulk': otherwise
#                           rspamd declines a message its Bayes already
#                           classifies, and learned 177 of the 220 ham),
#                           and dies unless both classes reach min_learns
#                           (RSPAMD_MIN_LEARNS, 200 as facteur's and
#                           SpamAssassin's; a Message-ID learned once is
#                           not learned again: 219 + 220 here);
#                           RSPAMD_LEARNED ("spam N, ham N")
#   bench_rspamd_settle     until rspamd's hs_helper has written its
#                           hyperscan caches (the last, its maps'
#                           multipatterns, about 60 s after the start):
#                           75 s after the first bench_rspamd and no
#                           $T/rspamd*/db/*.hs* newer than 20 s (240 s at
#                           most), so that no run measures that compiling
#   bench_rspamd_bayes_hits SOCK
#                           bench_bayes_hits for rspamd: dies when no
#                           message names BAYES_SPAM or BAYES_HAM (its
#                           Bayes is not applied)
#   bench_dovecot_lmtp DIR UID GID [SIEVE_BEFORE]
#                           Dovecot, LMTP only, in DIR (socket DIR/run/lmtp,
#                           static userdb: every user is UID:GID with
#                           maildir:~/ under $T/mail-dovecot/%d/%n), with
#                           SIEVE_BEFORE through Pigeonhole when installed
#                           (SIEVE_DESC says which); DPID once it answers

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_PY=/usr/bin/python3
DOVECOT_CONF=""

bench_die() { echo "$BENCH.sh: $*" >&2; exit 1; }

bench_tmpdir() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/facteur-bench-$BENCH.XXXXXX")
	chmod 0755 "$T"
	PIDS=""
	trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	[ -z "$DOVECOT_CONF" ] ||
		doveadm -c "$DOVECOT_CONF" stop 2>/dev/null || true
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

procsum() { $BENCH_PY "$BENCH_DIR/procsum.py" "$@"; }

bench_load_run() { # SOCK N CONNS GREP PID...
	_s=$1 _n=$2 _c=$3 _g=$4
	shift 4
	_b=$(procsum cpu "$@")
	"$LOAD" -q -c "$_c" -n "$_n" -t "$SECS" -g "$_g" "unix:$_s" \
	    "$T/msgs" > "$T/run.out" 2>&1 || true
	_a=$(procsum cpu "$@")
	_l=$(sed -n 's/^RESULT //p' "$T/run.out")
	[ -n "$_l" ] || bench_die "$_s: no result: $(cat "$T/run.out")"
	echo "$_l ticks=$((_a - _b))"
}

bench_bayes_hits() { # SOCK
	"$LOAD" -q -c 1 -n 20 -t "$SECS" -g BAYES_ "unix:$1" "$T/msgs" |
	    sed -n 's/.* grep=\([0-9]*\).*/\1/p'
}

bench_start() { # NAME EXE SOCK [CONF]
	"$2" -f -c "${4:-$T/facteur.conf}" 2> "$T/$1.log" &
	LASTPID=$!
	PIDS="$PIDS $LASTPID"
	wait_sock "$3" $LASTPID 120
}

bench_alive() { # NAME:PID...
	_rc=0
	for _d in "$@"; do
		_name=${_d%%:*} _pid=${_d#*:}
		[ "$_pid" = 0 ] && continue
		kill -0 "$_pid" 2>/dev/null || {
			echo "$BENCH.sh: facteur-$_name died during the run" >&2
			_rc=1
		}
		if grep -qi "AddressSanitizer\|runtime error" "$T/$_name.log"; then
			echo "$BENCH.sh: facteur-$_name: sanitizer report" >&2
			_rc=1
		fi
	done
	return $_rc
}

bench_facteur_db() { # FAC BAYES_PATH
	$1 db init >/dev/null
	$1 dkim keygen bench.example --selector s1 --algorithm rsa \
	    --bits 2048 --keys-dir "$T/keys" > "$T/keygen.out"
	TXT=$($BENCH_PY -c 'import re,sys; print("".join(re.findall(r"\"([^\"]*)\"", sys.stdin.read())))' < "$T/keygen.out")
	[ -n "$TXT" ] || bench_die "no DKIM record from keygen"
	_i=0
	while [ $_i -lt 10 ]; do
		$1 blacklist sender add "spammer$_i@bulk$_i.example" \
		    --message "bench row $_i" >/dev/null
		_i=$((_i + 1))
	done
	if [ -n "$2" ]; then
		$1 spam learn --bayes "$2" --spam "$T/train-spam" > "$T/learn.out"
		$1 spam learn --bayes "$2" --ham "$T/train-ham" >> "$T/learn.out"
	fi
}

bench_dns() { # SRC TXT
	mkdir "$T/dns"
	$BENCH_PY "$BENCH_DIR/stack-dns.py" "$1/tests/integration" "$T/dns" \
	    "$2" &
	PIDS="$PIDS $!"
	_i=0
	while [ ! -f "$T/dns/port" ] && [ $_i -lt 300 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ -f "$T/dns/port" ] || bench_die "Knot never started"
	DNSPORT=$(cat "$T/dns/port")
}

bench_spamassassin() { # BAYES
	mkdir -p "$T/sa" "$T/sa-bayes"
	cat > "$T/sa/local.cf" <<EOF
use_bayes $1
bayes_auto_learn 0
bayes_auto_expire 0
bayes_path $T/sa-bayes/bayes
bayes_file_mode 0666
skip_rbl_checks 1
use_razor2 0
use_pyzor 0
use_dcc 0
dns_available no
EOF
	cp /etc/spamassassin/*.pre "$T/sa/"
	_sa="--siteconfigpath=$T/sa -L"
	if [ "$1" = 1 ]; then
		sa-learn $_sa --spam "$T/train-spam" > "$T/sa-learn.out" 2>&1
		sa-learn $_sa --ham "$T/train-ham" >> "$T/sa-learn.out" 2>&1
	fi
	chmod -R a+rwX "$T/sa-bayes"
	# spamd's children run as nobody and make a temporary directory per
	# message: with /tmp at 0755 (as here) SpamAssassin never scored
	mkdir -m 1777 "$T/sa-tmp"
	TMPDIR=$T/sa-tmp /usr/sbin/spamd $_sa -x -u nobody \
	    --socketpath="$T/spamd.sock" --socketmode=0666 \
	    --min-children=8 --max-children=8 --min-spare=8 --max-spare=8 \
	    --max-conn-per-child=1000000 -s stderr > "$T/spamd.log" 2>&1 &
	SPID=$!; PIDS="$PIDS $SPID"
	# -m: no Subject/Content-Type rewrite, as facteur's default;
	# spamass-milter adds X-Spam-Flag/-Status/-Level from spamd's answer
	(umask 000; exec /usr/sbin/spamass-milter -p "$T/spamass.sock" -m -- \
	    -U "$T/spamd.sock") > "$T/spamass.log" 2>&1 &
	MPID=$!; PIDS="$PIDS $MPID"
}

bench_redis() {
	_d=$T/redis
	mkdir -p "$_d"
	cat > "$_d/redis.conf" <<EOF
port 0
unixsocket $_d/redis.sock
unixsocketperm 600
daemonize no
save ""
appendonly no
dir $_d
logfile $_d/redis.log
EOF
	/usr/bin/redis-server "$_d/redis.conf" &
	REDIS_PID=$!; PIDS="$PIDS $REDIS_PID"
	wait_sock "$_d/redis.sock" $REDIS_PID 30
}

# rspamd with the bench's paths and libraries: ARGS...
bench_rspamd_exec() {
	_x=$1 _r=${RSPAMD_ROOT:-/opt/facteur-bench/rspamd}
	shift
	LD_LIBRARY_PATH=$_r/usr/lib/x86_64-linux-gnu:$_r/usr/lib/rspamd \
	    "$_r/usr/bin/$_x" "$@"
}

bench_rspamd() { # NAMESERVER TIMEOUT RETRANSMITS KEEP [BAYES]
	RSPAMD_T0=${RSPAMD_T0:-$(date +%s)}
	_r=${RSPAMD_ROOT:-/opt/facteur-bench/rspamd} _l=$T/rspamd
	_sock=$T/rspamd.sock
	if [ "${5:-0}" = 1 ]; then
		_l=$T/rspamd-bayes _sock=$T/rspamd-bayes.sock
		bench_redis
	fi
	mkdir -p "$_l/local.d" "$_l/override.d" "$_l/db" "$_l/run"
	cat > "$_l/override.d/worker-proxy.inc" <<EOF
milter = yes;
timeout = 120s;
bind_socket = "$_sock mode=0666";
upstream "local" { default = yes; self_scan = yes; }
count = $(nproc);
max_retries = 5;
discard_on_reject = false;
quarantine_on_reject = false;
spam_header = "X-Spam";
reject_message = "Spam message rejected";
EOF
	for _w in worker-normal worker-controller worker-fuzzy; do
		echo "enabled = false;" > "$_l/override.d/$_w.inc"
	done
	echo "dns { nameserver = [\"$1\"]; timeout = $2; retransmits = $3; }" \
	    > "$_l/local.d/options.inc"
	echo 'type = "file"; filename = "'"$_l"'/rspamd.log"; level = "error";' \
	    > "$_l/override.d/logging.inc"
	for _m in rbl surbl emails spf dkim dmarc arc asn dkim_signing \
	    phishing fuzzy_check mx_check hfilter rspamd_update \
	    url_redirector neural ratelimit greylist replies reputation \
	    history_redis dcc external_services antivirus metadata_exporter \
	    clickhouse elastic p0f bimi aws_s3 metric_exporter; do
		case " $4 " in *" $_m "*) continue ;; esac
		echo "enabled = false;" > "$_l/local.d/$_m.conf"
	done
	if [ "${5:-0}" = 1 ]; then
		# Bayes on the private Redis (a path is a unix socket to
		# rspamd's upstreams), learned through the controller only
		# (no autolearn: statistic.conf's sample stays commented).
		cat > "$_l/local.d/classifier-bayes.conf" <<EOF
backend = "redis";
servers = "$T/redis/redis.sock";
min_learns = ${RSPAMD_MIN_LEARNS:-200};
EOF
		cat > "$_l/override.d/worker-controller.inc" <<EOF
enabled = true;
count = 1;
bind_socket = "$_l/ctl.sock mode=0600";
EOF
	else
		echo 'backend = "redis"; enabled = false;' \
		    > "$_l/local.d/classifier-bayes.conf"
	fi
	# x-spamd-result lists the symbols (as SpamAssassin's and facteur's
	# X-Spam-Status list their rules): bench_rspamd_bayes_hits reads it
	_h='"x-spam-status", "x-spamd-result"'
	[ -n "$4" ] && _h="$_h, \"authentication-results\""
	echo "use = [$_h]; skip_local = false; skip_authenticated = false;" \
	    > "$_l/local.d/milter_headers.conf"
	# not through bench_rspamd_exec: $! must be rspamd, not a subshell
	LD_LIBRARY_PATH=$_r/usr/lib/x86_64-linux-gnu:$_r/usr/lib/rspamd \
	    "$_r/usr/bin/rspamd" -f -u root -g root -i \
	    -c "$_r/etc/rspamd/rspamd.conf" \
	    --var=CONFDIR=$_r/etc/rspamd --var=LOCAL_CONFDIR=$_l \
	    --var=RULESDIR=$_r/usr/share/rspamd/rules \
	    --var=LUALIBDIR=$_r/usr/share/rspamd/lualib \
	    --var=PLUGINSDIR=$_r/usr/share/rspamd/plugins \
	    --var=SHAREDIR=$_r/usr/share/rspamd \
	    --var=WWWDIR=$_r/usr/share/rspamd/www --var=DBDIR=$_l/db \
	    --var=RUNDIR=$_l/run --var=LOGDIR=$_l > "$_l.log" 2>&1 &
	if [ "${5:-0}" = 1 ]; then
		RBPID=$!; PIDS="$PIDS $RBPID"
	else
		RPID=$!; PIDS="$PIDS $RPID"
	fi
}

bench_rspamd_learn() {
	_ctl=$T/rspamd-bayes/ctl.sock
	wait_sock "$_ctl" "$RBPID" 120
	for _cls in spam ham; do
		# files, not the directory: rspamc skips the symlinks in it
		bench_rspamd_exec rspamc -h "$_ctl" -t 60 -n 4 \
		    --header "Learn-Type=bulk" \
		    "learn_$_cls" "$T/train-$_cls"/* \
		    >> "$T/rspamd-bayes/learn.out" 2>&1 ||
			bench_die "rspamc learn_$_cls: $(tail -3 "$T/rspamd-bayes/learn.out")"
	done
	# the controller's stat lags (Redis is polled); read Redis itself
	_s=$(redis-cli -s "$T/redis/redis.sock" hget RS learns_spam)
	_h=$(redis-cli -s "$T/redis/redis.sock" hget RS learns_ham)
	RSPAMD_LEARNED="spam ${_s:-0}, ham ${_h:-0}"
	if [ "${_s:-0}" -lt "${RSPAMD_MIN_LEARNS:-200}" ] ||
	    [ "${_h:-0}" -lt "${RSPAMD_MIN_LEARNS:-200}" ]; then
		bench_die "rspamd learned $RSPAMD_LEARNED, under min_learns ${RSPAMD_MIN_LEARNS:-200}: $(grep -v 'success = true' "$T/rspamd-bayes/learn.out" | grep -i 'error\|false' | sort | uniq -c | head -5)"
	fi
}

bench_rspamd_settle() {
	while _now=$(date +%s); [ $((_now - RSPAMD_T0)) -lt 240 ]; do
		[ $((_now - RSPAMD_T0)) -ge 75 ] &&
		    [ -z "$(find "$T"/rspamd*/db -name '*.hs*' \
		        -newermt '20 seconds ago' 2>/dev/null | head -1)" ] &&
			return 0
		sleep 2
	done
}

bench_rspamd_bayes_hits() { # SOCK
	_n=$(bench_bayes_hits "$1")
	[ "${_n:-0}" -gt 0 ] ||
		bench_die "rspamd with Bayes: no BAYES_SPAM/BAYES_HAM in 20 messages' results ($T/rspamd-bayes/rspamd.log)"
	echo "$_n"
}

bench_dovecot_lmtp() { # DIR UID GID [SIEVE_BEFORE]
	_sieve=""
	SIEVE_DESC="no Sieve (dovecot-sieve not installed)"
	if [ -n "${4:-}" ] &&
	    [ -e /usr/lib/dovecot/modules/lib90_sieve_plugin.so ]; then
		_sieve="protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve_before = $4
  sieve = file:~/sieve;active=~/.dovecot.sieve
}"
		SIEVE_DESC="Pigeonhole sieve_before"
	fi
	mkdir -p "$1"
	DOVECOT_CONF=$1/dovecot.conf
	cat > "$DOVECOT_CONF" <<EOF
base_dir = $1/run
state_dir = $1/state
log_path = $1/dovecot.log
instance_name = facteur-bench-$BENCH-$$
protocols = lmtp
ssl = no
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
mail_location = maildir:~/
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = uid=$2 gid=$3 home=$T/mail-dovecot/%d/%n allow_all_users=yes
}
$_sieve
EOF
	if [ -n "$_sieve" ] && command -v sievec >/dev/null; then
		# compiled once, as Pigeonhole would at its first delivery
		su -s /bin/sh "$(getent passwd "$2" | cut -d: -f1)" \
		    -c "sievec $4" || true
	fi
	dovecot -c "$DOVECOT_CONF"
	_i=0
	while [ ! -s "$1/run/master.pid" ] && [ $_i -lt 100 ]; do
		sleep 0.1; _i=$((_i + 1))
	done
	[ -s "$1/run/master.pid" ] ||
		bench_die "Dovecot never started: $(tail -3 "$1/dovecot.log")"
	DPID=$(cat "$1/run/master.pid")
	wait_sock "$1/run/lmtp" "$DPID" 10
}
