# Sourced by the scripts in scripts/image/: podman and buildah set up for a machine without a Docker engine or a
# reachable image registry (docs/IMAGE.md), with their own storage under the cache directory.
#
#   IMAGE_CACHE             ~/.cache/smtp-sidecar-image (SMTP_SIDECAR_IMAGE_CACHE overrides): base root
#                           filesystems (tar) and the image storage, kept between runs
#   image_tools_missing     prints the Debian packages the scripts need that are not installed
#   host_jdk MAJOR          prints the home of an installed JDK of that major version (JAVA_HOME_<MAJOR>, else the
#                           release files under /usr/lib/jvm and /opt/java)
# podman and buildah read CONTAINERS_CONF (scripts/image/containers.conf: runc, ulimits, cgroupfs) and
# CONTAINERS_STORAGE_CONF (written here: the vfs driver, which needs no overlay or fuse support).

IMAGE_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE_CACHE=${SMTP_SIDECAR_IMAGE_CACHE:-${HOME:-/root}/.cache/smtp-sidecar-image}
IMAGE_PACKAGES=(podman buildah runc mmdebstrap catatonit skopeo uidmap)

mkdir -p "$IMAGE_CACHE/storage"
# the run-time state (locks, mounts) of this storage only: one per cache directory
cat > "$IMAGE_CACHE/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$IMAGE_CACHE/storage"
runroot = "/run/smtp-sidecar-image/$(printf '%s' "$IMAGE_CACHE" | sha256sum | cut -c1-12)"
CONF
export CONTAINERS_CONF=$IMAGE_SCRIPTS/containers.conf
export CONTAINERS_STORAGE_CONF=$IMAGE_CACHE/storage.conf

image_tools_missing() {
  # shellcheck source=../lib/apt.sh
  . "$IMAGE_SCRIPTS/../lib/apt.sh"
  apt_missing "${IMAGE_PACKAGES[@]}"
}

host_jdk() {
  local major=$1 var="JAVA_HOME_$1" dir
  if [ -n "${!var:-}" ]; then echo "${!var}"; return 0; fi
  for dir in /usr/lib/jvm/* /opt/java/*; do
    [ -x "$dir/bin/jlink" ] && [ -r "$dir/release" ] || continue
    if grep -qE "^JAVA_VERSION=\"$major(\\.|\")" "$dir/release"; then echo "$dir"; return 0; fi
  done
  return 1
}
