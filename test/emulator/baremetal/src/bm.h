/* Bare-metal test support: UART output (16550 at 0x90000000), SPR access,
 * and the exception hook every test defines. */
#ifndef BM_H
#define BM_H

#define UART ((volatile unsigned char *)0x90000000)
#define SYSCON ((volatile unsigned int *)0x96000000)

#define SPR_VR 0x0000
#define SPR_UPR 0x0001
#define SPR_CPUCFGR 0x0002
#define SPR_DMMUCFGR 0x0003
#define SPR_IMMUCFGR 0x0004
#define SPR_VR2 0x0009
#define SPR_AVR 0x000a
#define SPR_EVBAR 0x000b
#define SPR_SR 0x0011
#define SPR_EPCR 0x0020
#define SPR_EEAR 0x0030
#define SPR_ESR 0x0040
#define SPR_COREID 0x0080
#define SPR_DTLBMR 0x0a00
#define SPR_DTLBTR 0x0a80
#define SPR_ITLBMR 0x1200
#define SPR_ITLBTR 0x1280
#define SPR_MACLO 0x2801
#define SPR_MACHI 0x2802
#define SPR_PMR 0x4000
#define SPR_PICMR 0x4800
#define SPR_PICSR 0x4802
#define SPR_TTMR 0x5000
#define SPR_TTCR 0x5001

#define SR_SM 0x1
#define SR_TEE 0x2
#define SR_IEE 0x4
#define SR_DME 0x20
#define SR_IME 0x40
#define SR_F 0x200
#define SR_CY 0x400
#define SR_OV 0x800
#define SR_OVE 0x1000
#define SR_DSX 0x2000
#define SR_FO 0x8000

#define MFSPR(n) ({ unsigned _v; __asm__ volatile("l.mfspr %0,r0,%1" : "=r"(_v) : "K"(n)); _v; })
#define MTSPR(n, v) __asm__ volatile("l.mtspr r0,%0,%1" : : "r"(v), "K"(n) : "memory")

static inline unsigned mfspr_r(unsigned spr) {
  unsigned v;
  __asm__ volatile("l.mfspr %0,%1,0" : "=r"(v) : "r"(spr));
  return v;
}
static inline void mtspr_r(unsigned spr, unsigned v) {
  __asm__ volatile("l.mtspr %0,%1,0" : : "r"(spr), "r"(v) : "memory");
}

static void bm_putc(char c) {
  while (!(UART[5] & 0x20)) {}
  UART[0] = c;
}
static void bm_puts(const char *s) {
  while (*s) bm_putc(*s++);
}
static void bm_hex(unsigned v) {
  for (int i = 28; i >= 0; i -= 4) bm_putc("0123456789abcdef"[(v >> i) & 15]);
}
/* "label=xxxxxxxx\n" */
static void bm_put(const char *label, unsigned v) {
  bm_puts(label);
  bm_putc('=');
  bm_hex(v);
  bm_putc('\n');
}

/* Called from start.S for every exception; frame[n] is the saved rN. */
void exc_handler(unsigned vector, unsigned *frame);

#endif
