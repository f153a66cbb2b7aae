/* Random instruction streams: each round generates a block of random ALU,
 * compare, shift, extend, cmov, find-bit, load/store (on a scratch buffer
 * addressed by r10, aligned and unaligned) and conditional-branch instructions
 * (with random delay slots) over random register values, runs it from an
 * executable mmap, and prints every register plus SR[F] and SR[CY] at the end.
 * Left out: l.div (0x80000000 / -1 kills qemu-or1k) and l.mulu (QEMU derives
 * its carry from the signed product). The generated code is rewritten every
 * round, so this also checks that stale decoded code is never executed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define BLOCK 96
#define ROUNDS 300

static uint32_t rng = 0x12345678;
static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

/* registers the random code may use: all but r0, r1 (sp) and r10 (TLS) */
static const int REGS[] = { 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
#define NREGS (int)(sizeof REGS / sizeof REGS[0])
static int reg(void) { return REGS[rnd() % NREGS]; }
/* callee-saved registers the block must restore */
static const int SAVED[] = { 2, 9, 10, 14, 16, 18, 20, 22, 24, 26, 28, 30 };
#define NSAVED (int)(sizeof SAVED / sizeof SAVED[0])

static uint32_t alu(uint32_t low) { return (0x38u << 26) | ((uint32_t)reg() << 21) | ((uint32_t)reg() << 16) | ((uint32_t)reg() << 11) | low; }
static uint32_t imm(uint32_t op) { return (op << 26) | ((uint32_t)reg() << 21) | ((uint32_t)reg() << 16) | (rnd() & 0xffff); }
static uint32_t sw(int src, int off) { return (0x35u << 26) | (((uint32_t)off >> 11) & 31) << 21 | 1u << 16 | (uint32_t)src << 11 | ((uint32_t)off & 0x7ff); }
static uint32_t lwz(int dst, int off) { return (0x21u << 26) | (uint32_t)dst << 21 | 1u << 16 | ((uint32_t)off & 0xffff); }

static uint32_t random_op(void) {
  static const uint32_t rr[] = { 0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0x306, 0x30a, 0x008, 0x048, 0x088, 0x0c8, 0x00e, 0x00f, 0x10f, 0x00c, 0x04c, 0x08c, 0x0cc };
  static const uint32_t conds[] = { 0x0, 0x1, 0x2, 0x3, 0x4, 0x5, 0xa, 0xb, 0xc, 0xd };
  switch (rnd() % 9) {
    case 8: { /* load or store at r10 + offset */
      static const uint32_t ops[] = { 0x21, 0x23, 0x24, 0x25, 0x26, 0x35, 0x36, 0x37 };
      uint32_t op = ops[rnd() % 8];
      uint32_t off = rnd() % 1024;
      if (rnd() % 4 != 0) off &= (op == 0x21 || op == 0x35) ? ~3u : (op == 0x25 || op == 0x26 || op == 0x37) ? ~1u : ~0u;
      if (op >= 0x35) return (op << 26) | ((off >> 11) & 31) << 21 | 10u << 16 | (uint32_t)reg() << 11 | (off & 0x7ff);
      return (op << 26) | (uint32_t)reg() << 21 | 10u << 16 | off;
    }
    case 0: case 1: case 2: return alu(rr[rnd() % (sizeof rr / sizeof rr[0])]);
    case 3: return imm(0x27 + rnd() % 6); /* addi addic andi ori xori muli */
    case 4: return (0x2eu << 26) | ((uint32_t)reg() << 21) | ((uint32_t)reg() << 16) | ((rnd() & 3) << 6) | (rnd() & 31);
    case 5: return (0x39u << 26) | (conds[rnd() % 10] << 21) | ((uint32_t)reg() << 16) | ((uint32_t)reg() << 11);
    case 6: return (0x2fu << 26) | (conds[rnd() % 10] << 21) | ((uint32_t)reg() << 16) | (rnd() & 0xffff);
    default: return (0x06u << 26) | ((uint32_t)reg() << 21) | (rnd() & 0xffff); /* l.movhi */
  }
}

int main(int argc, char **argv) {
  if (argc > 1) rng = (uint32_t)strtoul(argv[1], 0, 0) | 1;
  uint32_t *code = mmap(0, 8192, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (code == MAP_FAILED) return 1;
  static uint8_t scratch[1040];
  for (unsigned i = 0; i < sizeof scratch; i++) scratch[i] = (uint8_t)(i * 7 + 1);
  uint32_t hash = 0;
  for (int round = 0; round < ROUNDS; round++) {
    int n = 0;
    code[n++] = (0x27u << 26) | 1u << 21 | 1u << 16 | (uint32_t)(-256 & 0xffff); /* l.addi r1,r1,-256 */
    for (int i = 0; i < NSAVED; i++) code[n++] = sw(SAVED[i], 4 * SAVED[i]);
    code[n++] = sw(3, 128); /* result pointer */
    code[n++] = (0x06u << 26) | 10u << 21 | ((uint32_t)scratch >> 16);
    code[n++] = (0x2au << 26) | 10u << 21 | 10u << 16 | ((uint32_t)scratch & 0xffff);
    for (int i = 0; i < NREGS; i++) { /* random initial values */
      uint32_t v = rnd();
      code[n++] = (0x06u << 26) | (uint32_t)REGS[i] << 21 | (v >> 16);
      code[n++] = (0x2au << 26) | (uint32_t)REGS[i] << 21 | (uint32_t)REGS[i] << 16 | (v & 0xffff);
    }
    for (int i = 0; i < BLOCK; i++) {
      if (rnd() % 8 == 0 && i + 6 < BLOCK) { /* forward l.bf/l.bnf over 1..3 insns, random delay slot */
        uint32_t skip = 2 + rnd() % 3;
        code[n++] = ((rnd() & 1) ? 0x04u : 0x03u) << 26 | skip;
        code[n++] = random_op();
        for (uint32_t k = 1; k < skip; k++) code[n++] = random_op();
        i += (int)skip;
        continue;
      }
      code[n++] = random_op();
    }
    /* results: F and CY first (stores and l.ori/l.cmov do not touch flags) */
    for (int i = 0; i < NREGS; i++) code[n++] = sw(REGS[i], 132 + 4 * i);
    code[n++] = (0x2au << 26) | 3u << 21 | 1;                  /* l.ori r3,r0,1 */
    code[n++] = (0x38u << 26) | 3u << 21 | 3u << 16 | 0u << 11 | 0xe; /* l.cmov r3,r3,r0 */
    code[n++] = sw(3, 132 + 4 * NREGS);
    code[n++] = (0x38u << 26) | 3u << 21 | 0x1;                /* l.addc r3,r0,r0 */
    code[n++] = sw(3, 136 + 4 * NREGS);
    code[n++] = lwz(3, 128);
    for (int i = 0; i < NREGS + 2; i++) {
      code[n++] = lwz(4, 132 + 4 * i);
      code[n++] = (0x35u << 26) | 3u << 16 | 4u << 11 | (uint32_t)(4 * i); /* l.sw 4i(r3),r4 */
    }
    for (int i = 0; i < NSAVED; i++) code[n++] = lwz(SAVED[i], 4 * SAVED[i]);
    code[n++] = (0x27u << 26) | 1u << 21 | 1u << 16 | 256;       /* l.addi r1,r1,256 */
    code[n++] = 0x44004800;                                       /* l.jr r9 */
    code[n++] = 0x15000000;
    if (n > 2048) return 2;
    uint32_t out[NREGS + 2];
    ((void (*)(uint32_t *))code)(out);
    if (round % 10 == 0) {
      printf("round %d:", round);
      for (int i = 0; i < NREGS + 2; i++) printf(" %08x", out[i]);
      putchar('\n');
    }
    for (int i = 0; i < NREGS + 2; i++) hash = (hash ^ out[i]) * 0x01000193u;
    for (unsigned i = 0; i < sizeof scratch; i++) hash = (hash ^ scratch[i]) * 0x01000193u;
  }
  printf("hash %08x\n", hash);
  return 0;
}
