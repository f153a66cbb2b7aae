/* Individual ORBIS32 instructions GCC 12 never or rarely emits (l.ff1, l.fl1,
 * l.ext*z, l.rori, l.ror, l.sf*i, l.addc/l.addic, l.mulu) driven by inline
 * assembly over a table of values; the carry flag is made visible with l.addc.
 * The carry of l.mulu is not printed: QEMU 7.2 sets it from the high word of
 * the *signed* product (1 * 0xfffffffe gives CY=1), the spec from the unsigned
 * one. */
#include <stdio.h>
#include <stdint.h>

static const uint32_t vals[] = { 0, 1, 2, 5, 0x50, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000,
                                 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x12345678, 0xdeadbeef };
#define N (sizeof vals / sizeof vals[0])

#define UN(insn, x) ({ uint32_t _r; __asm__(insn " %0, %1" : "=r"(_r) : "r"(x)); _r; })
/* carry out of a two-operand instruction: clear CY, run it, then l.addc r, r0, r0 */
#define CARRY(insn, a, b) ({ uint32_t _r, _c; __asm__ volatile("l.add %1, r0, r0\n" insn " %0, %2, %3\n l.addc %1, r0, r0" \
                               : "=&r"(_r), "=&r"(_c) : "r"(a), "r"(b)); ((uint64_t)_c << 32) | _r; })
#define SFI(cond, x, imm) ({ uint32_t _f; __asm__("l.ori %0, r0, 1\n l.sf" cond "i %1, " #imm "\n l.cmov %0, %0, r0" \
                              : "=&r"(_f) : "r"(x)); _f; })

int main(void) {
  for (unsigned i = 0; i < N; i++) {
    uint32_t x = vals[i];
    printf("%08x ff1=%u fl1=%u extbz=%08x exthz=%08x extbs=%08x exths=%08x rori=%08x %08x\n", x,
           UN("l.ff1", x), UN("l.fl1", x), UN("l.extbz", x), UN("l.exthz", x), UN("l.extbs", x), UN("l.exths", x),
           ({ uint32_t r; __asm__("l.rori %0, %1, 5" : "=r"(r) : "r"(x)); r; }),
           ({ uint32_t r; __asm__("l.rori %0, %1, 31" : "=r"(r) : "r"(x)); r; }));
    printf("  sfi: %u%u%u%u%u%u%u%u%u%u %u%u%u%u\n", SFI("eq", x, 5), SFI("ne", x, 5), SFI("gtu", x, 5), SFI("geu", x, 5),
           SFI("ltu", x, 5), SFI("leu", x, 5), SFI("gts", x, 5), SFI("ges", x, 5), SFI("lts", x, 5), SFI("les", x, 5),
           SFI("gtu", x, -1), SFI("ltu", x, -2), SFI("gts", x, -1), SFI("les", x, -32768));
    for (unsigned j = 0; j < N; j += 3) {
      uint32_t y = vals[j];
      uint64_t add = CARRY("l.add", x, y), sub = CARRY("l.sub", x, y), mulu = (uint32_t)CARRY("l.mulu", x, y);
      uint32_t ror = ({ uint32_t r; __asm__("l.ror %0, %1, %2" : "=r"(r) : "r"(x), "r"(y)); r; });
      uint32_t sll = ({ uint32_t r; __asm__("l.sll %0, %1, %2" : "=r"(r) : "r"(x), "r"(y)); r; });
      uint32_t sra = ({ uint32_t r; __asm__("l.sra %0, %1, %2" : "=r"(r) : "r"(x), "r"(y)); r; });
      uint32_t addc = ({ uint32_t r; __asm__("l.sub r0, r0, r0\n l.sfltu r0, r0\n l.addi %0, r0, -1\n l.addi %0, %0, 1\n l.addc %0, %1, %2" : "=&r"(r) : "r"(x), "r"(y)); r; });
      printf("  %08x: add=%09llx sub=%09llx mulu=%08llx ror=%08x sll=%08x sra=%08x addc+1=%08x", y,
             (unsigned long long)add, (unsigned long long)sub, (unsigned long long)mulu, ror, sll, sra, addc);
      if (y != 0) {
        uint64_t divu = CARRY("l.divu", x, y);
        printf(" divu=%09llx", (unsigned long long)divu);
        if (!(x == 0x80000000 && y == 0xffffffff)) printf(" div=%08x", ({ uint32_t r; __asm__("l.div %0, %1, %2" : "=r"(r) : "r"(x), "r"(y)); r; }));
      } else {
        printf(" divu0=%09llx div0=%08x", (unsigned long long)CARRY("l.divu", x, y),
               ({ uint32_t r; __asm__("l.div %0, %1, %2" : "=r"(r) : "r"(x), "r"(y)); r; }));
      }
      putchar('\n');
    }
  }
  /* unaligned loads and stores (QEMU performs them; no alignment exception) */
  static uint8_t buf[32];
  for (unsigned i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 17 + 3);
  for (unsigned off = 0; off < 4; off++) {
    uint8_t *p = buf + 4 + off;
    uint32_t w, hz, hs;
    __asm__ volatile("l.lwz %0, 0(%3)\n l.lhz %1, 1(%3)\n l.lhs %2, 3(%3)" : "=&r"(w), "=&r"(hz), "=&r"(hs) : "r"(p) : "memory");
    __asm__ volatile("l.sw 8(%0), %1\n l.sh 13(%0), %1" : : "r"(p), "r"(0xa1b2c3d4u) : "memory");
    printf("unaligned +%u: lwz=%08x lhz=%08x lhs=%08x mem=", off, w, hz, hs);
    for (unsigned i = 0; i < sizeof buf; i++) printf("%02x", buf[i]);
    putchar('\n');
  }
  uint32_t c = ({ uint32_t r; __asm__("l.addi %0, r0, -1\n l.addic %0, %0, 1\n l.addic %0, %0, 0" : "=&r"(r)); r; });
  printf("addic chain %08x\n", c);
  return 0;
}
