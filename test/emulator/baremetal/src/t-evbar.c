/* EVBAR (CPUCFGR.EVBARP): exception vectors move to EVBAR + offset. A second,
 * tiny vector table at 0x30000 answers l.sys and l.trap by setting r11. */
#include "bm.h"

__asm__(
    ".section .evbar, \"ax\"\n"
    ".org 0xc00\n"
    "  l.ori r11, r0, 0xc5\n"
    "  l.mfspr r12, r0, 0x20\n"
    "  l.rfe\n"
    ".org 0xe00\n"
    "  l.ori r11, r0, 0xe5\n"
    "  l.mfspr r12, r0, 0x20\n"
    "  l.addi r12, r12, 4\n"
    "  l.mtspr r0, r12, 0x20\n"
    "  l.rfe\n"
    ".previous\n");

extern char sys_at[], trap_at[];
static volatile unsigned seen;

void exc_handler(unsigned vector, unsigned *frame) {
  seen++;
  bm_put("default table vector", vector);
  frame[11] = 0x11;
}

int main(void) {
  unsigned r11, r12;
  MTSPR(SPR_EVBAR, 0x30000);
  bm_put("EVBAR", MFSPR(SPR_EVBAR));
  __asm__ volatile("l.ori r11, r0, 0\n .global sys_at\n sys_at: l.sys 1\n l.or %0, r11, r0\n l.or %1, r12, r0\n"
                   : "=r"(r11), "=r"(r12) : : "r11", "r12", "memory");
  bm_put("sys r11", r11);
  bm_put("sys EPCR-sys_at", r12 - (unsigned)sys_at);
  __asm__ volatile("l.ori r11, r0, 0\n .global trap_at\n trap_at: l.trap 1\n l.or %0, r11, r0\n l.or %1, r12, r0\n"
                   : "=r"(r11), "=r"(r12) : : "r11", "r12", "memory");
  bm_put("trap r11", r11);
  bm_put("trap EPCR-trap_at", r12 - (unsigned)trap_at);
  MTSPR(SPR_EVBAR, 0);
  __asm__ volatile("l.ori r11, r0, 0\n l.sys 2\n l.or %0, r11, r0\n" : "=r"(r11) : : "r11", "memory");
  bm_put("EVBAR=0 sys r11", r11);
  bm_put("seen", seen);
  bm_puts("done\n");
  return 0;
}
