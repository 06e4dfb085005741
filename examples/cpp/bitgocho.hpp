// A small RAII wrapper over the libbitgocho C API: every handle lives in a std::unique_ptr
// whose deleter is its _free function, and every failing status becomes a bitgocho::error
// carrying bitgocho_last_error().
#ifndef BITGOCHO_EXAMPLE_HPP
#define BITGOCHO_EXAMPLE_HPP

#include <bitgocho.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bitgocho {

/// A failed call: the status code and the library's detail message.
class error : public std::runtime_error {
  public:
    error(const std::string &what, bitgocho_status status)
        : std::runtime_error(what + ": " + bitgocho_status_str(status) + ": " + last_message()), status_(status) {}

    bitgocho_status status() const noexcept { return status_; }

    /// The detail message of the last failing call on this thread.
    static std::string last_message() {
        size_t need = 0;
        if (bitgocho_last_error(nullptr, 0, &need) != BITGOCHO_E_BUFFER_TOO_SMALL) return std::string();
        std::vector<uint8_t> buf(need);
        size_t len = 0;
        if (bitgocho_last_error(buf.data(), buf.size(), &len) != BITGOCHO_OK) return std::string();
        return std::string(reinterpret_cast<const char *>(buf.data()), len);
    }

  private:
    bitgocho_status status_;
};

inline void check(bitgocho_status status, const char *what) {
    if (status != BITGOCHO_OK) throw error(what, status);
}

struct editor_deleter {
    void operator()(bitgocho_metainfo_editor *e) const noexcept { bitgocho_metainfo_editor_free(e); }
};
struct metainfo_deleter {
    void operator()(const bitgocho_metainfo *m) const noexcept { bitgocho_metainfo_free(m); }
};
struct bytes_deleter {
    void operator()(bitgocho_bytes *b) const noexcept { bitgocho_bytes_free(b); }
};

using editor_ptr = std::unique_ptr<bitgocho_metainfo_editor, editor_deleter>;
using metainfo_ptr = std::unique_ptr<const bitgocho_metainfo, metainfo_deleter>;
using bytes_ptr = std::unique_ptr<bitgocho_bytes, bytes_deleter>;

/// Reads a string output with the size-query-then-fetch convention.
template <typename F>
std::string fetch_string(F &&getter, const char *what) {
    size_t need = 0;
    bitgocho_status status = getter(nullptr, 0, &need);
    if (status != BITGOCHO_E_BUFFER_TOO_SMALL) check(status, what);
    std::vector<uint8_t> buf(need);
    size_t len = 0;
    check(getter(buf.data(), buf.size(), &len), what);
    return std::string(reinterpret_cast<const char *>(buf.data()), len);
}

/// A parsed .torrent.
class metainfo {
  public:
    explicit metainfo(const std::vector<uint8_t> &data) {
        const bitgocho_metainfo *raw = nullptr;
        check(bitgocho_metainfo_parse(data.data(), data.size(), &raw), "parse");
        handle_.reset(raw);
    }

    std::string name() const {
        return fetch_string([&](uint8_t *b, size_t c, size_t *l) { return bitgocho_metainfo_name(handle_.get(), b, c, l); },
                            "name");
    }

    /// The v1 info-hash in hex, or the v2 one for v2-only torrents.
    std::string info_hash_hex() const {
        uint8_t hash[32];
        size_t len = 0;
        if (bitgocho_metainfo_info_hash_v1(handle_.get(), hash, sizeof hash, &len) != BITGOCHO_OK)
            check(bitgocho_metainfo_info_hash_v2(handle_.get(), hash, sizeof hash, &len), "info hash");
        static const char digits[] = "0123456789abcdef";
        std::string hex;
        for (size_t i = 0; i < len; i++) {
            hex += digits[hash[i] >> 4];
            hex += digits[hash[i] & 15];
        }
        return hex;
    }

    uint64_t piece_count() const { return bitgocho_metainfo_piece_count(handle_.get()); }
    uint64_t total_size() const { return bitgocho_metainfo_total_size(handle_.get()); }
    size_t file_count() const { return bitgocho_metainfo_file_count(handle_.get()); }

  private:
    metainfo_ptr handle_;
};

/// Makes a new torrent of a file or directory.
class torrent_maker {
  public:
    using progress_fn = std::function<void(uint64_t done, uint64_t total)>;

    explicit torrent_maker(const std::string &path) {
        bitgocho_metainfo_editor *raw = nullptr;
        check(bitgocho_metainfo_editor_new(path.c_str(), &raw), "new torrent");
        handle_.reset(raw);
    }

    torrent_maker &announce(const std::string &url) {
        check(bitgocho_metainfo_editor_set_announce(handle_.get(), url.c_str()), "announce");
        return *this;
    }
    torrent_maker &version(uint32_t v) {
        check(bitgocho_metainfo_editor_set_version(handle_.get(), v), "version");
        return *this;
    }
    torrent_maker &comment(const std::string &text) {
        check(bitgocho_metainfo_editor_set_comment(handle_.get(), text.c_str()), "comment");
        return *this;
    }

    /// Hashes and returns the bencoded torrent; `progress` runs on this thread.
    std::vector<uint8_t> build(progress_fn progress = {}) const {
        bitgocho_bytes *raw = nullptr;
        check(bitgocho_metainfo_editor_build(handle_.get(), progress ? &trampoline : nullptr, &progress, &raw), "build");
        bytes_ptr bytes(raw);
        const uint8_t *data = bitgocho_bytes_data(bytes.get());
        return std::vector<uint8_t>(data, data + bitgocho_bytes_len(bytes.get()));
    }

    /// Hashes and writes the torrent to `path` atomically.
    void write(const std::string &path, progress_fn progress = {}) const {
        check(bitgocho_metainfo_editor_write(handle_.get(), path.c_str(), progress ? &trampoline : nullptr, &progress),
              "write");
    }

  private:
    static void trampoline(void *userdata, uint64_t done, uint64_t total) noexcept {
        try {
            (*static_cast<progress_fn *>(userdata))(done, total);
        } catch (...) {
            // Exceptions must not unwind through C frames.
        }
    }

    editor_ptr handle_;
};

// ----- session, torrent, events -----

struct session_deleter {
    void operator()(bitgocho_session *s) const noexcept { bitgocho_session_free(s); }
};
struct torrent_deleter {
    void operator()(const bitgocho_torrent *t) const noexcept { bitgocho_torrent_free(t); }
};
struct event_deleter {
    void operator()(bitgocho_event *e) const noexcept { bitgocho_event_free(e); }
};
struct settings_deleter {
    void operator()(bitgocho_settings *s) const noexcept { bitgocho_settings_free(s); }
};
struct add_params_deleter {
    void operator()(bitgocho_add_params *p) const noexcept { bitgocho_add_params_free(p); }
};

using session_ptr = std::unique_ptr<bitgocho_session, session_deleter>;
using torrent_ptr = std::unique_ptr<const bitgocho_torrent, torrent_deleter>;
using event_ptr = std::unique_ptr<bitgocho_event, event_deleter>;
using settings_ptr = std::unique_ptr<bitgocho_settings, settings_deleter>;
using add_params_ptr = std::unique_ptr<bitgocho_add_params, add_params_deleter>;

/// Named session options (see bitgocho_session_new() for the keys).
class settings {
  public:
    settings() : handle_(bitgocho_settings_new()) {}
    settings &set(const std::string &key, int64_t value) {
        check(bitgocho_settings_set_int(handle_.get(), key.c_str(), value), "setting");
        return *this;
    }
    settings &set(const std::string &key, const std::string &value) {
        check(bitgocho_settings_set_str(handle_.get(), key.c_str(), value.c_str()), "setting");
        return *this;
    }
    const bitgocho_settings *get() const noexcept { return handle_.get(); }

  private:
    settings_ptr handle_;
};

/// What to add to a session: a .torrent file, a save path and options.
class add_params {
  public:
    add_params(const std::string &torrent_file, const std::string &save_path) : handle_(bitgocho_add_params_new()) {
        check(bitgocho_add_params_set_torrent_file(handle_.get(), torrent_file.c_str()), "torrent file");
        check(bitgocho_add_params_set_save_path(handle_.get(), save_path.c_str()), "save path");
    }
    add_params &peer(const std::string &host_port) {
        check(bitgocho_add_params_add_peer(handle_.get(), host_port.c_str()), "peer");
        return *this;
    }
    add_params &paused(bool yes) {
        check(bitgocho_add_params_set_paused(handle_.get(), yes), "paused");
        return *this;
    }
    const bitgocho_add_params *get() const noexcept { return handle_.get(); }

  private:
    add_params_ptr handle_;
};

/// A torrent of a session (a weak handle: calls throw with BITGOCHO_E_TORRENT_GONE after removal).
class torrent {
  public:
    explicit torrent(const bitgocho_torrent *raw) : handle_(raw) {}

    bitgocho_torrent_status status() const {
        bitgocho_torrent_status st{};
        st.size = sizeof st;
        check(bitgocho_torrent_get_status(handle_.get(), &st), "status");
        return st;
    }
    std::string name() const {
        return fetch_string([&](uint8_t *b, size_t c, size_t *l) { return bitgocho_torrent_name(handle_.get(), b, c, l); },
                            "name");
    }
    uint32_t id() const noexcept { return bitgocho_torrent_id(handle_.get()); }
    void pause() const { check(bitgocho_torrent_pause(handle_.get()), "pause"); }
    void resume() const { check(bitgocho_torrent_resume(handle_.get()), "resume"); }
    const bitgocho_torrent *get() const noexcept { return handle_.get(); }

  private:
    torrent_ptr handle_;
};

/// One event popped from a session.
class event {
  public:
    explicit event(bitgocho_event *raw) : handle_(raw) {}
    uint32_t kind() const noexcept { return bitgocho_event_kind(handle_.get()); }
    std::string message() const {
        return fetch_string([&](uint8_t *b, size_t c, size_t *l) { return bitgocho_event_message(handle_.get(), b, c, l); },
                            "event message");
    }
    /// The event's count (pieces checked, peers received, events dropped), or 0 when it has none.
    uint64_t count() const noexcept {
        uint64_t n = 0;
        return bitgocho_event_count(handle_.get(), &n) == BITGOCHO_OK ? n : 0;
    }

  private:
    event_ptr handle_;
};

/// A running session; destroying it announces `stopped` and joins its threads.
class session {
  public:
    explicit session(const settings &options) {
        bitgocho_session *raw = nullptr;
        check(bitgocho_session_new(options.get(), &raw), "session");
        handle_.reset(raw);
    }

    uint16_t listen_port() const noexcept { return bitgocho_session_listen_port(handle_.get()); }

    torrent add(const add_params &params) {
        const bitgocho_torrent *raw = nullptr;
        check(bitgocho_session_add_torrent(handle_.get(), params.get(), &raw), "add torrent");
        return torrent(raw);
    }

    void remove(const torrent &t, bool delete_files) {
        check(bitgocho_session_remove_torrent(handle_.get(), t.get(), delete_files), "remove torrent");
    }

    /// The next event, or nullptr when none is pending.
    std::unique_ptr<event> pop_event() {
        bitgocho_event *raw = nullptr;
        bitgocho_status status = bitgocho_session_pop_event(handle_.get(), &raw);
        if (status == BITGOCHO_E_AGAIN) return nullptr;
        check(status, "pop event");
        return std::unique_ptr<event>(new event(raw));
    }

    /// The level-triggered fd to poll for events (never read or close it).
    int event_fd() const {
        int fd = -1;
        check(bitgocho_session_event_fd(handle_.get(), &fd), "event fd");
        return fd;
    }

  private:
    session_ptr handle_;
};

}  // namespace bitgocho

#endif
