#!/usr/bin/env bash
# JMH micro-benchmarks: the PROXY header decoder and the XCLIENT builder, with allocation per operation (-prof gc).
#
#   bash bench/jmh.sh                         # both benchmarks, results in bench/results/jmh.json
#   bash bench/jmh.sh XclientRequestBench     # any JMH arguments (a regexp of benchmarks, -f, -wi, -i, ...)
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
mvn -q -B -ntp -DskipTests test-compile
mvn -q -B -ntp dependency:build-classpath -Dmdep.outputFile=target/bench-cp.txt -Dmdep.includeScope=test >/dev/null
mkdir -p bench/results
args=("$@")
[ ${#args[@]} -eq 0 ] && args=('io\.smtpsidecar\.bench\..*Bench')
exec java -cp "target/test-classes:target/classes:$(cat target/bench-cp.txt)" org.openjdk.jmh.Main \
  -prof gc -rf json -rff bench/results/jmh.json "${args[@]}"
