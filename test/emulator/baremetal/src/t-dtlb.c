/* Data MMU: DTLB miss (0x900) when no valid entry matches the set, data page
 * fault (0x300) when the entry matches but lacks SRE/SWE; EEAR = data VA,
 * EPCR = the access (or the branch when the access is in a delay slot, DSX=1).
 * Translation uses 8 KiB pages: PA = TR[31:13] | VA[12:0]. The handler runs with
 * the MMU off and installs or upgrades entries, then retries the access. */
#include "bm.h"

static unsigned char pages[2][8192] __attribute__((aligned(8192)));

#define VA_A 0x40040000u /* set 32 -> pages[0], read-only until upgraded */
#define VA_B 0x40042000u /* set 33 -> pages[1], installed on miss */
#define VA_D 0x40140000u /* set 32 too, different tag: miss */
#define TR_SRE 0x100
#define TR_SWE 0x200

extern char ld_insn[], st_insn[], sb_insn[], ds_branch[];
static volatile unsigned faults;

static unsigned set_of(unsigned va) { return (va >> 13) & 127; }

static unsigned pa_for(unsigned va) {
  return (va & 0xffff0000u) == 0x40140000u ? (unsigned)pages[1] : (unsigned)pages[(va >> 13) & 1];
}

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  unsigned eear = MFSPR(SPR_EEAR);
  unsigned epcr = MFSPR(SPR_EPCR);
  faults++;
  bm_put("vector", vector);
  bm_put("EEAR", eear);
  bm_put("EPCR", epcr);
  bm_put("DSX", MFSPR(SPR_SR) & SR_DSX);
  bm_put("ESR.DME", MFSPR(SPR_ESR) & SR_DME);
  unsigned set = set_of(eear);
  if (vector == 0x900) {
    mtspr_r(SPR_DTLBTR + set, pa_for(eear) | TR_SRE);
    mtspr_r(SPR_DTLBMR + set, (eear & ~0x1fffu) | 1);
  } else if (vector == 0x300) {
    bm_put("TR", mfspr_r(SPR_DTLBTR + set));
    mtspr_r(SPR_DTLBTR + set, mfspr_r(SPR_DTLBTR + set) | TR_SWE);
  } else {
    MTSPR(SPR_EPCR, epcr + 4);
  }
}

static unsigned __attribute__((noinline)) mmu_load(unsigned va) {
  unsigned v, old, on;
  __asm__ volatile(
      "l.mfspr %1, r0, 0x11\n"
      "l.ori %2, %1, 0x20\n"
      "l.mtspr r0, %2, 0x11\n"
      ".global ld_insn\n"
      "ld_insn: l.lwz %0, 0(%3)\n"
      "l.mtspr r0, %1, 0x11\n"
      : "=&r"(v), "=&r"(old), "=&r"(on) : "r"(va) : "memory");
  return v;
}

static void __attribute__((noinline)) mmu_store(unsigned va, unsigned v) {
  unsigned old, on;
  __asm__ volatile(
      "l.mfspr %0, r0, 0x11\n"
      "l.ori %1, %0, 0x20\n"
      "l.mtspr r0, %1, 0x11\n"
      ".global st_insn\n"
      "st_insn: l.sw 4(%2), %3\n"
      ".global sb_insn\n"
      "sb_insn: l.sb 11(%2), %3\n"
      "l.mtspr r0, %0, 0x11\n"
      : "=&r"(old), "=&r"(on) : "r"(va), "r"(v) : "memory");
}

static unsigned __attribute__((noinline)) mmu_load_in_slot(unsigned va) {
  unsigned v, old, on;
  __asm__ volatile(
      "l.mfspr %1, r0, 0x11\n"
      "l.ori %2, %1, 0x20\n"
      "l.mtspr r0, %2, 0x11\n"
      ".global ds_branch\n"
      "ds_branch: l.j 1f\n"
      "l.lwz %0, 8(%3)\n"
      "l.nop\n"
      "1: l.mtspr r0, %1, 0x11\n"
      : "=&r"(v), "=&r"(old), "=&r"(on) : "r"(va) : "memory");
  return v;
}

int main(void) {
  for (unsigned i = 0; i < 128; i++) mtspr_r(SPR_DTLBMR + i, 0);
  for (unsigned i = 0; i < 8192; i += 4) {
    *(volatile unsigned *)&pages[0][i] = 0xa0000000u | i;
    *(volatile unsigned *)&pages[1][i] = 0xb0000000u | i;
  }
  bm_put("ld_insn", (unsigned)ld_insn);
  bm_put("st_insn", (unsigned)st_insn);
  bm_put("sb_insn", (unsigned)sb_insn);
  bm_put("ds_branch", (unsigned)ds_branch);
  /* A: read-only entry installed by hand */
  mtspr_r(SPR_DTLBTR + set_of(VA_A), (unsigned)pages[0] | TR_SRE);
  mtspr_r(SPR_DTLBMR + set_of(VA_A), VA_A | 1);
  bm_put("load A+0x100", mmu_load(VA_A + 0x100));
  bm_put("load A+0x1ffc", mmu_load(VA_A + 0x1ffc));
  bm_put("faults", faults);
  /* store to read-only A: data page fault, handler adds SWE, retried */
  mmu_store(VA_A + 0x40, 0x11223344);
  bm_put("pa word", *(volatile unsigned *)&pages[0][0x44]);
  bm_put("pa word+8", *(volatile unsigned *)&pages[0][0x48]);
  bm_put("faults", faults);
  /* B: no entry -> DTLB miss, handler installs */
  bm_put("load B+0x10", mmu_load(VA_B + 0x10));
  /* D: same set as A, other tag -> miss (replaces A) */
  bm_put("load D+0x20", mmu_load(VA_D + 0x20));
  bm_put("load A again", mmu_load(VA_A + 0x30));
  /* miss in a delay slot: EPCR = branch, DSX = 1; retried through the branch */
  mtspr_r(SPR_DTLBMR + set_of(VA_B), 0);
  bm_put("slot load B+8", mmu_load_in_slot(VA_B));
  bm_put("faults", faults);
  for (unsigned i = 0; i < 128; i++) mtspr_r(SPR_DTLBMR + i, 0);
  bm_puts("done\n");
  return 0;
}
