#!/usr/bin/env bash
# Benchmarks smtp-sidecar against HAProxy pass-through and nginx's mail proxy, on loopback, on this machine.
#
#   bash bench/run.sh            full run (5 rounds small and tls, 3 rounds of the rest; about 20 minutes)
#   bash bench/run.sh --quick    1 round, fewer sessions (under 3 minutes once the packages are installed)
#
# Paths, all ending at the same sink: bench/xclient-sink.c, a one-process epoll SMTP sink like Postfix's smtp-sink
# but with Postfix's XCLIENT (smtp-sink 3.7 advertises only "XCLIENT NAME HELO" and answers XCLIENT with 250, which
# smtp-sidecar rightly refuses as a backend):
#   1 direct         LoadTool -> sink
#   2 haproxy        LoadTool -> HAProxy (mode tcp, no PROXY header) -> sink
#   3 haproxy-nginx  LoadTool -> HAProxy send-proxy-v2 -> nginx mail (proxy_protocol, xclient on, auth_http) -> sink
#   4 haproxy-sidecar LoadTool -> HAProxy send-proxy-v2 -> smtp-sidecar (XCLIENT) -> sink
#   5 sidecar        LoadTool -> smtp-sidecar (peer not in requiredHosts, XCLIENT) -> sink
# and the TLS pair (workload tls): implicit TLS (465), the load tool sends a PROXY v2 header and then speaks TLS 1.3
# from the first byte (full handshakes, no resumption); the same ECDSA P-256 certificate, made by openssl for the run:
#   6 tls-nginx      LoadTool -> nginx mail (listen ssl proxy_protocol, TLSv1.3, xclient on, auth_http) -> sink
#   7 tls-sidecar    LoadTool -> smtp-sidecar (tls.mode terminate, peer in requiredHosts, XCLIENT) -> sink
# smtp-source (Postfix) checks the LoadTool on the direct path, against this sink and against smtp-sink.
# Writes bench/results/latest.json, latest.md (tables) and latest-raw.jsonl (every run). Needs root (apt-get,
# smtp-sink). Environment:
#   BENCH_KEEP=1                 keep the scratch folder (configs, logs)
#   BENCH_SIDECAR_JVM_OPTS="..." the sidecar's JVM options (default: the image's, from the Dockerfile, with its ENV,
#                                on a local JDK of the image's major version, with an AOT cache trained for the run
#                                by scripts/aot-train.sh as the image build does; set to "" for java -jar on the
#                                java on the PATH with no flags)
#   BENCH_SIDECAR_JAVA=PATH      the sidecar's java with BENCH_SIDECAR_JVM_OPTS (default: java on the PATH)
#   BENCH_SIDECAR_WARM=N         the sidecar's backend.warmConnections (default 0, as it ships: every session connects)
#   BENCH_SIDECAR_JAR=PATH       run this sidecar jar instead of target/smtp-sidecar.jar (before/after of a change)
#   BENCH_WORKLOADS=small,bulk,sweep,idle,tls   a subset
#   BENCH_TLS_PROVIDER=auto|jdk|openssl  the TLS sidecar's tls.provider (default auto: BoringSSL where it loads)
#   BENCH_TLS_LOADTOOL_JAVA=PATH the load tool's java on the TLS paths (default: the newest JDK installed; the
#                                client's handshakes share the cores with the servers, and JDK 25's EC is cheaper)
#   BENCH_RESULTS=DIR            write the results there instead of bench/results
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
# the sidecar reads SIDECAR_* as configuration overrides: none may leak in from the caller
for v in $(compgen -e | grep '^SIDECAR_' || true); do unset "$v"; done

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/results}
QUICK=0
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    -h|--help) sed -n '2,34p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench: unknown argument $a" >&2; exit 2 ;;
  esac
done
WORKLOADS=${BENCH_WORKLOADS:-small,bulk,sweep,idle,tls}
has_workload() { [[ ",$WORKLOADS," == *",$1,"* ]]; }

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "ERROR: $*"; exit 2; }
T_START=$(date +%s)

# ------------------------------------------------------------------ 1. packages and build

# shellcheck source=../scripts/lib/apt.sh
. "$REPO_ROOT/scripts/lib/apt.sh"
install_packages() {
  local missing
  missing=$(apt_missing postfix haproxy nginx libnginx-mod-mail gcc libc6-dev openssl)
  [ -z "$missing" ] && return 0
  say "installing:" $missing
  # shellcheck disable=SC2086
  apt_install /tmp/smtp-sidecar-bench-apt.log $missing || die "apt-get failed (log: /tmp/smtp-sidecar-bench-apt.log)"
}

install_packages
[ "$(id -u)" = 0 ] || die "run as root (smtp-sink drops privileges, packages may need installing)"
for c in smtp-sink smtp-source haproxy nginx gcc java mvn jcmd openssl; do command -v "$c" >/dev/null || die "$c not found"; done
[ -f /usr/lib/nginx/modules/ngx_mail_module.so ] || die "nginx mail module missing (libnginx-mod-mail)"

cd "$REPO_ROOT"
JAR=$REPO_ROOT/target/smtp-sidecar.jar
if [ ! -f "$JAR" ] || [ ! -f target/test-classes/io/smtpsidecar/bench/LoadTool.class ] ||
   [ -n "$(find pom.xml src -newer "$JAR" -type f -print -quit)" ]; then
  say "building (mvn -q -B -DskipTests package): jar missing or older than the sources"
  mvn -q -B -ntp -DskipTests package >&2
fi
# another build of the sidecar for a before/after (the load tool still comes from this checkout)
JAR=${BENCH_SIDECAR_JAR:-$JAR}
if [ ! -s target/bench-cp.txt ] || [ pom.xml -nt target/bench-cp.txt ]; then
  mvn -q -B -ntp dependency:build-classpath -Dmdep.outputFile=target/bench-cp.txt -Dmdep.includeScope=test >/dev/null
fi
CP="target/test-classes:target/classes:$(cat target/bench-cp.txt)"
LOADTOOL=(java -XX:+UseParallelGC -Xms256m -Xmx1g -cp "$CP" io.smtpsidecar.bench.LoadTool)

# ------------------------------------------------------------------ 2. limits, sizes

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
CORES=$(nproc)
EVENT_LOOPS=$CORES             # the sidecar's listen.eventLoops default: one per core
WORKERS=$CORES                 # nginx worker_processes = HAProxy nbthread: one per core (see docs/BENCHMARKS.md)
if [ $QUICK = 1 ]; then
  ROUNDS=1; SMALL_ROUNDS=1; SMALL_SESSIONS=2000; BULK_SESSIONS=200; WARMUP=1500
  SWEEP_SESSIONS=100,500,800,1000; IDLE_WANT=1000; IDLE_ROUNDS=1; SOURCE_RUNS=1; IDLE_WARM=500; IDLE_SETTLE_MS=1500
  TLS_ROUNDS=1; TLS_SESSIONS=300; TLS_WARMUP=300
else
  # warm-up: the sidecar's JIT settles after about 20,000 sessions (paths 4 and 5 both feed it)
  ROUNDS=3; SMALL_ROUNDS=5; SMALL_SESSIONS=6000; BULK_SESSIONS=1000; WARMUP=12000
  SWEEP_SESSIONS=1000,3000,4000,6000; IDLE_WANT=10000; IDLE_ROUNDS=3; SOURCE_RUNS=5; IDLE_WARM=2000; IDLE_SETTLE_MS=3000
  # a TLS session costs the servers (and the client) several times a plain one: fewer sessions per run; the TLS
  # sidecar's JIT (C2 alone in the image) is fed by this path only, so it gets the plain sidecar's 2 x 12,000 at once
  TLS_ROUNDS=5; TLS_SESSIONS=3000; TLS_WARMUP=20000
fi
# a held session costs a proxy two sockets: keep below this process limit (inherited by every server)
IDLE_FIT=$(( (FD_LIMIT - 300) / 2 ))
IDLE_N=$(( IDLE_WANT < IDLE_FIT ? IDLE_WANT : IDLE_FIT ))
[ "$IDLE_N" -lt "$IDLE_WANT" ] && say "fd limit $FD_LIMIT (hard $(ulimit -Hn)) holds at most $IDLE_N two-socket sessions per proxy: idle uses $IDLE_N instead of $IDLE_WANT"
HAPROXY_MAXCONN=$(( IDLE_N + 50 ))
# shellcheck source=lib/image-jvm.sh
. "$BENCH_DIR/lib/image-jvm.sh"
# the image's java, environment and AOT cache go with its flags only
if [ -n "${BENCH_SIDECAR_JVM_OPTS+set}" ]; then
  SIDECAR_JAVA=${BENCH_SIDECAR_JAVA:-java}; SIDECAR_JVM_OPTS=$BENCH_SIDECAR_JVM_OPTS; SIDECAR_ENV=""; IMAGE=0
else
  image_jvm "$REPO_ROOT/Dockerfile" || die "no JDK for the image's flags (see above)"
  SIDECAR_JAVA=$IMAGE_JAVA; SIDECAR_JVM_OPTS=$IMAGE_JVM_OPTS; SIDECAR_ENV=$IMAGE_ENV; IMAGE=1
fi
SIDECAR_WARM=${BENCH_SIDECAR_WARM:-0}   # backend.warmConnections, shared by the event loops

# ------------------------------------------------------------------ 3. scratch, ports, processes

SCRATCH=$(mktemp -d /tmp/smtp-sidecar-bench.XXXXXX)
chmod 755 "$SCRATCH"
declare -A PID=()
cleanup() {
  local rc=$?
  for name in "${!PID[@]}"; do kill "${PID[$name]}" 2>/dev/null || true; done
  sleep 0.5
  for name in "${!PID[@]}"; do kill -9 "${PID[$name]}" 2>/dev/null || true; done
  if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc != 0 ]; then say "scratch kept: $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
if [ $IMAGE = 1 ]; then
  say "training the AOT cache for the image's flags (scripts/aot-train.sh)"
  image_aot "$SCRATCH" "$JAR" || die "AOT training failed"
  SIDECAR_JVM_OPTS=$IMAGE_JVM_OPTS
fi

used_ports=" "
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 20000 ))
    [[ "$used_ports" == *" $p "* ]] && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    ss -Htan "sport = :$p" 2>/dev/null | grep -q . && continue
    used_ports+="$p "; echo "$p"; return
  done
}
wait_port() {   # wait_port PORT NAME
  local i
  for i in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "$2 did not listen on 127.0.0.1:$1 (logs in $SCRATCH)"
}
stop() {        # stop NAME: by pid, wait until it is gone
  local p=${PID[$1]:-}
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  unset "PID[$1]"
}

SINK=$(free_port); SMTP_SINK=$(free_port); HA_TCP=$(free_port); HA_NGINX=$(free_port); HA_SIDECAR=$(free_port)
NGINX=$(free_port); AUTH=$(free_port); SIDECAR=$(free_port); METRICS=$(free_port)
NGINX_TLS=$(free_port); AUTH_TLS=$(free_port); SIDECAR_TLS=$(free_port); METRICS_TLS=$(free_port)

start_sink() {
  gcc -O2 -o "$SCRATCH/xclient-sink" "$BENCH_DIR/xclient-sink.c" || die "cannot compile bench/xclient-sink.c"
  "$SCRATCH/xclient-sink" 127.0.0.1 "$SINK" sink.bench.test > "$SCRATCH/sink.log" 2>&1 &
  PID[sink]=$!
  wait_port "$SINK" xclient-sink
  # Postfix's own sink, only for the smtp-source comparison of the two sinks on the direct path
  smtp-sink -u nobody -m 1000 -h smtp-sink.bench.test "127.0.0.1:$SMTP_SINK" 4096 > "$SCRATCH/smtp-sink.log" 2>&1 &
  PID[smtp_sink]=$!
  wait_port "$SMTP_SINK" smtp-sink
}

start_haproxy() {
  cat > "$SCRATCH/haproxy.cfg" <<EOF
global
    nbthread $WORKERS
    maxconn $HAPROXY_MAXCONN
    pidfile $SCRATCH/haproxy.pid
defaults
    mode tcp
    timeout connect 5s
    timeout client 5m
    timeout server 5m
    maxconn $HAPROXY_MAXCONN
frontend fe_tcp
    bind 127.0.0.1:$HA_TCP
    default_backend be_sink
frontend fe_nginx
    bind 127.0.0.1:$HA_NGINX
    default_backend be_nginx
frontend fe_sidecar
    bind 127.0.0.1:$HA_SIDECAR
    default_backend be_sidecar
backend be_sink
    server sink 127.0.0.1:$SINK
backend be_nginx
    server nginx 127.0.0.1:$NGINX send-proxy-v2
backend be_sidecar
    server sidecar 127.0.0.1:$SIDECAR send-proxy-v2
EOF
  haproxy -f "$SCRATCH/haproxy.cfg" -db > "$SCRATCH/haproxy.log" 2>&1 &
  PID[haproxy]=$!
  wait_port "$HA_TCP" haproxy; wait_port "$HA_NGINX" haproxy; wait_port "$HA_SIDECAR" haproxy
}

# DIR/nginx.conf: nginx's mail proxy on LISTEN (the rest of its listen line), taking each session's upstream from
# its own auth_http location on port AUTH, with MAIL_EXTRA lines in the mail block (the TLS pair's certificate)
write_nginx_conf() {
  local dir=$1 auth=$2 listen=$3 real_ip=$4 mail_extra=$5
  mkdir -p "$dir/logs"
  cat > "$dir/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_mail_module.so;
daemon off;
master_process on;
worker_processes $WORKERS;
worker_rlimit_nofile $FD_LIMIT;
pid $dir/nginx.pid;
error_log $dir/logs/error.log error;
events {
    worker_connections 16384;
}
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    server {
        listen 127.0.0.1:$auth;
        location = /auth {
            add_header Auth-Status OK;
            add_header Auth-Server 127.0.0.1;
            add_header Auth-Port $SINK;
            return 204;
        }
    }
}
mail {
    server_name nginx.bench.test;
    auth_http 127.0.0.1:$auth/auth;
    xclient on;
    smtp_auth none;
$mail_extra
    server {
        listen $listen;
        protocol smtp;
        set_real_ip_from $real_ip;
        timeout 60s;
    }
}
EOF
}

# starts the nginx of DIR as PID[NAME]
run_nginx() {
  local name=$1 dir=$2
  nginx -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" > "$dir/logs/stdout.log" 2>&1 &
  PID[$name]=$!
}

start_nginx() {
  # backlog as the others: somaxconn (nginx's default is 511)
  write_nginx_conf "$SCRATCH/nginx" "$AUTH" "127.0.0.1:$NGINX proxy_protocol backlog=4096" 127.0.0.1 ""
  run_nginx nginx "$SCRATCH/nginx"
  wait_port "$NGINX" nginx; wait_port "$AUTH" nginx
}

start_sidecar() {
  sed -e "s/@LISTEN@/$SIDECAR/; s/@METRICS@/$METRICS/; s/@SINK@/$SINK/; s/@WARM@/$SIDECAR_WARM/" \
    "$BENCH_DIR/sidecar.yaml.tmpl" > "$SCRATCH/sidecar.yaml"
  # shellcheck disable=SC2086
  env $SIDECAR_ENV "$SIDECAR_JAVA" $SIDECAR_JVM_OPTS -jar "$JAR" --config "$SCRATCH/sidecar.yaml" >> "$SCRATCH/sidecar.log" 2>&1 &
  PID[sidecar]=$!
  wait_port "$SIDECAR" smtp-sidecar
}

start_proxies() { start_haproxy; start_nginx; start_sidecar; }
stop_proxies() { stop sidecar; stop nginx; stop haproxy; }

# ---- the TLS pair: its own nginx and sidecar, so that TLS leaves the other paths' processes (and the sidecar's
# footprint at rest) as they were

make_certificate() {   # one ECDSA P-256 pair, self-signed, for both servers; the load tool accepts only it
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.test \
    -addext subjectAltName=DNS:bench.test -keyout "$SCRATCH/tls.key" -out "$SCRATCH/tls.crt" \
    > "$SCRATCH/openssl.log" 2>&1 || die "openssl could not make the certificate: $(tail -n 3 "$SCRATCH/openssl.log")"
}

start_nginx_tls() {
  # implicit TLS after the PROXY header; the real IPs are the load tool's sources, which send the header themselves
  write_nginx_conf "$SCRATCH/nginx-tls" "$AUTH_TLS" "127.0.0.1:$NGINX_TLS ssl proxy_protocol backlog=4096" \
    127.0.0.0/8 "    ssl_certificate $SCRATCH/tls.crt;
    ssl_certificate_key $SCRATCH/tls.key;
    ssl_protocols TLSv1.3;"
  run_nginx nginx_tls "$SCRATCH/nginx-tls"
  wait_port "$NGINX_TLS" nginx-tls; wait_port "$AUTH_TLS" nginx-tls
}

start_sidecar_tls() {
  sed -e "s/@LISTEN@/$SIDECAR_TLS/; s/@METRICS@/$METRICS_TLS/; s/@SINK@/$SINK/; s/@WARM@/$SIDECAR_WARM/" \
    -e "s|@CERT@|$SCRATCH/tls.crt|; s|@KEY@|$SCRATCH/tls.key|; s/@PROVIDER@/${BENCH_TLS_PROVIDER:-auto}/" \
    "$BENCH_DIR/sidecar-tls.yaml.tmpl" > "$SCRATCH/sidecar-tls.yaml"
  # shellcheck disable=SC2086
  env $SIDECAR_ENV "$SIDECAR_JAVA" $SIDECAR_JVM_OPTS -jar "$JAR" --config "$SCRATCH/sidecar-tls.yaml" \
    >> "$SCRATCH/sidecar-tls.log" 2>&1 &
  PID[sidecar_tls]=$!
  local i
  for i in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$SIDECAR_TLS") 2>/dev/null && return 0
    kill -0 "${PID[sidecar_tls]}" 2>/dev/null || break
    sleep 0.1
  done
  die "smtp-sidecar with tls.mode terminate did not start (does this build terminate TLS?); the end of its log: $(tail -n 5 "$SCRATCH/sidecar-tls.log" | tr '\n' ' ')"
}

# the newest JDK installed, for the load tool on the TLS paths
newest_java() {
  local home v best=0 out=""
  for home in /usr/lib/jvm/*/ /opt/java/*/; do
    [ -f "$home/release" ] && [ -x "$home/bin/java" ] || continue
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
    [ -n "$v" ] && [ "$v" -gt "$best" ] && { best=$v; out="${home%/}/bin/java"; }
  done
  echo "${out:-java}"
}

start_sink
start_proxies
say "listening: sink $SINK, haproxy $HA_TCP/$HA_NGINX/$HA_SIDECAR, nginx $NGINX (auth $AUTH), sidecar $SIDECAR; scratch $SCRATCH"
if has_workload tls; then
  TLS_JAVA=${BENCH_TLS_LOADTOOL_JAVA:-$(newest_java)}
  # --enable-native-access: JDK 25 warns about Netty's native transport otherwise (17 takes the option too)
  LOADTOOL_TLS=("$TLS_JAVA" --enable-native-access=ALL-UNNAMED "${LOADTOOL[@]:1}")
  make_certificate
  start_nginx_tls
  start_sidecar_tls
  say "TLS pair listening: nginx $NGINX_TLS (auth $AUTH_TLS), sidecar $SIDECAR_TLS; load tool on $("$TLS_JAVA" -version 2>&1 | head -n 1)"
fi

# one transaction through every path before measuring anything
for port in "$SINK" "$HA_TCP" "$HA_NGINX" "$HA_SIDECAR" "$SIDECAR"; do
  out=$("${LOADTOOL[@]}" run --port "$port" --concurrency 1 --sessions 3 --timeout-ms 10000)
  echo "$out" | grep -q '"errors":0' || die "smoke test on port $port failed: $out (logs in $SCRATCH)"
done
if has_workload tls; then
  for target in "$NGINX_TLS:tls-nginx" "$SIDECAR_TLS:tls-sidecar"; do
    port=${target%%:*}
    out=$("${LOADTOOL_TLS[@]}" run --port "$port" --proxy v2 --tls "$SCRATCH/tls.crt" --concurrency 1 --sessions 3 \
      --timeout-ms 10000 2>&1)
    echo "$out" | grep -q '"errors":0' || die "smoke test on ${target#*:} (port $port) failed: $out (logs in $SCRATCH)"
    echo "$out" | grep -q '"TLSv1.3 [A-Z0-9_]* EC-256"' ||
      die "${target#*:} did not negotiate TLS 1.3 with the P-256 certificate: $out"
    say "smoke test on ${target#*:}: $(echo "$out" | grep -o '"tls":\[[^]]*\]')"
  done
  say "smoke test passed on all seven paths"
else
  say "smoke test passed on all five paths"
fi

mkdir -p "$RESULTS"
RAW=$SCRATCH/raw.jsonl
: > "$RAW"
ver() { "$@" 2>&1 | head -n 1; }
printf '{"phase":"meta","started":"%s","mode":"%s","rounds":%d,"machine":"%s","java":"%s","haproxy":"%s","nginx":"%s","postfix":"%s","sidecar_jvm_opts":"%s","sidecar_warm_connections":%d,"event_loops":%d,"nginx_workers":%d,"haproxy_threads":%d,"fd_limit":%d}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$([ $QUICK = 1 ] && echo quick || echo full)" "$ROUNDS" \
  "$CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r)" \
  "$(ver "$SIDECAR_JAVA" -version | tr -d '"')" "$(ver haproxy -v)" "$(ver nginx -v)" "$(postconf -d -h mail_version 2>/dev/null)" \
  "${SIDECAR_ENV}${SIDECAR_JVM_OPTS}" "$SIDECAR_WARM" "$EVENT_LOOPS" "$WORKERS" "$WORKERS" "$FD_LIMIT" >> "$RAW"

# ------------------------------------------------------------------ 4. load workloads (one JVM, interleaved)

LOAD_WL=()
for w in small bulk sweep; do has_workload $w && LOAD_WL+=("$w"); done
if [ ${#LOAD_WL[@]} -gt 0 ]; then
  cat > "$SCRATCH/spec.properties" <<EOF
sources=127.0.0.2-127.0.0.41
timeoutMs=10000
maxSeconds=60
rounds=$ROUNDS
small.rounds=$SMALL_ROUNDS
warmup.sessions=$WARMUP
proc.haproxy=${PID[haproxy]}
proc.nginx=${PID[nginx]}
proc.sidecar=${PID[sidecar]}
proc.sink=${PID[sink]}
paths=1,2,3,4,5
path.1.name=direct
path.1.port=$SINK
path.1.procs=
path.2.name=haproxy
path.2.port=$HA_TCP
path.2.procs=haproxy
path.3.name=haproxy-nginx
path.3.port=$HA_NGINX
path.3.procs=haproxy,nginx
path.4.name=haproxy-sidecar
path.4.port=$HA_SIDECAR
path.4.procs=haproxy,sidecar
path.5.name=sidecar
path.5.port=$SIDECAR
path.5.procs=sidecar
small.concurrency=20
small.sessions=$SMALL_SESSIONS
small.size=1024
bulk.concurrency=20
bulk.sessions=$BULK_SESSIONS
bulk.size=1000000
sweep.levels=1,10,100,1000
sweep.sessions=$SWEEP_SESSIONS
sweep.size=1024
EOF
  say "load workloads: ${LOAD_WL[*]} ($ROUNDS rounds, small $SMALL_ROUNDS)"
  "${LOADTOOL[@]}" bench --spec "$SCRATCH/spec.properties" --workloads "$(IFS=,; echo "${LOAD_WL[*]}")" --out "$RAW"

  if has_workload small; then
    # the reference load generator on the direct path, to check the LoadTool's numbers (and the two sinks)
    for r in $(seq 1 $SOURCE_RUNS); do
      for target in "$SINK:xclient-sink" "$SMTP_SINK:smtp-sink"; do
        port=${target%%:*}; sinkname=${target#*:}
        cmd="smtp-source -s 20 -m $SMALL_SESSIONS -l 1024 -M bench.test -f sender@bench.test -t test@bench.test 127.0.0.1:$port"
        t0=$(date +%s%N)
        # shellcheck disable=SC2086
        $cmd > "$SCRATCH/smtp-source.log" 2>&1 || die "smtp-source failed: $(tail -n 3 "$SCRATCH/smtp-source.log")"
        t1=$(date +%s%N)
        awk -v n="$SMALL_SESSIONS" -v ns=$((t1 - t0)) -v r="$r" -v sink="$sinkname" -v cmd="${cmd/$port/PORT}" \
          'BEGIN{printf "{\"phase\":\"smtp-source\",\"path\":\"1\",\"workload\":\"small\",\"sink\":\"%s\",\"round\":%d,\"sessions\":%d,\"elapsed_s\":%.4f,\"sessions_per_s\":%.1f,\"command\":\"%s\"}\n", sink, r, n, ns/1e9, n/(ns/1e9), cmd}' >> "$RAW"
        say "smtp-source run $r -> $sinkname: $(tail -n 1 "$RAW" | grep -o '"sessions_per_s":[0-9.]*')"
      done
    done
  fi
fi

# ------------------------------------------------------------------ 4b. the sidecar at rest

# after the load workloads and a pause (the JIT, pools and heap have seen traffic; nothing is in flight): the
# footprint an idle pod pays
if [ ${#LOAD_WL[@]} -gt 0 ] && kill -0 "${PID[sidecar]}" 2>/dev/null; then
  sleep 10
  rest_rss=$(awk '/^VmRSS:/{print $2}' "/proc/${PID[sidecar]}/status")
  rest_threads=$(awk '/^Threads:/{print $2}' "/proc/${PID[sidecar]}/status")
  say "sidecar at rest after the load: RSS ${rest_rss} kB, ${rest_threads} threads"
  printf '{"phase":"rest","rss_kb":%d,"threads":%d,"after":"load workloads, 10 s pause"}\n' \
    "$rest_rss" "$rest_threads" >> "$RAW"
fi

# ------------------------------------------------------------------ 4c. TLS: the sidecar terminating 465 against nginx

# the same measure as "small" (CPU per 1000 sessions from /proc of each server's process tree, before and after every
# run), with its own warm-up: the sidecar's JIT has not seen a handshake before this
if has_workload tls; then
  cat > "$SCRATCH/spec-tls.properties" <<EOF
sources=127.0.0.2-127.0.0.41
timeoutMs=10000
maxSeconds=300
rounds=$TLS_ROUNDS
warmup.sessions=$TLS_WARMUP
proc.nginx_tls=${PID[nginx_tls]}
proc.sidecar_tls=${PID[sidecar_tls]}
proc.sink=${PID[sink]}
paths=6,7
path.6.name=tls-nginx
path.6.port=$NGINX_TLS
path.6.procs=nginx_tls
path.6.proxy=v2
path.6.tls=$SCRATCH/tls.crt
path.7.name=tls-sidecar
path.7.port=$SIDECAR_TLS
path.7.procs=sidecar_tls
path.7.proxy=v2
path.7.tls=$SCRATCH/tls.crt
tls.concurrency=20
tls.sessions=$TLS_SESSIONS
tls.size=1024
EOF
  printf '{"phase":"meta","openssl":"%s","tls_certificate":"ECDSA P-256, self-signed (openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256)","tls_loadtool_java":"%s"}\n' \
    "$(openssl version)" "$("$TLS_JAVA" -version 2>&1 | head -n 1 | tr -d '"')" >> "$RAW"
  say "tls: $TLS_ROUNDS round(s) of $TLS_SESSIONS sessions per path after $TLS_WARMUP of warm-up, paths 6 and 7"
  "${LOADTOOL_TLS[@]}" bench --spec "$SCRATCH/spec-tls.properties" --workloads tls --out "$RAW"
fi

# ------------------------------------------------------------------ 5. idle sessions (fresh proxies per run)

if has_workload idle; then
  say "idle: $IDLE_N sessions held after EHLO per run, $IDLE_ROUNDS round(s), paths 2..5, fresh proxies each run"
  declare -A IDLE_PORT=([2]=$HA_TCP [3]=$HA_NGINX [4]=$HA_SIDECAR [5]=$SIDECAR)
  declare -A IDLE_NAME=([2]=haproxy [3]=haproxy-nginx [4]=haproxy-sidecar [5]=sidecar)
  declare -A IDLE_PROCS=([2]=haproxy [3]=haproxy,nginx [4]=haproxy,sidecar [5]=sidecar)
  for r in $(seq 1 $IDLE_ROUNDS); do
    for p in 2 3 4 5; do
      stop_proxies; start_proxies
      # the same short warm-up for every path: JIT, pools, first-use allocations are not per-session costs
      "${LOADTOOL[@]}" run --port "${IDLE_PORT[$p]}" --concurrency 20 --sessions "$IDLE_WARM" > /dev/null
      procs=(--proc "haproxy=${PID[haproxy]}" --proc "nginx=${PID[nginx]}" --proc "sidecar=${PID[sidecar]}:jvm" --proc "sink=${PID[sink]}")
      "${LOADTOOL[@]}" idle --port "${IDLE_PORT[$p]}" --count "$IDLE_N" --path "$p" --path-name "${IDLE_NAME[$p]}" \
        --proxy-procs "${IDLE_PROCS[$p]}" --round "$r" --settle-ms "$IDLE_SETTLE_MS" "${procs[@]}" --out "$RAW"
    done
  done
fi

# ------------------------------------------------------------------ 6. results

cp "$RAW" "$RESULTS/latest-raw.jsonl"
"${LOADTOOL[@]}" summarize --raw "$RAW" --json "$RESULTS/latest.json" --md "$RESULTS/latest.md"
cp "$SCRATCH/sidecar.log" "$SCRATCH/sidecar-last.log" 2>/dev/null || true
say "done in $(( $(date +%s) - T_START )) s: $RESULTS/latest.json, $RESULTS/latest.md"
cat "$RESULTS/latest.md"
