#ifndef IMAGECAT_CCRYPTO_H
#define IMAGECAT_CCRYPTO_H
#include <stddef.h>
#include <stdint.h>

// SHA-256, HMAC-SHA256 and MD5 from OpenSSL's libcrypto, behind plain functions so the Swift
// side never touches OpenSSL's macros or deprecated one-shot APIs. (MD5 only because S3's
// ETags are MD5s: it predicts them, it protects nothing.)
void ccrypto_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
void ccrypto_md5(const uint8_t *data, size_t len, uint8_t out[16]);
void ccrypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[32]);
#endif
