#!/usr/bin/env bash
# Runs one Jazzer fuzz target for real and keeps what it found.
#
#   scripts/fuzz.sh TARGET MINUTES        TARGET: proxy ip hosts reply lines config (or "list")
#
# The fuzz tests live in src/test/java/io/smtpsidecar/fuzz; `mvn verify` only replays their committed inputs.
# Here JAZZER_FUZZ=1 makes Jazzer fuzz the one test for MINUTES minutes (jazzer.max_duration overrides the
# annotation's 5m default; jazzer.hooks=true turns on the instrumentation that verify leaves off). libFuzzer writes
# new coverage-increasing inputs to .cifuzz-corpus/ (git-ignored); afterwards they are merged (minimised) into
# src/test/resources/io/smtpsidecar/fuzz/<Class>Inputs/<method>/, where they become regression inputs. A crash is written there directly as crash-<sha1>, fails the run, and replays in verify
# until it is fixed. The run is niced so that it disturbs other work on the machine as little as possible.
# The log goes to target/fuzz-TARGET.log; the last libFuzzer status line (#N DONE ... exec/s) is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A TARGETS=(
  [proxy]=ProxyHeaderDecoderFuzzTest#decode
  [ip]=IpAddressesFuzzTest#parse
  [hosts]=HostListFuzzTest#roundTrip
  [reply]=SmtpReplyParserFuzzTest#feed
  [lines]=CommandLineReaderFuzzTest#feed
  [config]=ConfigReaderFuzzTest#read
)
usage() { local names; names=$(printf '%s\n' "${!TARGETS[@]}" | sort | paste -sd'|'); echo "usage: $0 {$names|list} [MINUTES]" >&2; exit 2; }
[[ $# -eq 1 && $1 == list ]] && { for t in "${!TARGETS[@]}"; do echo "$t ${TARGETS[$t]}"; done | sort; exit 0; }
[[ $# -eq 2 && -n ${TARGETS[$1]:-} && $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || usage
target=$1 minutes=$2
test=${TARGETS[$target]} class=${test%#*} method=${test#*#}
inputs=src/test/resources/io/smtpsidecar/fuzz/${class}Inputs/${method}
generated=.cifuzz-corpus/io.smtpsidecar.fuzz.${class}/${method}
mkdir -p "$inputs" target
log=target/fuzz-$target.log
before=$(find "$inputs" -type f | wc -l)
marker=$(mktemp) && trap 'rm -f "$marker"' EXIT

echo "fuzzing $test for $minutes min (log: $log)"
status=0
JAZZER_FUZZ=1 nice -n 19 mvn -B test -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false \
  -Djazzer.hooks=true -Djazzer.max_duration="${minutes}m" >"$log" 2>&1 || status=$?

# Keep what libFuzzer found, minimised: libFuzzer's -merge=1 (through Jazzer's command line, which can re-launch
# the JVM for it) keeps the hand-written seed-* files and adds only inputs that bring new coverage, out of the
# committed corpus and this run's finds. crash-* reproducers stay as they are.
if [[ -d $generated ]] && [[ $status -eq 0 || -n $(ls -A "$generated" 2>/dev/null) ]]; then
  work=$(mktemp -d)
  mkdir "$work/merged" "$work/pool"
  cp "$inputs"/seed-* "$work/merged/" 2>/dev/null || true
  find "$inputs" "$generated" -maxdepth 1 -type f ! -name 'seed-*' ! -name 'crash-*' -exec cp -n {} "$work/pool/" \;
  mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >/dev/null 2>&1
  if nice -n 19 java -cp "target/test-classes:target/classes:$(cat "$work/cp.txt")" com.code_intelligence.jazzer.Jazzer \
      --target_class="io.smtpsidecar.fuzz.$class" --target_method="$method" \
      -merge=1 "$work/merged" "$work/pool" >"target/fuzz-$target-merge.log" 2>&1; then
    find "$inputs" -maxdepth 1 -type f ! -name 'seed-*' ! -name 'crash-*' -delete
    find "$work/merged" -maxdepth 1 -type f ! -name 'seed-*' -exec cp {} "$inputs/" \;
    rm -rf "$generated"
    grep -a 'MERGE-OUTER: .* new files' "target/fuzz-$target-merge.log" || true
  else
    echo "merge failed (see target/fuzz-$target-merge.log); copying the new inputs unminimised" >&2
    cp -n "$generated"/* "$inputs"/ 2>/dev/null || true
  fi
  rm -rf "$work"
fi
after=$(find "$inputs" -type f | wc -l)
grep -a -E '^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs' "$log" || grep -a -E '^#[0-9]+' "$log" | tail -1 || true
echo "corpus $inputs: $before -> $after files, $(cat "$inputs"/* | wc -c) bytes"
crashes=$(find "$inputs" -name 'crash-*' -newer "$marker" 2>/dev/null || true)
if [[ $status -ne 0 ]]; then
  grep -a -E 'FuzzTestFinding|Caused by|^\s+at io\.smtpsidecar' "$log" | head -20 || true
  echo "FAILED (exit $status)${crashes:+; reproducer: $crashes}: see $log" >&2
  exit "$status"
fi
