/**
 * A small or1k instruction encoder (ORBIS32; checked against or1k-elf-as in
 * test/emulator/cpu/encoding.test.ts). The interpreter primer (prime.ts)
 * and the CPU tests build programs with it.
 */
const u = (v: number) => v >>> 0;
const rr = (op4: number, d: number, a: number, b: number, op2 = 0, op3 = 0) =>
  u((0x38 << 26) | (d << 21) | (a << 16) | (b << 11) | (op2 << 8) | (op3 << 6) | op4);
const ri = (op: number, d: number, a: number, imm: number) => u((op << 26) | (d << 21) | (a << 16) | (imm & 0xffff));
const st = (op: number, a: number, b: number, imm: number) =>
  u((op << 26) | (((imm >> 11) & 0x1f) << 21) | (a << 16) | (b << 11) | (imm & 0x7ff));
const jmp = (op: number, words: number) => u((op << 26) | (words & 0x3ffffff));

export const A = {
  add: (d: number, a: number, b: number) => rr(0x0, d, a, b),
  addc: (d: number, a: number, b: number) => rr(0x1, d, a, b),
  sub: (d: number, a: number, b: number) => rr(0x2, d, a, b),
  and: (d: number, a: number, b: number) => rr(0x3, d, a, b),
  or: (d: number, a: number, b: number) => rr(0x4, d, a, b),
  xor: (d: number, a: number, b: number) => rr(0x5, d, a, b),
  mul: (d: number, a: number, b: number) => rr(0x6, d, a, b, 3),
  muld: (a: number, b: number) => rr(0x7, 0, a, b, 3),
  div: (d: number, a: number, b: number) => rr(0x9, d, a, b, 3),
  divu: (d: number, a: number, b: number) => rr(0xa, d, a, b, 3),
  mulu: (d: number, a: number, b: number) => rr(0xb, d, a, b, 3),
  muldu: (a: number, b: number) => rr(0xc, 0, a, b, 3),
  sll: (d: number, a: number, b: number) => rr(0x8, d, a, b, 0, 0),
  srl: (d: number, a: number, b: number) => rr(0x8, d, a, b, 0, 1),
  sra: (d: number, a: number, b: number) => rr(0x8, d, a, b, 0, 2),
  ror: (d: number, a: number, b: number) => rr(0x8, d, a, b, 0, 3),
  exths: (d: number, a: number) => rr(0xc, d, a, 0, 0, 0),
  extbs: (d: number, a: number) => rr(0xc, d, a, 0, 0, 1),
  exthz: (d: number, a: number) => rr(0xc, d, a, 0, 0, 2),
  extbz: (d: number, a: number) => rr(0xc, d, a, 0, 0, 3),
  extws: (d: number, a: number) => rr(0xd, d, a, 0, 0, 0),
  extwz: (d: number, a: number) => rr(0xd, d, a, 0, 0, 1),
  cmov: (d: number, a: number, b: number) => rr(0xe, d, a, b),
  ff1: (d: number, a: number) => rr(0xf, d, a, 0, 0),
  fl1: (d: number, a: number) => rr(0xf, d, a, 0, 1),
  addi: (d: number, a: number, i: number) => ri(0x27, d, a, i),
  addic: (d: number, a: number, i: number) => ri(0x28, d, a, i),
  andi: (d: number, a: number, k: number) => ri(0x29, d, a, k),
  ori: (d: number, a: number, k: number) => ri(0x2a, d, a, k),
  xori: (d: number, a: number, i: number) => ri(0x2b, d, a, i),
  muli: (d: number, a: number, i: number) => ri(0x2c, d, a, i),
  movhi: (d: number, k: number) => ri(0x06, d, 0, k),
  slli: (d: number, a: number, l: number) => u((0x2e << 26) | (d << 21) | (a << 16) | (0 << 6) | l),
  srli: (d: number, a: number, l: number) => u((0x2e << 26) | (d << 21) | (a << 16) | (1 << 6) | l),
  srai: (d: number, a: number, l: number) => u((0x2e << 26) | (d << 21) | (a << 16) | (2 << 6) | l),
  rori: (d: number, a: number, l: number) => u((0x2e << 26) | (d << 21) | (a << 16) | (3 << 6) | l),
  /** cond: 0 eq 1 ne 2 gtu 3 geu 4 ltu 5 leu 0xa gts 0xb ges 0xc lts 0xd les */
  sf: (cond: number, a: number, b: number) => u((0x39 << 26) | (cond << 21) | (a << 16) | (b << 11)),
  sfi: (cond: number, a: number, i: number) => ri(0x2f, cond, a, i),
  lwz: (d: number, a: number, i: number) => ri(0x21, d, a, i),
  lws: (d: number, a: number, i: number) => ri(0x22, d, a, i),
  lbz: (d: number, a: number, i: number) => ri(0x23, d, a, i),
  lbs: (d: number, a: number, i: number) => ri(0x24, d, a, i),
  lhz: (d: number, a: number, i: number) => ri(0x25, d, a, i),
  lhs: (d: number, a: number, i: number) => ri(0x26, d, a, i),
  lwa: (d: number, a: number, i: number) => ri(0x1b, d, a, i),
  sw: (a: number, b: number, i: number) => st(0x35, a, b, i),
  sb: (a: number, b: number, i: number) => st(0x36, a, b, i),
  sh: (a: number, b: number, i: number) => st(0x37, a, b, i),
  swa: (a: number, b: number, i: number) => st(0x33, a, b, i),
  j: (words: number) => jmp(0x00, words),
  jal: (words: number) => jmp(0x01, words),
  bnf: (words: number) => jmp(0x03, words),
  bf: (words: number) => jmp(0x04, words),
  jr: (b: number) => u((0x11 << 26) | (b << 11)),
  jalr: (b: number) => u((0x12 << 26) | (b << 11)),
  adrp: (d: number, i: number) => u((0x02 << 26) | (d << 21) | (i & 0x1fffff)),
  nop: (k = 0) => u(0x15000000 | k),
  sys: (k: number) => u(0x20000000 | k),
  trap: (k: number) => u(0x21000000 | k),
  msync: () => 0x22000000,
  psync: () => 0x22800000,
  csync: () => 0x23000000,
  rfe: () => 0x24000000,
  mfspr: (d: number, a: number, k: number) => ri(0x2d, d, a, k),
  mtspr: (a: number, b: number, k: number) => st(0x30, a, b, k),
  mac: (a: number, b: number) => u((0x31 << 26) | (a << 16) | (b << 11) | 1),
  msb: (a: number, b: number) => u((0x31 << 26) | (a << 16) | (b << 11) | 2),
  macu: (a: number, b: number) => u((0x31 << 26) | (a << 16) | (b << 11) | 3),
  msbu: (a: number, b: number) => u((0x31 << 26) | (a << 16) | (b << 11) | 4),
  maci: (a: number, i: number) => ri(0x13, 0, a, i),
  macrc: (d: number) => u(0x18010000 | (d << 21)),
  /** Loads a 32-bit constant (two instructions). */
  li: (d: number, v: number) => [ri(0x06, d, 0, (v >>> 16) & 0xffff), ri(0x2a, d, d, v & 0xffff)],
};
