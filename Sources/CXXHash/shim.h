#ifndef CXXHASH_SHIM_H
#define CXXHASH_SHIM_H
// Debian's libxxhash, with every function inlined from the header into its caller: for a 4 KiB page
// this is about twice as fast as a call into libxxhash.so. XXH_INLINE_ALL renames the library's
// symbols through macros Swift cannot see, so the functions are exposed under names of their own.
#define XXH_INLINE_ALL
#include <xxhash.h>
#include <stddef.h>
#include <stdint.h>

/// XXH3-64 of `length` bytes, seed 0.
static inline uint64_t cxxh_xxh3_64(const void *data, size_t length) { return XXH3_64bits(data, length); }
/// XXH3-128 of `length` bytes, seed 0, as (low, high).
static inline void cxxh_xxh3_128(const void *data, size_t length, uint64_t *low, uint64_t *high) {
    XXH128_hash_t h = XXH3_128bits(data, length);
    *low = h.low64;
    *high = h.high64;
}
/// XXH3-128 of `length` bytes keyed by `secret` (at least XXH3_SECRET_SIZE_MIN bytes), as (low, high).
static inline void cxxh_xxh3_128_secret(const void *data, size_t length, const void *secret, size_t secretSize, uint64_t *low,
                                        uint64_t *high) {
    XXH128_hash_t h = XXH3_128bits_withSecret(data, length, secret, secretSize);
    *low = h.low64;
    *high = h.high64;
}
/// Fills `secretSize` bytes of `secret` from `seedSize` bytes of key material (XXH3_generateSecret);
/// 0 on success.
static inline int cxxh_generate_secret(void *secret, size_t secretSize, const void *seed, size_t seedSize) {
    return XXH3_generateSecret(secret, secretSize, seed, seedSize) == XXH_OK ? 0 : -1;
}
/// XXH64 of `length` bytes with `seed` (the kernel's KSM page checksum uses seed 0).
static inline uint64_t cxxh_xxh64(const void *data, size_t length, uint64_t seed) { return XXH64(data, length, seed); }

/// XXH3-64 of `count` pages of `length` bytes each, `pages[i]` into `out[i]`.
static inline void cxxh_xxh3_64_pages(const void *const *pages, size_t count, size_t length, uint64_t *out) {
    for (size_t i = 0; i < count; i++) out[i] = XXH3_64bits(pages[i], length);
}
/// A hint to bring the cache line at `p` into the cache (a no-op where unsupported).
static inline void cxxh_prefetch(const void *p) { __builtin_prefetch(p); }

#ifdef __linux__
// mremap(2) is variadic, which Swift cannot call: this is the one form the engine uses.
extern void *mremap(void *old_address, size_t old_size, size_t new_size, int flags, ...);
/// mremap(2) with MREMAP_MAYMOVE (1): `old_size` bytes at `p` resized to `new_size`, moved if they
/// cannot grow in place; MAP_FAILED ((void *)-1) on failure, with `p` unchanged.
static inline void *cxxh_mremap_maymove(void *p, size_t old_size, size_t new_size) {
    return mremap(p, old_size, new_size, 1);
}
#endif

/// A streaming XXH3-64 state (seed 0), heap-allocated by libxxhash.
typedef struct XXH3_state_s cxxh_stream;
static inline cxxh_stream *cxxh_stream_new(void) {
    XXH3_state_t *s = XXH3_createState();
    if (s) XXH3_64bits_reset(s);
    return s;
}
static inline void cxxh_stream_update(cxxh_stream *s, const void *data, size_t length) { XXH3_64bits_update(s, data, length); }
static inline uint64_t cxxh_stream_digest(const cxxh_stream *s) { return XXH3_64bits_digest(s); }
static inline void cxxh_stream_free(cxxh_stream *s) { XXH3_freeState(s); }
#endif
