// The memory floor of a merge scan on this machine: what one thread needs just to hash every page
// (XXH3-64, header-inlined) and compare each duplicate page with its partner byte for byte, with
// no bookkeeping at all. 262,144 pages (1 GiB) laid out like `ksmd-sim bench --duplicate-ratio
// 0.5`: page i and page i + 131072 hold the same bytes. Pages are hashed a chunk ahead of the
// comparisons, as the engine's ScanAhead does; the chunk size is the argument (default 4096).
//
//   gcc -O2 -march=native scripts/merge-floor.c -o /tmp/merge-floor && /tmp/merge-floor 4096
//
// docs/performance.md quotes it against the merge-scan target (15x the kernel's merge scan).
#define XXH_INLINE_ALL
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const size_t pages = 262144, size = 4096, distinct = pages / 2;
    size_t chunk = argc > 1 ? strtoul(argv[1], NULL, 10) : 4096;
    if (chunk < 1 || chunk > pages || pages % chunk) {
        fprintf(stderr, "merge-floor: the chunk must divide %zu\n", pages);
        return 2;
    }
    unsigned char *base = aligned_alloc(4096, pages * size);
    unsigned long long *hashes = malloc(chunk * sizeof *hashes);
    if (!base || !hashes) {
        fprintf(stderr, "merge-floor: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < pages; i++) {  // splitmix64 streams, one per content
        unsigned long long s = (i < distinct ? i : i - distinct) * 0x9E3779B97F4A7C15ull + 1;
        unsigned long long *q = (unsigned long long *)(base + i * size);
        for (size_t j = 0; j < size / 8; j++) {
            unsigned long long z = (s += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            q[j] = z ^ (z >> 31);
        }
    }
    for (int run = 0; run < 5; run++) {
        double t0 = now();
        unsigned long long x = 0;
        size_t equal = 0;
        for (size_t c = 0; c < pages; c += chunk) {
            for (size_t i = c; i < c + chunk; i++) hashes[i - c] = XXH3_64bits(base + i * size, size);
            for (size_t i = c; i < c + chunk; i++) {
                x ^= hashes[i - c];
                if (i >= distinct) equal += memcmp(base + i * size, base + (i - distinct) * size, size) == 0;
            }
        }
        double t = now() - t0;
        printf("chunk %zu: %.1f ms, %.2fM pages/s (%zu pairs equal, hash xor %llx)\n", chunk, t * 1e3, pages / t / 1e6,
               equal, x);
    }
    return 0;
}
