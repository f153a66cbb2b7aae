/* Random ALU instruction streams in supervisor mode, logging the full SR
 * (F, CY, OV) after every instruction: carry and overflow of l.add, l.addc,
 * l.addi, l.addic, l.mul, l.muli, l.divu and the compare flag of every l.sf*.
 * l.sub's OV is masked and then cleared with an l.addi (QEMU 7.2 computes it
 * wrongly, see t-range.c); l.div
 * (0x80000000 / -1) and l.mulu (carry from the signed product) are left out.
 * The generated code is rewritten every round (self-modifying code). */
#include "bm.h"

#define BLOCK 64
#define ROUNDS 200

static unsigned rng = 0x9e3779b9;
static unsigned rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}
/* random registers: r11..r30 (r31 holds the SR snapshot, r10 the log pointer) */
static unsigned reg(void) { return 11 + rnd() % 20; }

static unsigned code[BLOCK * 4 + 160];
static unsigned log_[BLOCK];
static unsigned is_sub[BLOCK];
static unsigned ops_[BLOCK];
static unsigned saved[32];

#ifdef WITH_TICKS
static volatile unsigned ticks;
#endif
#ifdef WITH_MMU
static volatile unsigned dmiss, imiss;
#endif

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
#ifdef WITH_TICKS
  if (vector == 0x500) { /* re-arm like Linux: continuous mode, match a little later */
    ticks++;
    MTSPR(SPR_TTMR, 0xe0000000u | ((MFSPR(SPR_TTCR) + 0x1000) & 0x0fffffffu));
    return;
  }
#endif
#ifdef WITH_MMU
  if (vector == 0x900 || vector == 0xa00) { /* identity refill, like a software TLB reload */
    unsigned ea = MFSPR(SPR_EEAR) & ~0x1fffu, set = (ea >> 13) & 127;
    if (vector == 0x900) {
      dmiss++;
      mtspr_r(SPR_DTLBTR + set, ea | 0x300);
      mtspr_r(SPR_DTLBMR + set, ea | 1);
    } else {
      imiss++;
      mtspr_r(SPR_ITLBTR + set, ea | 0x40);
      mtspr_r(SPR_ITLBMR + set, ea | 1);
    }
    return;
  }
#endif
  bm_put("unexpected exception", vector);
  bm_put("EPCR", MFSPR(SPR_EPCR));
}

static unsigned random_op(unsigned *sub) {
  static const unsigned rr[] = { 0x0, 0x1, 0x2, 0x306, 0x30a, 0x3, 0x4, 0x5, 0x008, 0x0c8, 0x00e };
  static const unsigned conds[] = { 0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0xa, 0xb, 0xc, 0xd };
  *sub = 0;
  switch (rnd() % 5) {
    case 0: case 1: {
      unsigned low = rr[rnd() % (sizeof rr / sizeof rr[0])];
      *sub = low == 0x2;
      return (0x38u << 26) | reg() << 21 | reg() << 16 | reg() << 11 | low;
    }
    case 2: {
      static const unsigned ops[] = { 0x27, 0x28, 0x2c };
      return ops[rnd() % 3] << 26 | reg() << 21 | reg() << 16 | (rnd() & 0xffff);
    }
    case 3: return (0x39u << 26) | conds[rnd() % 10] << 21 | reg() << 16 | reg() << 11;
    default: return (0x2fu << 26) | conds[rnd() % 10] << 21 | reg() << 16 | (rnd() & 0xffff);
  }
}

int main(void) {
  unsigned hash = 0;
#ifdef WITH_TICKS
  MTSPR(SPR_TTMR, 0xc0000000u);
  MTSPR(SPR_TTMR, 0xe0000000u | ((MFSPR(SPR_TTCR) + 0x1000) & 0x0fffffffu));
  MTSPR(SPR_SR, MFSPR(SPR_SR) | SR_TEE);
#endif
#ifdef WITH_MMU
  MTSPR(SPR_SR, MFSPR(SPR_SR) | SR_DME | SR_IME);
#endif
  for (int round = 0; round < ROUNDS; round++) {
    int n = 0;
#ifdef WITH_MMU
    for (unsigned i = 0; i < 128; i++) { /* flush both TLBs, including the running code's entry */
      mtspr_r(SPR_DTLBMR + i, 0);
      mtspr_r(SPR_ITLBMR + i, 0);
    }
#endif
    /* save r10..r31 (callee-saved ones included) in `saved`, via r3 */
    code[n++] = (0x06u << 26) | 3u << 21 | ((unsigned)saved >> 16);
    code[n++] = (0x2au << 26) | 3u << 21 | 3u << 16 | ((unsigned)saved & 0xffff);
    for (unsigned r = 10; r < 32; r++) code[n++] = (0x35u << 26) | 3u << 16 | r << 11 | (4 * r);
    code[n++] = (0x06u << 26) | 10u << 21 | ((unsigned)log_ >> 16);
    code[n++] = (0x2au << 26) | 10u << 21 | 10u << 16 | ((unsigned)log_ & 0xffff);
    for (unsigned r = 11; r < 31; r++) {
      unsigned v = rnd();
      code[n++] = (0x06u << 26) | r << 21 | (v >> 16);
      code[n++] = (0x2au << 26) | r << 21 | r << 16 | (v & 0xffff);
    }
    for (int i = 0; i < BLOCK; i++) {
      code[n++] = ops_[i] = random_op(&is_sub[i]);
      code[n++] = (0x2du << 26) | 31u << 21 | 0x11;                    /* l.mfspr r31,r0,SR */
      code[n++] = (0x35u << 26) | 10u << 16 | 31u << 11 | (unsigned)(4 * i); /* l.sw 4i(r10),r31 */
      if (is_sub[i]) code[n++] = (0x27u << 26) | 31u << 21; /* l.addi r31,r0,0: OV (and CY) back to 0 */
    }
    code[n++] = (0x06u << 26) | 3u << 21 | ((unsigned)saved >> 16);
    code[n++] = (0x2au << 26) | 3u << 21 | 3u << 16 | ((unsigned)saved & 0xffff);
    for (unsigned r = 10; r < 32; r++) code[n++] = (0x21u << 26) | r << 21 | 3u << 16 | (4 * r);
    code[n++] = 0x44004800; /* l.jr r9 */
    code[n++] = 0x15000000;
    ((void (*)(void))code)();
    for (int i = 0; i < BLOCK; i++) {
      unsigned sr = log_[i] & (SR_F | SR_CY | SR_OV);
      if (is_sub[i]) sr &= ~SR_OV;
      hash = (hash ^ sr) * 0x01000193u;
      if (round == 0) {
        bm_put("insn", ops_[i]);
        bm_put(" sr", sr);
      }
    }
    if (round % 20 == 19) bm_put("hash", hash);
  }
#ifdef WITH_MMU
  MTSPR(SPR_SR, MFSPR(SPR_SR) & ~(SR_DME | SR_IME));
  bm_put("DTLB misses", dmiss);
  bm_put("ITLB misses", imiss);
#endif
#ifdef WITH_TICKS
  MTSPR(SPR_SR, MFSPR(SPR_SR) & ~SR_TEE);
  MTSPR(SPR_TTMR, 0);
  bm_put("interrupted at least once", ticks > 0);
#endif
  bm_puts("done\n");
  return 0;
}
