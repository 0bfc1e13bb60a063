# Sourced by e2e/run.sh and bench/run.sh: Debian packages for a test run, installed without starting any service.
#
#   apt_missing PKG...       prints the packages that are not installed (nothing when all are)
#   apt_install LOG PKG...   installs them as root; apt's output goes to LOG, its tail to stderr on failure
#
# No service may start during the install (there may be no init system, and the machine's own Postfix, HAProxy or
# nginx must stay as they are): a temporary /usr/sbin/policy-rc.d answering 101 ("action forbidden") when there is
# none. Postfix's debconf questions are answered ("Local only").

apt_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$p"
  done
}

apt_install() {
  local log=$1 own_policy=0 rc=0
  shift
  [ "$(id -u)" = 0 ] || { echo "missing packages: $*; run as root to install them" >&2; return 2; }
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT   # also if apt-get is interrupted
  fi
  printf '%s\n' 'postfix postfix/main_mailer_type select Local only' \
                'postfix postfix/mailname string localhost' | debconf-set-selections
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@"
  } > "$log" 2>&1 || rc=$?
  if [ $own_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
  [ $rc = 0 ] || tail -n 30 "$log" >&2
  return $rc
}
