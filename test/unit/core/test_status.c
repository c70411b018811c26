/* Unit tests of status strings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <verve/verve_status.h>

static void test_strings_distinct(void **state)
{
    const char *texts[VERVE_INPROGRESS - VERVE_ERR_LAST];
    size_t count = 0;

    (void)state;
    for (int code = VERVE_ERR_LAST + 1; code <= VERVE_INPROGRESS; ++code) {
        const char *text = verve_status_string((verve_status_t)code);
        assert_non_null(text);
        assert_true(strlen(text) > 0);
        if (strstr(text, "unknown") != NULL) {
            fail_msg("status %d has no string", code);
        }
        for (size_t i = 0; i < count; ++i) {
            if (strcmp(texts[i], text) == 0) {
                fail_msg("status %d shares the string '%s'", code, text);
            }
        }
        texts[count++] = text;
    }
    assert_int_equal(count, VERVE_INPROGRESS - VERVE_ERR_LAST);
    assert_string_equal(verve_status_string(VERVE_OK), "success");
}

static void test_unknown(void **state)
{
    (void)state;
    assert_string_equal(verve_status_string(VERVE_ERR_LAST),
                        "unknown status");
    assert_string_equal(verve_status_string((verve_status_t)42),
                        "unknown status");
    assert_string_equal(verve_status_string((verve_status_t)-1000),
                        "unknown status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings_distinct),
        cmocka_unit_test(test_unknown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
