/* Flag cases where QEMU 7.2 is wrong (l.sub and l.msb overflow, l.mulu
 * carry): printed here and checked against the architecture manual's
 * definitions by spec-flags.test.ts, on the emulator only. */
#include "bm.h"

static const unsigned vals[] = { 0, 1, 2, 5, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffd, 0xfffffffe, 0xffffffff,
                                 0x10000, 0x12345678, 0xdeadbeef, 0x40000000 };
#define N (sizeof vals / sizeof vals[0])

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  bm_put("unexpected exception", vector);
}

static void line(const char *op, unsigned a, unsigned b, unsigned r1, unsigned r2, unsigned sr) {
  bm_puts(op);
  bm_putc(' ');
  bm_hex(a);
  bm_putc(' ');
  bm_hex(b);
  bm_putc(' ');
  bm_hex(r1);
  bm_putc(' ');
  bm_hex(r2);
  bm_putc(' ');
  bm_hex(sr & (SR_CY | SR_OV));
  bm_putc('\n');
}

int main(void) {
  for (unsigned i = 0; i < N; i++) {
    for (unsigned j = 0; j < N; j++) {
      unsigned a = vals[i], b = vals[j], r, sr;
      __asm__ volatile("l.mtspr r0, %4, 0x11\n l.sub %0, %2, %3\n l.mfspr %1, r0, 0x11" : "=&r"(r), "=&r"(sr) : "r"(a), "r"(b), "r"(SR_SM));
      line("sub", a, b, r, 0, sr);
      __asm__ volatile("l.mtspr r0, %4, 0x11\n l.mulu %0, %2, %3\n l.mfspr %1, r0, 0x11" : "=&r"(r), "=&r"(sr) : "r"(a), "r"(b), "r"(SR_SM));
      line("mulu", a, b, r, 0, sr);
      /* MAC preset to a value derived from the operands, then l.msb */
      MTSPR(SPR_MACHI, vals[(i + j) % N]);
      MTSPR(SPR_MACLO, vals[(i * 3 + j) % N]);
      __asm__ volatile("l.mtspr r0, %2, 0x11\n l.msb %0, %1\n l.mfspr %0, r0, 0x11" : "+&r"(a), "+r"(b) : "r"(SR_SM) : "memory");
      sr = a;
      a = vals[i];
      line("msb", a, b, MFSPR(SPR_MACHI), MFSPR(SPR_MACLO), sr);
    }
  }
  bm_puts("done\n");
  return 0;
}
