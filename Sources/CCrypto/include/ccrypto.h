#ifndef IMAGECAT_CCRYPTO_H
#define IMAGECAT_CCRYPTO_H
#include <stddef.h>
#include <stdint.h>

// SHA-256 and HMAC-SHA256 from OpenSSL's libcrypto, behind two plain functions so the
// Swift side never touches OpenSSL's macros or deprecated one-shot APIs.
void ccrypto_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
void ccrypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[32]);
#endif
