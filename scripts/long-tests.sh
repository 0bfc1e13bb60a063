#!/usr/bin/env bash
# The long forms of the bounded reliability tests that `mvn verify` runs: a 5,000-connection flood and
# 1,000 random messages of up to 1 MB. Usage: scripts/long-tests.sh (from anywhere in the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test='FloodIT,IntegrityIT' \
  -Dflood.connections=5000 -Dintegrity.messages=1000 -Dintegrity.maxBytes=1048576
