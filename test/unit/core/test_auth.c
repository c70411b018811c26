/*
 * Unit tests of connection authentication (core/base/auth.h): a proof
 * binds the job key, both nonces, both uids and the role; the key comes
 * from VERVE_JOB_KEY before any other source; VERVE_AUTH=n (checked in a
 * child process, the setting is read once) accepts any proof.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/base/auth.h"
#include "core/base/config.h"
#include "auth_reference.h"

#define TEST_SECRET "0123456789abcdef-test-job"

static void session_init(vs_auth_session_t *session)
{
    for (unsigned i = 0; i < VS_AUTH_NONCE_SIZE; ++i) {
        session->connector_nonce[i] = (uint8_t)(i + 1);
        session->acceptor_nonce[i] = (uint8_t)(0x80 + i);
    }
    session->connector_uid = 0x1122334455667788ull;
    session->acceptor_uid = 0x99aabbccddeeff00ull;
}

static void test_known_answer(void **state)
{
    uint8_t mac[VS_AUTH_MAC_SIZE], expect[VS_AUTH_MAC_SIZE];
    vs_auth_session_t session;

    (void)state;
    session_init(&session);
    assert_string_equal(vs_auth_key_source(), "VERVE_JOB_KEY");
    vs_auth_proof(&session, VS_AUTH_ROLE_CONNECTOR, mac);
    auth_reference_proof(TEST_SECRET, &session, VS_AUTH_ROLE_CONNECTOR,
                         expect);
    assert_memory_equal(mac, expect, sizeof(mac));
    assert_true(vs_auth_check(&session, VS_AUTH_ROLE_CONNECTOR, expect));
}

static void test_wrong_secret(void **state)
{
    uint8_t mac[VS_AUTH_MAC_SIZE];
    vs_auth_session_t session;

    (void)state;
    session_init(&session);
    auth_reference_proof(TEST_SECRET "x", &session, VS_AUTH_ROLE_CONNECTOR,
                         mac);
    assert_false(vs_auth_check(&session, VS_AUTH_ROLE_CONNECTOR, mac));
    memset(mac, 0, sizeof(mac));
    assert_false(vs_auth_check(&session, VS_AUTH_ROLE_CONNECTOR, mac));
}

/* Every input changes the answer: a proof is good for one role of one
 * connection between two given workers only. */
static void test_binding(void **state)
{
    uint8_t mac[VS_AUTH_MAC_SIZE];
    vs_auth_session_t session, other;

    (void)state;
    session_init(&session);
    vs_auth_proof(&session, VS_AUTH_ROLE_ACCEPTOR, mac);
    assert_true(vs_auth_check(&session, VS_AUTH_ROLE_ACCEPTOR, mac));
    assert_false(vs_auth_check(&session, VS_AUTH_ROLE_CONNECTOR, mac));
    other = session;
    other.connector_nonce[3] ^= 1;
    assert_false(vs_auth_check(&other, VS_AUTH_ROLE_ACCEPTOR, mac));
    other = session;
    other.acceptor_nonce[15] ^= 0x80;
    assert_false(vs_auth_check(&other, VS_AUTH_ROLE_ACCEPTOR, mac));
    other = session;
    other.connector_uid ^= 1ull << 63;
    assert_false(vs_auth_check(&other, VS_AUTH_ROLE_ACCEPTOR, mac));
    other = session;
    other.acceptor_uid += 1;
    assert_false(vs_auth_check(&other, VS_AUTH_ROLE_ACCEPTOR, mac));
}

/* A bootstrap backend's key gives way to the environment's, which every
 * process of the job reads alike. */
static void test_env_key_first(void **state)
{
    uint8_t before[VS_AUTH_MAC_SIZE], after[VS_AUTH_MAC_SIZE];
    vs_auth_session_t session;

    (void)state;
    session_init(&session);
    vs_auth_proof(&session, VS_AUTH_ROLE_CONNECTOR, before);
    vs_auth_set_job_key("another", 7, "a test");
    vs_auth_proof(&session, VS_AUTH_ROLE_CONNECTOR, after);
    assert_memory_equal(before, after, sizeof(before));
}

static void test_nonces_differ(void **state)
{
    uint8_t a[VS_AUTH_NONCE_SIZE], b[VS_AUTH_NONCE_SIZE];

    (void)state;
    assert_int_equal(vs_auth_nonce(a), VERVE_OK);
    assert_int_equal(vs_auth_nonce(b), VERVE_OK);
    assert_memory_not_equal(a, b, sizeof(a));
}

static void test_secret_hidden(void **state)
{
    const char *secret = "s3cr3t";
    char buffer[64];

    (void)state;
    vs_config_print_secret(buffer, sizeof(buffer), &secret, NULL);
    assert_null(strstr(buffer, secret));
    assert_string_equal(buffer, "(set, hidden)");
}

/* In the child: with checking off, any proof passes. */
static int auth_off_child(void)
{
    uint8_t mac[VS_AUTH_MAC_SIZE] = {0};
    vs_auth_session_t session;

    session_init(&session);
    return (!vs_auth_enabled() &&
            vs_auth_check(&session, VS_AUTH_ROLE_CONNECTOR, mac)) ? 0 : 1;
}

/* This program, run again for a child with other settings: argv[0], not
 * /proc/self/exe, which under valgrind is valgrind. */
static const char *self_path;

static void test_auth_off(void **state)
{
    int status;
    pid_t pid;

    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("VERVE_AUTH", "n", 1);
        execl(self_path, self_path, "--auth-off", (char *)NULL);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_binding),
        cmocka_unit_test(test_env_key_first),
        cmocka_unit_test(test_nonces_differ),
        cmocka_unit_test(test_secret_hidden),
        cmocka_unit_test(test_auth_off),
    };

    if (argc > 1 && strcmp(argv[1], "--auth-off") == 0) {
        return auth_off_child();
    }
    self_path = argv[0];
    setenv("VERVE_JOB_KEY", TEST_SECRET, 1);
    unsetenv("VERVE_AUTH");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
