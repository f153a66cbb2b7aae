/* Reset values of the configuration and control SPRs (QEMU -cpu any). */
#include "bm.h"

extern char npc_at[], ppc_at[];

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  bm_put("unexpected exception", vector);
}

int main(void) {
  bm_put("VR", MFSPR(SPR_VR));
  bm_put("UPR", MFSPR(SPR_UPR));
  bm_put("CPUCFGR", MFSPR(SPR_CPUCFGR));
  bm_put("DMMUCFGR", MFSPR(SPR_DMMUCFGR));
  bm_put("IMMUCFGR", MFSPR(SPR_IMMUCFGR));
  bm_put("VR2", MFSPR(SPR_VR2));
  bm_put("AVR", MFSPR(SPR_AVR));
  bm_put("EVBAR", MFSPR(SPR_EVBAR));
  bm_put("SR", MFSPR(SPR_SR));
  bm_put("COREID", MFSPR(SPR_COREID));
  bm_put("PICMR", MFSPR(SPR_PICMR));
  bm_put("TTMR", MFSPR(SPR_TTMR));
  bm_put("PMR", MFSPR(SPR_PMR));
  /* SR: FO always reads back as 1, flags are writable. */
  MTSPR(SPR_SR, SR_SM | SR_F);
  bm_put("SR after write SM|F", MFSPR(SPR_SR));
  MTSPR(SPR_SR, SR_SM);
  bm_put("SR after write SM", MFSPR(SPR_SR));
  /* Shadow GPR storage (set 1) is plain storage. */
  mtspr_r(0x421, 0x12345678);
  mtspr_r(0x43f, 0x9abcdef0);
  bm_put("shadow r1", mfspr_r(0x421));
  bm_put("shadow r31", mfspr_r(0x43f));
  /* MAC registers */
  MTSPR(SPR_MACLO, 0x11112222);
  MTSPR(SPR_MACHI, 0x33334444);
  bm_put("MACLO", MFSPR(SPR_MACLO));
  bm_put("MACHI", MFSPR(SPR_MACHI));
  /* EPCR/EEAR/ESR are plain registers */
  MTSPR(SPR_EPCR, 0xdeadbee0);
  MTSPR(SPR_EEAR, 0xcafef00d);
  MTSPR(SPR_ESR, 0x8205);
  bm_put("EPCR", MFSPR(SPR_EPCR));
  bm_put("EEAR", MFSPR(SPR_EEAR));
  bm_put("ESR", MFSPR(SPR_ESR));
  /* TLB registers read back what was written */
  MTSPR(SPR_DTLBMR + 5, 0x0000a001);
  MTSPR(SPR_DTLBTR + 5, 0x0000a3c0);
  bm_put("DTLBMR5", MFSPR(SPR_DTLBMR + 5));
  bm_put("DTLBTR5", MFSPR(SPR_DTLBTR + 5));
  /* NPC reads the address of the l.mfspr itself, PPC the previous instruction */
  {
    unsigned v, p;
    __asm__ volatile(".global npc_at\n npc_at: l.mfspr %0, r0, 0x10\n" : "=r"(v));
    bm_put("NPC-npc_at", v - (unsigned)npc_at);
    __asm__ volatile(".global ppc_at\n ppc_at: l.nop\n l.mfspr %0, r0, 0x12\n" : "=r"(p));
    bm_put("PPC-ppc_at", p - (unsigned)ppc_at);
  }
  /* FPCSR keeps 12 bits; NUMCORES */
  bm_put("FPCSR", MFSPR(0x14));
  MTSPR(0x14, 0xffffffff);
  bm_put("FPCSR written", MFSPR(0x14));
  MTSPR(0x14, 0);
  bm_put("NUMCORES", MFSPR(0x81));
  bm_puts("done\n");
  return 0;
}
