#!/usr/bin/env bash
# Writes the sidecar's AOT cache (JDK 25+, JEP 483/514/515) from one training run. The image build (Dockerfile)
# and the benchmarks (bench/lib/image-jvm.sh) both call it, so the cache they run with is trained the same way.
#
#   scripts/aot-train.sh CACHE JAVA [JVM options] -jar JAR
#
# The command after CACHE is the sidecar's command line as it will run (an -XX:AOTCache= option in it is dropped):
# the cache only loads with the same JDK, the same jar (path, size and time) and the same -XX:+UseCompactObjectHeaders.
# The training run: the sidecar with --demo on loopback ports the kernel picks (its in-process demo session: PROXY
# v1 header, XCLIENT handshake, relay), then AOT_TRAIN_SESSIONS (default 300) SMTP sessions through it, PROXY v1 and
# v2 in turn, a scrape of /metrics, /healthz and /readyz every 50 sessions, one client that sends no header (refusal
# mode after the demo's 3 s header timeout), then SIGTERM: the drain, and the JVM writes CACHE as it exits.
# Needs only bash (the image's JRE has no curl or nc).
set -euo pipefail
[ $# -ge 4 ] || { sed -n '2,13p' "${BASH_SOURCE[0]}" >&2; exit 2; }
CACHE=$1; shift
CMD=()
for a in "$@"; do [[ $a == -XX:AOTCache=* ]] || CMD+=("$a"); done
JAVA=${CMD[0]}
SESSIONS=${AOT_TRAIN_SESSIONS:-300}
LOG=$(mktemp "${TMPDIR:-/tmp}/aot-train.XXXXXX")
PID=
cleanup() { [ -z "$PID" ] || kill -9 "$PID" 2>/dev/null || true; rm -f "$LOG"; }
trap cleanup EXIT
die() { echo "aot-train: $*" >&2; tail -n 20 "$LOG" | sed 's/^/aot-train:   /' >&2; exit 1; }

rm -f "$CACHE"
# the SIDECAR_* names override the configuration; the demo adds its backend and requires a header from 127.0.0.1
env SIDECAR_LISTEN_HOST=127.0.0.1 SIDECAR_LISTEN_PORT=0 SIDECAR_METRICS_HOST=127.0.0.1 SIDECAR_METRICS_PORT=0 \
  SIDECAR_DNS_REVERSELOOKUP=false \
  "$JAVA" "-XX:AOTCacheOutput=$CACHE" "${CMD[@]:1}" --demo > "$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 600); do
  grep -q 'demo: the sidecar keeps running' "$LOG" && break
  kill -0 "$PID" 2>/dev/null || die "the sidecar exited before the demo session completed"
  sleep 0.1
done
grep -q 'demo: the sidecar keeps running' "$LOG" || die "no demo session within 60 s"
SMTP=$(sed -n 's/.*smtp-sidecar listening on 127\.0\.0\.1:\([0-9]*\);.*/\1/p' "$LOG" | head -n 1)
ADMIN=$(sed -n 's/.*metrics and health on 127\.0\.0\.1:\([0-9]*\);.*/\1/p' "$LOG" | head -n 1)
[ -n "$SMTP" ] && [ -n "$ADMIN" ] || die "no ports in the start-up line"

reply() {  # reads one (multi-line) SMTP reply from fd 3, fails unless its code starts with $1
  local line
  while IFS= read -r -t 10 -u 3 line; do
    [ "${line:3:1}" = "-" ] && continue
    [[ $line == "$1"* ]] && return 0
    die "expected $1, got: $line"
  done
  die "no reply (expected $1)"
}
session() {  # $1: v1 or v2, $2: a counter for the client address and port
  local a=$(( $2 % 250 + 1 )) port=$(( 40000 + $2 % 20000 ))
  exec 3<>"/dev/tcp/127.0.0.1/$SMTP"
  if [ "$1" = v1 ]; then
    printf 'PROXY TCP4 192.0.2.%d 127.0.0.1 %d 25\r\n' "$a" "$port" >&3
  else  # v2, PROXY command, TCP over IPv4, 12 address bytes
    printf '\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c\xc0\x00\x02'"\\x$(printf %02x "$a")"'\x7f\x00\x00\x01'"\\x$(printf %02x $((port >> 8)))\\x$(printf %02x $((port & 255)))"'\x00\x19' >&3
  fi
  reply 220
  printf 'EHLO client.test\r\n' >&3; reply 250
  printf 'MAIL FROM:<a@client.test>\r\n' >&3; reply 250
  printf 'RCPT TO:<b@example.test>\r\n' >&3; reply 250
  printf 'DATA\r\n' >&3; reply 354
  printf 'Subject: training %d\r\n\r\n%s\r\n.\r\n' "$2" "$(head -c 600 /dev/zero | tr '\0' x)" >&3; reply 250
  printf 'QUIT\r\n' >&3; reply 221
  exec 3>&-
}
http_get() {  # $1: path; fails unless the answer is 200
  local status
  exec 4<>"/dev/tcp/127.0.0.1/$ADMIN"
  printf 'GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' "$1" >&4
  IFS= read -r -t 10 -u 4 status || die "GET $1: no answer"
  [[ $status == "HTTP/1.1 200"* ]] || die "GET $1: $status"
  cat <&4 > /dev/null
  exec 4>&-
}

# a client that sends no header: the refusal mode's banner once the header timeout passes, then 503 and QUIT
exec 5<>"/dev/tcp/127.0.0.1/$SMTP"
for i in $(seq 1 "$SESSIONS"); do
  session "$([ $((i % 2)) = 0 ] && echo v2 || echo v1)" "$i"
  [ $((i % 50)) = 0 ] && { http_get /metrics; http_get /healthz; http_get /readyz; }
done
IFS= read -r -t 10 -u 5 line || die "no refusal banner"
printf 'EHLO client.test\r\n' >&5; IFS= read -r -t 10 -u 5 line || die "no reply in refusal mode"
printf 'QUIT\r\n' >&5; exec 5>&-

kill -TERM "$PID"
rc=0; wait "$PID" || rc=$?
PID=
[ "$rc" = 0 ] || die "the sidecar exited with $rc after SIGTERM"
[ -s "$CACHE" ] || die "no AOT cache written to $CACHE"
echo "aot-train: $CACHE ($(( $(wc -c < "$CACHE") / 1048576 )) MB) after the demo and $SESSIONS sessions"
