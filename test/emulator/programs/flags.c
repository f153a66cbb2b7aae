/* Carry/overflow through 64-bit arithmetic (l.add/l.addc/l.sub/l.sfltu... chains
 * at -O0 and -O2), the overflow builtins, and comparisons of every kind. */
#include <stdio.h>
#include <stdint.h>

static const uint64_t vals[] = {
  0, 1, 2, 0x7fffffffull, 0x80000000ull, 0xffffffffull, 0x100000000ull, 0x1ffffffffull,
  0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffeull,
  0x123456789abcdef0ull, 0xfedcba9876543210ull, 0x00000000fffffffeull, 0xffffffff00000001ull,
};
#define N (sizeof vals / sizeof vals[0])

int main(void) {
  uint64_t acc = 0;
  for (unsigned i = 0; i < N; i++) {
    for (unsigned j = 0; j < N; j++) {
      volatile uint64_t a = vals[i], b = vals[j];
      uint64_t s = a + b, d = a - b;
      int64_t sa = (int64_t)a, sb = (int64_t)b;
      int64_t so;
      uint64_t uo;
      int ovs = __builtin_add_overflow(sa, sb, &so);
      int ovsub = __builtin_sub_overflow(sa, sb, &so);
      int ovu = __builtin_add_overflow(a, b, &uo);
      int ovusub = __builtin_sub_overflow(a, b, &uo);
      int32_t a32 = (int32_t)a, b32 = (int32_t)b, r32;
      int ov32 = __builtin_add_overflow(a32, b32, &r32);
      int ov32s = __builtin_sub_overflow(a32, b32, &r32);
      int ov32m = __builtin_mul_overflow(a32, b32, &r32);
      uint32_t u32;
      int ovu32 = __builtin_add_overflow((uint32_t)a, (uint32_t)b, &u32);
      int cmp = (a < b) | (a <= b) << 1 | (a > b) << 2 | (a >= b) << 3 | (a == b) << 4 |
                (sa < sb) << 5 | (sa <= sb) << 6 | (sa > sb) << 7 | (sa >= sb) << 8 |
                ((uint32_t)a < (uint32_t)b) << 9 | (a32 < b32) << 10 | (a32 >= b32) << 11;
      printf("%2u %2u s=%016llx d=%016llx ov=%d%d%d%d%d%d%d%d cmp=%03x\n", i, j,
             (unsigned long long)s, (unsigned long long)d, ovs, ovsub, ovu, ovusub, ov32, ov32s, ov32m, ovu32, cmp);
      acc = acc * 31 + s + (d << 3) + cmp;
    }
  }
  printf("acc=%016llx\n", (unsigned long long)acc);
  return (int)(acc & 0x7f);
}
