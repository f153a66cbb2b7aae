/* l.lwa/l.swa: success path (F=1, stored), l.swa without reservation, to another
 * address, after a plain store changed the word, and after an exception (l.sys,
 * tick interrupt) between l.lwa and l.swa: all fail with F=0 and store nothing. */
#include "bm.h"

static volatile unsigned word_a = 100, word_b = 200;
static volatile unsigned seen;

void exc_handler(unsigned vector, unsigned *frame) {
  (void)frame;
  seen++;
  bm_put("vector", vector);
  if (vector == 0x500) MTSPR(SPR_TTMR, 0); /* ack and stop the timer */
}

/* l.lwa a; [between]; l.swa a <- v; returns F */
#define LWA_SWA(between, addr, other, v) ({                                   \
  unsigned _f, _t;                                                          \
  __asm__ volatile("l.lwa %1, 0(%2)\n" between "\n"                        \
                   "l.swa 0(%2), %4\n"                                     \
                   "l.ori %0, r0, 0\n"                                     \
                   "l.cmov %0, %5, r0\n"                                   \
                   : "=&r"(_f), "=&r"(_t) : "r"(addr), "r"(other), "r"(v), "r"(1) \
                   : "memory");                                            \
  _f; })

int main(void) {
  unsigned f;
  f = LWA_SWA("", &word_a, &word_b, 101);
  bm_put("plain F", f);
  bm_put("word_a", word_a);
  /* l.swa with no reservation (the previous l.swa consumed it) */
  __asm__ volatile("l.swa 0(%1), %2\n l.ori %0, r0, 0\n l.cmov %0, %3, r0\n" : "=&r"(f) : "r"(&word_a), "r"(102), "r"(1) : "memory");
  bm_put("no-reservation F", f);
  bm_put("word_a", word_a);
  /* reservation on b, l.swa to a */
  __asm__ volatile("l.lwa r13, 0(%1)\n l.swa 0(%2), %3\n l.ori %0, r0, 0\n l.cmov %0, %4, r0\n"
                   : "=&r"(f) : "r"(&word_b), "r"(&word_a), "r"(103), "r"(1) : "r13", "memory");
  bm_put("other-address F", f);
  bm_put("word_a", word_a);
  /* plain store of another value between */
  f = LWA_SWA("l.ori r13, r0, 77\n l.sw 0(%2), r13", &word_a, &word_b, 104);
  bm_put("store-between F", f);
  bm_put("word_a", word_a);
  /* l.sys between (exception entry and l.rfe drop the reservation) */
  f = LWA_SWA("l.sys 0", &word_a, &word_b, 105);
  bm_put("syscall-between F", f);
  bm_put("word_a", word_a);
  /* second l.lwa moves the reservation */
  __asm__ volatile("l.lwa r13, 0(%1)\n l.lwa r13, 0(%2)\n l.swa 0(%2), %3\n l.ori %0, r0, 0\n l.cmov %0, %4, r0\n"
                   : "=&r"(f) : "r"(&word_a), "r"(&word_b), "r"(201), "r"(1) : "r13", "memory");
  bm_put("moved-reservation F", f);
  bm_put("word_b", word_b);
  /* tick interrupt between: make IP pending with TEE off, enable TEE between */
  MTSPR(SPR_TTMR, 0xc0000000u); /* counting before TTCR is written (QEMU keeps a stale start otherwise) */
  MTSPR(SPR_TTCR, 0);
  MTSPR(SPR_TTMR, 0xe0000000u | 0x20000);
  while (!(MFSPR(SPR_TTMR) & 0x10000000)) {}
  {
    unsigned on = MFSPR(SPR_SR) | SR_TEE;
    unsigned t;
    __asm__ volatile("l.lwa %1, 0(%2)\n"
                     "l.mtspr r0, %3, 0x11\n"
                     "l.nop\n"
                     "l.swa 0(%2), %4\n"
                     "l.ori %0, r0, 0\n"
                     "l.cmov %0, %5, r0\n"
                     : "=&r"(f), "=&r"(t) : "r"(&word_a), "r"(on), "r"(106), "r"(1) : "memory");
  }
  bm_put("interrupt-between F", f);
  bm_put("word_a", word_a);
  /* the reservation works again afterwards */
  f = LWA_SWA("l.nop", &word_a, &word_b, 107);
  bm_put("again F", f);
  bm_put("word_a", word_a);
  bm_put("seen", seen);
  bm_puts("done\n");
  return 0;
}
