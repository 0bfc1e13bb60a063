#!/usr/bin/env bash
# End-to-end suite for smtp-sidecar with the real peers:
#   swaks / python clients -> HAProxy (send-proxy-v2 | send-proxy) -> smtp-sidecar -> Postfix (XCLIENT)
#   dnsmasq answers the sidecar's reverse/forward DNS lookups.
# Everything runs on loopback, from a scratch folder, on free ports; see e2e/README.md.
#
#   bash e2e/run.sh                       (as root, from anywhere)
# Environment:
#   SIDECAR_JAR=PATH          jar to test (default: <repo>/target/smtp-sidecar.jar)
#   E2E_SKIP_INSTALL=1        do not try apt-get (fail if a program is missing)
#   E2E_CASES="1 5 9"         run only these case numbers (default: all)
#   E2E_PROXY_HANDSHAKE=0     skip case 10 (backend.handshake proxy-v2 / proxy-v1)
#   E2E_KEEP=1                keep the scratch folder (it is always kept when a case fails)
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH   # postfix, dnsmasq live in sbin

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$E2E_DIR/.." && pwd)
TEMPLATES=$E2E_DIR/templates
TOOL=(python3 "$E2E_DIR/lib/e2etool.py")

if [ -z "${SIDECAR_JAR:-}" ]; then
  SIDECAR_JAR=$REPO_ROOT/target/smtp-sidecar.jar
elif [ "${SIDECAR_JAR#/}" = "$SIDECAR_JAR" ]; then
  SIDECAR_JAR=$PWD/$SIDECAR_JAR
fi

HEADER_TIMEOUT_S=1         # proxy.headerTimeout of the sidecar under test
CONNECT_TIMEOUT_S=2        # backend.connectTimeout
WAIT_S=15                  # bound of every poll loop waiting for a log line or a state

say() { printf '%s\n' "$*"; }
note() { printf '  %s\n' "$*"; }
die() { printf 'e2e: %s\n' "$*" >&2; exit 2; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# ------------------------------------------------------------------ 1. install

# shellcheck source=../scripts/lib/apt.sh
. "$REPO_ROOT/scripts/lib/apt.sh"
install_packages() {
  local missing
  # the last two: swaks --tls
  missing=$(apt_missing haproxy postfix swaks dnsmasq-base openssl python3 libnet-ssleay-perl libio-socket-ssl-perl)
  [ -z "$missing" ] && return 0
  [ "${E2E_SKIP_INSTALL:-0}" = 1 ] && die "missing packages:" $missing "(E2E_SKIP_INSTALL=1)"
  say "installing:" $missing
  # shellcheck disable=SC2086
  apt_install /tmp/e2e-apt.log $missing || die "apt-get failed (full log: /tmp/e2e-apt.log)"
}

install_packages
[ "$(id -u)" = 0 ] || die "must run as root (Postfix needs it)"
for c in haproxy postfix swaks dnsmasq openssl java python3; do
  command -v "$c" >/dev/null || die "$c not found"
done
[ -f "$SIDECAR_JAR" ] || die "sidecar jar not found: $SIDECAR_JAR (run 'mvn package' or set SIDECAR_JAR)"

# ------------------------------------------------------------------ 2. scratch, ports, processes

SCRATCH=$(mktemp -d /tmp/smtp-sidecar-e2e.XXXXXX)
chmod 755 "$SCRATCH"       # Postfix daemons drop to the postfix user
PF_DIR=$SCRATCH/postfix
PF_LOG=$PF_DIR/maillog
SC_LOG=$SCRATCH/sidecar.log
HAP_SOCK=$SCRATCH/haproxy.sock
mkdir -p "$SCRATCH/cases"

PIDS=()            # "name:pid" of every process started here, stopped in reverse order
PF_STARTED=0
FAILED_ANY=0

stop_pid() {  # name pid
  local name=$1 pid=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  say "e2e: $name ($pid) ignored SIGTERM, killing" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

postfix_stop() {
  local pid
  pid=$(cat "$PF_DIR/spool/pid/master.pid" 2>/dev/null | tr -d ' ') || true
  postfix -c "$PF_DIR/etc" stop >/dev/null 2>&1 || true
  [ -n "${pid:-}" ] && stop_pid postfix-master "$pid"
  return 0
}

cleanup() {
  local rc=$? i entry
  set +e
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    entry=${PIDS[$i]}
    stop_pid "${entry%%:*}" "${entry##*:}"
  done
  [ $PF_STARTED = 1 ] && postfix_stop
  if [ "${E2E_KEEP:-0}" = 1 ] || [ $FAILED_ANY = 1 ] || [ $rc != 0 ]; then
    say "e2e: scratch folder kept: $SCRATCH"
  else
    rm -rf "$SCRATCH"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r PF_PORT PF_PROXY_PORT SIDECAR_PORT HAP_V2_PORT HAP_V1_PORT DNS_PORT SC_PP2_PORT SC_PP1_PORT \
  SC_METRICS_PORT SC_PP2_METRICS_PORT SC_PP1_METRICS_PORT SC_WARM_PORT SC_WARM_METRICS_PORT \
  < <("${TOOL[@]}" ports 13)
# the listeners cases (lib/listeners.sh): Postfix's and Exim's extra ports, the listeners of one sidecar, HAProxy
read -r PF_SUB_PORT PF_SUBS_XC_PORT PF_SUBS_PP_PORT EXIM_SMTP_PORT EXIM_SMTPS_PORT \
  SCL_SMTP_PORT SCL_SUB_PORT SCL_SUBS_PORT SCL_SUBSP_PORT SCL_EXIM_SMTP_PORT SCL_EXIM_SUBSP_PORT SCL_METRICS_PORT \
  HAP_SMTP_PORT HAP_SUB_PORT HAP_SUBS_PORT HAP_SUBSP_PORT HAP_EXIM_SMTP_PORT HAP_EXIM_SUBSP_PORT \
  HAP_PF_SUBS_DIRECT_PORT HAP_EXIM_SMTP_DIRECT_PORT HAP_EXIM_SUBS_DIRECT_PORT SCL_SUBSJDK_PORT HAP_SUBSJDK_PORT \
  < <("${TOOL[@]}" ports 23)

render() {  # template output KEY=VALUE...
  local tmpl=$TEMPLATES/$1 out=$2
  shift 2
  "${TOOL[@]}" render "$tmpl" "$out" "$@" || die "cannot render $tmpl"
}

# --- dnsmasq
render dnsmasq.conf.tmpl "$SCRATCH/dnsmasq.conf" DNS_PORT="$DNS_PORT" SCRATCH="$SCRATCH"
dnsmasq --keep-in-foreground --conf-file="$SCRATCH/dnsmasq.conf" > "$SCRATCH/dnsmasq.out" 2>&1 &
PIDS+=("dnsmasq:$!")
"${TOOL[@]}" wait-udp "$DNS_PORT" "$WAIT_S" || { cat "$SCRATCH/dnsmasq.out" >&2; die "dnsmasq did not start"; }

# --- Postfix: a private instance (own config, queue and data directories) in the scratch folder
mkdir -p "$PF_DIR/etc" "$PF_DIR/spool" "$PF_DIR/data" "$PF_DIR/tls"
chown postfix "$PF_DIR/data"
render postfix-main.cf.tmpl "$PF_DIR/etc/main.cf" PF_DIR="$PF_DIR" XCLIENT_HOSTS=127.0.0.1
if [ "${E2E_PROXY_HANDSHAKE:-1}" = 1 ]; then
  PROXY_SMTPD="127.0.0.1:$PF_PROXY_PORT inet n - n - - smtpd -o smtpd_upstream_proxy_protocol=haproxy -o syslog_name=postfix/pp"
else
  PROXY_SMTPD="# (no PROXY-protocol listener: E2E_PROXY_HANDSHAKE is off)"
fi
render postfix-master.cf.tmpl "$PF_DIR/etc/master.cf" PF_SMTPD_ADDR="127.0.0.1:$PF_PORT" PF_PROXY_SMTPD="$PROXY_SMTPD" \
  PF_SUB_ADDR="127.0.0.1:$PF_SUB_PORT" PF_SUBS_XC_ADDR="127.0.0.1:$PF_SUBS_XC_PORT" PF_SUBS_PP_ADDR="127.0.0.1:$PF_SUBS_PP_PORT"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=postfix.e2e.test \
  -keyout "$PF_DIR/tls/key.pem" -out "$PF_DIR/tls/cert.pem" > "$SCRATCH/openssl.out" 2>&1 \
  || die "openssl failed: $(cat "$SCRATCH/openssl.out")"
chmod 600 "$PF_DIR/tls/key.pem"

PF_START_MARK=0   # log size when Postfix was last started (sessions of an earlier run do not count)
postfix_start() {
  PF_START_MARK=$(stat -c %s "$PF_LOG" 2>/dev/null || echo 0)
  # Postfix prints its fatal errors only to a terminal (else to syslog, absent here): on
  # failure, repeat the check under script(1) to show the reason.
  if ! postfix -c "$PF_DIR/etc" start > "$SCRATCH/postfix-start.out" 2>&1; then
    script -qc "postfix -c '$PF_DIR/etc' check" /dev/null >&2 || true
    cat "$SCRATCH/postfix-start.out" "$PF_LOG" >&2 2>/dev/null || true
    return 1
  fi
  PF_STARTED=1
  "${TOOL[@]}" wait-listen "$PF_PORT" "$WAIT_S"
}
postfix_start || die "Postfix did not start"

# --- the sidecar
# SIDECAR_* variables override the sidecar's configuration keys: keep the caller's
# (SIDECAR_JAR at least) away from it, so that only the rendered file counts. env execs
# java in place.
SIDECAR_ENV=(env)
for v in $(compgen -e); do if [[ $v == SIDECAR_* ]]; then SIDECAR_ENV+=(-u "$v"); fi; done
sidecar_java() { "${SIDECAR_ENV[@]}" java -jar "$SIDECAR_JAR" "$@"; }
start_sidecar() {  # name config log [port: default listen.port of the config]
  local name=$1 cfg=$2 log=$3 port=${4:-} pid
  [ -n "$port" ] || port=$(sed -nE 's/^listen: *\{host: *[^,]*, *port: *([0-9]+).*/\1/p' "$cfg")
  # started directly (not through the function) so that $! is the JVM itself
  "${SIDECAR_ENV[@]}" java -jar "$SIDECAR_JAR" --config "$cfg" > "$log" 2>&1 &
  pid=$!
  PIDS+=("$name:$pid")
  local deadline=$(($(now_ms) + 30000))
  until "${TOOL[@]}" wait-listen "$port" 0.5 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || (($(now_ms) > deadline)); then
      say "e2e: $name did not start listening on $port; its output:" >&2
      cat "$log" >&2
      return 1
    fi
  done
}
render sidecar.yaml.tmpl "$SCRATCH/sidecar.yaml" LISTEN_PORT="$SIDECAR_PORT" METRICS_PORT="$SC_METRICS_PORT" BACKEND_PORT="$PF_PORT" \
  DNS_PORT="$DNS_PORT" HEADER_TIMEOUT="${HEADER_TIMEOUT_S}s" CONNECT_TIMEOUT="${CONNECT_TIMEOUT_S}s" HANDSHAKE=xclient \
  WARM=0 WARM_IDLE=60s
sidecar_java --check-config --config "$SCRATCH/sidecar.yaml" > "$SCRATCH/sidecar-check.out" 2>&1 \
  || { cat "$SCRATCH/sidecar-check.out" >&2; die "the sidecar rejects its configuration"; }
start_sidecar sidecar "$SCRATCH/sidecar.yaml" "$SC_LOG" || die "the sidecar did not start"

# --- HAProxy
render haproxy.cfg.tmpl "$SCRATCH/haproxy.cfg" SCRATCH="$SCRATCH" SIDECAR_PORT="$SIDECAR_PORT" \
  HAPROXY_V2_PORT="$HAP_V2_PORT" HAPROXY_V1_PORT="$HAP_V1_PORT" \
  PF_SUBS_PP_PORT="$PF_SUBS_PP_PORT" EXIM_SMTP_PORT="$EXIM_SMTP_PORT" EXIM_SMTPS_PORT="$EXIM_SMTPS_PORT" \
  HAP_PF_SUBS_DIRECT_PORT="$HAP_PF_SUBS_DIRECT_PORT" HAP_EXIM_SMTP_DIRECT_PORT="$HAP_EXIM_SMTP_DIRECT_PORT" \
  HAP_EXIM_SUBS_DIRECT_PORT="$HAP_EXIM_SUBS_DIRECT_PORT" \
  HAP_SMTP_PORT="$HAP_SMTP_PORT" SCL_SMTP_PORT="$SCL_SMTP_PORT" HAP_SUB_PORT="$HAP_SUB_PORT" SCL_SUB_PORT="$SCL_SUB_PORT" \
  HAP_SUBS_PORT="$HAP_SUBS_PORT" SCL_SUBS_PORT="$SCL_SUBS_PORT" HAP_SUBSJDK_PORT="$HAP_SUBSJDK_PORT" \
  SCL_SUBSJDK_PORT="$SCL_SUBSJDK_PORT" HAP_SUBSP_PORT="$HAP_SUBSP_PORT" SCL_SUBSP_PORT="$SCL_SUBSP_PORT" \
  HAP_EXIM_SMTP_PORT="$HAP_EXIM_SMTP_PORT" SCL_EXIM_SMTP_PORT="$SCL_EXIM_SMTP_PORT" \
  HAP_EXIM_SUBSP_PORT="$HAP_EXIM_SUBSP_PORT" SCL_EXIM_SUBSP_PORT="$SCL_EXIM_SUBSP_PORT"
haproxy -c -q -f "$SCRATCH/haproxy.cfg" || die "haproxy rejects $SCRATCH/haproxy.cfg"
haproxy -f "$SCRATCH/haproxy.cfg" -D -p "$SCRATCH/haproxy.pid" > "$SCRATCH/haproxy.out" 2>&1 \
  || { cat "$SCRATCH/haproxy.out" >&2; die "haproxy did not start"; }
PIDS+=("haproxy:$(cat "$SCRATCH/haproxy.pid")")
"${TOOL[@]}" wait-listen "$HAP_V2_PORT" "$WAIT_S"
"${TOOL[@]}" wait-listen "$HAP_V1_PORT" "$WAIT_S"

# HAProxy considers its servers UP from the start; wait for the first checks anyway (case 4
# asserts on them) so that a broken check shows up as such and not as a failed session.
"${TOOL[@]}" haproxy-wait "$HAP_SOCK" UP "$WAIT_S" be_v2/sidecar be_v1/sidecar > /dev/null \
  || say "e2e: warning: HAProxy does not report both servers UP"

say "e2e: scratch $SCRATCH; postfix :$PF_PORT, sidecar :$SIDECAR_PORT, haproxy v2 :$HAP_V2_PORT v1 :$HAP_V1_PORT, dnsmasq :$DNS_PORT"
say "e2e: jar $SIDECAR_JAR"

# ------------------------------------------------------------------ helpers for the cases

mark() { stat -c %s "$1" 2>/dev/null || echo 0; }          # current size of a log file
since() { tail -c +$(($2 + 1)) "$1" 2>/dev/null || true; }  # the part of a log written after a mark

# poll SECS CMD...: run CMD until it prints something (and succeeds); print that; 1 on timeout
poll() {
  local secs=$1 out deadline
  shift
  deadline=$(($(now_ms) + secs * 1000))
  while :; do
    if out=$("$@" 2>/dev/null) && [ -n "$out" ]; then
      printf '%s\n' "$out"
      return 0
    fi
    (($(now_ms) >= deadline)) && return 1
    sleep 0.1
  done
}
grep_since() { local chunk; chunk=$(since "$1" "$2"); grep -m1 -E -- "$3" <<<"$chunk"; }
wait_line() { poll "${4:-$WAIT_S}" grep_since "$1" "$2" "$3"; }   # file mark regex [secs]

# The Postfix lines of one session: its "QID: client=" line and the "disconnect from" line of
# the same smtpd process that follows it (smtpd processes are reused, so this pairs them).
pf_session_once() {
  local chunk
  chunk=$(since "$PF_LOG" "$1")
  awk -v qid="$2" '
    !pid && index($0, " " qid ": client=") {
      match($0, /smtpd\[[0-9]+\]/); pid = substr($0, RSTART, RLENGTH); print; next }
    pid && index($0, pid ": disconnect from ") { print; found = 1; exit }
    END { exit !found }' <<<"$chunk"
}
pf_session() { poll "$WAIT_S" pf_session_once "$1" "$2"; }  # mark qid

REASON=""
fail() { REASON=$*; return 1; }

# swaks_send NAME SRC PORT [swaks args...]: send one message, sets QID; transcript in cases/NAME.swaks
swaks_send() {
  local name=$1 src=$2 port=$3 out=$SCRATCH/cases/$1.swaks
  shift 3
  QID=""
  if ! swaks --server "127.0.0.1:$port" --local-interface "$src" --timeout 15 \
       --helo "swaks-$name.e2e.test" --from sender@e2e.test --to "rcpt-$name@e2e.test" \
       --header "Subject: smtp-sidecar e2e $name" "$@" > "$out" 2>&1; then
    fail "swaks failed: $(grep -E '^(<|\*\*\*)' "$out" | tail -n 3 | tr '\n' ' ')"
    return 1
  fi
  # Postfix: "250 2.0.0 Ok: queued as QID"; Exim: "250 OK id=QID"
  QID=$(sed -nE -e 's/.*250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+).*/\1/p' -e 's/^<[~-] +250 OK id=([0-9A-Za-z-]+).*/\1/p' "$out" | head -n1)
  [ -n "$QID" ] || fail "no 'queued as' reply from swaks: $(tail -n 3 "$out" | tr '\n' ' ')"
}

# dialog NAME ARGS...: scripted SMTP client (lib/e2etool.py dialog); transcript in cases/NAME.dialog
dialog() {
  local name=$1 out=$SCRATCH/cases/$1.dialog err
  shift
  if ! "${TOOL[@]}" dialog "$@" > "$out" 2> "$out.err"; then
    err=$(cat "$out.err")
    fail "client: $err"
    return 1
  fi
  QID=$(sed -nE 's/.*S: 250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+).*/\1/p' "$out" | head -n1)
}

# expect_session NAME MARK QID NAME[ADDR]: Postfix logged the message and the disconnect under
# exactly that client identity
expect_session() {
  local name=$1 m=$2 qid=$3 who=$4 lines first last
  lines=$(pf_session "$m" "$qid") || { fail "Postfix logged no 'client=' + 'disconnect from' for $qid"; return 1; }
  printf '%s\n' "$lines" > "$SCRATCH/cases/$name.postfix"
  first=$(head -n1 <<<"$lines"); last=$(tail -n1 <<<"$lines")
  [[ $first == *": $qid: client=$who" ]] \
    || { fail "expected '$qid: client=$who', Postfix logged: $first"; return 1; }
  [[ $last == *": disconnect from $who "* ]] \
    || { fail "expected 'disconnect from $who', Postfix logged: $last"; return 1; }
}

# the sidecar's session line for a client address (after a mark)
sidecar_line() {  # mark regex
  wait_line "$SC_LOG" "$1" "$2"
}

hap() { "${TOOL[@]}" haproxy "$HAP_SOCK" "$@"; }
SERVERS=(be_v2/sidecar be_v1/sidecar)

pf_open_sessions() {  # smtpd "connect from" minus "disconnect from" since Postfix started
  local chunk c d
  chunk=$(since "$PF_LOG" "$PF_START_MARK")
  c=$(grep -cE 'smtpd\[[0-9]+\]: connect from ' <<<"$chunk" || true)
  d=$(grep -cE 'smtpd\[[0-9]+\]: disconnect from ' <<<"$chunk" || true)
  echo $((c - d))
}
pf_quiet_once() { [ "$(pf_open_sessions)" = 0 ] && echo quiet; }

# Health checks go through the sidecar to Postfix every second; cases that assert on "no new
# Postfix connection" (5) or that stop Postfix (9) pause them and wait until the last one is over.
checks_off() {
  local s
  for s in "${SERVERS[@]}"; do hap "disable health $s" > /dev/null; done
  # "show servers state": srv_check_state bit 0x1 = a check is in progress
  poll "$WAIT_S" checks_idle_once > /dev/null || { fail "a health check is still in progress"; return 1; }
  poll "$WAIT_S" pf_quiet_once > /dev/null || { fail "Postfix still has open sessions: $(pf_open_sessions)"; return 1; }
}
checks_idle_once() {
  hap "show servers state" | awk '
    $1 ~ /^[0-9]+$/ && $4 == "sidecar" { if ($14 % 2 == 1) busy = 1 }
    END { if (!busy) print "idle" }'
}
checks_on() {
  local s
  for s in "${SERVERS[@]}"; do hap "enable health $s" > /dev/null; done
  "${TOOL[@]}" haproxy-wait "$HAP_SOCK" UP "$WAIT_S" "${SERVERS[@]}" > /dev/null
}

# ------------------------------------------------------------------ 3. cases

PASSED=0
FAILED=0
want_case() { [ -z "${E2E_CASES:-}" ] || [[ " $E2E_CASES " == *" $1 "* ]]; }
run_case() {  # number name function
  local num=$1 name=$2 fn=$3 t0
  want_case "$num" || return 0
  REASON=""
  t0=$(now_ms)
  if "$fn" && [ -z "$REASON" ]; then
    PASSED=$((PASSED + 1))
    say "PASS $name ($(( $(now_ms) - t0 )) ms)"
  else
    FAILED=$((FAILED + 1))
    FAILED_ANY=1
    say "FAIL $name: ${REASON:-failed}"
    note "transcripts and logs: $SCRATCH (cases/, postfix/maillog, sidecar.log)"
  fi
}

# 1./2. a message through each HAProxy frontend; Postfix must log the real client, with the
# forward-confirmed name the sidecar looked up in dnsmasq.
through_frontend() {  # case-name src port name proxy-kind
  local name=$1 src=$2 port=$3 host=$4 kind=$5 m s
  m=$(mark "$PF_LOG"); s=$(mark "$SC_LOG")
  swaks_send "$name" "$src" "$port" || return 1
  expect_session "$name" "$m" "$QID" "${host}[$src]" || return 1
  sidecar_line "$s" "^.* forwarded H=$host \[${src//./\\.}\]:[0-9]+ (I=[^ ]+ )?PRX=127\.0\.0\.1 P=$kind " > /dev/null \
    || { fail "sidecar did not log 'forwarded H=$host [$src]:… PRX=127.0.0.1 P=$kind'"; return 1; }
}
case_1() { through_frontend case1 127.0.0.5 "$HAP_V2_PORT" client5.e2e.test proxy-v2; }
case_2() { through_frontend case2 127.0.0.6 "$HAP_V1_PORT" client6.e2e.test proxy-v1; }

# 3. STARTTLS is passed through untouched: TLS between swaks and Postfix, real client logged.
case_3() {
  local m tls
  m=$(mark "$PF_LOG")
  swaks_send case3 127.0.0.5 "$HAP_V2_PORT" --tls || return 1
  grep -q 'TLS started' "$SCRATCH/cases/case3.swaks" || { fail "swaks did not start TLS"; return 1; }
  expect_session case3 "$m" "$QID" "client5.e2e.test[127.0.0.5]" || return 1
  tls=$(wait_line "$PF_LOG" "$m" 'TLS connection established from client5\.e2e\.test\[127\.0\.0\.5\]') \
    || { fail "Postfix logged no 'TLS connection established from client5.e2e.test[127.0.0.5]'"; return 1; }
  printf '%s\n' "$tls" >> "$SCRATCH/cases/case3.postfix"
  grep -qE "disconnect from .* starttls=1 " "$SCRATCH/cases/case3.postfix" \
    || { fail "the disconnect line does not count starttls=1"; return 1; }
}

# 4. HAProxy's health checks (v2: LOCAL header; v1: a TCP4 line with HAProxy's own address)
# mark both servers UP and cause no refusal or sync error in the sidecar.
case_4() {
  local st bad
  st=$("${TOOL[@]}" haproxy-wait "$HAP_SOCK" UP "$WAIT_S" "${SERVERS[@]}" 2>&1) \
    || { fail "HAProxy servers not UP: $st"; return 1; }
  note "haproxy: $st"
  # v2 checks: a LOCAL header, the session is HAProxy's own; v1 checks: "PROXY TCP4 127.0.0.1 …"
  wait_line "$SC_LOG" 0 ' forwarded H=\[127\.0\.0\.1\]:[0-9]+ (I=[^ ]+ )?P=local ' > "$SCRATCH/cases/case4.sidecar" \
    || { fail "no completed v2 (LOCAL) health-check session in the sidecar's log"; return 1; }
  wait_line "$SC_LOG" 0 ' forwarded H=\[127\.0\.0\.1\]:[0-9]+ (I=[^ ]+ )?PRX=127\.0\.0\.1 P=proxy-v1 ' >> "$SCRATCH/cases/case4.sidecar" \
    || { fail "no completed v1 health-check session in the sidecar's log"; return 1; }
  bad=$(grep -E ' (refused_[a-z]+|sync_error|closed_early) ' "$SC_LOG" | head -n 3 || true)
  [ -z "$bad" ] || { fail "sidecar logged: $bad"; return 1; }
}

# 5. A required peer (127.0.0.1) that sends no PROXY header: the sidecar's own refusal mode
# after proxy.headerTimeout, and no connection to Postfix at all.
case_5() { case_5_body; local rc=$?; checks_on > /dev/null 2>&1 || true; return $rc; }
case_5_body() {
  local m s n
  checks_off || return 1
  m=$(mark "$PF_LOG"); s=$(mark "$SC_LOG")
  dialog case5 --src 127.0.0.1 --port "$SIDECAR_PORT" --timeout 10 \
    "expect:220@$(awk -v t=$HEADER_TIMEOUT_S 'BEGIN { print t * 0.8 "-" t + 4 }')" \
    "text:220 sidecar.e2e.test ESMTP" \
    "send:EHLO case5.e2e.test" expect:503 "text:503 Command refused, required Proxy negotiation failed" \
    "send:MAIL FROM:<sender@e2e.test>" expect:503 \
    send:QUIT expect:221 "text:221 sidecar.e2e.test closing connection" eof || return 1
  sidecar_line "$s" ' refused_timeout H=\[127\.0\.0\.1\]:[0-9]+ (I=[^ ]+ )?P=direct ' > "$SCRATCH/cases/case5.sidecar" \
    || { fail "sidecar did not log refused_timeout for [127.0.0.1]"; return 1; }
  n=$(since "$PF_LOG" "$m" | grep -cE 'smtpd\[[0-9]+\]: connect from ' || true)
  [ "$n" = 0 ] || { fail "Postfix logged $n connection(s) during the refusal: $(since "$PF_LOG" "$m" | grep -m1 'connect from')"; return 1; }
  checks_on || { fail "servers not UP again after the checks were re-enabled"; return 1; }
}

# 6. A source that is not in requiredHosts sends its own PROXY line: it is plain SMTP data for
# Postfix; the session stays attributed to the real source.
case_6() {
  local m
  m=$(mark "$PF_LOG")
  dialog case6 --src 127.0.0.9 --port "$SIDECAR_PORT" \
    expect:220 "send:PROXY TCP4 10.9.9.9 127.0.0.1 40000 25" expect:5 \
    "send:EHLO spoof.e2e.test" expect:250 \
    "send:MAIL FROM:<sender@e2e.test>" expect:250 "send:RCPT TO:<rcpt-case6@e2e.test>" expect:250 \
    send:DATA expect:354 message expect:250 send:QUIT expect:221 || return 1
  [ -n "$QID" ] || { fail "no queue id in the reply"; return 1; }
  expect_session case6 "$m" "$QID" "unknown[127.0.0.9]" || return 1
  if since "$PF_LOG" "$m" | grep -q '10\.9\.9\.9'; then
    fail "10.9.9.9 appears in Postfix's log: $(since "$PF_LOG" "$m" | grep -m1 '10\.9\.9\.9')"; return 1
  fi
}

# 7. Reverse DNS: a PTR that does not confirm forward, and forward-confirmed PTRs whose names are
# not clean host names, all reach Postfix as NAME=[UNAVAILABLE] (logged as "unknown").
case_7() {
  local m s src leak
  for src in 127.0.0.7 127.0.0.8 127.0.0.10; do
    m=$(mark "$PF_LOG"); s=$(mark "$SC_LOG")
    swaks_send "case7-${src##*.}" "$src" "$HAP_V2_PORT" || return 1
    expect_session "case7-${src##*.}" "$m" "$QID" "unknown[$src]" || return 1
    # the sidecar's own log names a host only when it is confirmed and clean
    sidecar_line "$s" " forwarded H=\[${src//./\\.}\]:[0-9]+ (I=[^ ]+ )?PRX=127\.0\.0\.1 P=proxy-v2 " \
      >> "$SCRATCH/cases/case7.sidecar" \
      || { fail "sidecar did not log 'forwarded H=[$src]:…' (without a name)"; return 1; }
  done
  leak=$(grep -nE 'evil|inject|liar|addr=|10\.9\.9\.10' "$PF_LOG" | head -n 2 || true)
  [ -z "$leak" ] || { fail "a PTR name reached Postfix's log: $leak"; return 1; }
}

# injection_ignored NAME STEP...: client 127.0.0.5 through fe_v2 tries to claim 10.9.9.9 with the given dialog
# steps, then sends a whole message; Postfix must log it under the real client and 10.9.9.9 nowhere.
injection_ignored() {
  local name=$1 m
  shift
  m=$(mark "$PF_LOG")
  dialog "$name" --src 127.0.0.5 --port "$HAP_V2_PORT" "$@" \
    "send:MAIL FROM:<sender@e2e.test>" expect:250 "send:RCPT TO:<rcpt-$name@e2e.test>" expect:250 \
    send:DATA expect:354 message expect:250 send:QUIT expect:221 || return 1
  [ -n "$QID" ] || { fail "no queue id in the reply"; return 1; }
  expect_session "$name" "$m" "$QID" "client5.e2e.test[127.0.0.5]" || return 1
  if since "$PF_LOG" "$m" | grep -q '10\.9\.9\.9'; then
    fail "10.9.9.9 appears in Postfix's log: $(since "$PF_LOG" "$m" | grep -m1 '10\.9\.9\.9')"; return 1
  fi
}

# 8. XCLIENT injection: the client sends its own XCLIENT after EHLO; Postfix refuses it (the
# new identity is no longer an authorized XCLIENT host) and keeps the real client.
case_8() {
  injection_ignored case8 expect:220 "send:EHLO client5.e2e.test" expect:250 notext:XCLIENT \
    "send:XCLIENT ADDR=10.9.9.9" expect:550 "text:550 5.7.0 Error: insufficient authorization"
}

# 11. A PROXY line after the header (through HAProxy v2, after the greeting) is SMTP data: Postfix answers
# it as an unknown command and the message is still attributed to the real client.
case_11() {
  injection_ignored case11 expect:220 "send:PROXY TCP4 10.9.9.9 198.51.100.7 40000 25" expect:500 \
    "send:EHLO client5.e2e.test" expect:250
}

# 13. A client that sends its whole transaction and QUIT in one write, then half-closes (HAProxy passes the FIN
# on to the sidecar, the sidecar to Postfix): every reply still reaches the client, and Postfix queues the
# message once, for the real client.
case_13() {
  local m s
  m=$(mark "$PF_LOG"); s=$(mark "$SC_LOG")
  dialog case13 --src 127.0.0.5 --port "$HAP_V2_PORT" expect:220 "send:EHLO client5.e2e.test" expect:250 \
    "transaction:rcpt-case13@e2e.test" shutwr expect:250 expect:250 expect:354 expect:250 expect:221 eof || return 1
  [ -n "$QID" ] || { fail "no queue id in the replies after the half-close"; return 1; }
  expect_session case13 "$m" "$QID" "client5.e2e.test[127.0.0.5]" || return 1
  sidecar_line "$s" ' forwarded H=client5\.e2e\.test \[127\.0\.0\.5\]:[0-9]+ (I=[^ ]+ )?PRX=127\.0\.0\.1 P=proxy-v2 ' \
    > "$SCRATCH/cases/case13.sidecar" || { fail "sidecar did not log the forwarded session"; return 1; }
  if grep -q 'reason=' "$SCRATCH/cases/case13.sidecar"; then
    fail "the session line has a reason: $(cat "$SCRATCH/cases/case13.sidecar")"; return 1
  fi
}

# 9. Backend down: the client gets the sidecar's 421 within backend.connectTimeout; backend up
# again: the next session is accepted.
case_9() {
  case_9_body
  local rc=$?
  # whatever happened: Postfix running again and health checks back on
  "${TOOL[@]}" wait-listen "$PF_PORT" 0.1 2>/dev/null || postfix_start > /dev/null 2>&1 || true
  checks_on > /dev/null 2>&1 || true
  return $rc
}
case_9_body() {
  local s m
  checks_off || return 1
  postfix -c "$PF_DIR/etc" stop > /dev/null 2>&1 || { fail "postfix stop failed"; return 1; }
  "${TOOL[@]}" wait-closed "$PF_PORT" "$WAIT_S" || { fail "Postfix still listening"; return 1; }
  s=$(mark "$SC_LOG")
  dialog case9-down --src 127.0.0.5 --port "$HAP_V2_PORT" \
    "expect:421@0-$CONNECT_TIMEOUT_S" "text:421 4.3.0 sidecar.e2e.test Service temporarily unavailable" eof \
    || return 1
  sidecar_line "$s" ' backend_unavailable H=([^ ]+ )?\[127\.0\.0\.5\]:[0-9]+ (I=[^ ]+ )?PRX=127\.0\.0\.1 P=proxy-v2 ' \
    > "$SCRATCH/cases/case9.sidecar" \
    || { fail "sidecar did not log backend_unavailable for [127.0.0.5]"; return 1; }
  postfix_start || { fail "Postfix did not start again"; return 1; }
  m=$(mark "$PF_LOG")
  swaks_send case9-up 127.0.0.6 "$HAP_V2_PORT" || return 1
  expect_session case9-up "$m" "$QID" "client6.e2e.test[127.0.0.6]" || return 1
  checks_on || { fail "servers not UP again after Postfix came back"; return 1; }
}

# 10. backend.handshake proxy-v2 / proxy-v1: the sidecar sends a PROXY header (no XCLIENT) to a
# Postfix smtpd with smtpd_upstream_proxy_protocol=haproxy.
case_10() {
  local kind port mport cfg m lines
  for kind in proxy-v2 proxy-v1; do
    if [ "$kind" = proxy-v2 ]; then port=$SC_PP2_PORT; mport=$SC_PP2_METRICS_PORT
    else port=$SC_PP1_PORT; mport=$SC_PP1_METRICS_PORT; fi
    cfg=$SCRATCH/sidecar-$kind.yaml
    render sidecar.yaml.tmpl "$cfg" LISTEN_PORT="$port" METRICS_PORT="$mport" BACKEND_PORT="$PF_PROXY_PORT" DNS_PORT="$DNS_PORT" \
      HEADER_TIMEOUT="${HEADER_TIMEOUT_S}s" CONNECT_TIMEOUT="${CONNECT_TIMEOUT_S}s" HANDSHAKE="$kind" WARM=0 WARM_IDLE=60s
    sidecar_java --check-config --config "$cfg" > "$cfg.check" 2>&1 \
      || { fail "sidecar rejects handshake: $kind: $(tail -n1 "$cfg.check")"; return 1; }
    start_sidecar "sidecar-$kind" "$cfg" "$SCRATCH/sidecar-$kind.log" 2>/dev/null \
      || { fail "sidecar with handshake $kind did not start: $(tail -n1 "$SCRATCH/sidecar-$kind.log")"; return 1; }
    # an unlisted source talks to it directly: the header carries 127.0.0.5
    m=$(mark "$PF_LOG")
    swaks_send "case10-$kind" 127.0.0.5 "$port" || return 1
    lines=$(pf_session "$m" "$QID") || { fail "$kind: Postfix logged no session for $QID"; return 1; }
    printf '%s\n' "$lines" > "$SCRATCH/cases/case10-$kind.postfix"
    grep -qE "postfix/pp/smtpd\[[0-9]+\]: $QID: client=[^ ]*\[127\.0\.0\.5\]\$" <<<"$lines" \
      || { fail "$kind: expected the PROXY listener to log client=…[127.0.0.5]: $(head -n1 <<<"$lines")"; return 1; }
  done
}

# 12. backend.warmConnections against real Postfix: two connections wait past EHLO; a client's session takes one
# (its XCLIENT makes Postfix log the real client) and unused ones end with QUIT, a clean Postfix session.
case_12() {
  local cfg=$SCRATCH/sidecar-warm.yaml m used
  render sidecar.yaml.tmpl "$cfg" LISTEN_PORT="$SC_WARM_PORT" METRICS_PORT="$SC_WARM_METRICS_PORT" BACKEND_PORT="$PF_PORT" \
    DNS_PORT="$DNS_PORT" HEADER_TIMEOUT="${HEADER_TIMEOUT_S}s" CONNECT_TIMEOUT="${CONNECT_TIMEOUT_S}s" HANDSHAKE=xclient \
    WARM=2 WARM_IDLE=3s
  m=$(mark "$PF_LOG")
  start_sidecar sidecar-warm "$cfg" "$SCRATCH/sidecar-warm.log" 2>/dev/null \
    || { fail "sidecar with warm connections did not start: $(tail -n1 "$SCRATCH/sidecar-warm.log")"; return 1; }
  poll "$WAIT_S" warm_ready_once 2 > /dev/null || { fail "the sidecar never had 2 warm connections ready"; return 1; }
  swaks_send case12 127.0.0.5 "$SC_WARM_PORT" || return 1
  expect_session case12 "$m" "$QID" "client5.e2e.test[127.0.0.5]" || return 1
  used=$("${TOOL[@]}" metric "$SC_WARM_METRICS_PORT" 'smtp_sidecar_backend_warm_total{event="used"}')
  [ "$used" = 1.0 ] || { fail "the session did not use a warm connection (used=$used)"; return 1; }
  # an unused one is ended after warmMaxIdle: Postfix logs a clean EHLO + QUIT session from the sidecar
  wait_line "$PF_LOG" "$m" 'disconnect from [^ ]*\[127\.0\.0\.1\] ehlo=1 quit=1 commands=2$' \
    >> "$SCRATCH/cases/case12.postfix" || { fail "Postfix logged no clean QUIT of an idle warm connection"; return 1; }
}
warm_ready_once() {
  [ "$("${TOOL[@]}" metric "$SC_WARM_METRICS_PORT" smtp_sidecar_backend_warm_ready 2>/dev/null)" = "$1.0" ] && echo ready
}

# shellcheck source=lib/listeners.sh
. "$E2E_DIR/lib/listeners.sh"

say "e2e: running cases"
run_case 1 case1_haproxy_v2_swaks case_1
run_case 2 case2_haproxy_v1_swaks case_2
run_case 3 case3_starttls_passthrough case_3
run_case 4 case4_health_checks case_4
run_case 5 case5_required_peer_without_header case_5
run_case 6 case6_unlisted_source_own_proxy_line case_6
run_case 7 case7_reverse_dns_unavailable case_7
run_case 8 case8_client_xclient_refused case_8
run_case 9 case9_backend_down_and_back case_9
run_case 11 case11_second_proxy_line_is_data case_11
run_case 12 case12_warm_backend_connections case_12
run_case 13 case13_client_half_close case_13
listeners_cases
if [ "${E2E_PROXY_HANDSHAKE:-1}" = 1 ]; then
  run_case 10 case10_backend_proxy_handshake case_10
elif want_case 10; then
  say "SKIP case10_backend_proxy_handshake: E2E_PROXY_HANDSHAKE=0"
fi

[ -n "${E2E_HOLD:-}" ] && { say "holding"; sleep "$E2E_HOLD"; }
say "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
