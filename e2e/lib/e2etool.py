#!/usr/bin/env python3
"""Small helpers for e2e/run.sh (standard library only).

  e2etool.py ports N                      print N free TCP ports on 127.0.0.1
  e2etool.py wait-listen PORT [SECS]      wait until something listens on 127.0.0.1:PORT
  e2etool.py wait-closed PORT [SECS]      wait until nothing listens on 127.0.0.1:PORT
  e2etool.py wait-udp PORT [SECS]         wait until a UDP socket is bound to 127.0.0.1:PORT
  e2etool.py render TEMPLATE OUT KEY=VALUE...
                                          fill @KEY@ placeholders of a template
  e2etool.py haproxy SOCKET COMMAND...    send one command to the HAProxy stats socket
  e2etool.py haproxy-wait SOCKET STATUS SECS BACKEND/SERVER...
                                          wait until every server has that status (UP, DOWN...)
  e2etool.py haproxy-idle SOCKET SECS BACKEND/SERVER...
                                          wait until no health check is in progress on them
  e2etool.py metric PORT SERIES          print one sample of the sidecar's /metrics on 127.0.0.1:PORT
  e2etool.py scrape PORT                  print the sidecar's whole /metrics on 127.0.0.1:PORT
  e2etool.py dialog --src ADDR --port PORT [--timeout SECS] STEP...
                                          scripted SMTP client, see dialog() below

Exit status 0 on success; on failure a one-line reason is printed on stderr (exit 1).
"""
import os
import random
import socket
import ssl
import sys
import time


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- ports

def free_ports(n):
    """N distinct ports that bind on 127.0.0.1, below the kernel's ephemeral range: a port the kernel handed out
    (bind to 0) is one it may hand out again as the source port of an outgoing connection (Postfix's, Exim's,
    HAProxy's) before the service it was picked for binds it."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    rng = random.Random()
    chosen = []
    tries = 0
    while len(chosen) < n:
        tries += 1
        if tries > 10000:
            die("no free ports below %d" % low)
        port = rng.randrange(10000, max(10001, low))
        if port in chosen:
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        chosen.append(port)
    print(" ".join(str(p) for p in chosen))


def listening(port):
    """True if a TCP socket listens on 127.0.0.1:port or on the wildcard address (/proc, no connection)."""
    want = {
        "0100007F:%04X" % port,                       # 127.0.0.1
        "00000000:%04X" % port,                       # 0.0.0.0
        "0000000000000000FFFF00000100007F:%04X" % port,  # ::ffff:127.0.0.1 (Java's dual-stack sockets)
        "00000000000000000000000000000000:%04X" % port,  # ::
    }
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[3] == "0A" and parts[1] in want:
                        return True
        except FileNotFoundError:
            pass
    return False


def udp_bound(port):
    want = {"0100007F:%04X" % port, "00000000:%04X" % port}
    with open("/proc/net/udp") as f:
        next(f)
        return any(line.split()[1] in want for line in f)


def wait_listen(port, secs, want=True, probe=listening):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if probe(port) == want:
            return
        time.sleep(0.05)
    die("port %d %s after %.0fs" % (port, "not listening" if want else "still listening", secs))


# ---------------------------------------------------------------- haproxy

def haproxy_cmd(sock_path, command):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(sock_path)
    s.sendall(command.encode() + b"\n")
    chunks = []
    while True:
        b = s.recv(65536)
        if not b:
            break
        chunks.append(b)
    s.close()
    return b"".join(chunks).decode(errors="replace")


def haproxy_servers(sock_path):
    """{'backend/server': row dict} from 'show stat'."""
    out = haproxy_cmd(sock_path, "show stat")
    lines = [l for l in out.splitlines() if l.strip()]
    header = lines[0].lstrip("# ").split(",")
    rows = {}
    for l in lines[1:]:
        row = dict(zip(header, l.split(",")))
        if row.get("svname") not in ("FRONTEND", "BACKEND"):
            rows["%s/%s" % (row["pxname"], row["svname"])] = row
    return rows


def haproxy_wait(sock_path, status, secs, names):
    deadline = time.monotonic() + secs
    last = {}
    while time.monotonic() < deadline:
        rows = haproxy_servers(sock_path)
        last = {n: (rows.get(n, {}).get("status"), rows.get(n, {}).get("check_status"),
                    rows.get(n, {}).get("last_chk")) for n in names}
        if all(v[0] == status for v in last.values()):
            print(" ".join("%s=%s(%s)" % (n, v[0], v[1]) for n, v in last.items()))
            return
        time.sleep(0.1)
    die("not all %s after %.0fs: %s" % (status, secs, last))


def haproxy_idle(sock_path, secs, names):
    """Wait until no check is running: HAProxy prefixes check_status with '* ' while one is."""
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        rows = haproxy_servers(sock_path)
        if not any(rows.get(n, {}).get("check_status", "").startswith("*") for n in names):
            return
        time.sleep(0.05)
    die("a health check is still running after %.0fs" % secs)


# ---------------------------------------------------------------- SMTP dialog

MESSAGE = (
    "From: <sender@e2e.test>\r\n"
    "To: <rcpt@e2e.test>\r\n"
    "Subject: smtp-sidecar e2e\r\n"
    "\r\n"
    "e2e test message\r\n"
    ".\r\n"
)


class Conn:
    def __init__(self, src, port, timeout):
        self.t0 = time.monotonic()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(src, 0))
        self.buf = b""
        self.timeout = timeout
        self.t0 = time.monotonic()
        local = self.sock.getsockname()
        self.log("connected from %s:%d to 127.0.0.1:%d" % (local[0], local[1], port))

    def log(self, text):
        print("%6.3f %s" % (time.monotonic() - self.t0, text), flush=True)

    def readline(self):
        while b"\n" not in self.buf:
            try:
                b = self.sock.recv(4096)
            except socket.timeout:
                return None, "timeout"
            except ConnectionResetError:
                return None, "reset"
            except ssl.SSLEOFError:
                return None, "eof"
            except ssl.SSLError as e:
                return None, "TLS error: %s" % e
            if not b:
                return None, "eof"
            self.buf += b
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode(errors="replace"), None

    def reply(self):
        """Read one (possibly multi-line) reply: (code, [lines], elapsed) or (None, why, elapsed)."""
        lines = []
        while True:
            line, why = self.readline()
            if line is None:
                return None, why, time.monotonic() - self.t0
            self.log("S: " + line)
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return line[:3], lines, time.monotonic() - self.t0

    def start_tls(self):
        """TLS client on the connection as it is (no certificate check: the servers use throw-away ones)."""
        if self.buf:
            die("TLS: %d unread bytes before the handshake" % len(self.buf))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            self.sock = ctx.wrap_socket(self.sock, server_hostname="sidecar.e2e.test")
        except (OSError, ssl.SSLError) as e:
            die("TLS handshake failed after %.3fs: %s" % (time.monotonic() - self.t0, e))
        self.log("TLS %s %s" % (self.sock.version(), self.sock.cipher()[0]))

    def send(self, data, show=None):
        self.log("C: " + (show if show is not None else data.rstrip("\r\n")))
        self.sock.sendall(data.encode())


def dialog(argv):
    """Steps:
      expect:CODE[@MIN-MAX]  read a reply; its code must start with CODE (e.g. 2, 25, 250);
                             with @MIN-MAX it must arrive MIN..MAX seconds after connecting
      text:SUBSTRING         the last reply must contain SUBSTRING
      notext:SUBSTRING       the last reply must not contain SUBSTRING
      send:LINE              send LINE + CRLF
      message                send a small message body ending with CRLF.CRLF
      transaction:RCPT       in one write: MAIL FROM, RCPT TO:<RCPT>, DATA, the message and QUIT
      shutwr                 half-close: shut the client's sending side (the reading side stays open)
      tls                    TLS handshake as a client now (after "220 Ready to start TLS", or at once for TLS on
                             connect); the transcript names the protocol and cipher
      sleep:SECS             wait
      eof[:SECS]             the server must close the connection (within SECS, default --timeout)
    """
    src, port, timeout = "127.0.0.1", None, 10.0
    steps = []
    it = iter(argv)
    for a in it:
        if a == "--src":
            src = next(it)
        elif a == "--port":
            port = int(next(it))
        elif a == "--timeout":
            timeout = float(next(it))
        else:
            steps.append(a)
    if port is None:
        die("dialog: --port is required")
    try:
        c = Conn(src, port, timeout)
    except OSError as e:
        die("connect from %s to 127.0.0.1:%d failed: %s" % (src, port, e))
    last = []
    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "expect":
            code, _, window = arg.partition("@")
            got, lines, elapsed = c.reply()
            if got is None:
                die("expected %s, got %s after %.3fs" % (code, lines, elapsed))
            last = lines
            if not got.startswith(code):
                die("expected %s, got: %s" % (code, " | ".join(lines)))
            if window:
                lo, hi = (float(x) for x in window.split("-"))
                if not lo <= elapsed <= hi:
                    die("reply %s arrived after %.3fs, expected %.1f..%.1fs" % (got, elapsed, lo, hi))
        elif kind == "text":
            if not any(arg in l for l in last):
                die("reply does not contain %r: %s" % (arg, " | ".join(last)))
        elif kind == "notext":
            if any(arg in l for l in last):
                die("reply contains %r: %s" % (arg, " | ".join(last)))
        elif kind == "send":
            c.send(arg + "\r\n")
        elif step == "message":
            c.send(MESSAGE, show="<message>")
        elif kind == "transaction":
            c.send("MAIL FROM:<sender@e2e.test>\r\nRCPT TO:<%s>\r\nDATA\r\n%sQUIT\r\n" % (arg, MESSAGE),
                   show="MAIL, RCPT TO:<%s>, DATA, <message>, QUIT in one write" % arg)
        elif step == "tls":
            c.start_tls()
        elif kind == "sleep":
            time.sleep(float(arg))
        elif step == "shutwr":
            c.sock.shutdown(socket.SHUT_WR)
            c.log("C: <half-close: SHUT_WR>")
        elif kind == "eof":
            if arg:
                c.sock.settimeout(float(arg.lstrip("@")))
            line, why = c.readline()
            if line is not None:
                die("expected the connection to close, got: %s" % line)
            if why == "timeout":
                die("connection still open after %.1fs" % c.sock.gettimeout())
            c.log("connection closed by the server (%s)" % why)
        else:
            die("dialog: unknown step %r" % step)
    c.sock.close()


def render(template, out, pairs):
    """Copy TEMPLATE to OUT replacing @KEY@ by VALUE; every placeholder must be filled."""
    import re
    text = open(template).read()
    for kv in pairs:
        key, _, value = kv.partition("=")
        text = text.replace("@%s@" % key, value)
    left = re.findall(r"@[A-Z0-9_]+@", text)
    if left:
        die("unfilled placeholder %s in %s" % (left[0], out))
    with open(out, "w") as f:
        f.write(text)


def metric(port, series):
    """The value of one sample (name and labels exactly as exposed) of the sidecar's Prometheus scrape."""
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(series + " "):
                print(line[len(series) + 1:])
                return
    die("no sample %s" % series)


def scrape(port):
    import urllib.request
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        sys.stdout.write(r.read().decode())


def main():
    if len(sys.argv) < 2:
        die(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "ports":
        free_ports(int(args[0]))
    elif cmd == "wait-listen":
        wait_listen(int(args[0]), float(args[1]) if len(args) > 1 else 30)
    elif cmd == "wait-udp":
        wait_listen(int(args[0]), float(args[1]) if len(args) > 1 else 30, probe=udp_bound)
    elif cmd == "wait-closed":
        wait_listen(int(args[0]), float(args[1]) if len(args) > 1 else 30, want=False)
    elif cmd == "render":
        render(args[0], args[1], args[2:])
    elif cmd == "haproxy":
        sys.stdout.write(haproxy_cmd(args[0], " ".join(args[1:])))
    elif cmd == "haproxy-wait":
        haproxy_wait(args[0], args[1], float(args[2]), args[3:])
    elif cmd == "haproxy-idle":
        haproxy_idle(args[0], float(args[1]), args[2:])
    elif cmd == "metric":
        metric(int(args[0]), args[1])
    elif cmd == "scrape":
        scrape(int(args[0]))
    elif cmd == "dialog":
        dialog(args)
    else:
        die("unknown command %r\n%s" % (cmd, __doc__))


if __name__ == "__main__":
    main()
