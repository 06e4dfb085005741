/*
 * embed_tracker: a small HTTP (and UDP) server of its own that hosts the libbitgocho tracker.
 * The server owns the sockets (plain POSIX sockets and poll(), loopback only); the library only
 * turns request targets and datagrams into replies. /announce and /scrape (and BitTornado's
 * other announce/scrape paths) go to the tracker; every other path gets this program's own page.
 *
 *   cc -std=c11 embed_tracker.c $(pkg-config --cflags --libs bitgocho) -o embed_tracker
 *   ./embed_tracker [--port N] [--set option=value]...
 *
 * --port N      TCP and UDP port on 127.0.0.1 (default 6969; 0 = any free port). The bound port
 *               is printed alone on the first line of standard output.
 * --set k=v     a tracker option by bttrack's name, e.g. --set dfile=state --set response_size=30
 *               (the state file, if any, is loaded at start and saved on exit).
 *
 * Runs until SIGINT or SIGTERM, then saves the state (when a dfile is set), prints the tracker's
 * statistics and frees everything. Exit status: 0, 1 on a start-up error, 2 on bad arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bitgocho.h>

#define MAX_CLIENTS 64       /* connections served at once; more wait in the listen queue */
#define MAX_REQUEST 8192     /* bytes of request head accepted */
#define IDLE_SECONDS 10      /* a connection silent this long is closed */
#define MAINTAIN_SECONDS 5   /* the tracker's timeout_check_interval */

struct client {
    int fd;                  /* -1: free slot */
    bitgocho_peer_addr peer; /* who it is, for the tracker */
    char in[MAX_REQUEST + 1];
    size_t in_len;
    uint8_t *out; /* the whole response, once known */
    size_t out_len, out_sent;
    time_t last_active;
};

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
}

/* Prints what failed with the library's message and returns 1. */
static int fail(const char *what, bitgocho_status status) {
    char msg[512];
    size_t len = 0;
    if (bitgocho_last_error((uint8_t *)msg, sizeof msg, &len) != BITGOCHO_OK) {
        msg[0] = '\0';
    }
    fprintf(stderr, "embed_tracker: %s: %s (%s)\n", what, bitgocho_status_str(status), msg);
    return 1;
}

static bitgocho_peer_addr peer_of(const struct sockaddr_in *sa) {
    bitgocho_peer_addr p;
    memset(&p, 0, sizeof p);
    p.family = BITGOCHO_PEER_IPV4;
    memcpy(p.addr, &sa->sin_addr.s_addr, 4);
    p.port = ntohs(sa->sin_port);
    return p;
}

static int bound_socket(int type, uint16_t port) {
    int fd = socket(AF_INET, type, 0);
    if (fd < 0) {
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || (type == SOCK_STREAM && listen(fd, 64) != 0)) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void drop(struct client *c) {
    close(c->fd);
    free(c->out);
    c->fd = -1;
    c->out = NULL;
}

/* Puts a complete HTTP/1.0 response (head + body unless HEAD) in c->out. */
static void respond(struct client *c, int code, const char *type, const uint8_t *body, size_t len, int head_only) {
    char head[256];
    const char *reason = code == 200 ? "OK" : code == 400 ? "Bad Request" : code == 404 ? "Not Found" : "Error";
    int n = snprintf(head, sizeof head,
                     "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nPragma: no-cache\r\n"
                     "Connection: close\r\n\r\n",
                     code, reason, type, len);
    size_t body_len = head_only ? 0 : len;
    c->out = malloc((size_t)n + body_len);
    if (c->out == NULL) {
        c->out_len = 0;
        return;
    }
    memcpy(c->out, head, (size_t)n);
    if (body_len > 0) {
        memcpy(c->out + n, body, body_len);
    }
    c->out_len = (size_t)n + body_len;
    c->out_sent = 0;
}

/* The host's own page, for every path the tracker does not answer. */
static void own_page(struct client *c, const bitgocho_tracker *t, int head_only) {
    bitgocho_tracker_statistics st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    if (bitgocho_tracker_stats(t, &st) != BITGOCHO_OK) {
        memset(&st, 0, sizeof st);
    }
    char page[1024];
    int n = snprintf(page, sizeof page,
                     "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>embed_tracker</title></head>\n"
                     "<body><h1>Host page of embed_tracker</h1>\n<p>This page is the host's own; /announce and "
                     "/scrape are answered by libbitgocho %s.</p>\n<p>torrents %llu, seeds %llu, leechers %llu, "
                     "announces %llu, scrapes %llu</p></body></html>\n",
                     bitgocho_version(), (unsigned long long)st.torrents, (unsigned long long)st.seeds,
                     (unsigned long long)st.leechers, (unsigned long long)st.announces,
                     (unsigned long long)st.scrapes);
    respond(c, 200, "text/html; charset=utf-8", (const uint8_t *)page, (size_t)n, head_only);
}

/* Answers the complete request head in c->in. `buf` is the reused reply buffer. */
static void serve(struct client *c, const bitgocho_tracker *t, uint8_t **buf, size_t *cap) {
    char *sp1 = strchr(c->in, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    char *eol = strstr(c->in, "\r\n");
    if (sp1 == NULL || sp2 == NULL || eol == NULL || sp2 > eol) {
        respond(c, 400, "text/plain", (const uint8_t *)"bad request\n", 12, 0);
        return;
    }
    int head_only = (size_t)(sp1 - c->in) == 4 && memcmp(c->in, "HEAD", 4) == 0;
    if (!head_only && !((size_t)(sp1 - c->in) == 3 && memcmp(c->in, "GET", 3) == 0)) {
        respond(c, 400, "text/plain", (const uint8_t *)"only GET and HEAD\n", 18, 0);
        return;
    }
    const uint8_t *target = (const uint8_t *)(sp1 + 1);
    size_t target_len = (size_t)(sp2 - sp1 - 1);
    for (;;) {
        size_t len = 0;
        uint16_t code = 0;
        bitgocho_status st = bitgocho_tracker_handle_http(t, target, target_len, &c->peer, *buf, *cap, &len, &code);
        if (st == BITGOCHO_OK) {
            respond(c, code, "text/plain", *buf, len, head_only);
            return;
        }
        if (st == BITGOCHO_E_NOT_FOUND) {
            own_page(c, t, head_only);
            return;
        }
        if (st == BITGOCHO_E_BUFFER_TOO_SMALL) { /* only a large scrape: grow once, ask again */
            uint8_t *bigger = realloc(*buf, len);
            if (bigger != NULL) {
                *buf = bigger;
                *cap = len;
                continue;
            }
        }
        fail("handle_http", st);
        respond(c, 500, "text/plain", (const uint8_t *)"tracker error\n", 14, 0);
        return;
    }
}

static void on_readable(struct client *c, const bitgocho_tracker *t, uint8_t **buf, size_t *cap) {
    ssize_t n = recv(c->fd, c->in + c->in_len, MAX_REQUEST - c->in_len, 0);
    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            drop(c);
        }
        return;
    }
    c->in_len += (size_t)n;
    c->in[c->in_len] = '\0';
    c->last_active = time(NULL);
    if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL) {
        serve(c, t, buf, cap);
        if (c->out == NULL) {
            drop(c);
        }
    } else if (c->in_len == MAX_REQUEST) {
        drop(c);
    }
}

static void on_writable(struct client *c) {
    ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            drop(c);
        }
        return;
    }
    c->out_sent += (size_t)n;
    c->last_active = time(NULL);
    if (c->out_sent == c->out_len) {
        drop(c);
    }
}

static void accept_clients(int listener, struct client *clients) {
    for (;;) {
        struct sockaddr_in sa;
        socklen_t sa_len = sizeof sa;
        int fd = accept(listener, (struct sockaddr *)&sa, &sa_len);
        if (fd < 0) {
            return;
        }
        struct client *slot = NULL;
        for (size_t i = 0; i < MAX_CLIENTS && slot == NULL; i++) {
            if (clients[i].fd < 0) {
                slot = &clients[i];
            }
        }
        if (slot == NULL) {
            close(fd);
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        memset(slot, 0, sizeof *slot);
        slot->fd = fd;
        slot->peer = peer_of(&sa);
        slot->last_active = time(NULL);
    }
}

static void answer_datagrams(int udp, const bitgocho_tracker *t, uint8_t *buf, size_t cap) {
    uint8_t packet[2048];
    for (int budget = 0; budget < 256; budget++) {
        struct sockaddr_in sa;
        socklen_t sa_len = sizeof sa;
        ssize_t n = recvfrom(udp, packet, sizeof packet, 0, (struct sockaddr *)&sa, &sa_len);
        if (n < 0) {
            return;
        }
        bitgocho_peer_addr peer = peer_of(&sa);
        size_t len = 0;
        if (bitgocho_tracker_handle_udp(t, packet, (size_t)n, &peer, buf, cap, &len) == BITGOCHO_OK && len > 0) {
            sendto(udp, buf, len, 0, (struct sockaddr *)&sa, sa_len);
        }
    }
}

/* Prints the tracker's warnings (corrupt state file, failed save...). */
static void print_warnings(const bitgocho_tracker *t) {
    char msg[1024];
    size_t len = 0;
    while (bitgocho_tracker_pop_warning(t, (uint8_t *)msg, sizeof msg, &len) == BITGOCHO_OK) {
        fprintf(stderr, "embed_tracker: warning: %s\n", msg);
    }
}

static int run(int listener, int udp, const bitgocho_tracker *t) {
    static struct client clients[MAX_CLIENTS];
    for (size_t i = 0; i < MAX_CLIENTS; i++) {
        clients[i].fd = -1;
    }
    size_t cap = bitgocho_tracker_max_response_len(t); /* once: announces always fit */
    uint8_t *buf = malloc(cap);
    if (buf == NULL) {
        return 1;
    }
    time_t last_maintain = time(NULL);
    while (!stopping) {
        struct pollfd fds[MAX_CLIENTS + 2];
        struct client *who[MAX_CLIENTS + 2];
        nfds_t n = 0;
        fds[n] = (struct pollfd){.fd = listener, .events = POLLIN};
        who[n++] = NULL;
        fds[n] = (struct pollfd){.fd = udp, .events = POLLIN};
        who[n++] = NULL;
        for (size_t i = 0; i < MAX_CLIENTS; i++) {
            if (clients[i].fd >= 0) {
                fds[n] = (struct pollfd){.fd = clients[i].fd, .events = clients[i].out ? POLLOUT : POLLIN};
                who[n++] = &clients[i];
            }
        }
        int ready = poll(fds, n, 1000);
        if (ready < 0 && errno != EINTR) {
            perror("embed_tracker: poll");
            break;
        }
        for (nfds_t i = 2; ready > 0 && i < n; i++) {
            if (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL) && !(fds[i].revents & (POLLIN | POLLOUT))) {
                drop(who[i]);
            } else if (fds[i].revents & POLLOUT) {
                on_writable(who[i]);
            } else if (fds[i].revents & POLLIN) {
                on_readable(who[i], t, &buf, &cap);
            }
        }
        if (ready > 0 && (fds[0].revents & POLLIN)) {
            accept_clients(listener, clients);
        }
        if (ready > 0 && (fds[1].revents & POLLIN)) {
            answer_datagrams(udp, t, buf, cap);
        }
        time_t now = time(NULL);
        for (size_t i = 0; i < MAX_CLIENTS; i++) {
            if (clients[i].fd >= 0 && now - clients[i].last_active > IDLE_SECONDS) {
                drop(&clients[i]);
            }
        }
        if (now - last_maintain >= MAINTAIN_SECONDS) {
            bitgocho_tracker_maintain(t);
            print_warnings(t);
            last_maintain = now;
        }
    }
    for (size_t i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i].fd >= 0) {
            drop(&clients[i]);
        }
    }
    free(buf);
    return 0;
}

static int usage(void) {
    fprintf(stderr, "usage: embed_tracker [--port N] [--set option=value]...\n");
    return 2;
}

int main(int argc, char **argv) {
    long port = 6969;
    char dfile[1024] = "";
    bitgocho_settings *settings = bitgocho_settings_new();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            char *end = NULL;
            port = strtol(argv[++i], &end, 10);
            if (*end != '\0' || port < 0 || port > 65535) {
                bitgocho_settings_free(settings);
                return usage();
            }
        } else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            char *kv = argv[++i];
            char *eq = strchr(kv, '=');
            if (eq == NULL) {
                bitgocho_settings_free(settings);
                return usage();
            }
            *eq = '\0';
            if (strcmp(kv, "dfile") == 0) {
                snprintf(dfile, sizeof dfile, "%s", eq + 1);
            }
            bitgocho_status st = bitgocho_settings_set_str(settings, kv, eq + 1);
            if (st != BITGOCHO_OK) {
                bitgocho_settings_free(settings);
                return fail("--set", st);
            }
        } else {
            bitgocho_settings_free(settings);
            return usage();
        }
    }
    const bitgocho_tracker *tracker = NULL;
    bitgocho_status st = bitgocho_tracker_new(settings, &tracker);
    bitgocho_settings_free(settings);
    if (st != BITGOCHO_OK) {
        return fail("cannot make the tracker", st);
    }
    print_warnings(tracker);

    int listener = bound_socket(SOCK_STREAM, (uint16_t)port);
    struct sockaddr_in sa;
    socklen_t sa_len = sizeof sa;
    int udp = -1;
    if (listener >= 0 && getsockname(listener, (struct sockaddr *)&sa, &sa_len) == 0) {
        udp = bound_socket(SOCK_DGRAM, ntohs(sa.sin_port));
    }
    if (listener < 0 || udp < 0) {
        perror("embed_tracker: cannot listen on 127.0.0.1");
        if (listener >= 0) {
            close(listener);
        }
        bitgocho_tracker_free(tracker);
        return 1;
    }
    printf("%u\n", (unsigned)ntohs(sa.sin_port));
    fflush(stdout);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal; /* no SA_RESTART: poll() returns at once */
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);

    int status = run(listener, udp, tracker);
    close(listener);
    close(udp);
    if (dfile[0] != '\0' && (st = bitgocho_tracker_save_state(tracker, dfile)) != BITGOCHO_OK) {
        status = fail("cannot save the state", st);
    }
    bitgocho_tracker_statistics stats;
    memset(&stats, 0, sizeof stats);
    stats.size = sizeof stats;
    if (bitgocho_tracker_stats(tracker, &stats) == BITGOCHO_OK) {
        printf("stopped: torrents %llu, seeds %llu, leechers %llu, announces %llu, scrapes %llu\n",
               (unsigned long long)stats.torrents, (unsigned long long)stats.seeds,
               (unsigned long long)stats.leechers, (unsigned long long)stats.announces,
               (unsigned long long)stats.scrapes);
    }
    bitgocho_tracker_free(tracker);
    return status;
}
