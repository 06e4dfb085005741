/* The calling conventions every function follows: version macros equal the runtime version,
 * status names, NULL arguments, _free(NULL), BUFFER_TOO_SMALL then retry, last error text. */
#include "check.h"

static void version_macros_equal_runtime(void) {
    CHECK(bitgocho_version_number() == BITGOCHO_VERSION_NUMBER);
    CHECK(strcmp(bitgocho_version(), BITGOCHO_VERSION) == 0);
    char expect[64];
    snprintf(expect, sizeof expect, "%d.%d.%d", BITGOCHO_VERSION_MAJOR, BITGOCHO_VERSION_MINOR,
             BITGOCHO_VERSION_PATCH);
    CHECK(strcmp(bitgocho_version(), expect) == 0);
    CHECK(BITGOCHO_VERSION_NUMBER ==
          ((BITGOCHO_VERSION_MAJOR << 16) | (BITGOCHO_VERSION_MINOR << 8) | BITGOCHO_VERSION_PATCH));
}

static void status_names(void) {
    CHECK(strcmp(bitgocho_status_str(BITGOCHO_OK), "ok") == 0);
    CHECK(strcmp(bitgocho_status_str(BITGOCHO_E_BUFFER_TOO_SMALL), "buffer too small") == 0);
    CHECK(strcmp(bitgocho_status_str(123456), "unknown status code") == 0);
    CHECK(strcmp(bitgocho_status_str(BITGOCHO_E_PARSE), bitgocho_status_str(BITGOCHO_E_IO)) != 0);
}

static void free_null_is_a_noop(void) {
    bitgocho_bytes_free(NULL);
    bitgocho_settings_free(NULL);
    CHECK(bitgocho_bytes_len(NULL) == 0);
    CHECK(bitgocho_bytes_data(NULL) == NULL);
}

static void null_arguments_are_errors(void) {
    int64_t v = 7;
    CHECK_STATUS(bitgocho_settings_get_int(NULL, "k", &v), BITGOCHO_E_NULL_ARG);
    CHECK(v == 7); /* outputs untouched on failure */
    CHECK(strstr(last_error(), "settings") != NULL);
    bitgocho_settings *s = bitgocho_settings_new();
    CHECK(s != NULL);
    CHECK_STATUS(bitgocho_settings_set_int(s, NULL, 1), BITGOCHO_E_NULL_ARG);
    CHECK(strstr(last_error(), "key") != NULL);
    CHECK_STATUS(bitgocho_settings_get_int(s, "k", NULL), BITGOCHO_E_NULL_ARG);
    CHECK_STATUS(bitgocho_last_error(NULL, 0, NULL), BITGOCHO_E_NULL_ARG);
    bitgocho_settings_free(s);
}

static void short_buffer_then_retry(void) {
    bitgocho_settings *s = bitgocho_settings_new();
    CHECK_OK(bitgocho_settings_set_str(s, "name", "hello world"));
    size_t len = 0;
    CHECK_STATUS(bitgocho_settings_get_str(s, "name", NULL, 0, &len), BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(len == 12); /* 11 characters + NUL */
    CHECK(strstr(last_error(), "too small") != NULL);
    char small[4] = {'x', 'x', 'x', 'x'};
    CHECK_STATUS(bitgocho_settings_get_str(s, "name", (uint8_t *)small, sizeof small, &len),
                 BITGOCHO_E_BUFFER_TOO_SMALL);
    CHECK(small[0] == 'x'); /* nothing written */
    char *buf = malloc(len);
    CHECK(buf != NULL);
    size_t got = 0;
    CHECK_OK(bitgocho_settings_get_str(s, "name", (uint8_t *)buf, len, &got));
    CHECK(got == 11 && strcmp(buf, "hello world") == 0);
    free(buf);
    bitgocho_settings_free(s);
}

static void last_error_text_and_size_query(void) {
    bitgocho_settings *s = bitgocho_settings_new();
    CHECK_STATUS(bitgocho_settings_get_bool(s, "missing-key", &(bool){false}), BITGOCHO_E_NOT_FOUND);
    size_t need = 0;
    CHECK_STATUS(bitgocho_last_error(NULL, 0, &need), BITGOCHO_E_BUFFER_TOO_SMALL);
    char msg[256];
    size_t len = 0;
    CHECK_OK(bitgocho_last_error((uint8_t *)msg, sizeof msg, &len));
    CHECK(len + 1 == need && strlen(msg) == len);
    CHECK(strstr(msg, "missing-key") != NULL);
    /* a successful call does not clear it */
    CHECK_OK(bitgocho_settings_set_bool(s, "b", true));
    CHECK(strstr(last_error(), "missing-key") != NULL);
    bitgocho_settings_free(s);
}

int main(void) {
    version_macros_equal_runtime();
    status_names();
    free_null_is_a_noop();
    null_arguments_are_errors();
    short_buffer_then_retry();
    last_error_text_and_size_query();
    puts("test_conventions: ok");
    return 0;
}
