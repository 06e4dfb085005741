/*
 * showmetainfo: prints .torrent files like BitTornado's btshowmetainfo (same lines, then the
 * keys BitTornado did not show), using only the libbitgocho C API.
 *
 *   cc -std=c11 showmetainfo.c $(pkg-config --cflags --libs bitgocho) -o showmetainfo
 *   ./showmetainfo file1.torrent [file2.torrent ...]
 *
 * Exit status: 0, 1 if a file could not be read or parsed (the others are still shown), 2 for
 * no arguments.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bitgocho.h>

/* Getter shapes of the API: (handle, buf, cap, &len) and (handle, index, buf, cap, &len). */
typedef bitgocho_status (*getter0)(const bitgocho_metainfo *, uint8_t *, size_t, size_t *);
typedef bitgocho_status (*getter1)(const bitgocho_metainfo *, size_t, uint8_t *, size_t, size_t *);

static void die(const char *what, bitgocho_status status) {
    char msg[512];
    size_t len = 0;
    if (bitgocho_last_error((uint8_t *)msg, sizeof msg, &len) != BITGOCHO_OK) {
        msg[0] = '\0';
    }
    fprintf(stderr, "error: %s: %s (%s)\n", what, bitgocho_status_str(status), msg);
    exit(1);
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        fputs("error: out of memory\n", stderr);
        exit(1);
    }
    return p;
}

/* Asks for the size with an empty buffer, then fetches. NULL when the value is absent. */
#define FETCH_STRING(call_with_buf)                                        \
    do {                                                                   \
        uint8_t *buf = NULL;                                               \
        size_t cap = 0, len = 0;                                           \
        bitgocho_status st = (call_with_buf);                              \
        if (st == BITGOCHO_E_NOT_FOUND) return NULL;                       \
        if (st != BITGOCHO_E_BUFFER_TOO_SMALL) die("size query", st);      \
        cap = len;                                                         \
        buf = xmalloc(cap);                                                \
        st = (call_with_buf);                                              \
        if (st != BITGOCHO_OK) die("read", st);                            \
        return (char *)buf;                                                \
    } while (0)

static char *str0(getter0 f, const bitgocho_metainfo *mi) { FETCH_STRING(f(mi, buf, cap, &len)); }

static char *str1(getter1 f, const bitgocho_metainfo *mi, size_t i) { FETCH_STRING(f(mi, i, buf, cap, &len)); }

static char *tracker(const bitgocho_metainfo *mi, size_t tier, size_t i) {
    FETCH_STRING(bitgocho_metainfo_tracker(mi, tier, i, buf, cap, &len));
}

static char *node(const bitgocho_metainfo *mi, size_t i, uint16_t *port) {
    FETCH_STRING(bitgocho_metainfo_node(mi, i, buf, cap, &len, port));
}

/* Prints text with control characters (C0, DEL, C1) replaced by '?'. */
static void put_clean(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            putchar('?');
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            putchar('?');
            p++;
        } else {
            putchar(*p);
        }
    }
}

static void put_hex(const uint8_t *b, size_t n) {
    for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}

/* "YYYY-MM-DD HH:MM:SS UTC" for Unix seconds (proleptic Gregorian). */
static void put_utc(int64_t t) {
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days -= 1;
    }
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    printf("%04lld-%02lld-%02lld %02lld:%02lld:%02lld UTC", (long long)year, (long long)month, (long long)day,
           (long long)(secs / 3600), (long long)(secs % 3600 / 60), (long long)(secs % 60));
}

static void put_line(const char *label, const char *value) {
    printf("%s: ", label);
    put_clean(value);
    putchar('\n');
}

static void show_files(const bitgocho_metainfo *mi, const char *name, int v2_only, uint64_t *size) {
    size_t n = bitgocho_metainfo_file_count(mi), name_len = strlen(name);
    int multi = bitgocho_metainfo_is_multi_file(mi);
    *size = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t attrs = 0;
        uint64_t length = 0;
        bitgocho_status st = bitgocho_metainfo_file_attributes(mi, i, &attrs);
        if (st != BITGOCHO_OK) die("file attributes", st);
        if (v2_only && (attrs & BITGOCHO_FILE_PAD)) continue;
        st = bitgocho_metainfo_file_length(mi, i, &length);
        if (st != BITGOCHO_OK) die("file length", st);
        *size += length;
        if (!multi) continue;
        char *path = str1(bitgocho_metainfo_file_path, mi, i);
        const char *inner = path;
        if (strncmp(path, name, name_len) == 0 && path[name_len] == '/') inner = path + name_len + 1;
        fputs("   ", stdout);
        put_clean(inner);
        printf(" (%llu)\n", (unsigned long long)length);
        free(path);
    }
}

static void show_joined(const char *label, const bitgocho_metainfo *mi, getter1 f, size_t count) {
    if (count == 0) return;
    printf("%s: ", label);
    for (size_t i = 0; i < count; i++) {
        char *url = str1(f, mi, i);
        if (i) putchar('|');
        put_clean(url);
        free(url);
    }
    putchar('\n');
}

static void show_trackers(const bitgocho_metainfo *mi) {
    char *announce = str0(bitgocho_metainfo_announce, mi);
    if (announce) {
        put_line("announce url..", announce);
        free(announce);
    } else {
        puts("***WARNING*** - no announce key");
    }
    size_t tiers = bitgocho_metainfo_tier_count(mi);
    if (tiers == 0) return;
    fputs("announce-list.: ", stdout);
    for (size_t t = 0; t < tiers; t++) {
        if (t) putchar('|');
        for (size_t i = 0; i < bitgocho_metainfo_tier_size(mi, t); i++) {
            char *url = tracker(mi, t, i);
            if (i) putchar(',');
            put_clean(url);
            free(url);
        }
    }
    putchar('\n');
}

/* The keys BitTornado did not print. */
static void show_extra(const bitgocho_metainfo *mi) {
    uint8_t hash[32];
    size_t len = 0;
    if (bitgocho_metainfo_info_hash_v2(mi, hash, sizeof hash, &len) == BITGOCHO_OK) {
        fputs("info hash v2..: ", stdout);
        put_hex(hash, len);
        putchar('\n');
    }
    show_joined("url list......", mi, bitgocho_metainfo_url_seed, bitgocho_metainfo_url_seed_count(mi));
    size_t nodes = bitgocho_metainfo_node_count(mi);
    if (nodes) {
        fputs("dht nodes.....: ", stdout);
        for (size_t i = 0; i < nodes; i++) {
            uint16_t port = 0;
            char *host = node(mi, i, &port);
            if (i) putchar('|');
            put_clean(host);
            printf(":%u", (unsigned)port);
            free(host);
        }
        putchar('\n');
    }
    if (bitgocho_metainfo_is_private(mi)) puts("private.......: yes");
    char *created_by = str0(bitgocho_metainfo_created_by, mi);
    if (created_by) {
        put_line("created by....", created_by);
        free(created_by);
    }
    int64_t date = 0;
    if (bitgocho_metainfo_creation_date(mi, &date) == BITGOCHO_OK) {
        printf("creation date.: %lld (", (long long)date);
        put_utc(date);
        puts(")");
    }
    uint32_t version = bitgocho_metainfo_version(mi);
    printf("meta version..: %s\n", version == BITGOCHO_META_V1 ? "1" : version == BITGOCHO_META_V2 ? "2" : "hybrid");
}

static void show(const char *file, const bitgocho_metainfo *mi) {
    const char *base = strrchr(file, '/');
    put_line("metainfo file.", base ? base + 1 : file);
    uint8_t hash[32];
    size_t len = 0;
    if (bitgocho_metainfo_info_hash_v1(mi, hash, sizeof hash, &len) == BITGOCHO_OK) {
        fputs("info hash.....: ", stdout);
        put_hex(hash, len);
        putchar('\n');
    } else if (bitgocho_metainfo_info_hash_v2(mi, hash, sizeof hash, &len) == BITGOCHO_OK) {
        fputs("info hash.....: ", stdout);
        put_hex(hash, len);
        puts(" (v2 only: SHA-256 info-hash)");
    }
    int multi = bitgocho_metainfo_is_multi_file(mi);
    char *name = str0(bitgocho_metainfo_name, mi);
    put_line(multi ? "directory name" : "file name.....", name);
    if (multi) puts("files.........: ");
    uint64_t size = 0, plen = bitgocho_metainfo_piece_length(mi);
    int v2_only = bitgocho_metainfo_version(mi) == BITGOCHO_META_V2;
    show_files(mi, name, v2_only, &size);
    if (!v2_only) size = bitgocho_metainfo_total_size(mi);
    printf("%s: %llu (%llu * %llu + %llu)\n", multi ? "archive size.." : "file size.....", (unsigned long long)size,
           (unsigned long long)(size / plen), (unsigned long long)plen, (unsigned long long)(size % plen));
    show_trackers(mi);
    show_joined("http seeds....", mi, bitgocho_metainfo_http_seed, bitgocho_metainfo_http_seed_count(mi));
    char *comment = str0(bitgocho_metainfo_comment, mi);
    if (comment) {
        put_line("comment.......", comment);
        free(comment);
    }
    show_extra(mi);
    free(name);
}

int main(int argc, char **argv) {
    const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    size_t prog_len = strchr(prog, '.') ? (size_t)(strchr(prog, '.') - prog) : strlen(prog);
    printf("%.*s 20030621 - decode BitTorrent metainfo files\n\n", (int)prog_len, prog);
    if (argc < 2) {
        printf("%s file1.torrent file2.torrent file3.torrent ...\n\n", argv[0]);
        return 2;
    }
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        const bitgocho_metainfo *mi = NULL;
        bitgocho_status st = bitgocho_metainfo_from_file(argv[i], &mi);
        if (st != BITGOCHO_OK) {
            char msg[1024];
            size_t len = 0;
            if (bitgocho_last_error((uint8_t *)msg, sizeof msg, &len) != BITGOCHO_OK) msg[0] = '\0';
            fflush(stdout);
            fprintf(stderr, "error: %s: %s\n", argv[i], msg);
            failed = 1;
            continue;
        }
        show(argv[i], mi);
        bitgocho_metainfo_free(mi);
    }
    return failed;
}
