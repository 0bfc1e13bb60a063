#!/usr/bin/env bash
# Debian's Exim 4 beside Postfix, without installing it (the exim4 packages conflict with postfix).
#
#   exim.sh fetch CACHE           download exim4-daemon-heavy, exim4-base, exim4-config and the libraries the
#                                 binary lacks on this machine (apt-get download), unpack them into CACHE/root
#                                 (dpkg -x), print that root; a root unpacked earlier is reused.
#                                 Exit 3 when the packages cannot be fetched.
#   exim.sh etc DIR               write DIR/passwd and DIR/group (this machine's, plus the Debian-exim user that
#                                 the binary has compiled in, unless it exists) and DIR/resolv.conf (a resolver on
#                                 loopback only); print "UID GID" of Debian-exim.
#   exim.sh run ROOT DIR ARGS...  exec ROOT's exim with ARGS in a private mount namespace where DIR's passwd, group
#                                 and resolv.conf are bind-mounted over /etc's; the process keeps the caller's pid
#                                 (unshare, sh and env all exec), so it can be stopped by that pid.
# Run as root.
set -euo pipefail

die() { printf 'exim.sh: %s\n' "$*" >&2; exit "${2:-1}"; }

PACKAGES=(exim4-daemon-heavy exim4-base exim4-config)

libpath() {  # ROOT: the library folders of an unpacked root
  local root=$1 d out=""
  for d in "$root/usr/lib/x86_64-linux-gnu" "$root/usr/lib/aarch64-linux-gnu" "$root/lib/x86_64-linux-gnu" \
           "$root/usr/lib"; do
    [ -d "$d" ] && out=${out:+$out:}$d
  done
  printf '%s\n' "$out"
}

missing_libs() {  # ROOT: sonames ldd cannot resolve for the exim binary
  LD_LIBRARY_PATH=$(libpath "$1") ldd "$1/usr/sbin/exim4" | awk '/not found/ { print $1 }'
}

download() {  # DIR PKG...: apt-get download, once more after "apt-get update" if the lists are missing or old
  local dir=$1
  shift
  ( cd "$dir" && apt-get download -q "$@" ) > "$dir/download.log" 2>&1 && return 0
  [ "${E2E_SKIP_INSTALL:-0}" = 1 ] && return 1
  apt-get update -qq >> "$dir/download.log" 2>&1 || true
  ( cd "$dir" && apt-get download -q "$@" ) >> "$dir/download.log" 2>&1
}

fetch() {
  local cache=$1 work root deps missing pkgs=()
  root=$cache/root
  if [ -f "$cache/complete" ] && [ -x "$root/usr/sbin/exim4" ] && [ -z "$(missing_libs "$root")" ]; then
    printf '%s\n' "$root"
    return 0
  fi
  command -v apt-get > /dev/null && command -v dpkg > /dev/null || die "apt-get and dpkg are needed" 3
  rm -rf "$cache"
  mkdir -p "$cache/debs"
  work=$cache/debs
  download "$work" "${PACKAGES[@]}" || die "cannot download ${PACKAGES[*]}: $(tail -n 2 "$work/download.log" | tr '\n' ' ')" 3
  mkdir -p "$root"
  for d in "$work"/*.deb; do dpkg -x "$d" "$root"; done
  # The libraries: exim4-daemon-heavy's lib* dependencies that are not installed here (libmariadb3, libidn12,
  # libspf2-2 on a Debian 12 machine with Postfix); checked with ldd afterwards.
  deps=$(apt-cache depends exim4-daemon-heavy 2>/dev/null | awk '$1 ~ /Depends:/ && $2 ~ /^lib/ { print $2 }' | sort -u)
  for p in $deps; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || pkgs+=("$p")
  done
  if [ ${#pkgs[@]} -gt 0 ]; then
    rm -f "$work"/*.deb
    download "$work" "${pkgs[@]}" || die "cannot download ${pkgs[*]}: $(tail -n 2 "$work/download.log" | tr '\n' ' ')" 3
    for d in "$work"/*.deb; do dpkg -x "$d" "$root"; done
  fi
  missing=$(missing_libs "$root")
  [ -z "$missing" ] || die "exim still lacks: $(echo $missing) (looked for: ${pkgs[*]:-nothing})" 3
  rm -rf "$work"
  touch "$cache/complete"
  printf '%s\n' "$root"
}

etc() {
  local dir=$1 uid gid
  mkdir -p "$dir"
  cp /etc/passwd "$dir/passwd"
  cp /etc/group "$dir/group"
  if getent passwd Debian-exim > /dev/null; then
    uid=$(getent passwd Debian-exim | cut -d: -f3)
  else
    # the first free system uid from 990 downwards
    uid=990
    while getent passwd "$uid" > /dev/null || getent group "$uid" > /dev/null; do uid=$((uid - 1)); done
    printf 'Debian-exim:x:%d:%d::/nonexistent:/usr/sbin/nologin\n' "$uid" "$uid" >> "$dir/passwd"
  fi
  if getent group Debian-exim > /dev/null; then
    gid=$(getent group Debian-exim | cut -d: -f3)
  else
    gid=$uid
    printf 'Debian-exim:x:%d:\n' "$gid" >> "$dir/group"
  fi
  # Exim looks names up itself (its own reverse DNS of the proxied client, when host_lookup asks for it): keep
  # that on loopback, where nothing answers on port 53, so a lookup fails at once instead of leaving the machine.
  printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' > "$dir/resolv.conf"
  chmod 644 "$dir/passwd" "$dir/group" "$dir/resolv.conf"
  printf '%s %s\n' "$uid" "$gid"
}

run() {
  local root=$1 dir=$2
  shift 2
  # shellcheck disable=SC2016
  exec unshare -m --propagation private sh -c '
    d=$1; shift
    mount --bind "$d/passwd" /etc/passwd && mount --bind "$d/group" /etc/group &&
      mount --bind "$d/resolv.conf" /etc/resolv.conf || exit 1
    exec "$@"' sh "$dir" env LD_LIBRARY_PATH="$(libpath "$root")" "$root/usr/sbin/exim4" "$@"
}

[ $# -ge 2 ] || die "usage: exim.sh fetch CACHE | etc DIR | run ROOT DIR ARGS..."
cmd=$1
shift
case $cmd in
  fetch) fetch "$1" ;;
  etc) etc "$1" ;;
  run) run "$@" ;;
  *) die "unknown command $cmd" ;;
esac
