/*
 * xclient-sink: an SMTP sink for benchmarks, like Postfix's smtp-sink (one process, epoll, accepts and discards
 * mail), but with Postfix's real XCLIENT behaviour, which smtp-sink only stubs (smtp-sink 3.7 advertises
 * "XCLIENT NAME HELO" and answers "250 2.0.0 Ok"; Postfix smtpd advertises ADDR, NAME, PORT, ... and answers
 * XCLIENT with a fresh "220" greeting, which is what smtp-sidecar requires of its backend).
 *
 *   cc -O2 -o xclient-sink xclient-sink.c
 *   xclient-sink 127.0.0.1 PORT [hostname]
 *
 * Commands: EHLO/HELO, XCLIENT (-> 220 greeting, session reset), MAIL, RCPT, DATA (message discarded up to
 * CRLF.CRLF), RSET, NOOP, QUIT (221, then the server closes). Pipelined commands are answered in order. Replies
 * are small and written with one send(); a connection whose reply does not fit in its socket buffer is dropped
 * (never seen with loopback buffers). Counters are printed on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 65536
#define MAX_LINE 4096

struct conn {
    int fd;
    int data;          /* 1 while reading message content */
    int tail;          /* bytes of "\r\n.\r\n" matched so far (data mode) */
    int len;           /* command bytes buffered */
    char line[MAX_LINE];
};

static volatile sig_atomic_t stop;
static const char *host = "sink.bench.test";
static unsigned long sessions, messages, xclients;
static char greeting[256], ehlo[512];

static void on_term(int sig) { (void) sig; stop = 1; }

static void reply(struct conn *c, const char *s, size_t n) {
    if (send(c->fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t) n) {
        /* a reply that does not fit: give up on the connection */
        shutdown(c->fd, SHUT_RDWR);
    }
}
#define REPLY(c, lit) reply((c), lit, sizeof(lit) - 1)

static int prefix(const char *line, const char *cmd) { return strncasecmp(line, cmd, strlen(cmd)) == 0; }

/* returns 0 to keep the connection, -1 to close it */
static int command(struct conn *c, char *line) {
    if (prefix(line, "EHLO")) {
        reply(c, ehlo, strlen(ehlo));
    } else if (prefix(line, "HELO")) {
        REPLY(c, "250 sink\r\n");
    } else if (prefix(line, "XCLIENT")) {
        xclients++;
        reply(c, greeting, strlen(greeting));
    } else if (prefix(line, "MAIL")) {
        REPLY(c, "250 2.1.0 Ok\r\n");
    } else if (prefix(line, "RCPT")) {
        REPLY(c, "250 2.1.5 Ok\r\n");
    } else if (prefix(line, "DATA")) {
        REPLY(c, "354 End data with <CR><LF>.<CR><LF>\r\n");
        c->data = 1;
        c->tail = 2; /* the CRLF that ended the DATA line counts as the first one of CRLF.CRLF */
    } else if (prefix(line, "RSET") || prefix(line, "NOOP")) {
        REPLY(c, "250 2.0.0 Ok\r\n");
    } else if (prefix(line, "QUIT")) {
        REPLY(c, "221 2.0.0 Bye\r\n");
        return -1;
    } else {
        REPLY(c, "502 5.5.2 Error: command not recognized\r\n");
    }
    return 0;
}

/* consumes n bytes of input; returns -1 to close */
static int input(struct conn *c, const char *p, size_t n) {
    static const char end[] = "\r\n.\r\n";
    size_t i = 0;
    while (i < n) {
        if (c->data) {
            /* look for CRLF.CRLF across reads: a small state machine, with memchr to skip plain text */
            while (i < n && c->data) {
                if (c->tail == 0) {
                    const char *cr = memchr(p + i, '\r', n - i);
                    if (cr == NULL) {
                        i = n;
                        break;
                    }
                    i = (size_t) (cr - p) + 1;
                    c->tail = 1;
                    continue;
                }
                char ch = p[i++];
                if (ch == end[c->tail]) {
                    if (++c->tail == 5) {
                        c->data = 0;
                        c->tail = 0;
                        messages++;
                        REPLY(c, "250 2.0.0 Ok: queued as SINK\r\n");
                    }
                } else {
                    c->tail = ch == '\r' ? 1 : 0;
                }
            }
            continue;
        }
        const char *nl = memchr(p + i, '\n', n - i);
        size_t take = nl ? (size_t) (nl - (p + i)) + 1 : n - i;
        if (c->len + take >= MAX_LINE) {
            REPLY(c, "500 5.5.0 Error: line too long\r\n");
            return -1;
        }
        memcpy(c->line + c->len, p + i, take);
        c->len += (int) take;
        i += take;
        if (nl) {
            c->line[c->len] = 0;
            while (c->len > 0 && (c->line[c->len - 1] == '\n' || c->line[c->len - 1] == '\r')) {
                c->line[--c->len] = 0;
            }
            c->len = 0;
            if (command(c, c->line) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: xclient-sink ADDRESS PORT [hostname]\n");
        return 2;
    }
    if (argc > 3) {
        host = argv[3];
    }
    snprintf(greeting, sizeof greeting, "220 %s ESMTP\r\n", host);
    snprintf(ehlo, sizeof ehlo, "250-%s\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
             "250-XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT\r\n"
             "250-ENHANCEDSTATUSCODES\r\n250 DSN\r\n", host);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    size_t max_fd = rl.rlim_cur;
    struct conn **conns = calloc(max_fd, sizeof *conns);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((unsigned short) atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1 || bind(lfd, (struct sockaddr *) &sin, sizeof sin) < 0
        || listen(lfd, 4096) < 0) {
        perror("xclient-sink: bind/listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event events[256];
    static char buf[BUF];

    while (!stop) {
        int n = epoll_wait(ep, events, 256, 500);
        for (int k = 0; k < n; k++) {
            int fd = events[k].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
                    if (cfd < 0) {
                        break;
                    }
                    if ((size_t) cfd >= max_fd) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *c = conns[cfd];
                    if (c == NULL) {
                        c = conns[cfd] = malloc(sizeof *c);
                    }
                    c->fd = cfd;
                    c->data = c->tail = c->len = 0;
                    sessions++;
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = cfd};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                    reply(c, greeting, strlen(greeting));
                }
                continue;
            }
            struct conn *c = conns[fd];
            int close_it = 0;
            for (;;) {
                ssize_t r = recv(fd, buf, BUF, 0);
                if (r > 0) {
                    if (input(c, buf, (size_t) r) < 0) {
                        close_it = 1;
                        break;
                    }
                    if (r < BUF) {
                        break;
                    }
                } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                    close_it = 1;
                    break;
                } else if (errno == EAGAIN) {
                    break;
                }
            }
            if (close_it || (events[k].events & (EPOLLHUP | EPOLLERR))) {
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                close(fd);
            }
        }
    }
    fprintf(stderr, "xclient-sink: %lu sessions, %lu messages, %lu XCLIENT\n", sessions, messages, xclients);
    return 0;
}
