# The listeners and TLS cases (14-25), sourced by e2e/run.sh after its set-up; they use its helpers and variables.
#
#   swaks -> HAProxy (send-proxy-v2, one frontend per port) -> one smtp-sidecar with seven listeners -> Postfix | Exim
#
#   listener          tls          backend                                                            handshake
#   smtp              none         Postfix smtpd (25 role, STARTTLS offered)                         xclient
#   submission        none         Postfix smtpd, syslog postfix/submission, TLS required (587 role)  xclient
#   submissions       terminate    Postfix smtpd, syslog postfix/submissions-xclient, no TLS          xclient
#   submissionsjdk    terminate    the same, tls.provider jdk (auto takes BoringSSL where it loads)   xclient
#   submissionsp      passthrough  Postfix smtpd, syslog postfix/submissions, wrappermode (465 role)  proxy-v2
#   eximsmtp          none         Exim 4.96, hosts_proxy (25 role)                                   proxy-v2
#   eximsubmissionsp  passthrough  Exim 4.96, tls_on_connect_ports + hosts_proxy (465 role)           proxy-v2
#
# Cases 14 and 19 check the peers alone (HAProxy's PROXY v2 header straight into Postfix's SMTPS port and Exim's two
# ports), so that a failure of 15-21 points at the sidecar. Exim is not installed (its package conflicts with
# postfix): lib/exim.sh unpacks Debian's packages into a cache folder and runs the binary in a private mount
# namespace; cases 19-21 are skipped, with the reason, when the packages cannot be fetched.

EXIM_CACHE=${E2E_CACHE:-${XDG_CACHE_HOME:-${HOME:-${TMPDIR:-/tmp}}/.cache}/smtp-sidecar-e2e}/exim4
EXIM_DIR=$SCRATCH/exim
EXIM_LOG=$EXIM_DIR/log/mainlog
SCL_CFG=$SCRATCH/sidecar-listeners.yaml
SCL_LOG=$SCRATCH/sidecar-listeners.log
SCL_TLS=$SCRATCH/sidecar-tls
EXIM_STATE=""    # ok | skip: reason | fail: reason
SCL_STATE=""     # ok | fail: reason
LISTENER_NAMES=(smtp submission submissions submissionsjdk submissionsp eximsmtp eximsubmissionsp)

# ------------------------------------------------------------------ set-up

ecdsa_pair() {  # CN CERT KEY: a throw-away ECDSA P-256 certificate (PKCS#8 key)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1" \
    -addext "subjectAltName=DNS:$1" -keyout "$3" -out "$2" > "$SCRATCH/openssl-$1.out" 2>&1
}

exim_setup() {
  local root rc=0 ids
  root=$(bash "$E2E_DIR/lib/exim.sh" fetch "$EXIM_CACHE" 2> "$SCRATCH/exim-fetch.err") || rc=$?
  if [ $rc = 3 ]; then EXIM_STATE="skip: $(tail -n1 "$SCRATCH/exim-fetch.err")"; return 0; fi
  [ $rc = 0 ] || { EXIM_STATE="fail: $(tail -n1 "$SCRATCH/exim-fetch.err")"; return 0; }
  mkdir -p "$EXIM_DIR/spool" "$EXIM_DIR/log" "$EXIM_DIR/tls"
  render exim.conf.tmpl "$EXIM_DIR/exim.conf" EXIM_DIR="$EXIM_DIR" EXIM_SMTP_PORT="$EXIM_SMTP_PORT" \
    EXIM_SMTPS_PORT="$EXIM_SMTPS_PORT"
  ecdsa_pair exim.e2e.test "$EXIM_DIR/tls/cert.pem" "$EXIM_DIR/tls/key.pem" \
    || { EXIM_STATE="fail: openssl: $(tail -n1 "$SCRATCH/openssl-exim.e2e.test.out")"; return 0; }
  ids=$(bash "$E2E_DIR/lib/exim.sh" etc "$EXIM_DIR/etc") || { EXIM_STATE="fail: cannot write passwd/group"; return 0; }
  # the daemon runs as Debian-exim once it listens: its spool, log and key
  chown -R "${ids% *}:${ids#* }" "$EXIM_DIR/spool" "$EXIM_DIR/log" "$EXIM_DIR/tls"
  chmod 600 "$EXIM_DIR/tls/key.pem"
  # "exim.sh run" execs unshare, which execs exim: $! is the daemon
  bash "$E2E_DIR/lib/exim.sh" run "$root" "$EXIM_DIR/etc" -C "$EXIM_DIR/exim.conf" -bdf > "$EXIM_DIR/exim.out" 2>&1 &
  PIDS+=("exim:$!")
  if ! "${TOOL[@]}" wait-listen "$EXIM_SMTP_PORT" "$WAIT_S" 2>/dev/null \
     || ! "${TOOL[@]}" wait-listen "$EXIM_SMTPS_PORT" 1 2>/dev/null; then
    EXIM_STATE="fail: Exim did not start: $(cat "$EXIM_DIR/exim.out" "$EXIM_LOG" "$EXIM_DIR/log/paniclog" 2>/dev/null | tail -n 2 | tr '\n' ' ')"
    return 0
  fi
  EXIM_STATE=ok
  say "e2e: $(head -n1 "$EXIM_LOG" | sed -E 's/^[0-9-]+ [0-9:]+ //')"
}

listeners_sidecar_setup() {
  local p
  mkdir -p "$SCL_TLS"
  ecdsa_pair sidecar.e2e.test "$SCL_TLS/tls.crt" "$SCL_TLS/tls.key" \
    || { SCL_STATE="fail: openssl: $(tail -n1 "$SCRATCH/openssl-sidecar.e2e.test.out")"; return 0; }
  chmod 600 "$SCL_TLS/tls.key"
  render sidecar-listeners.yaml.tmpl "$SCL_CFG" METRICS_PORT="$SCL_METRICS_PORT" DNS_PORT="$DNS_PORT" \
    HEADER_TIMEOUT="${HEADER_TIMEOUT_S}s" CONNECT_TIMEOUT="${CONNECT_TIMEOUT_S}s" PF_PORT="$PF_PORT" \
    PF_SUB_PORT="$PF_SUB_PORT" PF_SUBS_XC_PORT="$PF_SUBS_XC_PORT" PF_SUBS_PP_PORT="$PF_SUBS_PP_PORT" \
    EXIM_SMTP_PORT="$EXIM_SMTP_PORT" EXIM_SMTPS_PORT="$EXIM_SMTPS_PORT" TLS_CERT="$SCL_TLS/tls.crt" TLS_KEY="$SCL_TLS/tls.key" \
    SCL_SMTP_PORT="$SCL_SMTP_PORT" SCL_SUB_PORT="$SCL_SUB_PORT" SCL_SUBS_PORT="$SCL_SUBS_PORT" SCL_SUBSJDK_PORT="$SCL_SUBSJDK_PORT" \
    SCL_SUBSP_PORT="$SCL_SUBSP_PORT" SCL_EXIM_SMTP_PORT="$SCL_EXIM_SMTP_PORT" SCL_EXIM_SUBSP_PORT="$SCL_EXIM_SUBSP_PORT"
  if ! sidecar_java --check-config --config "$SCL_CFG" > "$SCL_CFG.check" 2>&1; then
    SCL_STATE="fail: the sidecar rejects sidecar-listeners.yaml: $(grep -v "^\s*$" "$SCL_CFG.check" | tail -n1 | sed "s/ (known keys:.*//")"
    return 0
  fi
  start_sidecar sidecar-listeners "$SCL_CFG" "$SCL_LOG" "$SCL_SMTP_PORT" 2>/dev/null \
    || { SCL_STATE="fail: the sidecar with listeners did not start: $(tail -n1 "$SCL_LOG")"; return 0; }
  for p in "$SCL_SUB_PORT" "$SCL_SUBS_PORT" "$SCL_SUBSJDK_PORT" "$SCL_SUBSP_PORT" "$SCL_EXIM_SMTP_PORT" "$SCL_EXIM_SUBSP_PORT"; do
    "${TOOL[@]}" wait-listen "$p" 5 2>/dev/null || { SCL_STATE="fail: no listener on port $p"; return 0; }
  done
  SCL_STATE=ok
}

# ------------------------------------------------------------------ helpers

# tls_peer NAME CN: swaks saw a certificate with that subject (who ended the client's TLS)
tls_peer() {
  grep -q "TLS peer DN=\"/CN=$2\"" "$SCRATCH/cases/$1.swaks" \
    || { fail "swaks did not get the certificate of $2: $(grep -m1 'TLS peer DN' "$SCRATCH/cases/$1.swaks" || echo 'no TLS')"; return 1; }
}

# pf_client NAME MARK QID SYSLOG-NAME HOST-REGEX SRC: Postfix (that service) logged the message and the disconnect under
# HOST[SRC]; the lines go to cases/NAME.postfix
pf_client() {
  local name=$1 m=$2 qid=$3 svc=$4 host=$5 src=${6//./\\.} lines
  lines=$(pf_session "$m" "$qid") || { fail "Postfix logged no 'client=' + 'disconnect from' for $qid"; return 1; }
  printf '%s\n' "$lines" > "$SCRATCH/cases/$name.postfix"
  grep -qE "^.* ${svc//./\\.}/smtpd\[[0-9]+\]: $qid: client=$host\[$src\]\$" <<<"$lines" \
    || { fail "expected '$svc/smtpd[…]: $qid: client=$host[$6]', Postfix logged: $(head -n1 <<<"$lines")"; return 1; }
  grep -qE "^.* ${svc//./\\.}/smtpd\[[0-9]+\]: disconnect from $host\[$src\] " <<<"$lines" \
    || { fail "expected '$svc: disconnect from $host[$6]', Postfix logged: $(tail -n1 <<<"$lines")"; return 1; }
}

# pf_tls NAME MARK SYSLOG-NAME SRC: Postfix's TLS line for that client (appended to cases/NAME.postfix)
pf_tls() {
  wait_line "$PF_LOG" "$2" "${3//./\\.}/smtpd\[[0-9]+\]: [A-Za-z]+ TLS connection established from [^ ]*\[${4//./\\.}\]: " \
    >> "$SCRATCH/cases/$1.postfix" || { fail "$3 logged no 'TLS connection established from …[$4]'"; return 1; }
}

# sc_line NAME MARK HOST SRC LISTENER-PORT TLS: the sidecar's session line for the client, on that listener. HOST is
# the name H= must show, or "NAME?" when H= may show it or none (a PROXY handshake to the backend sends no name, so
# the sidecar need not look one up). TLS is "tls" when the sidecar ended TLS (X=… must be there) or "" (X= must
# not). The line goes to cases/NAME.sidecar.
sc_line() {
  local name=$1 m=$2 host=$3 src=${4//./\\.} port=$5 tls=$6 line h
  if [[ $host == *\? ]]; then h="(${host%\?} )?"; else h="$host "; fi
  line=$(wait_line "$SCL_LOG" "$m" " forwarded H=${h//./\\.}\[$src\]:[0-9]+ I=\[127\.0\.0\.1\]:$port PRX=127\.0\.0\.1 P=proxy-v2 ") \
    || { fail "sidecar did not log 'forwarded H=$host [$4]:… I=[127.0.0.1]:$port PRX=127.0.0.1 P=proxy-v2': $(since "$SCL_LOG" "$m" | grep -m1 "\[$4\]" || echo 'no line')"; return 1; }
  printf '%s\n' "$line" > "$SCRATCH/cases/$name.sidecar"
  if [ -n "$tls" ]; then
    grep -qE ' X=TLSv1\.[23]:TLS_[A-Z0-9_]+ ' <<<"$line" || { fail "no X=TLSv1.x:cipher in the sidecar's line: $line"; return 1; }
  else
    ! grep -q ' X=' <<<"$line" || { fail "X= in the sidecar's line of a session it did not decrypt: $line"; return 1; }
  fi
  # swaks closes its socket without reading the server's TLS close_notify that follows "221", so the kernel answers
  # with a reset, which HAProxy passes on: a client-side reset at the end is the client's doing (a client that
  # reads to EOF, like openssl s_client, leaves no reason); any other reason is a failure
  if grep -q 'reason=' <<<"$line" && ! grep -qE ' reason="client connection error: [^"]*reset' <<<"$line"; then
    fail "the session line has a reason: $line"; return 1
  fi
}

# exim_received NAME MARK QID SRC EXIM-PORT: Exim's "<=" line names the real client (from the PROXY header), its
# port, the Exim port it came in on, TLS, and the proxy; lines go to cases/NAME.exim
exim_received() {
  local name=$1 m=$2 qid=$3 src=${4//./\\.} port=$5 line
  line=$(wait_line "$EXIM_LOG" "$m" "^[0-9-]+ [0-9:]+ $qid <= sender@e2e\.test ") \
    || { fail "Exim logged no '<=' line for $qid"; return 1; }
  printf '%s\n' "$line" > "$SCRATCH/cases/$name.exim"
  grep -qE " H=\(swaks-$name\.e2e\.test\) \[$src\]:[0-9]+ I=\[127\.0\.0\.1\]:$port P=esmtps X=TLS1\.[23]:[^ ]+ (CV=no )?PRX=127\.0\.0\.1 " <<<"$line" \
    || { fail "expected '<= … H=(swaks-$name.e2e.test) [$4]:… I=[127.0.0.1]:$port P=esmtps X=TLS… PRX=127.0.0.1', Exim logged: $line"; return 1; }
  wait_line "$EXIM_LOG" "$m" "SMTP connection from \(swaks-$name\.e2e\.test\) \[$src\]:[0-9]+ I=\[127\.0\.0\.1\]:$port closed by QUIT" \
    >> "$SCRATCH/cases/$name.exim" || { fail "Exim logged no 'SMTP connection from (…) [$4]:… closed by QUIT'"; return 1; }
}

# same_port NAME: the client port in the sidecar's H= and in Exim's H= are the same (the header carried it)
same_port() {
  local a b
  a=$(sed -nE 's/.* H=[^[]*\[[0-9.]+\]:([0-9]+) .*/\1/p' "$SCRATCH/cases/$1.sidecar")
  b=$(head -n1 "$SCRATCH/cases/$1.exim" | sed -nE 's/.* H=\([^)]*\) \[[0-9.]+\]:([0-9]+) .*/\1/p')
  [ -n "$a" ] && [ "$a" = "$b" ] || { fail "client port: sidecar $a, Exim $b"; return 1; }
}

# sessions sent through each listener (case 22 compares them with the sidecar's per-listener session count)
declare -A SESSIONS=()
through() { SESSIONS[$1]=$((${SESSIONS[$1]:-0} + 1)); }

needs_sidecar() { [ "$SCL_STATE" = ok ] || { fail "${SCL_STATE#fail: }"; return 1; }; }
needs_exim() { [ "$EXIM_STATE" = ok ] || { fail "Exim: ${EXIM_STATE#fail: }"; return 1; }; }

# ------------------------------------------------------------------ cases

# 14. The peer alone: HAProxy's PROXY v2 header straight into Postfix's SMTPS port (wrappermode +
# smtpd_upstream_proxy_protocol=haproxy), swaks --tlsc; Postfix names the client from the header.
case_14() {
  local m
  m=$(mark "$PF_LOG")
  swaks_send case14 127.0.0.6 "$HAP_PF_SUBS_DIRECT_PORT" --tlsc || return 1
  tls_peer case14 postfix.e2e.test || return 1
  pf_client case14 "$m" "$QID" postfix/submissions '[^ ]*' 127.0.0.6 || return 1
  pf_tls case14 "$m" postfix/submissions 127.0.0.6
}

# 15. Listener "smtp" (25 role): plain SMTP, XCLIENT to Postfix's smtpd.
case_15() {
  local m s
  needs_sidecar || return 1
  m=$(mark "$PF_LOG"); s=$(mark "$SCL_LOG")
  through smtp
  swaks_send case15 127.0.0.5 "$HAP_SMTP_PORT" || return 1
  pf_client case15 "$m" "$QID" postfix client5.e2e.test 127.0.0.5 || return 1
  sc_line case15 "$s" client5.e2e.test 127.0.0.5 "$SCL_SMTP_PORT" ""
}

# 16. Listener "submission" (587 role): swaks --tls; STARTTLS (required by this smtpd) between swaks and Postfix,
# through the sidecar, after the sidecar's XCLIENT.
case_16() {
  local m s
  needs_sidecar || return 1
  m=$(mark "$PF_LOG"); s=$(mark "$SCL_LOG")
  through submission
  swaks_send case16 127.0.0.6 "$HAP_SUB_PORT" --tls || return 1
  tls_peer case16 postfix.e2e.test || return 1
  pf_client case16 "$m" "$QID" postfix/submission client6.e2e.test 127.0.0.6 || return 1
  pf_tls case16 "$m" postfix/submission 127.0.0.6 || return 1
  grep -qE "disconnect from .* starttls=1 " "$SCRATCH/cases/case16.postfix" \
    || { fail "the disconnect line does not count starttls=1"; return 1; }
  sc_line case16 "$s" client6.e2e.test 127.0.0.6 "$SCL_SUB_PORT" ""
}

# 17. Listeners "submissions" (tls.provider auto) and "submissionsjdk" (jdk), tls terminate (465 role): swaks --tlsc
# gets the sidecar's ECDSA certificate; the sidecar speaks plain SMTP + XCLIENT to a Postfix smtpd without TLS.
case_17() {
  local m s name listener hap port
  needs_sidecar || return 1
  grep -qE ' listener submissionsjdk: TLS on jdk\b' "$SCL_LOG" \
    || { fail "no start-up line 'listener submissionsjdk: TLS on jdk': $(grep -m1 'listener submissionsjdk: TLS' "$SCL_LOG")"; return 1; }
  for listener in submissions submissionsjdk; do
    name=case17-$listener
    if [ $listener = submissions ]; then hap=$HAP_SUBS_PORT; port=$SCL_SUBS_PORT
    else hap=$HAP_SUBSJDK_PORT; port=$SCL_SUBSJDK_PORT; fi
    m=$(mark "$PF_LOG"); s=$(mark "$SCL_LOG")
    through $listener
    swaks_send "$name" 127.0.0.5 "$hap" --tlsc || return 1
    tls_peer "$name" sidecar.e2e.test || return 1
    grep -qE '^=== TLS started with cipher TLSv1\.[23]:' "$SCRATCH/cases/$name.swaks" \
      || { fail "$listener: swaks did not start TLS 1.2/1.3"; return 1; }
    pf_client "$name" "$m" "$QID" postfix/submissions-xclient client5.e2e.test 127.0.0.5 || return 1
    sc_line "$name" "$s" client5.e2e.test 127.0.0.5 "$port" tls || return 1
  done
}

# 18. Listener "submissionsp", tls passthrough (465 role): swaks --tlsc gets Postfix's certificate; the sidecar sent
# Postfix a PROXY v2 header with the real client, then the client's TLS bytes untouched.
case_18() {
  local m s
  needs_sidecar || return 1
  m=$(mark "$PF_LOG"); s=$(mark "$SCL_LOG")
  through submissionsp
  swaks_send case18 127.0.0.6 "$HAP_SUBSP_PORT" --tlsc || return 1
  tls_peer case18 postfix.e2e.test || return 1
  pf_client case18 "$m" "$QID" postfix/submissions '[^ ]*' 127.0.0.6 || return 1
  pf_tls case18 "$m" postfix/submissions 127.0.0.6 || return 1
  sc_line case18 "$s" client6.e2e.test? 127.0.0.6 "$SCL_SUBSP_PORT" ""
}

# 19. The peer alone: HAProxy's PROXY v2 header straight into Exim's two ports (hosts_proxy), swaks --tls on the 25
# role and --tlsc on the 465 role (tls_on_connect_ports).
case_19() {
  local m
  needs_exim || return 1
  m=$(mark "$EXIM_LOG")
  swaks_send case19-smtp 127.0.0.5 "$HAP_EXIM_SMTP_DIRECT_PORT" --tls || return 1
  exim_received case19-smtp "$m" "$QID" 127.0.0.5 "$EXIM_SMTP_PORT" || return 1
  m=$(mark "$EXIM_LOG")
  swaks_send case19-smtps 127.0.0.6 "$HAP_EXIM_SUBS_DIRECT_PORT" --tlsc || return 1
  tls_peer case19-smtps exim.e2e.test || return 1
  exim_received case19-smtps "$m" "$QID" 127.0.0.6 "$EXIM_SMTPS_PORT"
}

# 20. Listener "eximsmtp" (25 role): backend.handshake proxy-v2 into Exim's hosts_proxy; swaks --tls (STARTTLS with
# Exim, through the sidecar). Exim's "<=" line names the real client and its port, PRX= the sidecar.
case_20() {
  local m s
  needs_sidecar || return 1
  needs_exim || return 1
  m=$(mark "$EXIM_LOG"); s=$(mark "$SCL_LOG")
  through eximsmtp
  swaks_send case20 127.0.0.5 "$HAP_EXIM_SMTP_PORT" --tls || return 1
  tls_peer case20 exim.e2e.test || return 1
  exim_received case20 "$m" "$QID" 127.0.0.5 "$EXIM_SMTP_PORT" || return 1
  sc_line case20 "$s" client5.e2e.test? 127.0.0.5 "$SCL_EXIM_SMTP_PORT" "" || return 1
  same_port case20
}

# 21. Listener "eximsubmissionsp", tls passthrough (465 role): swaks --tlsc does TLS with Exim
# (tls_on_connect_ports) after the sidecar's PROXY v2 header.
case_21() {
  local m s
  needs_sidecar || return 1
  needs_exim || return 1
  m=$(mark "$EXIM_LOG"); s=$(mark "$SCL_LOG")
  through eximsubmissionsp
  swaks_send case21 127.0.0.6 "$HAP_EXIM_SUBSP_PORT" --tlsc || return 1
  tls_peer case21 exim.e2e.test || return 1
  exim_received case21 "$m" "$QID" 127.0.0.6 "$EXIM_SMTPS_PORT" || return 1
  sc_line case21 "$s" client6.e2e.test? 127.0.0.6 "$SCL_EXIM_SUBSP_PORT" "" || return 1
  same_port case21
}

# 22. The sidecar counts each session under the listener it came through (smtp_sidecar_session_duration_seconds_count
# {listener=…} equals the number of swaks runs of cases 15-21 through it, 0 for the others); no TLS handshake failed.
case_22() {
  local scrape bad
  needs_sidecar || return 1
  # a session is counted when it ends, a moment after the client saw the close: poll
  poll "$WAIT_S" listener_counts_once > /dev/null \
    || { fail "sessions per listener: $(listener_counts_once 2>&1)"; return 1; }
  scrape=$(cat "$SCRATCH/cases/case22.metrics")
  bad=$(grep -E '^smtp_sidecar_tls_handshake_failures_total\{' <<<"$scrape" | grep -vE ' 0(\.0)?$' || true)
  [ -z "$bad" ] || { fail "TLS handshake failures: $bad"; return 1; }
}
# prints "ok" when every listener's session count is the expected one, else the differences on stderr
listener_counts_once() {
  local scrape n got wrong=()
  scrape=$("${TOOL[@]}" scrape "$SCL_METRICS_PORT") || return 1
  printf '%s\n' "$scrape" > "$SCRATCH/cases/case22.metrics"
  for n in "${LISTENER_NAMES[@]}"; do
    got=$(sed -nE "s/^smtp_sidecar_session_duration_seconds_count\{listener=\"$n\"\} ([0-9]+)(\.0)?\$/\1/p" <<<"$scrape")
    [ "${got:-none}" = "${SESSIONS[$n]:-0}" ] || wrong+=("$n=${got:-none} (expected ${SESSIONS[$n]:-0})")
  done
  [ ${#wrong[@]} = 0 ] || { echo "${wrong[*]}" >&2; return 1; }
  echo ok
}

# refused_line NAME MARK LISTENER-PORT EXTRA-REGEX: the sidecar's refusal line for a required peer (127.0.0.1) that sent
# no valid header, on that listener (goes to cases/NAME.sidecar)
refused_line() {
  wait_line "$SCL_LOG" "$2" " refused_[a-z]+ H=\[127\.0\.0\.1\]:[0-9]+ I=\[127\.0\.0\.1\]:$3 P=direct $4" \
    >> "$SCRATCH/cases/$1.sidecar" \
    || { fail "sidecar did not log 'refused_… H=[127.0.0.1]:… I=[127.0.0.1]:$3 P=direct $4': $(since "$SCL_LOG" "$2" | grep -m1 'H=\[127\.0\.0\.1\]' || echo 'no line')"; return 1; }
}

# no_pf_connect NAME MARK SYSLOG-NAME: that Postfix service had no connection since the mark
no_pf_connect() {
  local n
  n=$(since "$PF_LOG" "$2" | grep -cE "${3//./\\.}/smtpd\[[0-9]+\]: connect from " || true)
  [ "$n" = 0 ] || { fail "$3 logged $n connection(s): $(since "$PF_LOG" "$2" | grep -m1 "$3/smtpd.*connect from")"; return 1; }
}

# 23. Listener "submissions", tls terminate, a required peer (127.0.0.1) that sends nothing: after
# proxy.headerTimeout the refusal is said inside TLS (Exim's order on a TLS-on-connect port); the backend is never
# contacted.
case_23() {
  local m s
  needs_sidecar || return 1
  m=$(mark "$PF_LOG"); s=$(mark "$SCL_LOG")
  dialog case23 --src 127.0.0.1 --port "$SCL_SUBS_PORT" --timeout 10 "sleep:$(awk -v t="$HEADER_TIMEOUT_S" 'BEGIN { print t + 0.3 }')" tls \
    expect:220 "text:220 sidecar.e2e.test ESMTP" \
    "send:EHLO case23.e2e.test" expect:503 "text:503 Command refused, required Proxy negotiation failed" \
    send:QUIT expect:221 "text:221 sidecar.e2e.test closing connection" eof || return 1
  refused_line case23 "$s" "$SCL_SUBS_PORT" 'X=TLSv1\.[23]:' || return 1
  no_pf_connect case23 "$m" postfix/submissions-xclient
}

# 25. The same, but the peer starts TLS at once: its ClientHello is not a PROXY header, and the same bytes are the
# start of the TLS handshake in which the refusal is said.
case_25() {
  local m s
  needs_sidecar || return 1
  m=$(mark "$PF_LOG"); s=$(mark "$SCL_LOG")
  dialog case25 --src 127.0.0.1 --port "$SCL_SUBS_PORT" --timeout 10 tls \
    expect:220 "text:220 sidecar.e2e.test ESMTP" \
    "send:EHLO case25.e2e.test" expect:503 "text:503 Command refused, required Proxy negotiation failed" \
    send:QUIT expect:221 eof || return 1
  refused_line case25 "$s" "$SCL_SUBS_PORT" 'X=TLSv1\.[23]:' || return 1
  no_pf_connect case25 "$m" postfix/submissions-xclient
}

# 24. Listener "submissionsp", tls passthrough, a required peer without a valid header: closed without a byte of
# plain text (its client speaks TLS), logged; the backend is never contacted.
case_24() {
  local m s
  needs_sidecar || return 1
  m=$(mark "$PF_LOG"); s=$(mark "$SCL_LOG")
  dialog case24 --src 127.0.0.1 --port "$SCL_SUBSP_PORT" --timeout 10 "send:EHLO not-a-header.e2e.test" eof:5 || return 1
  refused_line case24 "$s" "$SCL_SUBSP_PORT" '.* in=[0-9]+ out=0 T=' || return 1
  no_pf_connect case24 "$m" postfix/submissions
}

listeners_cases() {
  local n any=0
  for n in 14 15 16 17 18 19 20 21 22 23 24 25; do want_case "$n" && any=1; done
  [ $any = 1 ] || return 0
  listeners_sidecar_setup
  if want_case 19 || want_case 20 || want_case 21 || want_case 22; then exim_setup; fi
  [ "$SCL_STATE" = ok ] || say "e2e: ${SCL_STATE#fail: }"
  run_case 14 case14_postfix_smtps_proxy_direct case_14
  run_case 15 case15_listener_smtp_xclient case_15
  run_case 16 case16_listener_submission_starttls case_16
  run_case 17 case17_listener_submissions_terminate case_17
  run_case 18 case18_listener_submissions_passthrough case_18
  if [ "${EXIM_STATE%%:*}" = skip ]; then
    for n in 19 20 21; do want_case $n && say "SKIP case$n (Exim): ${EXIM_STATE#skip: }"; done
  else
    run_case 19 case19_exim_proxy_direct case_19
    run_case 20 case20_listener_exim_smtp_proxy_v2 case_20
    run_case 21 case21_listener_exim_submissions_passthrough case_21
  fi
  run_case 22 case22_listener_metrics case_22
  run_case 23 case23_terminate_refusal_inside_tls case_23
  run_case 24 case24_passthrough_bad_header_closed case_24
  run_case 25 case25_terminate_clienthello_as_header case_25
}
