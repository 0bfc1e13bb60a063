#!/usr/bin/env bash
# Builds the image's root filesystem in ROOT: the JDK that runs this script jlinked to the modules the jar needs,
# the C libraries that runtime and Netty's native libraries link, a passwd entry for the non-root user and an
# empty /tmp. The Dockerfile's runtime stage runs it; the final stage is FROM scratch with ROOT copied in, so
# the image has no shell, no package manager and nothing else.
#
#   scripts/image/runtime.sh JAR ROOT
#
# Modules: what jdeps finds in the jar (the shaded jar drops Micrometer's binders for databases and Log4j2, which
# would add java.sql and java.desktop), less three that only code the sidecar never runs needs:
#   java.desktop   snakeyaml's JavaBeans introspection (the sidecar reads and prints YAML as maps and lists): 15 MB
#   java.compiler  Vert.x's compiling class loader for verticles given as .java sources
#   java.xml       logback's XML configuration (the sidecar configures logback in code, logging/LogConfigurator):
#                  4 MB of modules, and its parser's classes in the AOT cache
# plus jdk.crypto.ec (elliptic-curve TLS for tls.provider jdk; its classes live in java.base since JDK 22, the
# module is kept for older runtimes) and jdk.jfr stays (Netty's buffer allocator registers JFR events).
set -euo pipefail
[ $# = 2 ] || { sed -n '2,15p' "${BASH_SOURCE[0]}" >&2; exit 2; }
JAR=$(readlink -f "$1") ROOT=$2
JDK=$(dirname "$(dirname "$(readlink -f "$(command -v jlink)")")")
FEATURE=$("$JDK/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')

# --list-deps, not --print-module-deps: the minimal list leaves out what a listed module requires transitively
deps=$("$JDK/bin/jdeps" --multi-release "$FEATURE" --ignore-missing-deps --list-deps "$JAR" \
  | awk '$1 ~ /^(java|jdk)\.[a-z.]+$/ { print $1 }')
modules=$(printf '%s\n' $deps jdk.crypto.ec | grep -vxE 'java\.desktop|java\.compiler|java\.xml' | sort -u | paste -sd, -)
"$JDK/bin/java" --list-modules | grep -q '^jdk\.crypto\.ec@' || modules=${modules/,jdk.crypto.ec/}
echo "runtime.sh: jlink $modules"
"$JDK/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=zip-9 \
  --output "$ROOT/opt/java"

# the symbol tables of the runtime's libraries (libjvm.so: 29 MB -> 25 MB), as Debian's own JDK packages ship them
if command -v strip > /dev/null; then
  find "$ROOT/opt/java" -name '*.so' -exec strip --strip-unneeded {} +
else
  echo "runtime.sh: no strip (binutils) here: the libraries keep their symbol tables" >&2
fi

# C libraries: what the runtime's executables and libraries link, and what Netty's native libraries (epoll,
# io_uring, BoringSSL; unpacked to /tmp at run time) link
natives=$(mktemp -d)
(cd "$natives" && "$JDK/bin/jar" xf "$JAR" META-INF/native)
libs=$(find "$ROOT/opt/java" "$natives" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} + 2>/dev/null \
  | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }' | grep -v "^$ROOT/" | sort -u)
rm -rf "$natives"
[ -n "$libs" ] || { echo "runtime.sh: ldd found no C libraries" >&2; exit 1; }
for lib in $libs; do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
echo "runtime.sh: C libraries:" $libs

mkdir -p "$ROOT/etc" "$ROOT/app"
printf '%s\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' \
  > "$ROOT/etc/passwd"
printf '%s\n' 'root:x:0:' 'nonroot:x:65532:' > "$ROOT/etc/group"
printf '%s\n' 'hosts: files dns' > "$ROOT/etc/nsswitch.conf"
install -d -m 1777 "$ROOT/tmp"
echo "runtime.sh: $(du -sh "$ROOT" | cut -f1) in $ROOT"
