/* User-mode permissions with both MMUs on: a user fetch from a page with SXE
 * only is an instruction page fault (0x400), a user load needs URE and a user
 * store UWE (data page fault 0x300 otherwise), although the supervisor bits
 * are set. The handler upgrades the entry and retries; l.sys returns to
 * supervisor mode. ESR shows SM=0 with IME/DME on. */
#include "bm.h"

#define VA 0x40040000u
#define TR_URE 0x40
#define TR_UWE 0x80
#define TR_SRE 0x100
#define TR_SWE 0x200
#define TR_SXE 0x40
#define TR_UXE 0x80

static unsigned page[2048] __attribute__((aligned(8192)));
extern char user_entry[], user_load[], user_store[], user_back[];

void exc_handler(unsigned vector, unsigned *frame) {
  unsigned eear = MFSPR(SPR_EEAR);
  unsigned set = (eear >> 13) & 127;
  bm_put("vector", vector);
  bm_put("EPCR", MFSPR(SPR_EPCR));
  bm_put("EEAR", eear);
  bm_put("ESR", MFSPR(SPR_ESR));
  if (vector == 0x400) {
    mtspr_r(SPR_ITLBTR + set, mfspr_r(SPR_ITLBTR + set) | TR_UXE);
  } else if (vector == 0x300) {
    unsigned tr = mfspr_r(SPR_DTLBTR + set);
    bm_put("DTLBTR", tr);
    mtspr_r(SPR_DTLBTR + set, tr & TR_URE ? tr | TR_UWE : tr | TR_URE);
  } else if (vector == 0xc00) {
    bm_put("r3 (loaded)", frame[3]);
    MTSPR(SPR_ESR, SR_FO | SR_SM);
    MTSPR(SPR_EPCR, (unsigned)user_back);
  } else {
    MTSPR(SPR_EPCR, MFSPR(SPR_EPCR) + 4);
  }
}

int main(void) {
  for (unsigned i = 0; i < 128; i++) {
    mtspr_r(SPR_ITLBMR + i, 0);
    mtspr_r(SPR_DTLBMR + i, 0);
  }
  for (unsigned va = 0; va < 0x10000; va += 0x2000) { /* code: supervisor-executable only */
    mtspr_r(SPR_ITLBTR + ((va >> 13) & 127), va | TR_SXE);
    mtspr_r(SPR_ITLBMR + ((va >> 13) & 127), va | 1);
  }
  page[5] = 0x5eed1234;
  mtspr_r(SPR_DTLBTR + ((VA >> 13) & 127), (unsigned)page | TR_SRE | TR_SWE);
  mtspr_r(SPR_DTLBMR + ((VA >> 13) & 127), VA | 1);
  bm_put("user_entry", (unsigned)user_entry);
  bm_put("user_load", (unsigned)user_load);
  bm_put("user_store", (unsigned)user_store);
  MTSPR(SPR_EPCR, (unsigned)user_entry);
  MTSPR(SPR_ESR, SR_FO | SR_IME | SR_DME);
  __asm__ volatile(
      "l.movhi r4, hi(0x40040000)\n"
      "l.rfe\n"
      ".global user_entry\n"
      "user_entry: l.ori r5, r0, 0x77\n"
      ".global user_load\n"
      "user_load: l.lwz r3, 20(r4)\n"
      ".global user_store\n"
      "user_store: l.sw 24(r4), r5\n"
      "l.sys 0\n"
      ".global user_back\n"
      "user_back: l.nop\n" ::: "r3", "r4", "r5", "memory");
  bm_put("SR back", MFSPR(SPR_SR));
  bm_put("page[6]", page[6]);
  for (unsigned i = 0; i < 128; i++) {
    mtspr_r(SPR_ITLBMR + i, 0);
    mtspr_r(SPR_DTLBMR + i, 0);
  }
  bm_puts("done\n");
  return 0;
}
