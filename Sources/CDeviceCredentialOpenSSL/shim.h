// The OpenSSL 3 surface DeviceCredential uses: EVP keys, encoders, providers and library contexts.
// Swift cannot call C macros, so the few macros it needs are wrapped in static inline functions here.
#ifndef C_DEVICE_CREDENTIAL_OPENSSL_SHIM_H
#define C_DEVICE_CREDENTIAL_OPENSSL_SHIM_H

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/x509.h>

/// OPENSSL_free is a macro.
static inline void dc_openssl_free(void *pointer) { OPENSSL_free(pointer); }

/// OPENSSL_clear_free is a macro: wipes, then frees.
static inline void dc_openssl_clear_free(void *pointer, size_t length) { OPENSSL_clear_free(pointer, length); }

#endif
