/* Exceptions raised by a delay-slot instruction: EPCR = the branch, SR.DSX = 1
 * in the handler (the spec's rule, QEMU interrupt.c). l.sys in a delay slot is
 * QEMU's quirk: EPCR = the l.sys itself. Also checks that the branch condition
 * and link register are taken when the branch executes. */
#include "bm.h"

extern char br1[], tgt1[], br2[], tgt2[], br3[], tgt3[], br4[], after4[], br5[], tgt5[];
static volatile unsigned resume;

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  bm_put("vector", vector);
  bm_put("EPCR", MFSPR(SPR_EPCR));
  bm_put("SR.DSX", MFSPR(SPR_SR) & SR_DSX);
  bm_put("ESR", MFSPR(SPR_ESR));
  bm_put("EEAR", MFSPR(SPR_EEAR));
  MTSPR(SPR_EPCR, resume);
}

int main(void) {
  unsigned r;
  bm_put("br1", (unsigned)br1);
  /* l.trap in the delay slot of l.j */
  resume = (unsigned)tgt1;
  __asm__ volatile("br1: l.j tgt1\n l.trap 3\n l.nop\n tgt1: l.nop\n" ::: "memory");
  bm_put("br2", (unsigned)br2);
  /* illegal instruction in the delay slot of a taken l.bf */
  resume = (unsigned)tgt2;
  __asm__ volatile("l.sfeq r0, r0\n br2: l.bf tgt2\n .word 0xf0000000\n l.nop\n tgt2: l.nop\n" ::: "memory");
  bm_put("br3", (unsigned)br3);
  /* illegal instruction in the delay slot of a not-taken l.bnf */
  resume = (unsigned)tgt3;
  __asm__ volatile("l.sfeq r0, r0\n br3: l.bnf tgt3\n .word 0xf0000000\n l.nop\n tgt3: l.nop\n" ::: "memory");
  bm_put("br4", (unsigned)br4);
  /* l.sys in the delay slot of l.j (QEMU: EPCR = the l.sys) */
  resume = (unsigned)after4;
  __asm__ volatile("br4: l.j after4\n l.sys 5\n l.nop\n after4: l.nop\n" ::: "memory");
  /* l.jal writes the link before the delay slot; the slot may overwrite
   * the flag without changing the branch decision. */
  __asm__ volatile(
      "l.sfeq r0, r0\n"
      "br5: l.bf tgt5\n"
      "l.sfne r0, r0\n"
      "l.ori %0, r0, 1\n"
      "l.j 1f\n l.nop\n"
      "tgt5: l.ori %0, r0, 2\n"
      "1:\n" : "=r"(r) : : "memory");
  bm_put("bf taken despite slot", r);
  __asm__ volatile(
      "l.movhi r9, 0\n"
      "l.jal 2f\n"
      "l.or %0, r9, r0\n"
      "2: l.nop\n" : "=r"(r) : : "r9", "memory");
  bm_put("r9 in jal slot", r);
  /* l.jr target register sampled before the slot changes it */
  __asm__ volatile(
      "l.movhi r13, hi(3f)\n"
      "l.ori r13, r13, lo(3f)\n"
      "l.jr r13\n"
      "l.ori r13, r0, 0\n"
      "l.ori %0, r0, 9\n"
      "3: l.ori %0, r13, 0x100\n" : "=r"(r) : : "r13", "memory");
  bm_put("jr slot", r);
  bm_puts("done\n");
  return 0;
}
