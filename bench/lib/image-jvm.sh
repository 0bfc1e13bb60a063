# The sidecar's JVM as the image runs it, read from the Dockerfile, so that the benchmarks' headline rows measure
# the sidecar as it ships: the runtime stage's java major version (FROM eclipse-temurin:<major>-...), the
# ENTRYPOINT's options between "java" and "-jar", and every ENV.
#
#   image_jvm DOCKERFILE      sets IMAGE_JAVA (a local java of that major version), IMAGE_JVM_OPTS, IMAGE_ENV
#                             (NAME=VALUE words for env(1)); fails with one line when no such JDK is installed
#   image_aot SCRATCH JAR     when IMAGE_JVM_OPTS names an AOT cache: trains one for JAR with IMAGE_JAVA into
#                             SCRATCH (scripts/aot-train.sh, as the image build does) and points the option at it
#
# A JDK is found through JAVA_HOME_<major> (e.g. JAVA_HOME_25=/opt/jdk-25), else by the JAVA_VERSION in the
# `release` file of the JDKs under /usr/lib/jvm and /opt/java, else the java on the PATH if its version matches.
# shellcheck shell=bash
IMAGE_JVM_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# prints the java command of an installed JDK whose major version is $1
java_of_major() {
  local major=$1 home var="JAVA_HOME_$1" v
  if [ -n "${!var:-}" ]; then
    [ -x "${!var}/bin/java" ] && echo "${!var}/bin/java"; return
  fi
  for home in /usr/lib/jvm/*/ /opt/java/*/; do
    [ -f "$home/release" ] && [ -x "$home/bin/java" ] || continue
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
    [ "$v" = "$major" ] && { echo "${home%/}/bin/java"; return 0; }
  done
  v=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  [ "$v" = "$major" ] && { command -v java; return 0; }
  return 1
}

image_jvm() {  # dockerfile
  local major
  IMAGE_JVM_OPTS=$(python3 - "$1" <<'PY'
import json, sys
entry = [l for l in open(sys.argv[1]) if l.startswith("ENTRYPOINT ")][-1]
args = json.loads(entry[len("ENTRYPOINT "):])
print(" ".join(args[1:args.index("-jar")]))
PY
)
  # the image's environment less its PATH (that of its jlinked runtime)
  IMAGE_ENV=$(sed -n 's/^ENV \([A-Za-z_][A-Za-z0-9_]*=[^ ]*\)$/\1/p' "$1" | grep -v '^PATH=' | sort -u | tr '\n' ' ')
  # the JDK the image's runtime is jlinked from: the JDK_IMAGE build argument's default
  major=$(sed -n 's/^ARG JDK_IMAGE=[a-z0-9./-]*temurin:\([0-9]*\)-.*/\1/p' "$1" | tail -n 1)
  [ -n "$major" ] || { echo "image-jvm: no ARG JDK_IMAGE=eclipse-temurin:<major>-... in $1" >&2; return 1; }
  local var="JAVA_HOME_$major"
  IMAGE_JAVA=$(java_of_major "$major") || {
    if [ -n "${!var:-}" ]; then
      echo "image-jvm: the image runs JDK $major and $var=${!var} has no bin/java" >&2
    else
      echo "image-jvm: the image runs JDK $major and no JDK $major is installed here (set $var)" >&2
    fi
    return 1
  }
}

image_aot() {  # scratch jar
  local opt out=() cache=""
  for opt in $IMAGE_JVM_OPTS; do
    case $opt in
      -XX:AOTCache=*) cache=$1/smtp-sidecar.aot; out+=("-XX:AOTCache=$cache") ;;
      *) out+=("$opt") ;;
    esac
  done
  [ -n "$cache" ] || return 0
  IMAGE_JVM_OPTS="${out[*]}"
  # shellcheck disable=SC2086
  env $IMAGE_ENV bash "$IMAGE_JVM_LIB/../../scripts/aot-train.sh" "$cache" "$IMAGE_JAVA" $IMAGE_JVM_OPTS -jar "$2" >&2
}
