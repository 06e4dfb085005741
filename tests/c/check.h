/* Minimal check macros for the C API tests: a failed check prints where and exits 1. */
#ifndef BITGOCHO_TEST_CHECK_H
#define BITGOCHO_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bitgocho.h>

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                \
        }                                                                           \
    } while (0)

/* Checks that `call` returned `want`, printing the last error message otherwise. */
#define CHECK_STATUS(call, want)                                                           \
    do {                                                                                   \
        bitgocho_status got_ = (call);                                                     \
        if (got_ != (want)) {                                                              \
            char msg_[512];                                                                \
            size_t len_ = 0;                                                               \
            if (bitgocho_last_error((uint8_t *)msg_, sizeof msg_, &len_) != BITGOCHO_OK) { \
                msg_[0] = '\0';                                                            \
            }                                                                              \
            fprintf(stderr, "%s:%d: %s returned %u (%s), wanted %u; last error: %s\n",     \
                    __FILE__, __LINE__, #call, (unsigned)got_, bitgocho_status_str(got_),  \
                    (unsigned)(want), msg_);                                               \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, BITGOCHO_OK)

/* The last error message, in a per-thread buffer (overwritten by the next call). */
static const char *last_error(void) {
    static _Thread_local char msg[1024];
    size_t len = 0;
    if (bitgocho_last_error((uint8_t *)msg, sizeof msg, &len) != BITGOCHO_OK) {
        return "<message too long>";
    }
    return msg;
}

#endif
