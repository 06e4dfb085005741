// download: the C example examples/c/download.c in C++ with the RAII wrapper of bitgocho.hpp:
// adds one torrent to a session, prints progress, and exits when the download is complete (or,
// with --seed, keeps seeding until SIGINT/SIGTERM). Events come through the session's
// level-triggered event fd in a poll() loop; every handle is freed by its owner's destructor.
//
//   c++ -std=c++17 download.cpp $(pkg-config --cflags --libs bitgocho) -o download
//   ./download file.torrent save-dir [--peer host:port]... [--port N] [--seed]
//
// Exit status: 0 when complete (or stopped by a signal with --seed), 1 on an error, 2 for bad
// arguments.
#include "bitgocho.hpp"

#include <poll.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) { stop_requested = 1; }

const char *state_name(uint32_t state) {
    switch (state) {
        case BITGOCHO_STATE_CHECKING: return "checking";
        case BITGOCHO_STATE_DOWNLOADING: return "downloading";
        case BITGOCHO_STATE_SEEDING: return "seeding";
        case BITGOCHO_STATE_PAUSED: return "paused";
        default: return "error";
    }
}

void print_progress(const bitgocho::torrent &t) {
    bitgocho_torrent_status st = t.status();
    std::printf("%-11s %6.2f%%  %llu/%llu bytes  down %.1f kB/s  up %.1f kB/s  peers %u (seeds %u)\n",
                state_name(st.state), st.progress * 100.0, static_cast<unsigned long long>(st.have_bytes),
                static_cast<unsigned long long>(st.total_size), st.download_rate / 1024.0, st.upload_rate / 1024.0,
                st.peers, st.seeds);
    std::fflush(stdout);
}

/// The status snapshot is refreshed by the session's thread a few times a second: after
/// FINISHED, give it up to two seconds to show the torrent seeding.
void await_seeding(const bitgocho::torrent &t) {
    for (int i = 0; i < 40 && t.status().state != BITGOCHO_STATE_SEEDING; i++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

/// Drains the events: 1 when the torrent finished, -1 on a storage error, else 0.
int drain_events(bitgocho::session &s) {
    while (auto ev = s.pop_event()) {
        switch (ev->kind()) {
            case BITGOCHO_EVENT_CHECKED: std::printf("checked: %llu pieces good\n", static_cast<unsigned long long>(ev->count())); break;
            case BITGOCHO_EVENT_FINISHED: std::printf("finished\n"); return 1;
            case BITGOCHO_EVENT_STORAGE_ERROR: std::cerr << "storage error: " << ev->message() << "\n"; return -1;
            case BITGOCHO_EVENT_TRACKER_ERROR: std::cerr << "tracker error: " << ev->message() << "\n"; break;
            case BITGOCHO_EVENT_EVENTS_DROPPED: std::printf("%llu events dropped\n", static_cast<unsigned long long>(ev->count())); break;
            default: break;
        }
    }
    return 0;
}

struct options {
    std::string torrent_file, save_dir;
    std::vector<std::string> peers;
    long port = 0;
    bool seed = false;
};

bool parse(int argc, char **argv, options &o) {
    if (argc < 3) return false;
    o.torrent_file = argv[1];
    o.save_dir = argv[2];
    for (int i = 3; i < argc; i++) {
        std::string arg = argv[i];
        if (arg == "--seed") {
            o.seed = true;
        } else if (arg == "--peer" && i + 1 < argc) {
            o.peers.push_back(argv[++i]);
        } else if (arg == "--port" && i + 1 < argc) {
            o.port = std::strtol(argv[++i], nullptr, 10);
        } else {
            return false;
        }
    }
    return true;
}

int run(const options &o) {
    bitgocho::add_params params(o.torrent_file, o.save_dir);
    for (const auto &p : o.peers) params.peer(p);
    bitgocho::session s(bitgocho::settings().set("listen_port", o.port));
    std::printf("listening on port %u\n", static_cast<unsigned>(s.listen_port()));
    bitgocho::torrent t = s.add(params);
    int fd = s.event_fd();
    bool finished = false;
    std::time_t last = 0;
    while (!stop_requested) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 1000) < 0 && errno != EINTR) {
            std::perror("poll");
            return 1;
        }
        int outcome = drain_events(s);
        if (outcome < 0) return 1;
        if (outcome > 0) {
            finished = true;
            await_seeding(t);
        }
        std::time_t now = std::time(nullptr);
        if (now != last || finished) {
            last = now;
            print_progress(t);
        }
        if (finished && !o.seed) return 0;
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    options o;
    if (!parse(argc, argv, o)) {
        std::cerr << "usage: download file.torrent save-dir [--peer host:port]... [--port N] [--seed]\n";
        return 2;
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    try {
        return run(o);
    } catch (const bitgocho::error &e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
