/* Thread safety: one metainfo shared by several threads (each with its own reference), and
 * last-error messages that stay per thread. Usage: test_threads <libtorrent-corpus-dir> */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "check.h"

#define THREADS 8
#define ROUNDS 500

static const bitgocho_metainfo *shared;

static void *reader(void *arg) {
    size_t id = (size_t)(uintptr_t)arg;
    const bitgocho_metainfo *mine = bitgocho_metainfo_clone(shared);
    CHECK(mine != NULL);
    char text[256];
    size_t len = 0;
    uint8_t hash[20];
    for (int round = 0; round < ROUNDS; round++) {
        CHECK_OK(bitgocho_metainfo_name(mine, (uint8_t *)text, sizeof text, &len));
        CHECK(strcmp(text, "sample") == 0);
        CHECK_OK(bitgocho_metainfo_info_hash_v1(mine, hash, sizeof hash, &len));
        CHECK(len == 20 && hash[0] == 0x58);
        CHECK(bitgocho_metainfo_file_count(mine) == 3);
        /* a failure naming this thread's own index: the message must stay this thread's */
        uint64_t n = 0;
        CHECK_STATUS(bitgocho_metainfo_file_length(mine, 100 + id, &n), BITGOCHO_E_NOT_FOUND);
        char want[32];
        snprintf(want, sizeof want, "file %zu", 100 + id);
        CHECK(strstr(last_error(), want) != NULL);
    }
    bitgocho_metainfo_free(mine);
    return NULL;
}

int main(int argc, char **argv) {
    CHECK(argc == 2);
    char path[2048];
    snprintf(path, sizeof path, "%s/sample.torrent", argv[1]);
    CHECK_OK(bitgocho_metainfo_from_file(path, &shared));
    pthread_t threads[THREADS];
    for (size_t i = 0; i < THREADS; i++) {
        CHECK(pthread_create(&threads[i], NULL, reader, (void *)(uintptr_t)i) == 0);
    }
    for (size_t i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
    }
    bitgocho_metainfo_free(shared);
    puts("test_threads: ok");
    return 0;
}
