#!/usr/bin/env bash
# A/B of smtp-sidecar builds or settings on one path (LoadTool -> sidecar -> xclient-sink), interleaved round by
# round, with each sidecar's CPU per session read from /proc. For before/after figures of a product change.
#
#   bash bench/ab.sh NAME=JAR NAME=JAR ...
#
# Each variant runs its own sidecar (bench/sidecar.yaml.tmpl, warmConnections 0); per-variant extras come from the
# environment:
#   AB_ENV_<NAME>="SIDECAR_BACKEND_WARMCONNECTIONS=2 ..."   configuration overrides (SIDECAR_* variables)
#   AB_OPTS_<NAME>="-XX:..."                                JVM options
#   AB_JAVA_<NAME>=PATH                                     the java command (default: java on the PATH)
#   AB_IMAGE_<NAME>=DOCKERFILE                              the image's java, flags and ENV (bench/lib/image-jvm.sh;
#                                                           AB_OPTS_ and AB_ENV_ add to them)
# A variant whose options name an AOT cache (-XX:AOTCache=...) gets one trained for its jar, java and options by
# scripts/aot-train.sh, as the image build does.
# Also: AB_ROUNDS (5), AB_SESSIONS (4000), AB_CONCURRENCY (20), AB_SIZE (1024), AB_WARMUP (12000).
# Prints one line per run and the medians, then each variant's RSS and thread count at rest (10 s after the load);
# the raw lines stay in $AB_OUT (default a temporary file).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$BENCH_DIR/.." && pwd)
cd "$REPO_ROOT"
[ $# -ge 1 ] || { sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 2; }
for v in $(compgen -e | grep '^SIDECAR_' || true); do unset "$v"; done
command -v gcc >/dev/null && command -v python3 >/dev/null || { echo "ab: needs gcc and python3" >&2; exit 2; }
[ -f target/test-classes/io/smtpsidecar/bench/LoadTool.class ] || mvn -q -B -ntp -DskipTests package
[ -s target/bench-cp.txt ] && [ target/bench-cp.txt -nt pom.xml ] ||
  mvn -q -B -ntp dependency:build-classpath -Dmdep.outputFile=target/bench-cp.txt -Dmdep.includeScope=test >/dev/null
CP="target/test-classes:target/classes:$(cat target/bench-cp.txt)"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# shellcheck source=lib/image-jvm.sh
. "$BENCH_DIR/lib/image-jvm.sh"
SCRATCH=$(mktemp -d /tmp/smtp-sidecar-ab.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$SCRATCH"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "ab: nothing listens on $1 (logs in $SCRATCH)" >&2; exit 2
}

gcc -O2 -o "$SCRATCH/sink" "$BENCH_DIR/xclient-sink.c"
SINK=$(free_port)
"$SCRATCH/sink" 127.0.0.1 "$SINK" sink.bench.test > "$SCRATCH/sink.log" 2>&1 &
PIDS+=($!); SINK_PID=$!
wait_port "$SINK"

SPEC=$SCRATCH/spec.properties
NAMES=()
declare -A VPID
{
  echo "sources=127.0.0.2-127.0.0.41"
  echo "rounds=${AB_ROUNDS:-5}"
  echo "warmup.sessions=${AB_WARMUP:-12000}"
  echo "small.concurrency=${AB_CONCURRENCY:-20}"
  echo "small.sessions=${AB_SESSIONS:-4000}"
  echo "small.size=${AB_SIZE:-1024}"
  echo "proc.sink=$SINK_PID"
} > "$SPEC"
for arg in "$@"; do
  name=${arg%%=*}; jar=${arg#*=}
  [ -f "$jar" ] || { echo "ab: $jar: no such jar" >&2; exit 2; }
  port=$(free_port); metrics=$(free_port)
  sed -e "s/@LISTEN@/$port/; s/@METRICS@/$metrics/; s/@SINK@/$SINK/; s/@WARM@/0/" "$BENCH_DIR/sidecar.yaml.tmpl" \
    > "$SCRATCH/$name.yaml"
  envv="AB_ENV_$name"; optv="AB_OPTS_$name"; javav="AB_JAVA_$name"; imagev="AB_IMAGE_$name"
  java=${!javav:-java}; opts=${!optv:-}; envs=${!envv:-}
  if [ -n "${!imagev:-}" ]; then
    image_jvm "${!imagev}" || exit 2
    java=${!javav:-$IMAGE_JAVA}; opts="$IMAGE_JVM_OPTS $opts"; envs="$IMAGE_ENV $envs"
  fi
  if [[ " $opts " == *" -XX:AOTCache="* ]]; then
    mkdir -p "$SCRATCH/$name"
    IMAGE_JVM_OPTS=$opts; IMAGE_JAVA=$java; IMAGE_ENV=$envs
    image_aot "$SCRATCH/$name" "$jar" || exit 2
    opts=$IMAGE_JVM_OPTS
  fi
  echo "ab: $name: env $envs $java $opts -jar $jar" >&2
  # shellcheck disable=SC2086
  env $envs "$java" $opts -jar "$jar" --config "$SCRATCH/$name.yaml" > "$SCRATCH/$name.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
  printf 'path.%s.name=%s\npath.%s.port=%s\npath.%s.procs=%s\nproc.%s=%s\n' \
    "$name" "$name" "$name" "$port" "$name" "$name" "$name" "$!" >> "$SPEC"
  NAMES+=("$name")
  VPID[$name]=$!
done
echo "paths=$(IFS=,; echo "${NAMES[*]}")" >> "$SPEC"

OUT=${AB_OUT:-$SCRATCH/raw.jsonl}
java -XX:+UseParallelGC -Xms256m -Xmx1g -cp "$CP" io.smtpsidecar.bench.LoadTool bench --spec "$SPEC" \
  --workloads small --out "$OUT"
python3 - "$OUT" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if '"phase":"load"' in l]
print(f"{'variant':<12} {'sessions/s':>11} {'banner p50':>10} {'p99 ms':>8} {'sidecar CPU us/session':>24} {'errors':>7}")
for name in dict.fromkeys(r["path"] for r in runs):
    rs = [r for r in runs if r["path"] == name]
    cpu = [r["cpu_ms"][name] * 1000 / r["sessions_ok"] for r in rs]
    med = lambda k: statistics.median(r[k] for r in rs)
    print(f"{name:<12} {med('sessions_per_s'):>11.1f} {med('banner_p50_ms'):>10.2f} {med('banner_p99_ms'):>8.2f} "
          f"{statistics.median(cpu):>10.0f} ({min(cpu):.0f}..{max(cpu):.0f}) {sum(r['errors'] for r in rs):>7}")
EOF
# the footprint each variant keeps once the load is over (JIT, pools and heap have seen traffic)
sleep 10
for name in "${NAMES[@]}"; do
  awk -v n="$name" '/^VmRSS:/{r=$2} /^Threads:/{t=$2} END{printf "%-12s at rest: RSS %.1f MB, %d threads\n", n, r/1024, t}' \
    "/proc/${VPID[$name]}/status"
  printf '%-12s threads: %s\n' "$name" "$(cat "/proc/${VPID[$name]}"/task/*/comm | sort | uniq -c |
    awk '{c=$1; $1=""; sub(/^ /,""); printf "%s%s", sep, (c>1 ? c"x " : "") $0; sep=", "}')"
done
