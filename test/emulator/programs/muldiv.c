/* 32- and 64-bit multiply, divide and remainder, signed and unsigned
 * (l.mul/l.mulu/l.div/l.divu and libgcc's __muldi3/__divdi3/__udivdi3...).
 * Division by zero and INT_MIN / -1 are avoided (the latter kills qemu-or1k). */
#include <stdio.h>
#include <stdint.h>
#include <limits.h>

static const int32_t v32[] = { 0, 1, -1, 2, -2, 3, 7, -7, 10, 100, -100, 12345, -54321, 0x7fffffff, INT_MIN,
                               0x10000, 0xffff, 46341, -46341, 0x55555555, (int32_t)0xaaaaaaaa };
static const int64_t v64[] = { 0, 1, -1, 3, -3, 10, 1000000007, -1000000007, 0x7fffffffll, 0x100000000ll,
                               -0x100000000ll, 0x123456789abcdefll, LLONG_MAX, LLONG_MIN, 0x5555555555555555ll };
#define N32 (sizeof v32 / sizeof v32[0])
#define N64 (sizeof v64 / sizeof v64[0])

int main(void) {
  uint32_t h = 0;
  for (unsigned i = 0; i < N32; i++)
    for (unsigned j = 0; j < N32; j++) {
      volatile int32_t a = v32[i], b = v32[j];
      uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
      int32_t m = (int32_t)((uint32_t)a * (uint32_t)b);
      uint32_t um = ua * ub;
      int64_t wide = (int64_t)a * b;
      uint64_t uwide = (uint64_t)ua * ub;
      printf("%08x*%08x m=%08x um=%08x w=%016llx uw=%016llx", ua, ub, (uint32_t)m, um,
             (unsigned long long)wide, (unsigned long long)uwide);
      if (b != 0) {
        printf(" ud=%08x ur=%08x", ua / ub, ua % ub);
        if (!(a == INT_MIN && b == -1)) printf(" d=%08x r=%08x", (uint32_t)(a / b), (uint32_t)(a % b));
      }
      putchar('\n');
      h = h * 33 + um;
    }
  for (unsigned i = 0; i < N64; i++)
    for (unsigned j = 0; j < N64; j++) {
      volatile int64_t a = v64[i], b = v64[j];
      uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
      printf("%016llx*%016llx m=%016llx", (unsigned long long)ua, (unsigned long long)ub, (unsigned long long)(ua * ub));
      if (b != 0) {
        printf(" ud=%016llx ur=%016llx", (unsigned long long)(ua / ub), (unsigned long long)(ua % ub));
        if (!(a == LLONG_MIN && b == -1)) printf(" d=%016llx r=%016llx", (unsigned long long)(a / b), (unsigned long long)(a % b));
      }
      putchar('\n');
    }
  printf("h=%08x\n", h);
  return 0;
}
