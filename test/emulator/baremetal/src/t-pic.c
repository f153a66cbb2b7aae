/* PIC: the 16550's THR-empty interrupt (IER.THRI with THR empty) drives PIC
 * line 2 high; PICSR shows the level whatever PICMR says; the external
 * interrupt (0x800) is taken only when PICMR bit 2 and SR.IEE are both set,
 * right after the l.mtspr that completes the condition. Reading IIR while it
 * reports THRI acknowledges at the device and the line drops. */
#include "bm.h"

extern char picmr_next[], iee_next[];
static volatile unsigned seen;
static unsigned expect_next;

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  unsigned picsr = MFSPR(SPR_PICSR);
  unsigned iir = UART[2];
  unsigned picsr_after = MFSPR(SPR_PICSR);
  UART[1] = 0; /* IER: no more THRI (printing below would re-arm it) */
  seen++;
  bm_put("vector", vector);
  bm_put("PICSR", picsr & 0xffff);
  bm_put("IIR", iir);
  bm_put("PICSR after IIR read", picsr_after & 0xffff);
  bm_put("EPCR-next", MFSPR(SPR_EPCR) - expect_next);
  bm_put("ESR.IEE", MFSPR(SPR_ESR) & SR_IEE);
  bm_put("SR.IEE", MFSPR(SPR_SR) & SR_IEE);
}

int main(void) {
  bm_put("PICSR idle", MFSPR(SPR_PICSR) & 0xffff);
  bm_put("IIR idle", UART[2]);
  MTSPR(SPR_PICMR, 0);
  MTSPR(SPR_SR, MFSPR(SPR_SR) | SR_IEE);
  UART[1] = 2; /* IER.THRI */
  bm_put("masked PICSR", MFSPR(SPR_PICSR) & 0xffff);
  bm_put("masked seen", seen);
  /* unmask line 2 with IEE on: taken after the l.mtspr */
  expect_next = (unsigned)picmr_next;
  __asm__ volatile("l.mtspr r0, %0, 0x4800\n"
                   ".global picmr_next\n"
                   "picmr_next: l.nop\n" : : "r"(4) : "memory");
  bm_put("seen", seen);
  bm_put("PICSR", MFSPR(SPR_PICSR) & 0xffff);
  /* IEE off, line high and unmasked: pending but not taken until IEE is set */
  MTSPR(SPR_SR, MFSPR(SPR_SR) & ~SR_IEE);
  UART[1] = 2;
  bm_put("IEE off PICSR", MFSPR(SPR_PICSR) & 0xffff);
  bm_put("IEE off seen", seen);
  expect_next = (unsigned)iee_next;
  {
    unsigned on = MFSPR(SPR_SR) | SR_IEE;
    __asm__ volatile("l.mtspr r0, %0, 0x11\n"
                     ".global iee_next\n"
                     "iee_next: l.nop\n" : : "r"(on) : "memory");
  }
  bm_put("seen", seen);
  /* masking another line does not matter */
  MTSPR(SPR_SR, MFSPR(SPR_SR) & ~SR_IEE);
  MTSPR(SPR_PICMR, 0x8);
  UART[1] = 2;
  MTSPR(SPR_SR, MFSPR(SPR_SR) | SR_IEE);
  bm_put("other line masked seen", seen);
  UART[1] = 0;
  MTSPR(SPR_SR, MFSPR(SPR_SR) & ~SR_IEE);
  MTSPR(SPR_PICMR, 0);
  bm_put("PICSR end", MFSPR(SPR_PICSR) & 0xffff);
  bm_puts("done\n");
  return 0;
}
