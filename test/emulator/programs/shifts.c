/* Variable and constant shifts, 32 and 64 bit (libgcc __ashldi3/__lshrdi3/
 * __ashrdi3 or inline sequences), including counts at and beyond the width. */
#include <stdio.h>
#include <stdint.h>

static const uint64_t vals[] = { 1, 0x80000000ull, 0xffffffffull, 0x8000000000000000ull, 0xfedcba9876543210ull,
                                 0x0123456789abcdefull, 0xffffffffffffffffull, 0x7fffffffffffffffull };
#define N (sizeof vals / sizeof vals[0])

int main(void) {
  for (unsigned i = 0; i < N; i++) {
    for (volatile unsigned n = 0; n < 64; n += 3) {
      uint64_t x = vals[i];
      uint32_t lo = (uint32_t)x;
      printf("%016llx %2u shl=%016llx shr=%016llx sar=%016llx", (unsigned long long)x, n,
             (unsigned long long)(x << n), (unsigned long long)(x >> n), (unsigned long long)((int64_t)x >> n));
      if (n < 32) printf(" l32=%08x r32=%08x a32=%08x", lo << n, lo >> n, (uint32_t)((int32_t)lo >> n));
      putchar('\n');
    }
    uint64_t x = vals[i];
    printf("const: %016llx %016llx %016llx %016llx\n", (unsigned long long)(x << 33), (unsigned long long)(x >> 17),
           (unsigned long long)((int64_t)x >> 40), (unsigned long long)((int64_t)x >> 63));
  }
  return 0;
}
