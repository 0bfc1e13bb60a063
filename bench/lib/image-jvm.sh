# The sidecar's JVM flags and environment as the image runs it, read from the Dockerfile (runtime stage:
# the ENTRYPOINT's options between "java" and "-jar", and every ENV), so that the benchmarks' headline rows
# measure the sidecar as it ships. Sets IMAGE_JVM_OPTS and IMAGE_ENV (NAME=VALUE words for env(1)).
# shellcheck shell=bash
image_jvm() {  # dockerfile
  IMAGE_JVM_OPTS=$(python3 - "$1" <<'PY'
import json, sys
entry = [l for l in open(sys.argv[1]) if l.startswith("ENTRYPOINT ")][-1]
args = json.loads(entry[len("ENTRYPOINT "):])
print(" ".join(args[1:args.index("-jar")]))
PY
)
  IMAGE_ENV=$(sed -n 's/^ENV \([A-Za-z_][A-Za-z0-9_]*=[^ ]*\)$/\1/p' "$1" | tr '\n' ' ')
}
