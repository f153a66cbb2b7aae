/* Bit scans (l.ff1/l.fl1 via __builtin_ctz/clz/ffs), conditional moves
 * (l.cmov), sign/zero extension (l.exths/l.extbs/l.exthz/l.extbz), rotates
 * (l.ror/l.rori), immediate shifts and compares. Built with and without the
 * optional-instruction flags (-mcmov -mror -mrori -msext -msfimm -mshftimm). */
#include <stdio.h>
#include <stdint.h>

static const uint32_t vals[] = { 0, 1, 2, 3, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x50,
                                 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678, 0x87654321, 0xf0f0f0f0,
                                 0x00ff0000, 0xdeadbeef, 0x40000000, 0x00000180 };
#define N (sizeof vals / sizeof vals[0])

static uint32_t __attribute__((noinline)) rotl(uint32_t x, unsigned n) { return (x << (n & 31)) | (x >> ((32 - n) & 31)); }
static uint32_t __attribute__((noinline)) rotr(uint32_t x, unsigned n) { return (x >> (n & 31)) | (x << ((32 - n) & 31)); }
static int __attribute__((noinline)) smax(int a, int b) { return a > b ? a : b; }
static unsigned __attribute__((noinline)) umin(unsigned a, unsigned b) { return a < b ? a : b; }
static int __attribute__((noinline)) sel(int c, int a, int b) { return c ? a : b; }

int main(void) {
  uint32_t h = 0;
  for (unsigned i = 0; i < N; i++) {
    volatile uint32_t x = vals[i];
    int ctz = x ? __builtin_ctz(x) : -1;
    int clz = x ? __builtin_clz(x) : -1;
    int ffs = __builtin_ffs((int)x);
    int pop = __builtin_popcount(x);
    int par = __builtin_parity(x);
    int clrsb = __builtin_clrsb((int)x);
    uint32_t bs = __builtin_bswap32(x);
    uint16_t bs16 = __builtin_bswap16((uint16_t)x);
    int32_t sb = (int8_t)x, sh = (int16_t)x;
    uint32_t zb = (uint8_t)x, zh = (uint16_t)x;
    printf("%08x ctz=%d clz=%d ffs=%d pop=%d par=%d clrsb=%d bs=%08x bs16=%04x sb=%08x sh=%08x zb=%08x zh=%08x\n",
           x, ctz, clz, ffs, pop, par, clrsb, bs, bs16, (uint32_t)sb, (uint32_t)sh, zb, zh);
    printf("  rot: %08x %08x %08x %08x %08x imm: %08x %08x %08x\n", rotl(x, 1), rotl(x, 13), rotr(x, 7), rotr(x, 31), rotr(x, 0),
           (x << 7) | (x >> 25), x >> 3, (uint32_t)((int32_t)x >> 9));
    for (unsigned j = 0; j < N; j++) {
      uint32_t y = vals[j];
      h = h * 17 + (uint32_t)smax((int)x, (int)y) + umin(x, y) * 3 + (uint32_t)sel(x > y, (int)x, (int)y);
      h ^= ((int32_t)x < 100) + ((int32_t)x >= -5) * 2 + (x > 0x8000u) * 4 + (x <= 7u) * 8;
    }
  }
  /* 64-bit scans use two words */
  for (unsigned i = 0; i < N; i++) {
    volatile uint64_t x = ((uint64_t)vals[i] << 32) | vals[N - 1 - i];
    printf("%016llx ctzll=%d clzll=%d ffsll=%d popll=%d\n", (unsigned long long)x,
           x ? __builtin_ctzll(x) : -1, x ? __builtin_clzll(x) : -1, __builtin_ffsll((long long)x), __builtin_popcountll(x));
  }
  printf("h=%08x\n", h);
  return 0;
}
