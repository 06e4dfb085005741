/*
 * download: a minimal BitTorrent downloader over the libbitgocho C API. It adds one torrent
 * to a session, prints progress once a second, and exits when the download is complete (or,
 * with --seed, keeps seeding until SIGINT/SIGTERM). Events are taken from the session's
 * level-triggered event fd inside an ordinary poll() loop.
 *
 *   cc -std=c11 download.c $(pkg-config --cflags --libs bitgocho) -o download
 *   ./download file.torrent save-dir [--peer host:port]... [--port N] [--seed]
 *
 * Exit status: 0 when complete (or stopped by a signal with --seed), 1 on an error (bad
 * torrent, storage error), 2 for bad arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bitgocho.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

/* Prints what failed with the library's detail message. */
static void report(const char *what, bitgocho_status status) {
    char msg[512];
    size_t len = 0;
    if (bitgocho_last_error((uint8_t *)msg, sizeof msg, &len) != BITGOCHO_OK) msg[0] = '\0';
    fprintf(stderr, "error: %s: %s (%s)\n", what, bitgocho_status_str(status), msg);
}

static void usage(void) {
    fprintf(stderr, "usage: download file.torrent save-dir [--peer host:port]... [--port N] [--seed]\n");
}

static const char *state_name(uint32_t state) {
    switch (state) {
        case BITGOCHO_STATE_CHECKING: return "checking";
        case BITGOCHO_STATE_DOWNLOADING: return "downloading";
        case BITGOCHO_STATE_SEEDING: return "seeding";
        case BITGOCHO_STATE_PAUSED: return "paused";
        default: return "error";
    }
}

/* One progress line from the torrent's status snapshot. */
static bitgocho_status print_progress(const bitgocho_torrent *t) {
    bitgocho_torrent_status st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    bitgocho_status status = bitgocho_torrent_get_status(t, &st);
    if (status != BITGOCHO_OK) return status;
    printf("%-11s %6.2f%%  %llu/%llu bytes  down %.1f kB/s  up %.1f kB/s  peers %u (seeds %u)\n",
           state_name(st.state), st.progress * 100.0, (unsigned long long)st.have_bytes,
           (unsigned long long)st.total_size, st.download_rate / 1024.0, st.upload_rate / 1024.0, st.peers, st.seeds);
    fflush(stdout);
    return BITGOCHO_OK;
}

/* The status snapshot is refreshed by the session's thread a few times a second: after
 * FINISHED, give it up to two seconds to show the torrent seeding. */
static void await_seeding(const bitgocho_torrent *t) {
    for (int i = 0; i < 40; i++) {
        bitgocho_torrent_status st;
        memset(&st, 0, sizeof st);
        st.size = sizeof st;
        if (bitgocho_torrent_get_status(t, &st) != BITGOCHO_OK || st.state == BITGOCHO_STATE_SEEDING) return;
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* Drains the event queue. Returns 1 when the torrent finished, -1 on a storage error, else 0. */
static int drain_events(bitgocho_session *s) {
    int outcome = 0;
    bitgocho_event *ev = NULL;
    while (bitgocho_session_pop_event(s, &ev) == BITGOCHO_OK) {
        char text[512];
        size_t len = 0;
        uint64_t count = 0;
        switch (bitgocho_event_kind(ev)) {
            case BITGOCHO_EVENT_CHECKED:
                if (bitgocho_event_count(ev, &count) == BITGOCHO_OK) printf("checked: %llu pieces good\n", (unsigned long long)count);
                break;
            case BITGOCHO_EVENT_FINISHED:
                printf("finished\n");
                outcome = 1;
                break;
            case BITGOCHO_EVENT_HASH_FAILED:
                printf("a piece failed its hash check\n");
                break;
            case BITGOCHO_EVENT_TRACKER_ERROR:
            case BITGOCHO_EVENT_STORAGE_ERROR:
                if (bitgocho_event_message(ev, (uint8_t *)text, sizeof text, &len) != BITGOCHO_OK) text[0] = '\0';
                fprintf(stderr, "%s: %s\n",
                        bitgocho_event_kind(ev) == BITGOCHO_EVENT_STORAGE_ERROR ? "storage error" : "tracker error", text);
                if (bitgocho_event_kind(ev) == BITGOCHO_EVENT_STORAGE_ERROR) outcome = -1;
                break;
            case BITGOCHO_EVENT_EVENTS_DROPPED:
                if (bitgocho_event_count(ev, &count) == BITGOCHO_OK) printf("%llu events dropped\n", (unsigned long long)count);
                break;
            default:
                break;
        }
        bitgocho_event_free(ev);
        fflush(stdout);
        if (outcome != 0) return outcome;
    }
    return outcome;
}

/* Builds the add parameters from the command line. */
static bitgocho_status make_params(int argc, char **argv, bitgocho_add_params **out) {
    bitgocho_add_params *p = bitgocho_add_params_new();
    bitgocho_status status = bitgocho_add_params_set_torrent_file(p, argv[1]);
    if (status == BITGOCHO_OK) status = bitgocho_add_params_set_save_path(p, argv[2]);
    for (int i = 3; status == BITGOCHO_OK && i < argc; i++) {
        if (strcmp(argv[i], "--peer") == 0 && i + 1 < argc) status = bitgocho_add_params_add_peer(p, argv[++i]);
    }
    if (status != BITGOCHO_OK) {
        bitgocho_add_params_free(p);
        return status;
    }
    *out = p;
    return BITGOCHO_OK;
}

/* Starts a session listening on every address at `port` (0: any free port). */
static bitgocho_status start_session(long port, bitgocho_session **out) {
    bitgocho_settings *set = bitgocho_settings_new();
    bitgocho_status status = bitgocho_settings_set_int(set, "listen_port", port);
    if (status == BITGOCHO_OK) status = bitgocho_session_new(set, out);
    bitgocho_settings_free(set);
    return status;
}

/* The poll() loop: events through the fd, a progress line once a second. */
static int run(bitgocho_session *s, const bitgocho_torrent *t, bool seed) {
    int fd = -1;
    bitgocho_status status = bitgocho_session_event_fd(s, &fd);
    if (status != BITGOCHO_OK) {
        report("event fd", status);
        return 1;
    }
    bool finished = false;
    time_t last = 0;
    while (!stop_requested) {
        struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
        if (poll(&p, 1, 1000) < 0 && errno != EINTR) {
            perror("poll");
            return 1;
        }
        int outcome = drain_events(s);
        if (outcome < 0) return 1;
        if (outcome > 0) {
            finished = true;
            await_seeding(t);
        }
        time_t now = time(NULL);
        if (now != last || finished) {
            last = now;
            status = print_progress(t);
            if (status != BITGOCHO_OK) {
                report("status", status);
                return 1;
            }
        }
        if (finished && !seed) return 0;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        usage();
        return 2;
    }
    bool seed = false;
    long port = 0;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0) {
            seed = true;
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--peer") == 0 && i + 1 < argc) {
            i++;
        } else {
            usage();
            return 2;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    bitgocho_add_params *params = NULL;
    bitgocho_status status = make_params(argc, argv, &params);
    if (status != BITGOCHO_OK) {
        report(argv[1], status);
        return 1;
    }
    bitgocho_session *s = NULL;
    status = start_session(port, &s);
    if (status != BITGOCHO_OK) {
        report("session", status);
        bitgocho_add_params_free(params);
        return 1;
    }
    printf("listening on port %u\n", (unsigned)bitgocho_session_listen_port(s));
    const bitgocho_torrent *t = NULL;
    status = bitgocho_session_add_torrent(s, params, &t);
    bitgocho_add_params_free(params);
    int rc = 1;
    if (status == BITGOCHO_OK) {
        rc = run(s, t, seed);
    } else {
        report("add torrent", status);
    }
    bitgocho_torrent_free(t);
    bitgocho_session_free(s); /* announces stopped, joins the session's threads */
    return rc;
}
