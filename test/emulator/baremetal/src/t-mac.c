/* The MAC unit: l.mac/l.msb (signed), l.macu/l.msbu (unsigned), l.maci,
 * l.macrc (read MACLO and clear), l.muld (64-bit signed product into
 * MACHI:MACLO); MACHI/MACLO and the CY/OV flags after each operation.
 * (l.muldu is not used: binutils 2.40 encodes it differently from QEMU.)
 * The OV flag of l.msb is masked: QEMU 7.2 computes it like l.sub's, as
 * (res ^ b) & (a ^ b), so MAC 0x800000007fffffef - 0x7fffffff gives OV=0. */
#include "bm.h"

static const unsigned vals[] = { 0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x12345678, 0xfffe0001, 0x10000 };
#define N (sizeof vals / sizeof vals[0])

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  bm_put("unexpected exception", vector);
  MTSPR(SPR_EPCR, MFSPR(SPR_EPCR) + 4);
}


/* SR is captured by the same asm statement as the operation (any compiler
 * l.addi in between would change CY/OV) */
#define OP(insn, a, b) ({ unsigned _s; __asm__ volatile("l.mtspr r0, %3, 0x11\n" insn " %1, %2\n l.mfspr %0, r0, 0x11" \
                                                        : "=&r"(_s) : "r"(a), "r"(b), "r"(SR_SM) : "memory"); _s; })

static void show(const char *what, unsigned sr) {
  bm_puts(what);
  bm_put(" hi", MFSPR(SPR_MACHI));
  bm_put(" lo", MFSPR(SPR_MACLO));
  bm_put(" cy/ov", sr & (SR_CY | SR_OV));
}

int main(void) {
  for (unsigned i = 0; i < N; i++) {
    for (unsigned j = 0; j < N; j += 3) {
      unsigned a = vals[i], b = vals[j];
      MTSPR(SPR_MACHI, 0x7fffffff);
      MTSPR(SPR_MACLO, 0xfffffff0);
      show("mac", OP("l.mac", a, b));
      show("msb", OP("l.msb", a, b) & ~SR_OV); /* QEMU 7.2: OV of l.msb has l.sub's formula bug */
      MTSPR(SPR_MACHI, 0xffffffff);
      MTSPR(SPR_MACLO, 0xfffffff0);
      show("macu", OP("l.macu", a, b));
      MTSPR(SPR_MACHI, 0);
      MTSPR(SPR_MACLO, 5);
      show("msbu", OP("l.msbu", a, b));
      show("muld", OP("l.muld", a, b));
    }
    MTSPR(SPR_MACHI, 1);
    MTSPR(SPR_MACLO, 2);
    unsigned sr;
    __asm__ volatile("l.mtspr r0, %2, 0x11\n l.maci %1, -3\n l.mfspr %0, r0, 0x11" : "=&r"(sr) : "r"(vals[i]), "r"(SR_SM) : "memory");
    show("maci", sr);
    unsigned rc;
    __asm__ volatile("l.macrc %0" : "=r"(rc));
    bm_put("macrc", rc);
    show("after macrc", 0);
  }
  bm_puts("done\n");
  return 0;
}
