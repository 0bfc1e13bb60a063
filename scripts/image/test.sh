#!/usr/bin/env bash
# The image test: builds the sidecar image (Dockerfile) and the example MTA image (deploy/postfix/Dockerfile) with
# podman on local base images made from Debian's packages (bases.sh), then
#   1. runs the sidecar image with podman (host network, read-only root, /tmp a tmpfs, the configuration directory
#      mounted) beside the MTA image and the host's HAProxy (send-proxy-v2): user 65532, what is writable,
#      /healthz and /readyz, a session and a TLS (BoringSSL) session logged by Postfix with the real client, a live
#      reload of the mounted directory, the AOT cache in use, SIGTERM: drain and exit 0;
#   2. plays deploy/ (kubectl kustomize) and the chart (helm template through helm-java) with podman kube play,
#      the two images in place of the registry's, each pod in a network namespace of its own (kube-play.py lists
#      what else kube play 4.3 needs changed), and sends one mail through each from HAProxy with send-proxy-v2.
# See docs/IMAGE.md. Run as root, from anywhere:
#   bash scripts/image/test.sh
# Environment:
#   IMAGE_SKIP_INSTALL=1   do not apt-get install missing tools (skip when they are missing)
#   IMAGE_KEEP=1           keep the scratch folder (always kept on failure)
# Exit 0 with a line "image test: SKIPPED: reason" where the tools cannot be installed (not root, no apt, ...).
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOL=(python3 "$REPO_ROOT/e2e/lib/e2etool.py")
WAIT_S=60
START=$SECONDS

say() { printf 'image test: %s\n' "$*"; }
skip() { say "SKIPPED: $*"; exit 0; }
die() { printf 'image test: FAILED: %s\n' "$*" >&2; exit 1; }
pass() { PASSED=$((PASSED + 1)); say "ok   $*"; }
PASSED=0

# ------------------------------------------------------------------ tools

[ "$(id -u)" = 0 ] || skip "needs root (podman with runc, mmdebstrap --mode=root, network namespaces)"
command -v apt-get >/dev/null || skip "no apt-get: cannot install podman, buildah, mmdebstrap (a Debian machine is needed)"
. "$REPO_ROOT/scripts/image/lib.sh"
. "$REPO_ROOT/scripts/lib/apt.sh"
missing=$(apt_missing "${IMAGE_PACKAGES[@]}" haproxy swaks openssl curl python3 python3-yaml iproute2 libnet-ssleay-perl libio-socket-ssl-perl)
if [ -n "$missing" ]; then
  [ "${IMAGE_SKIP_INSTALL:-0}" = 1 ] && skip "missing packages:" $missing "(IMAGE_SKIP_INSTALL=1)"
  say "installing:" $missing
  # shellcheck disable=SC2086
  apt_install /tmp/image-test-apt.log $missing || skip "apt-get could not install:" $missing "(log: /tmp/image-test-apt.log)"
fi
host_jdk 25 >/dev/null || skip "no JDK 25 on this machine to copy into the JDK base (set JAVA_HOME_25)"
[ -d "$HOME/.m2" ] || mkdir -p "$HOME/.m2"

# ------------------------------------------------------------------ scratch and cleanup

SCRATCH=$(mktemp -d /tmp/smtp-sidecar-image.XXXXXX)
chmod 755 "$SCRATCH"
SUFFIX=$$                     # names of what this run starts
SC_NAME=smtp-sidecar-image-test-$SUFFIX
PF_NAME=smtp-sidecar-postfix-image-test-$SUFFIX
PIDS=()
KUBE_YAML=
FAILED=1

cleanup() {
  local rc=$? pid
  set +e
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  podman rm -f --time 5 "$SC_NAME" "$PF_NAME" >/dev/null 2>&1
  [ -z "$KUBE_YAML" ] || podman kube down "$KUBE_YAML" >/dev/null 2>&1
  [ -z "$KUBE_YAML" ] || podman volume rm -f "${KUBE_VOLUMES[@]}" >/dev/null 2>&1
  # the previous builds' layers (vfs keeps full copies); the tagged images and the bases stay for the next run
  podman image prune -f >/dev/null 2>&1
  if [ "${IMAGE_KEEP:-0}" = 1 ] || [ $FAILED = 1 ] || [ $rc != 0 ]; then
    say "scratch folder kept: $SCRATCH"
  else
    rm -rf "$SCRATCH"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ build

say "base images (mmdebstrap; cached under $IMAGE_CACHE)"
t=$SECONDS
bases=$(bash "$REPO_ROOT/scripts/image/bases.sh") || die "base images could not be made"
eval "$bases"
say "  $DEBIAN_IMAGE $BUILD_IMAGE $JDK_IMAGE ($((SECONDS - t)) s)"

SIDECAR_IMAGE=localhost/smtp-sidecar:test
POSTFIX_IMAGE=localhost/smtp-sidecar-postfix:test
t=$SECONDS
# --volume ~/.m2: the build stage's Maven takes this machine's repository (mvn verify has filled it) instead of
# an empty cache mount; --network=host: what it lacks it downloads, and apt-get reaches Debian's mirror
podman --storage-driver vfs build --network=host --volume "$HOME/.m2:/root/.m2" \
  --build-arg BUILD_IMAGE="$BUILD_IMAGE" --build-arg JDK_IMAGE="$JDK_IMAGE" \
  -t "$SIDECAR_IMAGE" "$REPO_ROOT" > "$SCRATCH/build-sidecar.log" 2>&1 \
  || { tail -n 40 "$SCRATCH/build-sidecar.log" >&2; die "podman build of the Dockerfile failed"; }
grep -E '^(runtime\.sh|aot-train):' "$SCRATCH/build-sidecar.log" | sed 's/^/image test:   /'
podman --storage-driver vfs build --network=host --build-arg BASE_IMAGE="$DEBIAN_IMAGE" \
  -t "$POSTFIX_IMAGE" "$REPO_ROOT/deploy/postfix" > "$SCRATCH/build-postfix.log" 2>&1 \
  || { tail -n 40 "$SCRATCH/build-postfix.log" >&2; die "podman build of deploy/postfix/Dockerfile failed"; }
size() { podman image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.1f MB", $1 / 1000000 }'; }
SIZE=$(podman image inspect --format '{{.Size}}' "$SIDECAR_IMAGE")
say "  $SIDECAR_IMAGE: $(size "$SIDECAR_IMAGE") uncompressed; $POSTFIX_IMAGE: $(size "$POSTFIX_IMAGE") ($((SECONDS - t)) s)"
[ "$SIZE" -lt 104857600 ] && pass "the sidecar image is under 100 MiB ($SIZE bytes)" || die "the sidecar image is $SIZE bytes (over 100 MiB)"
layers=$(podman image inspect --format '{{.User}} {{range .Config.Entrypoint}}{{.}} {{end}}' "$SIDECAR_IMAGE")
[[ $layers == "65532:65532 java "* ]] || die "image user and entrypoint: $layers"

# ------------------------------------------------------------------ 1. podman run beside Postfix and HAProxy

read -r PF_PORT SC_PORT SC_TLS_PORT SC_ADMIN_PORT HAP_PORT HAP_TLS_PORT < <("${TOOL[@]}" ports 6)
CLIENT=127.0.0.73        # the real client: HAProxy's client address, carried in the PROXY header
TLS_CLIENT=127.0.0.74

# Postfix from the MTA image, on the host's loopback, accepting XCLIENT from the sidecar (127.0.0.1)
mkdir -p "$SCRATCH/postfix"
cat > "$SCRATCH/postfix/main.cf" <<EOF
compatibility_level = 3.6
myhostname = mta.image-test.example
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_authorized_xclient_hosts = 127.0.0.1
mynetworks =
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains = example.test
smtpd_relay_restrictions = reject_unauth_destination
relay_transport = discard:
default_transport = discard:
maillog_file = /dev/stdout
EOF
cat > "$SCRATCH/postfix/master.cf" <<EOF
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
podman --storage-driver vfs --runtime runc run -d --name "$PF_NAME" --network=host \
  --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
  -v "$SCRATCH/postfix/main.cf:/etc/postfix/main.cf:ro" -v "$SCRATCH/postfix/master.cf:/etc/postfix/master.cf:ro" \
  "$POSTFIX_IMAGE" > /dev/null || die "the MTA image did not start"
"${TOOL[@]}" wait-listen "$PF_PORT" "$WAIT_S" || { podman logs "$PF_NAME" >&2; die "Postfix (MTA image) does not listen"; }

# the sidecar's configuration: a directory, as Kubernetes mounts a ConfigMap, with a TLS pair for a second listener
CFG=$SCRATCH/config
mkdir -p "$CFG"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mx.image-test.example \
  -keyout "$CFG/tls.key" -out "$CFG/tls.crt" > "$SCRATCH/openssl.log" 2>&1 || die "openssl: $(cat "$SCRATCH/openssl.log")"
chmod 644 "$CFG/tls.key"      # the image's user (65532) reads it
sidecar_config() {  # banner
  cat <<EOF
listeners:
  - name: smtp
    port: $SC_PORT
  - name: submissions
    port: $SC_TLS_PORT
    tls: {mode: terminate, certificate: /etc/smtp-sidecar/tls.crt, key: /etc/smtp-sidecar/tls.key}
listen: {host: 127.0.0.1}
# the clients are on loopback here (127.0.0.73), which the default rejectSources refuses in a header
proxy: {requiredHosts: [127.0.0.1], headerTimeout: 3s, rejectSources: ""}
backend: {host: 127.0.0.1, port: $PF_PORT}
smtp: {hostname: mx.image-test.example, banner: "$1"}
dns: {reverseLookup: false}
metrics: {host: 127.0.0.1, port: $SC_ADMIN_PORT}
shutdown: {drainTimeout: 10s}
config: {scanPeriod: 1s}
EOF
}
sidecar_config "mx.image-test.example ESMTP first" > "$CFG/sidecar.yaml"

# the AOT cache loads (the JVM's own log) and the mounted configuration is accepted
RUN_FLAGS=(--network=host --read-only --read-only-tmpfs=false --tmpfs /tmp:rw,exec,nosuid,nodev,size=64m,mode=1777
  --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 -v "$CFG:/etc/smtp-sidecar:ro")
podman --storage-driver vfs --runtime runc run --rm "${RUN_FLAGS[@]}" -e JDK_JAVA_OPTIONS=-Xlog:aot \
  "$SIDECAR_IMAGE" --config /etc/smtp-sidecar/sidecar.yaml --check-config > "$SCRATCH/check-config.log" 2>&1 \
  || { cat "$SCRATCH/check-config.log" >&2; die "--check-config in the image failed"; }
grep -q 'Using AOT-linked classes: true' "$SCRATCH/check-config.log" \
  || { grep aot "$SCRATCH/check-config.log" | tail -n 20 >&2; die "the image's JVM does not use its AOT cache"; }
grep -q 'hostname: mx.image-test.example' "$SCRATCH/check-config.log" || die "--check-config printed no configuration"
pass "--check-config in the image: the mounted configuration is valid, the AOT cache is in use"

# the sidecar as a pod runs it: read-only root, /tmp a tmpfs (Netty unpacks its native libraries there), the
# configuration directory read-only
podman --storage-driver vfs --runtime runc run -d --name "$SC_NAME" "${RUN_FLAGS[@]}" "$SIDECAR_IMAGE" > /dev/null \
  || die "the sidecar image did not start"
PID=$(podman inspect --format '{{.State.Pid}}' "$SC_NAME")
http_status() { curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:$SC_ADMIN_PORT$1" || true; }
deadline=$((SECONDS + WAIT_S))
until [ "$(http_status /readyz)" = 200 ]; do
  [ "$(podman inspect --format '{{.State.Running}}' "$SC_NAME")" = true ] || { podman logs "$SC_NAME" >&2; die "the sidecar exited"; }
  [ $SECONDS -lt $deadline ] || { podman logs "$SC_NAME" >&2; die "/readyz never answered 200"; }
  sleep 0.2
done
[ "$(http_status /healthz)" = 200 ] || die "/healthz is not 200"
pass "/healthz and /readyz answer 200"
podman logs "$SC_NAME" > "$SCRATCH/sidecar.log" 2>&1
grep -q 'transport epoll' "$SCRATCH/sidecar.log" || { cat "$SCRATCH/sidecar.log" >&2; die "not on epoll (Netty's library from /tmp)"; }
grep -q 'submissions: TLS on openssl' "$SCRATCH/sidecar.log" || { cat "$SCRATCH/sidecar.log" >&2; die "the TLS listener is not on BoringSSL"; }
if grep -q '\[aot\]' "$SCRATCH/sidecar.log"; then grep '\[aot\]' "$SCRATCH/sidecar.log" >&2; die "the JVM complains about the AOT cache"; fi
pass "epoll and BoringSSL load from the /tmp tmpfs; no AOT cache warnings"

uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$PID/status")
[ "$uids" = "65532 65532 65532 65532" ] || die "the JVM runs as uids $uids"
# every mount of the container that is writable: /tmp and the kernel's own (proc, sysfs, devices, mqueue, shm)
writable=$(awk '{ split($6, o, ","); if (o[1] == "rw") print $5 }' "/proc/$PID/mountinfo" | sort -u)
root_opts=$(awk '$5 == "/" { print $6 }' "/proc/$PID/mountinfo")
[[ ,$root_opts, == *,ro,* ]] || die "the root is mounted $root_opts"
others=$(grep -vxE '/tmp|/proc(/.*)?|/sys(/.*)?|/dev|/dev/(shm|mqueue|pts)' <<< "$writable" || true)
[ -z "$others" ] || die "writable beyond /tmp: $others"
[ "$(grep -cx /tmp <<< "$writable")" = 1 ] || die "/tmp is not writable"
pass "runs as uid/gid 65532; the root is read-only; writable: $(echo $writable)"

# HAProxy: the load balancer, send-proxy-v2 to both listeners
cat > "$SCRATCH/haproxy.cfg" <<EOF
global
    log stdout format raw local0
defaults
    mode tcp
    log global
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend smtp
    bind 127.0.0.1:$HAP_PORT
    default_backend sidecar-smtp
frontend submissions
    bind 127.0.0.1:$HAP_TLS_PORT
    default_backend sidecar-submissions
backend sidecar-smtp
    server sidecar 127.0.0.1:$SC_PORT send-proxy-v2
backend sidecar-submissions
    server sidecar 127.0.0.1:$SC_TLS_PORT send-proxy-v2
EOF
haproxy -f "$SCRATCH/haproxy.cfg" -db > "$SCRATCH/haproxy.log" 2>&1 &
PIDS+=($!)
"${TOOL[@]}" wait-listen "$HAP_TLS_PORT" "$WAIT_S" || { cat "$SCRATCH/haproxy.log" >&2; die "HAProxy did not start"; }

postfix_client() {  # address: waits for Postfix's "client=" line of a session from it
  local deadline=$((SECONDS + 20))
  until grep -qE "client=[^ ]*\[$1\]" <<< "$(podman logs "$PF_NAME" 2>&1)"; do
    [ $SECONDS -lt $deadline ] || { podman logs "$PF_NAME" 2>&1 | tail -n 20 >&2; return 1; }
    sleep 0.2
  done
}
swaks --server "127.0.0.1:$HAP_PORT" --local-interface "$CLIENT" --helo client.test --from a@client.test \
  --to b@example.test --header "Subject: image test" --timeout 20 > "$SCRATCH/swaks.log" 2>&1 \
  || { cat "$SCRATCH/swaks.log" >&2; die "swaks through HAProxy and the sidecar failed"; }
postfix_client "$CLIENT" || die "Postfix logged no client=[$CLIENT]"
pass "swaks -> HAProxy (send-proxy-v2) -> sidecar image -> Postfix image: Postfix logged client=[$CLIENT]"
swaks --server "127.0.0.1:$HAP_TLS_PORT" --tlsc --local-interface "$TLS_CLIENT" --helo client.test \
  --from a@client.test --to b@example.test --timeout 20 > "$SCRATCH/swaks-tls.log" 2>&1 \
  || { cat "$SCRATCH/swaks-tls.log" >&2; die "swaks with TLS through HAProxy and the sidecar failed"; }
postfix_client "$TLS_CLIENT" || die "Postfix logged no client=[$TLS_CLIENT]"
pass "the same over implicit TLS terminated by the sidecar (BoringSSL): Postfix logged client=[$TLS_CLIENT]"

# live reload: a changed live key in the mounted directory, replaced as the kubelet does (a new file renamed over)
sidecar_config "mx.image-test.example ESMTP reloaded" > "$CFG/.sidecar.yaml.new"
mv "$CFG/.sidecar.yaml.new" "$CFG/sidecar.yaml"
deadline=$((SECONDS + 20))
until [ "$("${TOOL[@]}" metric "$SC_ADMIN_PORT" 'smtp_sidecar_config_reloads_total{result="ok"}' 2>/dev/null)" = 1.0 ]; do
  [ $SECONDS -lt $deadline ] || { podman logs "$SC_NAME" 2>&1 | tail -n 20 >&2; die "no reload counted"; }
  sleep 0.3
done
podman logs "$SC_NAME" > "$SCRATCH/sidecar.log" 2>&1
grep -q 'configuration reloaded' "$SCRATCH/sidecar.log" || die "no 'configuration reloaded' line"
grep -q 'need a restart' "$SCRATCH/sidecar.log" && die "the reload says a restart is needed"
pass "the mounted configuration directory reloads: 'configuration reloaded', smtp_sidecar_config_reloads_total{result=\"ok\"} 1"
curl -sf -m 3 -H 'Accept: application/openmetrics-text; version=1.0.0' "http://127.0.0.1:$SC_ADMIN_PORT/metrics" \
  > "$SCRATCH/openmetrics.txt" || die "no OpenMetrics scrape"
grep -q '^# EOF' "$SCRATCH/openmetrics.txt" || die "the OpenMetrics scrape has no '# EOF'"

# SIGTERM: podman stop sends it (then waits up to -t seconds before SIGKILL); the JVM drains and exits 0
t=$SECONDS
podman stop -t 30 "$SC_NAME" > /dev/null
code=$(podman inspect --format '{{.State.ExitCode}}' "$SC_NAME")
podman logs "$SC_NAME" > "$SCRATCH/sidecar.log" 2>&1
[ "$code" = 0 ] || { tail -n 20 "$SCRATCH/sidecar.log" >&2; die "exit code $code after SIGTERM"; }
grep -q 'drained; exiting' "$SCRATCH/sidecar.log" || die "no 'drained; exiting' line"
pass "SIGTERM (podman stop): drained and exited 0 in $((SECONDS - t)) s"
podman rm -f "$SC_NAME" "$PF_NAME" > /dev/null 2>&1

# ------------------------------------------------------------------ 2. podman kube play of deploy/ and the chart

KUBE_TLS=$SCRATCH/kube-tls
mkdir -p "$KUBE_TLS"
# the TLS pair of the Secret the Deployment mounts (cert-manager's in a cluster)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mx.example.org \
  -keyout "$KUBE_TLS/tls.key" -out "$KUBE_TLS/tls.crt" > "$SCRATCH/openssl.log" 2>&1 || die "openssl failed"
chmod 644 "$KUBE_TLS/tls.key"
KUBE_VOLUMES=()

play_pod() {  # label rendered-yaml: plays it as one pod and sends one mail through it from HAProxy
  local label=$1 rendered=$2 dir t names pod sc pf infra user
  dir=$SCRATCH/kube-$label
  mkdir -p "$dir/files"
  # what kube play 4.3 cannot do as a cluster does, changed in a copy (kube-play.py says what and why); it prints
  # the ConfigMaps' names, which kube play makes volumes of
  python3 "$REPO_ROOT/scripts/image/kube-play.py" "$rendered" "$dir/play.yaml" "$SIDECAR_IMAGE" "$POSTFIX_IMAGE" \
    "$KUBE_TLS" "$dir/files" > "$dir/configmaps" || die "$label: kube-play.py failed on $rendered"
  mapfile -t KUBE_VOLUMES < "$dir/configmaps"
  podman volume rm -f "${KUBE_VOLUMES[@]}" > /dev/null 2>&1 || true   # an earlier run's
  KUBE_YAML=$dir/play.yaml
  t=$SECONDS
  # --network none: the pod's own network namespace with its loopback only, so the manifests' ports (25, 2525,
  # 9100...) stay as they are; HAProxy and the client run inside it, with the addresses of deploy/
  podman --storage-driver vfs kube play --network none "$KUBE_YAML" > "$dir/kube-play.log" 2>&1 \
    || { cat "$dir/kube-play.log" >&2; die "$label: podman kube play failed"; }
  # (listed first, then searched: grep -m1 in a pipe would end podman with SIGPIPE, a failure under pipefail)
  names=$(podman pod ps --format '{{.Name}}')
  pod=$(grep -m1 -- '-pod-0$' <<< "$names") || die "$label: no pod from kube play: $names"
  names=$(podman ps --format '{{.Names}}' --filter "pod=$pod")
  sc=$(grep -m1 -- '-sidecar$' <<< "$names") || die "$label: no sidecar container in $pod: $names"
  pf=$(grep -m1 -- '-postfix$' <<< "$names") || die "$label: no postfix container in $pod: $names"
  infra=$(podman inspect --format '{{.State.Pid}}' "$(podman pod inspect --format '{{.InfraContainerID}}' "$pod")")
  nsx() { nsenter -t "$infra" -n "$@"; }
  # 198.51.100.10: the HAProxy host of deploy/ (proxy.requiredHosts); 203.0.113.25: a client on the internet
  nsx ip addr add 198.51.100.10/32 dev lo
  nsx ip addr add 203.0.113.25/32 dev lo
  deadline=$((SECONDS + WAIT_S))
  until [ "$(nsx curl -s -o /dev/null -m 3 -w '%{http_code}' http://127.0.0.1:9100/readyz || true)" = 200 ]; do
    [ $SECONDS -lt $deadline ] || { podman logs "$sc" 2>&1 | tail -n 30 >&2; podman logs "$pf" 2>&1 | tail -n 20 >&2; die "$label: the pod's sidecar never got ready"; }
    sleep 0.5
  done
  user=$(awk '/^Uid:/ { print $2 }' "/proc/$(podman inspect --format '{{.State.Pid}}' "$sc")/status")
  [ "$user" = 65532 ] || die "$label: the pod's sidecar runs as uid $user"
  pass "kube play of $label ($pod: $sc, $pf): /readyz 200 after $((SECONDS - t)) s, uid 65532"
  printf '%s\n' 'global' '    log stdout format raw local0' 'defaults' '    mode tcp' '    log global' \
    '    timeout connect 5s' '    timeout client 30s' '    timeout server 30s' \
    'frontend smtp' '    bind 127.0.0.1:10025' '    default_backend mx-smtp' \
    'backend mx-smtp' '    server pod 127.0.0.1:2525 send-proxy-v2 source 198.51.100.10' > "$dir/haproxy.cfg"
  # nsenter itself (not the nsx function, which would run in a subshell): $! is then HAProxy, which nsenter execs
  nsenter -t "$infra" -n haproxy -f "$dir/haproxy.cfg" -db > "$dir/haproxy.log" 2>&1 &
  PIDS+=($!)
  deadline=$((SECONDS + 20))
  until nsx bash -c 'exec 3<>/dev/tcp/127.0.0.1/10025' 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { cat "$dir/haproxy.log" >&2; die "$label: HAProxy in the pod's namespace did not start"; }
    sleep 0.2
  done
  nsx swaks --server 127.0.0.1:10025 --local-interface 203.0.113.25 --helo client.example.net \
    --from a@client.example.net --to postmaster@example.org --timeout 20 > "$dir/swaks.log" 2>&1 \
    || { cat "$dir/swaks.log" >&2; podman logs "$sc" 2>&1 | tail -n 10 >&2; die "$label: swaks through the pod failed"; }
  PF_NAME=$pf postfix_client 203.0.113.25 || die "$label: the pod's Postfix logged no client=[203.0.113.25]"
  pass "$label: swaks -> HAProxy (send-proxy-v2 from 198.51.100.10) -> pod: Postfix logged client=[203.0.113.25]"
  kill -TERM "${PIDS[${#PIDS[@]}-1]}" 2>/dev/null || true
  podman kube down "$KUBE_YAML" > /dev/null 2>&1 || die "$label: podman kube down failed"
  podman volume rm -f "${KUBE_VOLUMES[@]}" > /dev/null 2>&1 || true
  KUBE_YAML=
}

if command -v kubectl > /dev/null; then
  kubectl kustomize "$REPO_ROOT/deploy" > "$SCRATCH/deploy-rendered.yaml" || die "kubectl kustomize deploy/ failed"
  play_pod deploy "$SCRATCH/deploy-rendered.yaml"
else
  say "kube play of deploy/ SKIPPED: no kubectl to render it (kubectl kustomize)"
fi

# the chart, rendered by Helm's library through helm-java (no helm binary here) on the test classpath, with the
# example load balancer's address as proxy.requiredHosts (deploy/'s ConfigMap has it; the chart's default is none)
if mvn -B -ntp -q -o -f "$REPO_ROOT/pom.xml" dependency:build-classpath -Dmdep.includeScope=test \
     -Dmdep.outputFile="$SCRATCH/test-classpath.txt" > "$SCRATCH/classpath.log" 2>&1; then
  printf '%s\n' 'sidecar:' '  config:' '    proxy:' '      requiredHosts: [198.51.100.10]' > "$SCRATCH/chart-values.yaml"
  java -cp "$(cat "$SCRATCH/test-classpath.txt")" "$REPO_ROOT/scripts/image/HelmTemplate.java" \
    "$REPO_ROOT/helm/smtp-sidecar" mx mail 1.32.0 "$SCRATCH/chart-rendered.yaml" "$SCRATCH/chart-values.yaml" \
    > "$SCRATCH/helm.log" 2>&1 || { cat "$SCRATCH/helm.log" >&2; die "helm template (helm-java) of helm/smtp-sidecar failed"; }
  play_pod chart "$SCRATCH/chart-rendered.yaml"
else
  say "kube play of the chart SKIPPED: no test classpath for helm-java (mvn dependency:build-classpath -o failed: $SCRATCH/classpath.log)"
fi

FAILED=0
say "done in $((SECONDS - START)) s"
echo "image: $PASSED passed, 0 failed"
