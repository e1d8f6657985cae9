#include "ccrypto.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

void ccrypto_sha256(const uint8_t *data, size_t len, uint8_t out[32]) {
    unsigned int n = 32;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void ccrypto_md5(const uint8_t *data, size_t len, uint8_t out[16]) {
    unsigned int n = 16;
    EVP_Digest(data, len, out, &n, EVP_md5(), NULL);
}

void ccrypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[32]) {
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n);
}
