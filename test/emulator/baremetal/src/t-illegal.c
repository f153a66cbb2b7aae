/* Illegal instructions: EPCR = the instruction, EEAR = its address (QEMU);
 * l.mfspr/l.mtspr in user mode are illegal too. */
#include "bm.h"

extern char ill1[], ill2[], user_code[], user_mfspr[], user_back[];
static volatile unsigned seen;

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  seen++;
  unsigned epcr = MFSPR(SPR_EPCR);
  bm_put("vector", vector);
  bm_put("EPCR", epcr);
  bm_put("EEAR", MFSPR(SPR_EEAR));
  bm_put("ESR", MFSPR(SPR_ESR));
  if (vector == 0xc00) {
    /* the user code asks to come back: resume in supervisor mode after its l.sys */
    MTSPR(SPR_ESR, MFSPR(SPR_ESR) | SR_SM);
    MTSPR(SPR_EPCR, (unsigned)user_back);
    return;
  }
  MTSPR(SPR_EPCR, epcr + 4);
}

int main(void) {
  bm_put("ill1", (unsigned)ill1);
  __asm__ volatile(
      ".global ill1\n"
      "ill1: .word 0xf0000000\n" /* l.cust8 */
      ".global ill2\n"
      "ill2: .word 0xe0000009\n" /* 0x38 group, op4 9 with op2 = 0: not l.div */
      "l.nop\n" ::: "memory");
  bm_put("seen", seen);
  /* Drop to user mode (SM=0) with l.rfe, try l.mfspr there, come back with l.sys. */
  MTSPR(SPR_EPCR, (unsigned)user_code);
  MTSPR(SPR_ESR, SR_FO);
  __asm__ volatile(
      "l.rfe\n"
      ".global user_code\n"
      "user_code: l.ori r3, r0, 1\n"
      ".global user_mfspr\n"
      "user_mfspr: l.mfspr r4, r0, 0x11\n"
      "l.mtspr r0, r4, 0x11\n"
      "l.sys 0\n"
      ".global user_back\n"
      "user_back: l.nop\n"
      ::: "r3", "r4", "memory");
  bm_put("user_mfspr", (unsigned)user_mfspr);
  bm_put("SR back", MFSPR(SPR_SR));
  bm_put("seen", seen);
  bm_puts("done\n");
  return 0;
}
