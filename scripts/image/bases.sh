#!/usr/bin/env bash
# Local base images for the Dockerfiles, made from Debian's packages with mmdebstrap, for a machine that cannot
# pull any (docs/IMAGE.md). Each stands in for the Dockerfile's public default:
#   debian  Debian's minbase (apt, bash, coreutils)              debian:bookworm-slim         (deploy/postfix)
#   build   minbase + openjdk-17-jdk-headless + maven           maven:3-eclipse-temurin-17   (BUILD_IMAGE)
#   jdk     minbase + binutils + this machine's JDK 25 in /opt/java/openjdk (symbolic links followed:
#           a packaged JDK links its cacerts to /etc)    eclipse-temurin:25-jdk  (JDK_IMAGE;
#           jlink --strip-debug runs objcopy, which the Temurin image has too)
# The Debian release and its package sources are the host's. Each root filesystem is cached as a tarball under
# $IMAGE_CACHE/bases, keyed by what goes in (this script, the release, the package list, the apt sources, the JDK's
# release file, FORMAT below), and imported as localhost/smtp-sidecar-base-NAME:KEY; a rerun with the same inputs reuses both.
#
#   scripts/image/bases.sh      (as root) prints DEBIAN_IMAGE=..., BUILD_IMAGE=..., JDK_IMAGE=... lines
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bases.sh: mmdebstrap --mode=root needs root" >&2; exit 2; }
. /etc/os-release
SUITE=${VERSION_CODENAME:?bases.sh: no VERSION_CODENAME in /etc/os-release}
mkdir -p "$IMAGE_CACHE/bases"
# one run at a time: another one's rm of an old key's tarball would take this one's
exec 9> "$IMAGE_CACHE/bases/.lock"
flock 9

# the host's apt sources for SUITE: one-line entries and deb822 paragraphs that name it
sources=$IMAGE_CACHE/bases/sources-$SUITE
{
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -E "^deb .*[[:space:]]$SUITE([[:space:]-]|$)" || true
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] && awk -v suite="$SUITE" 'BEGIN { RS = ""; ORS = "\n\n" } $0 ~ "Suites:[^\n]*" suite && $0 !~ /Enabled: *no/' "$f"
  done
} > "$sources.new"
[ -s "$sources.new" ] || { echo "bases.sh: no apt sources for $SUITE on this machine" >&2; exit 1; }
mv "$sources.new" "$sources"

# bump when a change here changes what an image holds
FORMAT=2
JDK25=$(host_jdk 25) || { echo "bases.sh: no JDK 25 here (set JAVA_HOME_25)" >&2; exit 1; }

base() {  # name packages(comma-separated or "") [mmdebstrap options...]
  local name=$1 packages=$2 key tar image
  shift 2
  key=$( { echo "$FORMAT $SUITE $name $packages $*"; cat "$sources"
           [ "$name" != jdk ] || cat "$JDK25/release"; } | sha256sum | cut -c1-12)
  tar=$IMAGE_CACHE/bases/$name-$key.tar
  image=localhost/smtp-sidecar-base-$name:$key
  if ! podman image exists "$image"; then
    if [ ! -s "$tar" ]; then
      echo "bases.sh: mmdebstrap $SUITE ($name${packages:+: $packages})" >&2
      rm -f "$IMAGE_CACHE/bases/$name"-*.tar
      # merged /usr without the usrmerge package (and the perl it pulls in); no manuals, translations or
      # documentation but the copyright files, as Debian's slim images (man1 stays: the JDK's postinst links
      # its manuals there with update-alternatives)
      mmdebstrap --variant=minbase --mode=root --format=tar --quiet \
        --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
        --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-include=/usr/share/locale/locale.alias' --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --essential-hook='mkdir -p "$1/usr/share/man/man1"' \
        --aptopt='Acquire::Check-Valid-Until "false"' ${packages:+--include="$packages"} "$@" \
        "$SUITE" "$tar.part" "$sources" > "$IMAGE_CACHE/bases/$name.log" 2>&1 \
        || { tail -n 30 "$IMAGE_CACHE/bases/$name.log" >&2; echo "bases.sh: mmdebstrap failed" >&2; exit 1; }
      [ -s "$tar.part" ] || { echo "bases.sh: mmdebstrap wrote nothing" >&2; exit 1; }
      mv "$tar.part" "$tar"
    fi
    local changes=()
    [ "$name" != jdk ] || changes=(--change 'ENV JAVA_HOME=/opt/java/openjdk'
      --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    # earlier keys' images go: with the vfs driver each is a full copy
    podman images --format '{{.Repository}}:{{.Tag}}' "localhost/smtp-sidecar-base-$name" | xargs -r podman rmi -f >/dev/null 2>&1 || true
    podman import --quiet "${changes[@]}" --change 'CMD ["bash"]' "$tar" "$image" >/dev/null
  fi
  echo "$image"
}

debian=$(base debian "")
build=$(base build openjdk-17-jdk-headless,maven)
jdk=$(base jdk binutils --customize-hook="mkdir -p \"\$1/opt/java\" && cp -a -L '$JDK25/.' \"\$1/opt/java/openjdk\"")
printf 'DEBIAN_IMAGE=%s\nBUILD_IMAGE=%s\nJDK_IMAGE=%s\n' "$debian" "$build" "$jdk"
