/* Tick timer: TTMR.IP set on a TTCR match when IE=1 (not when IE=0), the
 * exception (0x500) delivered only when SR.TEE is set, at the instruction after
 * the l.mtspr that sets TEE; IP sticky until written 0; restart, one-shot and
 * continuous modes. Only timing-independent facts are printed (QEMU's TTCR
 * follows the host clock). */
#include "bm.h"

#define TTMR_IP 0x10000000u
#define TTMR_IE 0x20000000u
#define M_RESTART 0x40000000u
#define M_ONESHOT 0x80000000u
#define M_CONT 0xc0000000u

extern char tee_next[];
static volatile unsigned seen;

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  seen++;
  bm_put("vector", vector);
  bm_put("EPCR-tee_next", MFSPR(SPR_EPCR) - (unsigned)tee_next);
  bm_put("ESR.TEE", MFSPR(SPR_ESR) & SR_TEE);
  bm_put("SR.TEE", MFSPR(SPR_SR) & SR_TEE);
  bm_put("TTMR.IP in handler", MFSPR(SPR_TTMR) & TTMR_IP);
  MTSPR(SPR_TTMR, M_CONT); /* ack like Linux: IP and IE cleared */
}

static unsigned wait_ip(void) {
  for (unsigned i = 0; i < 20000000; i++)
    if (MFSPR(SPR_TTMR) & TTMR_IP) return 1;
  return 0;
}

static void delay(unsigned n) {
  for (volatile unsigned i = 0; i < n; i++) {}
}

int main(void) {
  /* continuous, IE, TEE off: IP becomes pending, nothing delivered */
  MTSPR(SPR_TTMR, 0xc0000000u); /* counting before TTCR is written (QEMU keeps a stale start otherwise) */
  MTSPR(SPR_TTCR, 0);
  MTSPR(SPR_TTMR, M_CONT | TTMR_IE | 0x20000);
  bm_put("IP seen", wait_ip());
  delay(1000);
  bm_put("still pending", MFSPR(SPR_TTMR) & TTMR_IP);
  bm_put("seen", seen);
  bm_put("TTMR fields", MFSPR(SPR_TTMR) & ~TTMR_IP);
  /* TEE on: delivered right after the l.mtspr */
  {
    unsigned on = MFSPR(SPR_SR) | SR_TEE;
    __asm__ volatile("l.mtspr r0, %0, 0x11\n"
                     ".global tee_next\n"
                     "tee_next: l.nop\n" : : "r"(on) : "memory");
  }
  bm_put("seen", seen);
  bm_put("IP after ack", MFSPR(SPR_TTMR) & TTMR_IP);
  MTSPR(SPR_SR, MFSPR(SPR_SR) & ~SR_TEE);
  /* IE=0: a match does not set IP */
  MTSPR(SPR_TTMR, 0xc0000000u); /* counting before TTCR is written (QEMU keeps a stale start otherwise) */
  MTSPR(SPR_TTCR, 0);
  MTSPR(SPR_TTMR, M_CONT | 0x1000);
  while (MFSPR(SPR_TTCR) < 0x3000) {}
  bm_put("IE=0 IP", MFSPR(SPR_TTMR) & TTMR_IP);
  /* continuous: keeps counting past TP */
  MTSPR(SPR_TTMR, 0xc0000000u); /* counting before TTCR is written (QEMU keeps a stale start otherwise) */
  MTSPR(SPR_TTCR, 0);
  MTSPR(SPR_TTMR, M_CONT | TTMR_IE | 0x20000);
  bm_put("cont IP seen", wait_ip());
  delay(20000);
  bm_put("cont past TP", MFSPR(SPR_TTCR) > 0x20000);
  /* writing TTMR with IP=1 keeps a pending IP, IP=0 clears it */
  MTSPR(SPR_TTMR, M_CONT | TTMR_IE | TTMR_IP | 0x20000);
  bm_put("IP kept", MFSPR(SPR_TTMR) & TTMR_IP);
  MTSPR(SPR_TTMR, M_CONT | TTMR_IE | 0x20000);
  bm_put("IP cleared", MFSPR(SPR_TTMR) & TTMR_IP);
  /* disabled timer (mode 0): TTCR holds its value */
  MTSPR(SPR_TTMR, 0);
  MTSPR(SPR_TTCR, 0x1234);
  delay(20000);
  bm_put("mode 0 TTCR", MFSPR(SPR_TTCR));
  /* restart mode: the match raises IP (QEMU does not restart TTCR from 0 in a
   * way that is visible without host timing, so the count is not printed) */
  MTSPR(SPR_TTMR, 0xc0000000u); /* counting before TTCR is written (QEMU keeps a stale start otherwise) */
  MTSPR(SPR_TTCR, 0);
  MTSPR(SPR_TTMR, M_RESTART | TTMR_IE | 0x20000);
  bm_put("restart IP seen", wait_ip());
  /* one-shot mode: counting stops at the match (last: QEMU does not restart
   * its counter after a one-shot stop) */
  MTSPR(SPR_TTMR, 0xc0000000u); /* counting before TTCR is written (QEMU keeps a stale start otherwise) */
  MTSPR(SPR_TTCR, 0);
  MTSPR(SPR_TTMR, M_ONESHOT | TTMR_IE | 0x20000);
  bm_put("one-shot IP seen", wait_ip());
  {
    unsigned a = MFSPR(SPR_TTCR);
    delay(20000);
    unsigned b = MFSPR(SPR_TTCR);
    bm_put("one-shot stopped", a == b);
  }
  bm_put("seen", seen);
  bm_puts("done\n");
  return 0;
}
