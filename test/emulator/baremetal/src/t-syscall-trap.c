/* l.sys: EPCR = address after l.sys; l.trap: EPCR = the l.trap itself.
 * Both: SR.SM set and IEE/TEE/DME/IME cleared in the handler, ESR = old SR. */
#include "bm.h"

extern char sys_insn[], trap_insn[];
static volatile unsigned seen;

void exc_handler(unsigned vector, unsigned *frame) {
  seen++;
  bm_put("vector", vector);
  unsigned epcr = MFSPR(SPR_EPCR);
  bm_put("EPCR-sys", epcr - (unsigned)sys_insn);
  bm_put("EPCR-trap", epcr - (unsigned)trap_insn);
  bm_put("ESR", MFSPR(SPR_ESR));
  bm_put("SR", MFSPR(SPR_SR));
  bm_put("r3", frame[3]);
  bm_put("r11", frame[11]);
  frame[11] = 0x600d0000 | vector;
  /* l.trap would re-execute: resume after it. */
  if (vector == 0xe00) MTSPR(SPR_EPCR, epcr + 4);
}

int main(void) {
  unsigned r11;
  /* F and CY set in SR before the exception: ESR keeps them. */
  MTSPR(SPR_SR, SR_SM | SR_F | SR_CY);
  __asm__ volatile(
      "l.ori r11, r0, 0x1234\n"
      "l.ori r3, r0, 0x42\n"
      ".global sys_insn\n"
      "sys_insn: l.sys 7\n"
      "l.or %0, r11, r0\n"
      : "=r"(r11) : : "r3", "r11", "memory");
  bm_put("after sys r11", r11);
  bm_put("SR after rfe", MFSPR(SPR_SR));
  __asm__ volatile(
      "l.ori r11, r0, 0x5678\n"
      ".global trap_insn\n"
      "trap_insn: l.trap 1\n"
      "l.or %0, r11, r0\n"
      : "=r"(r11) : : "r11", "memory");
  bm_put("after trap r11", r11);
  bm_put("seen", seen);
  bm_puts("done\n");
  return 0;
}
