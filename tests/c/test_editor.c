/* bitgocho_metainfo_editor: new torrents (v1, v2, hybrid) with every option, progress and
 * cancellation, atomic writes, editing an existing torrent, and the errors.
 * Usage: test_editor <empty scratch directory> */
#define _POSIX_C_SOURCE 200809L
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char dir[1024];

static const char *scratch(const char *name) {
    static char path[4][2048];
    static int next = 0;
    next = (next + 1) % 4;
    snprintf(path[next], sizeof path[next], "%s/%s", dir, name);
    return path[next];
}

static void write_file(const char *path, size_t size, unsigned seed) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    for (size_t i = 0; i < size; i++) fputc((int)((i * 31 + seed) & 0xff), f);
    CHECK(fclose(f) == 0);
}

static int exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static const bitgocho_metainfo *build_and_parse(const bitgocho_metainfo_editor *ed) {
    bitgocho_bytes *bytes = NULL;
    CHECK_OK(bitgocho_metainfo_editor_build(ed, NULL, NULL, &bytes));
    const bitgocho_metainfo *mi = NULL;
    CHECK_OK(bitgocho_metainfo_parse(bitgocho_bytes_data(bytes), bitgocho_bytes_len(bytes), &mi));
    bitgocho_bytes_free(bytes);
    return mi;
}

static void text_is(bitgocho_status (*f)(const bitgocho_metainfo *, uint8_t *, size_t, size_t *),
                    const bitgocho_metainfo *mi, const char *want) {
    char buf[512];
    size_t len = 0;
    CHECK_OK(f(mi, (uint8_t *)buf, sizeof buf, &len));
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "got \"%s\", wanted \"%s\"\n", buf, want);
        CHECK(0);
    }
}

struct progress {
    uint64_t calls, done, total;
    const bitgocho_metainfo_editor *cancel;
};

static void on_progress(void *userdata, uint64_t done, uint64_t total) {
    struct progress *p = userdata;
    p->calls++;
    CHECK(done <= total || total == 0);
    p->done = done;
    p->total = total;
    if (p->cancel) bitgocho_metainfo_editor_cancel(p->cancel);
}

static void new_torrent_with_every_option(void) {
    write_file(scratch("data/a.bin"), 100000, 1);
    write_file(scratch("data/b.bin"), 40000, 2);
    bitgocho_metainfo_editor *ed = NULL;
    CHECK_OK(bitgocho_metainfo_editor_new(scratch("data"), &ed));
    CHECK_OK(bitgocho_metainfo_editor_set_version(ed, BITGOCHO_META_HYBRID));
    CHECK_OK(bitgocho_metainfo_editor_set_piece_size_pow2(ed, 15));
    CHECK_OK(bitgocho_metainfo_editor_set_threads(ed, 2));
    CHECK_OK(bitgocho_metainfo_editor_set_announce(ed, "http://tracker.example/announce"));
    CHECK_OK(bitgocho_metainfo_editor_add_tracker(ed, 0, "http://tracker.example/announce"));
    CHECK_OK(bitgocho_metainfo_editor_add_tracker(ed, 0, "http://backup.example/announce"));
    CHECK_OK(bitgocho_metainfo_editor_add_tracker(ed, 1, "udp://other.example:6969"));
    CHECK_STATUS(bitgocho_metainfo_editor_add_tracker(ed, 3, "http://x/"), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "tier 3") != NULL);
    CHECK_OK(bitgocho_metainfo_editor_add_http_seed(ed, "http://seed.example/file"));
    CHECK_OK(bitgocho_metainfo_editor_add_url_seed(ed, "http://web.example/files/"));
    CHECK_OK(bitgocho_metainfo_editor_set_comment(ed, "a comment"));
    CHECK_OK(bitgocho_metainfo_editor_set_private(ed, true));
    CHECK_OK(bitgocho_metainfo_editor_set_created_by(ed, "test_editor"));
    CHECK_OK(bitgocho_metainfo_editor_set_creation_date(ed, 1700000000));
    CHECK_STATUS(bitgocho_metainfo_editor_set_version(ed, 7), BITGOCHO_E_INVALID_ARG);
    CHECK_STATUS(bitgocho_metainfo_editor_set_name(ed, "x"), BITGOCHO_E_UNSUPPORTED);

    struct progress p = {0, 0, 0, NULL};
    bitgocho_bytes *bytes = NULL;
    CHECK_OK(bitgocho_metainfo_editor_build(ed, on_progress, &p, &bytes));
    CHECK(p.calls >= 1 && p.done == p.total && p.total >= 140000);
    const bitgocho_metainfo *mi = NULL;
    CHECK_OK(bitgocho_metainfo_parse(bitgocho_bytes_data(bytes), bitgocho_bytes_len(bytes), &mi));
    bitgocho_bytes_free(bytes);

    CHECK(bitgocho_metainfo_version(mi) == BITGOCHO_META_HYBRID);
    CHECK(bitgocho_metainfo_piece_length(mi) == 32768);
    text_is(bitgocho_metainfo_name, mi, "data");
    text_is(bitgocho_metainfo_announce, mi, "http://tracker.example/announce");
    text_is(bitgocho_metainfo_comment, mi, "a comment");
    text_is(bitgocho_metainfo_created_by, mi, "test_editor");
    int64_t date = 0;
    CHECK_OK(bitgocho_metainfo_creation_date(mi, &date));
    CHECK(date == 1700000000);
    CHECK(bitgocho_metainfo_is_private(mi));
    CHECK(bitgocho_metainfo_tier_count(mi) == 2 && bitgocho_metainfo_tier_size(mi, 0) == 2);
    CHECK(bitgocho_metainfo_http_seed_count(mi) == 1 && bitgocho_metainfo_url_seed_count(mi) == 1);
    bitgocho_metainfo_free(mi);
    bitgocho_metainfo_editor_free(ed);
}

static void cancel_and_atomic_write(void) {
    /* 1 GiB of holes: hashing it takes far longer than reaching the first progress call, so
     * the cancel always lands while pieces remain. */
    FILE *f = fopen(scratch("huge.bin"), "wb");
    CHECK(f != NULL && fclose(f) == 0);
    CHECK(truncate(scratch("huge.bin"), (off_t)1 << 30) == 0);
    bitgocho_metainfo_editor *ed = NULL;
    CHECK_OK(bitgocho_metainfo_editor_new(scratch("huge.bin"), &ed));
    CHECK_OK(bitgocho_metainfo_editor_set_piece_size_pow2(ed, 20));
    CHECK_OK(bitgocho_metainfo_editor_set_threads(ed, 1));
    struct progress p = {0, 0, 0, ed};
    CHECK_STATUS(bitgocho_metainfo_editor_write(ed, scratch("huge.torrent"), on_progress, &p), BITGOCHO_E_CANCELLED);
    CHECK(p.calls >= 1 && (p.total == 0 || p.done < p.total)); /* stopped before the end */
    CHECK(!exists(scratch("huge.torrent")));
    /* cancelling when nothing runs does nothing */
    bitgocho_metainfo_editor_cancel(ed);
    bitgocho_metainfo_editor_cancel(NULL);
    bitgocho_metainfo_editor_free(ed);

    write_file(scratch("big.bin"), 2 << 20, 3);
    CHECK_OK(bitgocho_metainfo_editor_new(scratch("big.bin"), &ed));
    CHECK_OK(bitgocho_metainfo_editor_set_piece_size_pow2(ed, 14));
    bitgocho_metainfo_editor_cancel(ed); /* before the build: no effect */
    CHECK_OK(bitgocho_metainfo_editor_write(ed, scratch("big.torrent"), NULL, NULL));
    const bitgocho_metainfo *mi = NULL;
    CHECK_OK(bitgocho_metainfo_from_file(scratch("big.torrent"), &mi));
    CHECK(bitgocho_metainfo_piece_count(mi) == 128 && !bitgocho_metainfo_is_multi_file(mi));
    bitgocho_metainfo_free(mi);
    bitgocho_metainfo_editor_free(ed);
}

static void edit_existing(void) {
    bitgocho_metainfo_editor *ed = NULL;
    CHECK_OK(bitgocho_metainfo_editor_from_file(scratch("big.torrent"), &ed));
    CHECK_STATUS(bitgocho_metainfo_editor_set_version(ed, BITGOCHO_META_V2), BITGOCHO_E_UNSUPPORTED);
    CHECK_STATUS(bitgocho_metainfo_editor_set_created_by(ed, "x"), BITGOCHO_E_UNSUPPORTED);
    CHECK_STATUS(bitgocho_metainfo_editor_set_name(ed, "../escape"), BITGOCHO_E_INVALID_ARG);
    CHECK_OK(bitgocho_metainfo_editor_set_announce(ed, "http://new.example/announce"));
    CHECK_OK(bitgocho_metainfo_editor_add_tracker(ed, 0, "http://new.example/announce"));
    CHECK_OK(bitgocho_metainfo_editor_add_http_seed(ed, "http://seed.example/"));
    CHECK_OK(bitgocho_metainfo_editor_set_comment(ed, "edited"));
    CHECK_OK(bitgocho_metainfo_editor_set_name(ed, "renamed.bin"));
    CHECK_OK(bitgocho_metainfo_editor_set_private(ed, true));
    const bitgocho_metainfo *mi = build_and_parse(ed);
    text_is(bitgocho_metainfo_name, mi, "renamed.bin");
    text_is(bitgocho_metainfo_announce, mi, "http://new.example/announce");
    text_is(bitgocho_metainfo_comment, mi, "edited");
    CHECK(bitgocho_metainfo_is_private(mi) && bitgocho_metainfo_tier_count(mi) == 1);
    CHECK(bitgocho_metainfo_http_seed_count(mi) == 1 && bitgocho_metainfo_piece_count(mi) == 128);
    bitgocho_metainfo_free(mi);

    CHECK_OK(bitgocho_metainfo_editor_clear_trackers(ed));
    CHECK_OK(bitgocho_metainfo_editor_clear_seeds(ed));
    CHECK_OK(bitgocho_metainfo_editor_set_comment(ed, ""));
    CHECK_OK(bitgocho_metainfo_editor_write(ed, scratch("edited.torrent"), NULL, NULL));
    CHECK_OK(bitgocho_metainfo_from_file(scratch("edited.torrent"), &mi));
    size_t len = 0;
    CHECK(bitgocho_metainfo_tier_count(mi) == 0 && bitgocho_metainfo_http_seed_count(mi) == 0);
    CHECK_STATUS(bitgocho_metainfo_comment(mi, NULL, 0, &len), BITGOCHO_E_NOT_FOUND);
    bitgocho_metainfo_free(mi);
    /* writing into a missing directory fails and leaves nothing */
    CHECK_STATUS(bitgocho_metainfo_editor_write(ed, scratch("no/such/dir/x.torrent"), NULL, NULL), BITGOCHO_E_IO);
    bitgocho_metainfo_editor_free(ed);
}

static void from_metainfo_and_copy_trackers(void) {
    const bitgocho_metainfo *source = NULL, *target = NULL;
    CHECK_OK(bitgocho_metainfo_from_file(scratch("edited.torrent"), &target));
    bitgocho_metainfo_editor *ed = NULL;
    CHECK_OK(bitgocho_metainfo_editor_new(scratch("data"), &ed));
    CHECK_OK(bitgocho_metainfo_editor_set_announce(ed, "http://source.example/announce"));
    CHECK_OK(bitgocho_metainfo_editor_add_tracker(ed, 0, "http://tier.example/announce"));
    source = build_and_parse(ed);
    bitgocho_metainfo_editor_free(ed);

    CHECK_OK(bitgocho_metainfo_editor_from_metainfo(target, &ed));
    CHECK_OK(bitgocho_metainfo_editor_copy_trackers(ed, source));
    CHECK_STATUS(bitgocho_metainfo_editor_copy_trackers(ed, NULL), BITGOCHO_E_NULL_ARG);
    const bitgocho_metainfo *copied = build_and_parse(ed);
    text_is(bitgocho_metainfo_announce, copied, "http://source.example/announce");
    CHECK(bitgocho_metainfo_tier_count(copied) == 1);
    uint8_t a[20], b[20];
    size_t la = 0, lb = 0;
    CHECK_OK(bitgocho_metainfo_info_hash_v1(copied, a, sizeof a, &la));
    CHECK_OK(bitgocho_metainfo_info_hash_v1(target, b, sizeof b, &lb));
    CHECK(la == 20 && lb == 20 && memcmp(a, b, 20) == 0); /* trackers do not change the info-hash */
    bitgocho_metainfo_free(copied);
    bitgocho_metainfo_free(source);
    bitgocho_metainfo_free(target);
    bitgocho_metainfo_editor_free(ed);
}

static void errors(void) {
    bitgocho_metainfo_editor *ed = NULL;
    CHECK_STATUS(bitgocho_metainfo_editor_from_bytes((const uint8_t *)"d4:spam", 7, &ed), BITGOCHO_E_BENCODE);
    CHECK_STATUS(bitgocho_metainfo_editor_from_bytes((const uint8_t *)"le", 2, &ed), BITGOCHO_E_PARSE);
    CHECK(ed == NULL);
    CHECK_STATUS(bitgocho_metainfo_editor_new(NULL, &ed), BITGOCHO_E_NULL_ARG);
    CHECK_OK(bitgocho_metainfo_editor_new(scratch("missing"), &ed));
    bitgocho_bytes *bytes = NULL;
    CHECK_STATUS(bitgocho_metainfo_editor_build(ed, NULL, NULL, &bytes), BITGOCHO_E_IO);
    CHECK(bytes == NULL && strstr(last_error(), "missing") != NULL);
    CHECK_STATUS(bitgocho_metainfo_editor_set_announce(NULL, "x"), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_metainfo_editor_build(ed, NULL, NULL, NULL), BITGOCHO_E_NULL_ARG);
    bitgocho_metainfo_editor_free(ed);
    bitgocho_metainfo_editor_free(NULL);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    snprintf(dir, sizeof dir, "%s", argv[1]);
    CHECK(mkdir(scratch("data"), 0755) == 0);
    new_torrent_with_every_option();
    cancel_and_atomic_write();
    edit_existing();
    from_metainfo_and_copy_trackers();
    errors();
    puts("test_editor: ok");
    return 0;
}
