/* Power management: setting PMR.DME (doze) stops the CPU until an interrupt is
 * pending; the tick exception is then taken with EPCR = the instruction after
 * the l.mtspr, and exception entry clears PMR.DME. An unmasked PIC line wakes it
 * too (16550 THRI on line 2). */
#include "bm.h"

extern char doze_next[], doze2_next[];
static volatile unsigned seen;
static unsigned expect_next;

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  seen++;
  if (vector == 0x800) UART[1] = 0; /* drop THRI first */
  bm_put("vector", vector);
  bm_put("EPCR-next", MFSPR(SPR_EPCR) - expect_next);
  bm_put("PMR in handler", MFSPR(SPR_PMR));
  if (vector == 0x500) MTSPR(SPR_TTMR, 0xc0000000u);
}

int main(void) {
  MTSPR(SPR_TTMR, 0xc0000000u);
  MTSPR(SPR_TTCR, 0);
  MTSPR(SPR_TTMR, 0xc0000000u | 0x20000000u | 0x40000);
  MTSPR(SPR_SR, MFSPR(SPR_SR) | SR_TEE);
  expect_next = (unsigned)doze_next;
  __asm__ volatile("l.mtspr r0, %0, 0x4000\n"
                   ".global doze_next\n"
                   "doze_next: l.nop\n" : : "r"(0x10) : "memory");
  bm_put("seen", seen);
  bm_put("PMR after", MFSPR(SPR_PMR));
  MTSPR(SPR_SR, MFSPR(SPR_SR) & ~SR_TEE);
  /* PIC wake: line 2 unmasked, IEE on; THRI raised right before dozing */
  MTSPR(SPR_PICMR, 4);
  expect_next = (unsigned)doze2_next;
  __asm__ volatile("l.sb 1(%0), %1\n"   /* IER.THRI: line goes high */
                   "l.mfspr r13, r0, 0x11\n"
                   "l.ori r13, r13, 4\n"
                   "l.mtspr r0, %2, 0x4000\n" /* doze with IEE still off: pending wakes, not taken */
                   "l.mtspr r0, r13, 0x11\n"  /* IEE on: taken here */
                   ".global doze2_next\n"
                   "doze2_next: l.nop\n" : : "r"(UART), "r"(2), "r"(0x10) : "r13", "memory");
  bm_put("seen", seen);
  bm_put("PMR after 2", MFSPR(SPR_PMR));
  MTSPR(SPR_SR, MFSPR(SPR_SR) & ~SR_IEE);
  MTSPR(SPR_PICMR, 0);
  bm_puts("done\n");
  return 0;
}
