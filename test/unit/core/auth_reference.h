/*
 * The connection proof as the protocol defines it (core/base/auth.h),
 * written out with nettle alone: what a peer built from another code base
 * computes. Tests compare verve's proofs with it, and play peers with it.
 */
#ifndef TEST_AUTH_REFERENCE_H
#define TEST_AUTH_REFERENCE_H

#include <string.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include "core/base/auth.h"

static inline void auth_reference_proof(const char *secret,
                                        const vs_auth_session_t *session,
                                        vs_auth_role_t role, uint8_t *mac)
{
    static const char label[] = "verve job key v1";
    uint8_t key[SHA256_DIGEST_SIZE], uids[16], byte = (uint8_t)role;
    struct hmac_sha256_ctx hmac;
    struct sha256_ctx sha;

    sha256_init(&sha);
    sha256_update(&sha, sizeof(label), (const uint8_t *)label);
    sha256_update(&sha, strlen(secret), (const uint8_t *)secret);
    sha256_digest(&sha, sizeof(key), key);
    for (unsigned i = 0; i < 8; ++i) {
        uids[i] = (uint8_t)(session->connector_uid >> (8 * i));
        uids[8 + i] = (uint8_t)(session->acceptor_uid >> (8 * i));
    }
    hmac_sha256_set_key(&hmac, sizeof(key), key);
    hmac_sha256_update(&hmac, 1, &byte);
    hmac_sha256_update(&hmac, VS_AUTH_NONCE_SIZE, session->connector_nonce);
    hmac_sha256_update(&hmac, VS_AUTH_NONCE_SIZE, session->acceptor_nonce);
    hmac_sha256_update(&hmac, sizeof(uids), uids);
    hmac_sha256_digest(&hmac, VS_AUTH_MAC_SIZE, mac);
}

#endif
