/* The embedded tracker (bitgocho_tracker_*): NULL arguments, settings errors, the
 * BUFFER_TOO_SMALL rule for announces, paths, scrape, the UDP protocol, 4 threads at once,
 * statistics, expiry, state save/load and warnings. Usage: test_tracker */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define THREADS 4
#define PER_THREAD 200

static const uint8_t HASH[20] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static const bitgocho_peer_addr PEER = {BITGOCHO_PEER_IPV4, {10, 0, 0, 7}, 40000};

/* Appends the percent-encoding of n bytes to out. */
static void pct(char *out, const uint8_t *bytes, size_t n) {
    static const char hex[] = "0123456789ABCDEF";
    out += strlen(out);
    for (size_t i = 0; i < n; i++) {
        *out++ = '%';
        *out++ = hex[bytes[i] >> 4];
        *out++ = hex[bytes[i] & 15];
    }
    *out = '\0';
}

/* An announce target for peer `who` (its id and port derive from it). */
static void announce_target(char *out, size_t cap, uint32_t who, uint64_t left, const char *event) {
    uint8_t id[20];
    memcpy(id, "-CT0001-", 8);
    for (int i = 0; i < 12; i++) {
        id[8 + i] = (uint8_t)(who >> (8 * (i % 4)));
    }
    char hash[64] = "", peer_id[64] = "";
    pct(hash, HASH, 20);
    pct(peer_id, id, 20);
    snprintf(out, cap, "/announce?info_hash=%s&peer_id=%s&port=%u&uploaded=0&downloaded=0&left=%llu&compact=1%s%s",
             hash, peer_id, (unsigned)(1024 + who % 60000), (unsigned long long)left, event[0] ? "&event=" : "",
             event);
}

static bitgocho_tracker_statistics stats_of(const bitgocho_tracker *t) {
    bitgocho_tracker_statistics s;
    memset(&s, 0, sizeof s);
    s.size = sizeof s;
    CHECK_OK(bitgocho_tracker_stats(t, &s));
    return s;
}

static const bitgocho_tracker *make(const char *key, int64_t value) {
    bitgocho_settings *s = bitgocho_settings_new();
    CHECK(s != NULL);
    if (key != NULL) {
        CHECK_OK(bitgocho_settings_set_int(s, key, value));
    }
    const bitgocho_tracker *t = NULL;
    CHECK_OK(bitgocho_tracker_new(s, &t));
    bitgocho_settings_free(s);
    CHECK(t != NULL);
    return t;
}

/* Sends target and returns the body in a malloc'd NUL-terminated buffer. */
static char *http(const bitgocho_tracker *t, const char *target, uint16_t *code) {
    size_t cap = bitgocho_tracker_max_response_len(t) + 4096;
    uint8_t *out = malloc(cap + 1);
    CHECK(out != NULL);
    size_t len = 0;
    CHECK_OK(bitgocho_tracker_handle_http(t, (const uint8_t *)target, strlen(target), &PEER, out, cap, &len, code));
    out[len] = '\0';
    return (char *)out;
}

static void null_arguments(void) {
    bitgocho_tracker_free(NULL);
    CHECK(bitgocho_tracker_clone(NULL) == NULL);
    CHECK(bitgocho_tracker_max_response_len(NULL) == 0);
    const bitgocho_tracker *t = NULL;
    CHECK_STATUS(bitgocho_tracker_new(NULL, &t), BITGOCHO_E_NULL_ARG);
    CHECK(t == NULL);
    bitgocho_settings *s = bitgocho_settings_new();
    CHECK_STATUS(bitgocho_tracker_new(s, NULL), BITGOCHO_E_NULL_ARG);
    CHECK_OK(bitgocho_tracker_new(s, &t));
    bitgocho_settings_free(s);
    uint8_t out[8192];
    size_t len = 0;
    uint16_t code = 0;
    const uint8_t *target = (const uint8_t *)"/scrape";
    CHECK_STATUS(bitgocho_tracker_handle_http(NULL, target, 7, &PEER, out, sizeof out, &len, &code),
                 BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_handle_http(t, NULL, 7, &PEER, out, sizeof out, &len, &code), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_handle_http(t, target, 7, NULL, out, sizeof out, &len, &code), BITGOCHO_E_NULL_ARG);
    CHECK(strstr(last_error(), "peer") != NULL);
    CHECK_STATUS(bitgocho_tracker_handle_http(t, target, 7, &PEER, out, sizeof out, NULL, &code), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_handle_http(t, target, 7, &PEER, out, sizeof out, &len, NULL), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_handle_http(t, target, 7, &PEER, NULL, 10, &len, &code), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_handle_udp(t, NULL, 16, &PEER, out, sizeof out, &len), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_handle_udp(t, out, 16, NULL, out, sizeof out, &len), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_maintain(NULL), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_maintain_at(NULL, 0), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_save_state(t, NULL), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_load_state(NULL, "x"), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_stats(t, NULL), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_tracker_info_page(t, NULL), BITGOCHO_E_NULL_ARG);
    bitgocho_peer_addr bad = PEER;
    bad.family = 5;
    CHECK_STATUS(bitgocho_tracker_handle_http(t, target, 7, &bad, out, sizeof out, &len, &code),
                 BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "family 5") != NULL);
    const bitgocho_tracker *again = bitgocho_tracker_clone(t);
    CHECK(again == t);
    bitgocho_tracker_free(again);
    bitgocho_tracker_free(t);
}

static void settings_errors(void) {
    bitgocho_settings *s = bitgocho_settings_new();
    CHECK_OK(bitgocho_settings_set_int(s, "reannounce_interval", 600));
    CHECK_OK(bitgocho_settings_set_int(s, "no_such_tracker_option", 1));
    const bitgocho_tracker *t = NULL;
    CHECK_STATUS(bitgocho_tracker_new(s, &t), BITGOCHO_E_INVALID_ARG);
    CHECK(t == NULL);
    CHECK(strstr(last_error(), "no_such_tracker_option") != NULL);
    bitgocho_settings_free(s);

    s = bitgocho_settings_new();
    CHECK_OK(bitgocho_settings_set_str(s, "scrape_allowed", "sometimes"));
    CHECK_STATUS(bitgocho_tracker_new(s, &t), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "scrape_allowed") != NULL);
    CHECK_OK(bitgocho_settings_set_int(s, "scrape_allowed", 0));
    CHECK_STATUS(bitgocho_tracker_new(s, &t), BITGOCHO_E_INVALID_ARG);
    CHECK_OK(bitgocho_settings_set_str(s, "scrape_allowed", "specific"));
    CHECK_OK(bitgocho_settings_set_int(s, "nat_check", 3));
    CHECK_STATUS(bitgocho_tracker_new(s, &t), BITGOCHO_E_UNSUPPORTED);
    CHECK(strstr(last_error(), "nat_check") != NULL);
    CHECK_OK(bitgocho_settings_set_int(s, "nat_check", 0));
    CHECK_OK(bitgocho_settings_set_bool(s, "keep_dead", true));
    CHECK_OK(bitgocho_tracker_new(s, &t));
    bitgocho_settings_free(s);
    uint16_t code = 0;
    char *body = http(t, "/scrape", &code);
    CHECK(code == 400 && strstr(body, "full scrape function is not available") != NULL);
    free(body);
    bitgocho_tracker_free(t);

    const bitgocho_tracker *small = make("response_size", 5);
    const bitgocho_tracker *big = make("response_size", 200);
    CHECK(bitgocho_tracker_max_response_len(small) < bitgocho_tracker_max_response_len(big));
    bitgocho_tracker_free(small);
    bitgocho_tracker_free(big);
}

static void buffer_too_small_never_applies_an_announce(void) {
    const bitgocho_tracker *t = make(NULL, 0);
    size_t max = bitgocho_tracker_max_response_len(t);
    CHECK(max > 512);
    char target[512];
    announce_target(target, sizeof target, 1, 1000, "started");
    uint8_t *out = malloc(max);
    CHECK(out != NULL);
    memset(out, 0xAA, max);
    size_t len = 0;
    uint16_t code = 0;
    const uint8_t *tgt = (const uint8_t *)target;
    CHECK_STATUS(bitgocho_tracker_handle_http(t, tgt, strlen(target), &PEER, NULL, 0, &len, &code),
                 BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(len == max && code == 0);
    len = 0;
    CHECK_STATUS(bitgocho_tracker_handle_http(t, tgt, strlen(target), &PEER, out, max - 1, &len, &code),
                 BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(len == max && code == 0 && out[0] == 0xAA);
    bitgocho_tracker_statistics st = stats_of(t);
    CHECK(st.announces == 0 && st.leechers == 0 && st.torrents == 0);
    CHECK_OK(bitgocho_tracker_handle_http(t, tgt, strlen(target), &PEER, out, max, &len, &code));
    CHECK(code == 200 && len > 0 && len <= max && memcmp(out, "d8:complete", 11) == 0);
    st = stats_of(t);
    CHECK(st.announces == 1 && st.leechers == 1 && st.seeds == 0 && st.torrents == 1);

    /* a scrape that does not fit: the needed size, then it fits */
    char scrape[128] = "/scrape?info_hash=";
    pct(scrape, HASH, 20);
    const uint8_t *sc = (const uint8_t *)scrape;
    CHECK_STATUS(bitgocho_tracker_handle_http(t, sc, strlen(scrape), &PEER, out, 10, &len, &code),
                 BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(len > 10 && len < 200);
    size_t needed = len;
    CHECK_OK(bitgocho_tracker_handle_http(t, sc, strlen(scrape), &PEER, out, needed, &len, &code));
    CHECK(len == needed && code == 200);
    CHECK(memcmp(out, "d5:filesd20:", 12) == 0 && memcmp(out + 12, HASH, 20) == 0);
    free(out);
    bitgocho_tracker_free(t);
}

static void paths_and_bytes_variant(void) {
    const bitgocho_tracker *t = make(NULL, 0);
    const char *others[] = {"/", "/index.html", "/favicon.ico", "/file?info_hash=x", "/announcer", ""};
    uint8_t out[16384];
    size_t len = 0;
    uint16_t code = 0;
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        CHECK_STATUS(bitgocho_tracker_handle_http(t, (const uint8_t *)others[i], strlen(others[i]), &PEER, out,
                                                  sizeof out, &len, &code),
                     BITGOCHO_E_NOT_FOUND);
    }
    char *body = http(t, "/announce?info_hash=tooshort&peer_id=x", &code);
    CHECK(code == 400 && strstr(body, "garbage") != NULL);
    free(body);
    char target[512];
    announce_target(target, sizeof target, 2, 0, "");
    body = http(t, target, &code);
    CHECK(code == 200 && strstr(body, "8:completei1e") != NULL);
    free(body);
    body = http(t, "/scrape.php", &code);
    CHECK(code == 200 && strstr(body, "8:completei1e") != NULL && strstr(body, "10:incompletei0e") != NULL);
    free(body);

    bitgocho_bytes *b = NULL;
    const char *type = NULL;
    CHECK_OK(bitgocho_tracker_handle_http_bytes(t, (const uint8_t *)"/scrape", 7, &PEER, &b, &code, &type));
    CHECK(code == 200 && strcmp(type, "text/plain") == 0 && bitgocho_bytes_len(b) > 20);
    CHECK(memcmp(bitgocho_bytes_data(b), "d5:files", 8) == 0);
    bitgocho_bytes_free(b);
    b = NULL;
    CHECK_STATUS(bitgocho_tracker_handle_http_bytes(t, (const uint8_t *)"/x", 2, &PEER, &b, &code, &type),
                 BITGOCHO_E_NOT_FOUND);
    CHECK(b == NULL);

    CHECK_OK(bitgocho_tracker_info_page(t, &b));
    const char *html = (const char *)bitgocho_bytes_data(b);
    size_t html_len = bitgocho_bytes_len(b);
    CHECK(html_len > 100 && memchr(html, '<', html_len) != NULL);
    bitgocho_bytes_free(b);
    bitgocho_tracker_free(t);

    t = make("show_infopage", 0);
    b = NULL;
    CHECK_STATUS(bitgocho_tracker_info_page(t, &b), BITGOCHO_E_NOT_FOUND);
    CHECK(b == NULL);
    bitgocho_tracker_free(t);
}

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* BEP 15 connect, then announce with the connection id, then scrape. */
static void udp_round_trip(const bitgocho_tracker *t, const bitgocho_peer_addr *peer, uint32_t who) {
    size_t cap = bitgocho_tracker_max_response_len(t);
    uint8_t *out = malloc(cap);
    CHECK(out != NULL);
    uint8_t req[98];
    memset(req, 0, sizeof req);
    put32(req, 0x417);
    put32(req + 4, 0x27101980);
    put32(req + 8, 0);
    put32(req + 12, 0xC0FFEE00u + who);
    size_t len = 0;
    CHECK_STATUS(bitgocho_tracker_handle_udp(t, req, 16, peer, out, 15, &len), BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(len == cap);
    CHECK_OK(bitgocho_tracker_handle_udp(t, req, 16, peer, out, cap, &len));
    CHECK(len == 16 && get32(out) == 0 && get32(out + 4) == 0xC0FFEE00u + who);
    uint8_t conn[8];
    memcpy(conn, out + 8, 8);

    memcpy(req, conn, 8);
    put32(req + 8, 1);
    put32(req + 12, 77 + who);
    memcpy(req + 16, HASH, 20);
    memcpy(req + 36, "-UD0001-", 8);
    put32(req + 44, who);
    put32(req + 92, 0xFFFFFFFFu); /* num_want -1 */
    req[64 + 7] = 5;              /* left = 5 */
    req[96] = (uint8_t)(who >> 8);
    req[97] = (uint8_t)who;
    CHECK_OK(bitgocho_tracker_handle_udp(t, req, 98, peer, out, cap, &len));
    CHECK(len >= 20 && get32(out) == 1 && get32(out + 4) == 77 + who);

    memcpy(req, conn, 8);
    put32(req + 8, 2);
    put32(req + 12, 99);
    memcpy(req + 16, HASH, 20);
    CHECK_OK(bitgocho_tracker_handle_udp(t, req, 36, peer, out, cap, &len));
    CHECK(len == 20 && get32(out) == 2 && get32(out + 4) == 99 && get32(out + 16) >= 1);

    /* a forged connection id is refused with an error reply */
    req[0] ^= 0xFF;
    CHECK_OK(bitgocho_tracker_handle_udp(t, req, 36, peer, out, cap, &len));
    CHECK(len > 8 && get32(out) == 3);
    /* not a tracker packet: nothing to send */
    CHECK_OK(bitgocho_tracker_handle_udp(t, req, 5, peer, out, cap, &len));
    CHECK(len == 0);
    free(out);
}

static void udp(void) {
    const bitgocho_tracker *t = make(NULL, 0);
    udp_round_trip(t, &PEER, 1);
    bitgocho_peer_addr v6 = {BITGOCHO_PEER_IPV6, {0x20, 0x01, 0x0d, 0xb8, [15] = 9}, 51413};
    udp_round_trip(t, &v6, 2);
    bitgocho_tracker_statistics st = stats_of(t);
    CHECK(st.udp_connects == 2 && st.announces == 2 && st.scrapes == 2 && st.leechers == 2 && st.rejected == 4);
    bitgocho_tracker_free(t);
}

static const bitgocho_tracker *shared;

static void *worker(void *arg) {
    uint32_t id = (uint32_t)(uintptr_t)arg;
    const bitgocho_tracker *t = bitgocho_tracker_clone(shared);
    size_t cap = bitgocho_tracker_max_response_len(t);
    uint8_t *out = malloc(cap);
    CHECK(out != NULL);
    char target[512];
    for (uint32_t i = 0; i < PER_THREAD; i++) {
        announce_target(target, sizeof target, id * 1000 + i, i % 2, "started");
        size_t len = 0;
        uint16_t code = 0;
        CHECK_OK(bitgocho_tracker_handle_http(t, (const uint8_t *)target, strlen(target), &PEER, out, cap, &len,
                                              &code));
        CHECK(code == 200 && memcmp(out, "d8:complete", 11) == 0);
        /* an error on this thread keeps its own message */
        CHECK_STATUS(bitgocho_tracker_handle_http(t, (const uint8_t *)"/t", 2, &PEER, out, cap, &len, &code),
                     BITGOCHO_E_NOT_FOUND);
        CHECK(strstr(last_error(), "/t") != NULL);
    }
    bitgocho_peer_addr mine = PEER;
    mine.addr[3] = (uint8_t)(100 + id);
    udp_round_trip(t, &mine, 500 + id);
    CHECK_OK(bitgocho_tracker_maintain(t));
    free(out);
    bitgocho_tracker_free(t);
    return NULL;
}

static void threads(void) {
    shared = make(NULL, 0);
    pthread_t th[THREADS];
    for (size_t i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)(i + 1)) == 0);
    }
    for (size_t i = 0; i < THREADS; i++) {
        CHECK(pthread_join(th[i], NULL) == 0);
    }
    bitgocho_tracker_statistics st = stats_of(shared);
    CHECK(st.torrents == 1);
    CHECK(st.seeds == THREADS * PER_THREAD / 2);
    CHECK(st.leechers == THREADS * PER_THREAD / 2 + THREADS);
    CHECK(st.announces == THREADS * (PER_THREAD + 1) && st.udp_connects == THREADS && st.scrapes == THREADS);
    bitgocho_tracker_free(shared);
}

static void stats_size_expiry_and_state(void) {
    const bitgocho_tracker *t = make("timeout_downloaders_interval", 60);
    bitgocho_tracker_statistics st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st - 8;
    CHECK_STATUS(bitgocho_tracker_stats(t, &st), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "size") != NULL);
    char target[512];
    for (uint32_t i = 0; i < 3; i++) {
        announce_target(target, sizeof target, 10 + i, i == 0 ? 0 : 7, "");
        uint16_t code = 0;
        free(http(t, target, &code));
        CHECK(code == 200);
    }
    CHECK(stats_of(t).seeds == 1 && stats_of(t).leechers == 2);

    char dir[] = "/tmp/bitgocho-test-tracker-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[128], missing[128], bad[128];
    snprintf(path, sizeof path, "%s/dstate", dir);
    snprintf(missing, sizeof missing, "%s/none", dir);
    snprintf(bad, sizeof bad, "%s/corrupt", dir);
    CHECK_OK(bitgocho_tracker_save_state(t, path));
    CHECK(stats_of(t).saves == 1);
    char unwritable[160];
    snprintf(unwritable, sizeof unwritable, "%s/no/such/dir/dstate", dir);
    CHECK_STATUS(bitgocho_tracker_save_state(t, unwritable), BITGOCHO_E_IO);

    /* expiry driven by the caller's clock */
    uint64_t now_ms = (uint64_t)time(NULL) * 1000;
    CHECK_OK(bitgocho_tracker_maintain_at(t, now_ms + 1000));
    CHECK(stats_of(t).leechers == 2);
    CHECK_OK(bitgocho_tracker_maintain_at(t, now_ms + 62000));
    st = stats_of(t);
    CHECK(st.seeds == 0 && st.leechers == 0);

    /* a new tracker gets the saved peers back */
    const bitgocho_tracker *u = make(NULL, 0);
    CHECK_STATUS(bitgocho_tracker_load_state(u, missing), BITGOCHO_E_NOT_FOUND);
    CHECK_OK(bitgocho_tracker_load_state(u, path));
    st = stats_of(u);
    CHECK(st.torrents == 1 && st.seeds == 1 && st.leechers == 2);

    uint8_t msg[512];
    size_t len = 0;
    CHECK_STATUS(bitgocho_tracker_pop_warning(u, msg, sizeof msg, &len), BITGOCHO_E_AGAIN);
    FILE *f = fopen(bad, "wb");
    CHECK(f != NULL);
    fputs("d5:peersd20:truncated", f);
    fclose(f);
    CHECK_STATUS(bitgocho_tracker_load_state(u, bad), BITGOCHO_E_PARSE);
    CHECK(strstr(last_error(), "corrupt") != NULL);
    CHECK(stats_of(u).leechers == 2);
    CHECK(access(bad, F_OK) != 0); /* moved aside, not overwritten */
    CHECK_STATUS(bitgocho_tracker_pop_warning(u, msg, 4, &len), BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(len > 4);
    CHECK_OK(bitgocho_tracker_pop_warning(u, msg, sizeof msg, &len));
    CHECK(strstr((char *)msg, "corrupt") != NULL && strlen((char *)msg) == len);
    CHECK_STATUS(bitgocho_tracker_pop_warning(u, msg, sizeof msg, &len), BITGOCHO_E_AGAIN);

    bitgocho_tracker_free(u);
    bitgocho_tracker_free(t);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    null_arguments();
    settings_errors();
    buffer_too_small_never_applies_an_announce();
    paths_and_bytes_variant();
    udp();
    threads();
    stats_size_expiry_and_state();
    puts("test_tracker: ok");
    return 0;
}
