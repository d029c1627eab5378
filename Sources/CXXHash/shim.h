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
/// XXH64 of `length` bytes with `seed` (the kernel's KSM page checksum uses seed 0).
static inline uint64_t cxxh_xxh64(const void *data, size_t length, uint64_t seed) { return XXH64(data, length, seed); }
#endif
