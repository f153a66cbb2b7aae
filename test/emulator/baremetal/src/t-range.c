/* Flags and the range exception: with SR.OVE, QEMU raises 0xB00 for add/sub
 * when CY or OV, for mul/div when OV, divu when CY (EPCR = the instruction).
 * Without OVE the flags are only recorded. The destination value after the
 * exception is printed too (QEMU writes it before raising).
 * Not compared: l.sub overflow with operands of different signs. QEMU 7.2
 * computes OV as (res ^ b) & (a ^ b) instead of (a ^ res) & (a ^ b), so
 * 0x80000000 - 1 gives OV=0 and 5 - (-3) gives OV=1 (both wrong). */
#include "bm.h"

static volatile unsigned seen;

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  seen++;
  bm_put("vector", vector);
  bm_put("ESR.CY|OV", MFSPR(SPR_ESR) & (SR_CY | SR_OV));
  bm_put("ESR.OVE", MFSPR(SPR_ESR) & SR_OVE);
  MTSPR(SPR_EPCR, MFSPR(SPR_EPCR) + 4);
}

/* run one ALU instruction with the given SR; report result and SR flags */
#define OP(name, insn, a, b, sr) do {                                       \
  unsigned _r = 0xdeadbeef, _s;                                             \
  __asm__ volatile("l.mtspr r0, %3, 0x11\n"                                 \
                   insn "\n"                                               \
                   "l.mfspr %1, r0, 0x11\n"                                 \
                   "l.mtspr r0, %4, 0x11\n"                                 \
                   : "+&r"(_r), "=&r"(_s) : "r"(a), "r"(sr), "r"(SR_SM), "r"(b) : "memory"); \
  bm_puts(name); bm_put(" r", _r); bm_put(" flags", _s & (SR_CY | SR_OV)); } while (0)

int main(void) {
  for (int ove = 0; ove <= 1; ove++) {
    unsigned sr = SR_SM | (ove ? SR_OVE : 0);
    bm_put("OVE", ove);
    OP("add ov", "l.add %0, %2, %5", 0x7fffffffu, 1u, sr);
    OP("add cy", "l.add %0, %2, %5", 0xffffffffu, 1u, sr);
    OP("add none", "l.add %0, %2, %5", 5u, 7u, sr);
    OP("addi cy", "l.addi %0, %2, -1", 1u, 0u, sr);
    OP("addc", "l.addc %0, %2, %5", 0x7fffffffu, 0u, sr | SR_CY);
    OP("sub borrow", "l.sub %0, %2, %5", 0u, 1u, sr);
    OP("mul ov", "l.mul %0, %2, %5", 0x10000u, 0x10000u, sr);
    OP("mul neg", "l.mul %0, %2, %5", 0xffffffffu, 0x7fffffffu, sr);
    OP("muli ov", "l.muli %0, %2, 0x4000", 0x40000u, 0u, sr);
    OP("mulu", "l.mulu %0, %2, %5", 0x10000u, 0x10000u, sr);
    OP("div 0", "l.div %0, %2, %5", 7u, 0u, sr);
    OP("div", "l.div %0, %2, %5", (unsigned)-7, 2u, sr);
    OP("divu 0", "l.divu %0, %2, %5", 7u, 0u, sr);
    OP("divu", "l.divu %0, %2, %5", 0xfffffff0u, 3u, sr);
  }
  bm_put("seen", seen);
  bm_puts("done\n");
  return 0;
}
