/* bitgocho_metainfo: parse from bytes and files, every getter on a v1 and a v2 corpus torrent,
 * bad input, index errors, short buffers, NULL handles, shared references.
 * Usage: test_metainfo <libtorrent-corpus-dir> */
#include "check.h"

static char corpus[1024];

static const char *corpus_file(const char *name) {
    static char path[2048];
    snprintf(path, sizeof path, "%s/%s", corpus, name);
    return path;
}

static void hex(const uint8_t *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    CHECK(n > 0);
    rewind(f);
    char *data = malloc((size_t)n);
    CHECK(data != NULL && fread(data, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return data;
}

static void bad_input_is_reported(void) {
    const bitgocho_metainfo *mi = (const bitgocho_metainfo *)&mi; /* must stay untouched */
    const bitgocho_metainfo *before = mi;
    CHECK_STATUS(bitgocho_metainfo_parse((const uint8_t *)"xyz", 3, &mi), BITGOCHO_E_BENCODE);
    CHECK(mi == before);
    CHECK(strlen(last_error()) > 0);
    const char *no_info = "d8:announce3:urle";
    CHECK_STATUS(bitgocho_metainfo_parse((const uint8_t *)no_info, strlen(no_info), &mi), BITGOCHO_E_PARSE);
    CHECK(strstr(last_error(), "info") != NULL);
    CHECK_STATUS(bitgocho_metainfo_parse(NULL, 0, &mi), BITGOCHO_E_BENCODE);
    CHECK_STATUS(bitgocho_metainfo_parse(NULL, 5, &mi), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_metainfo_from_file("/nonexistent/x.torrent", &mi), BITGOCHO_E_IO);
    CHECK(strstr(last_error(), "/nonexistent/x.torrent") != NULL);
    CHECK(mi == before);
}

static void null_handle_defaults(void) {
    CHECK(bitgocho_metainfo_piece_count(NULL) == 0);
    CHECK(bitgocho_metainfo_file_count(NULL) == 0);
    CHECK(!bitgocho_metainfo_has_v1(NULL) && !bitgocho_metainfo_is_private(NULL));
    CHECK(bitgocho_metainfo_version(NULL) == 0);
    CHECK(bitgocho_metainfo_clone(NULL) == NULL);
    bitgocho_metainfo_free(NULL);
    size_t len = 0;
    CHECK_STATUS(bitgocho_metainfo_name(NULL, NULL, 0, &len), BITGOCHO_E_NULL_ARG);
}

static void v1_multi_file(void) {
    size_t size = 0;
    char *data = read_file(corpus_file("sample.torrent"), &size);
    const bitgocho_metainfo *mi = NULL;
    CHECK_OK(bitgocho_metainfo_parse((const uint8_t *)data, size, &mi));
    free(data); /* the metainfo keeps its own copy */

    char text[256], h[80];
    size_t len = 0;
    uint8_t hash[32];
    CHECK_OK(bitgocho_metainfo_name(mi, (uint8_t *)text, sizeof text, &len));
    CHECK(strcmp(text, "sample") == 0 && len == 6);
    CHECK_STATUS(bitgocho_metainfo_info_hash_v1(mi, hash, 19, &len), BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(len == 20);
    CHECK_OK(bitgocho_metainfo_info_hash_v1(mi, hash, sizeof hash, &len));
    hex(hash, len, h);
    CHECK(strcmp(h, "58d8d15a4eb3bd9afabc9cee2564f78192777edb") == 0);
    CHECK_STATUS(bitgocho_metainfo_info_hash_v2(mi, hash, sizeof hash, &len), BITGOCHO_E_NOT_FOUND);
    CHECK(bitgocho_metainfo_has_v1(mi) && !bitgocho_metainfo_has_v2(mi));
    CHECK(bitgocho_metainfo_version(mi) == BITGOCHO_META_V1);
    CHECK(bitgocho_metainfo_piece_length(mi) == 16384 && bitgocho_metainfo_piece_count(mi) == 2);
    CHECK(bitgocho_metainfo_total_size(mi) == 16404 && bitgocho_metainfo_is_multi_file(mi));
    CHECK_OK(bitgocho_metainfo_piece_hash(mi, 1, hash, sizeof hash, &len));
    CHECK(len == 20);
    CHECK_STATUS(bitgocho_metainfo_piece_hash(mi, 2, hash, sizeof hash, &len), BITGOCHO_E_NOT_FOUND);

    CHECK(bitgocho_metainfo_file_count(mi) == 3);
    CHECK_OK(bitgocho_metainfo_file_path(mi, 0, (uint8_t *)text, sizeof text, &len));
    CHECK(strcmp(text, "sample/text_file2.txt") == 0);
    uint64_t n = 0;
    uint32_t attrs = 0;
    CHECK_OK(bitgocho_metainfo_file_length(mi, 1, &n));
    CHECK(n == 16359);
    CHECK_OK(bitgocho_metainfo_file_attributes(mi, 1, &attrs));
    CHECK(attrs & BITGOCHO_FILE_PAD);
    CHECK_OK(bitgocho_metainfo_file_attributes(mi, 0, &attrs));
    CHECK(attrs == 0);
    CHECK_OK(bitgocho_metainfo_file_offset(mi, 2, &n));
    CHECK(n == 16384);
    CHECK_STATUS(bitgocho_metainfo_file_length(mi, 3, &n), BITGOCHO_E_NOT_FOUND);
    CHECK(n == 16384);
    CHECK(strstr(last_error(), "file 3") != NULL);

    CHECK_OK(bitgocho_metainfo_announce(mi, (uint8_t *)text, sizeof text, &len));
    CHECK(strcmp(text, "udp://tracker.opentracker.com:80/announce") == 0);
    CHECK(bitgocho_metainfo_tier_count(mi) == 2 && bitgocho_metainfo_tier_size(mi, 1) == 1);
    CHECK(bitgocho_metainfo_tier_size(mi, 2) == 0);
    CHECK_OK(bitgocho_metainfo_tracker(mi, 1, 0, (uint8_t *)text, sizeof text, &len));
    CHECK(strcmp(text, "tracker.publicbt.com:80/announce") == 0);
    CHECK_STATUS(bitgocho_metainfo_tracker(mi, 1, 1, (uint8_t *)text, sizeof text, &len), BITGOCHO_E_NOT_FOUND);
    CHECK_OK(bitgocho_metainfo_comment(mi, (uint8_t *)text, sizeof text, &len));
    CHECK(strcmp(text, "sample comment") == 0);
    CHECK_OK(bitgocho_metainfo_created_by(mi, (uint8_t *)text, sizeof text, &len));
    CHECK(strcmp(text, "libtorrent") == 0);
    int64_t date = 0;
    CHECK_OK(bitgocho_metainfo_creation_date(mi, &date));
    CHECK(date == 1418787579);
    CHECK(bitgocho_metainfo_http_seed_count(mi) == 0 && bitgocho_metainfo_url_seed_count(mi) == 0);
    CHECK_STATUS(bitgocho_metainfo_http_seed(mi, 0, (uint8_t *)text, sizeof text, &len), BITGOCHO_E_NOT_FOUND);
    CHECK(bitgocho_metainfo_node_count(mi) == 0 && !bitgocho_metainfo_is_private(mi));

    const uint8_t *raw = NULL, *info = NULL;
    size_t raw_len = 0, info_len = 0;
    CHECK_OK(bitgocho_metainfo_raw(mi, &raw, &raw_len));
    CHECK_OK(bitgocho_metainfo_info_raw(mi, &info, &info_len));
    CHECK(raw_len == size && raw[0] == 'd' && info > raw && info + info_len <= raw + raw_len && info[0] == 'd');

    /* a second reference outlives the first */
    const bitgocho_metainfo *again = bitgocho_metainfo_clone(mi);
    CHECK(again != NULL);
    bitgocho_metainfo_free(mi);
    CHECK(bitgocho_metainfo_file_count(again) == 3);
    bitgocho_metainfo_free(again);
}

static void layers_symlinks_and_piece_sizes(void) {
    const bitgocho_metainfo *mi = NULL;
    CHECK_OK(bitgocho_metainfo_from_file(corpus_file("v2_multipiece_file.torrent"), &mi));
    CHECK(bitgocho_metainfo_has_piece_layers(mi));
    uint64_t pieces = bitgocho_metainfo_piece_count(mi), sum = 0, size = 0;
    for (uint64_t i = 0; i < pieces; i++) {
        CHECK_OK(bitgocho_metainfo_piece_size(mi, i, &size));
        sum += size;
    }
    CHECK(sum == bitgocho_metainfo_total_size(mi));
    CHECK_STATUS(bitgocho_metainfo_piece_size(mi, pieces, &size), BITGOCHO_E_NOT_FOUND);
    size_t len = 0;
    CHECK_STATUS(bitgocho_metainfo_file_piece_layer(mi, 0, NULL, 0, &len), BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(len == 32 * pieces);
    uint8_t *layer = malloc(len);
    CHECK(layer != NULL);
    CHECK_OK(bitgocho_metainfo_file_piece_layer(mi, 0, layer, len, &len));
    CHECK(len == 32 * pieces);
    free(layer);
    bitgocho_metainfo_free(mi);

    CHECK_OK(bitgocho_metainfo_from_file(corpus_file("symlink1.torrent"), &mi));
    char target[256];
    uint32_t attrs = 0;
    CHECK_OK(bitgocho_metainfo_file_symlink_target(mi, 1, (uint8_t *)target, sizeof target, &len));
    CHECK(strcmp(target, "temp/a/b/bar") == 0);
    CHECK_OK(bitgocho_metainfo_file_attributes(mi, 1, &attrs));
    CHECK(attrs & BITGOCHO_FILE_SYMLINK);
    CHECK_STATUS(bitgocho_metainfo_file_symlink_target(mi, 0, (uint8_t *)target, sizeof target, &len),
                 BITGOCHO_E_NOT_FOUND);
    int64_t mtime = 0;
    CHECK_STATUS(bitgocho_metainfo_file_mtime(mi, 0, &mtime), BITGOCHO_E_NOT_FOUND);
    CHECK(!bitgocho_metainfo_has_piece_layers(mi));
    bitgocho_metainfo_free(mi);
}

static void v2_only(void) {
    const bitgocho_metainfo *mi = NULL;
    CHECK_OK(bitgocho_metainfo_from_file(corpus_file("v2_multiple_files.torrent"), &mi));
    uint8_t hash[32];
    char h[80];
    size_t len = 0;
    CHECK(bitgocho_metainfo_version(mi) == BITGOCHO_META_V2);
    CHECK(!bitgocho_metainfo_has_v1(mi) && bitgocho_metainfo_has_v2(mi));
    CHECK_STATUS(bitgocho_metainfo_info_hash_v1(mi, hash, sizeof hash, &len), BITGOCHO_E_NOT_FOUND);
    CHECK_OK(bitgocho_metainfo_info_hash_v2(mi, hash, sizeof hash, &len));
    hex(hash, len, h);
    CHECK(len == 32 && strcmp(h, "33549c6b0b7f0ce30f0cdc253ee05ccea3c67caa1560fa3c9bcc40c1837b5576") == 0);
    CHECK_OK(bitgocho_metainfo_file_pieces_root(mi, 0, hash, sizeof hash, &len));
    CHECK(len == 32);
    CHECK_STATUS(bitgocho_metainfo_piece_hash(mi, 0, hash, sizeof hash, &len), BITGOCHO_E_NOT_FOUND);
    CHECK_STATUS(bitgocho_metainfo_announce(mi, NULL, 0, &len), BITGOCHO_E_NOT_FOUND);
    bitgocho_metainfo_free(mi);
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    snprintf(corpus, sizeof corpus, "%s", argv[1]);
    bad_input_is_reported();
    null_handle_defaults();
    v1_multi_file();
    v2_only();
    layers_symlinks_and_piece_sizes();
    puts("test_metainfo: ok");
    return 0;
}
