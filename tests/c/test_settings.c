/* bitgocho_settings: typed values by key, last write wins, type and key errors. */
#include "check.h"

int main(void) {
    bitgocho_settings *s = bitgocho_settings_new();
    CHECK(s != NULL);
    CHECK_OK(bitgocho_settings_set_int(s, "port", 6881));
    CHECK_OK(bitgocho_settings_set_bool(s, "private", true));
    CHECK_OK(bitgocho_settings_set_str(s, "name", "swarm"));

    int64_t port = 0;
    CHECK_OK(bitgocho_settings_get_int(s, "port", &port));
    CHECK(port == 6881);
    bool priv = false;
    CHECK_OK(bitgocho_settings_get_bool(s, "private", &priv));
    CHECK(priv);

    /* last write wins, across types */
    CHECK_OK(bitgocho_settings_set_int(s, "port", -1));
    CHECK_OK(bitgocho_settings_get_int(s, "port", &port));
    CHECK(port == -1);
    CHECK_OK(bitgocho_settings_set_str(s, "private", "yes"));
    CHECK_STATUS(bitgocho_settings_get_bool(s, "private", &priv), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "private") != NULL);

    /* bad keys and values */
    CHECK_STATUS(bitgocho_settings_set_int(s, "", 1), BITGOCHO_E_INVALID_ARG);
    CHECK_STATUS(bitgocho_settings_set_str(s, "k", "\xff\xfe"), BITGOCHO_E_INVALID_ARG);
    CHECK(strstr(last_error(), "UTF-8") != NULL);
    CHECK_STATUS(bitgocho_settings_get_int(s, "nope", &port), BITGOCHO_E_NOT_FOUND);
    CHECK(port == -1);

    bitgocho_settings_free(s);
    puts("test_settings: ok");
    return 0;
}
