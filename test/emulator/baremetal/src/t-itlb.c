/* Instruction MMU: ITLB miss (0xA00) on a delay slot that starts a new page
 * (EPCR = the branch at the end of the previous page, DSX = 1, EEAR = the slot's
 * address), a plain ITLB miss on a jump target (DSX = 0), and an instruction
 * page fault (0x400) on an entry without SXE. Code is identity-mapped. */
#include "bm.h"

#define TR_SXE 0x40

__asm__(
    ".section .pagetest, \"ax\"\n"
    ".global pt_entry\n"
    "pt_entry:\n"            /* 0x20000, page mapped by main */
    "  l.j pt_branch\n"
    "  l.nop\n"
    "  .org 0x1ffc\n"
    ".global pt_branch\n"
    "pt_branch:\n"           /* 0x21ffc: last word of the page */
    "  l.j pt_done\n"
    "  l.ori r11, r0, 0x77\n" /* 0x22000: delay slot on the next, unmapped page */
    "pt_done:\n"
    "  l.jr r9\n"
    "  l.nop\n"
    "  .org 0x4000\n"
    ".global pt_far\n"
    "pt_far:\n"              /* 0x24000: unmapped page */
    "  l.ori r11, r0, 0x88\n"
    "  l.jr r9\n"
    "  l.nop\n"
    "  .org 0x6000\n"
    ".global pt_noexec\n"
    "pt_noexec:\n"           /* 0x26000: mapped without SXE */
    "  l.ori r11, r0, 0x99\n"
    "  l.jr r9\n"
    "  l.nop\n"
    ".previous\n");

extern char pt_entry[], pt_branch[], pt_far[], pt_noexec[];
static volatile unsigned faults;

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  unsigned eear = MFSPR(SPR_EEAR);
  unsigned set = (eear >> 13) & 127;
  faults++;
  bm_put("vector", vector);
  bm_put("EEAR", eear);
  bm_put("EPCR", MFSPR(SPR_EPCR));
  bm_put("DSX", MFSPR(SPR_SR) & SR_DSX);
  bm_put("ESR.IME", MFSPR(SPR_ESR) & SR_IME);
  if (vector == 0xa00) {
    mtspr_r(SPR_ITLBTR + set, (eear & ~0x1fffu) | TR_SXE);
    mtspr_r(SPR_ITLBMR + set, (eear & ~0x1fffu) | 1);
  } else if (vector == 0x400) {
    bm_put("ITLBTR", mfspr_r(SPR_ITLBTR + set));
    mtspr_r(SPR_ITLBTR + set, mfspr_r(SPR_ITLBTR + set) | TR_SXE);
  } else {
    MTSPR(SPR_EPCR, MFSPR(SPR_EPCR) + 4);
  }
}

static void map_code(unsigned va, unsigned perms) {
  unsigned set = (va >> 13) & 127;
  mtspr_r(SPR_ITLBTR + set, va | perms);
  mtspr_r(SPR_ITLBMR + set, va | 1);
}

static unsigned __attribute__((noinline)) call_with_immu(void (*fn)(void)) {
  unsigned r, old, on;
  __asm__ volatile(
      "l.ori r11, r0, 0\n"
      "l.mfspr %1, r0, 0x11\n"
      "l.ori %2, %1, 0x40\n"
      "l.mtspr r0, %2, 0x11\n"
      "l.jalr %3\n"
      "l.nop\n"
      "l.mtspr r0, %1, 0x11\n"
      "l.or %0, r11, r0\n"
      : "=&r"(r), "=&r"(old), "=&r"(on) : "r"(fn) : "r9", "r11", "memory");
  return r;
}

int main(void) {
  for (unsigned i = 0; i < 128; i++) mtspr_r(SPR_ITLBMR + i, 0);
  /* identity-map the low 64 KiB (vectors, text, data) and the first test page */
  for (unsigned va = 0; va < 0x10000; va += 0x2000) map_code(va, TR_SXE);
  map_code(0x20000, TR_SXE);
  map_code(0x26000, 0x10); /* A bit only: no SXE/UXE */
  bm_put("pt_branch", (unsigned)pt_branch);
  bm_put("r11 page-end slot", call_with_immu((void (*)(void))pt_entry));
  bm_put("faults", faults);
  bm_put("r11 far", call_with_immu((void (*)(void))pt_far));
  bm_put("r11 noexec", call_with_immu((void (*)(void))pt_noexec));
  bm_put("r11 again (mapped now)", call_with_immu((void (*)(void))pt_entry));
  bm_put("faults", faults);
  for (unsigned i = 0; i < 128; i++) mtspr_r(SPR_ITLBMR + i, 0);
  bm_puts("done\n");
  return 0;
}
