/**
 * or1k architectural constants: SPR numbers (group << 11 | index), SR bits,
 * exception vectors and the configuration values QEMU 7.2 reports for
 * `-cpu any` (docs: or1k-platform.md §2, §7).
 */

/** Supervision register bits. */
export const SR = {
  SM: 0x1,
  TEE: 0x2,
  IEE: 0x4,
  DCE: 0x8,
  ICE: 0x10,
  DME: 0x20,
  IME: 0x40,
  LEE: 0x80,
  CE: 0x100,
  F: 0x200,
  CY: 0x400,
  OV: 0x800,
  OVE: 0x1000,
  DSX: 0x2000,
  EPH: 0x4000,
  FO: 0x8000,
  SUMRA: 0x10000,
} as const;

/** SPR numbers. */
export const SPR = {
  VR: 0x0000,
  UPR: 0x0001,
  CPUCFGR: 0x0002,
  DMMUCFGR: 0x0003,
  IMMUCFGR: 0x0004,
  DCCFGR: 0x0005,
  ICCFGR: 0x0006,
  VR2: 0x0009,
  AVR: 0x000a,
  EVBAR: 0x000b,
  NPC: 0x0010,
  SR: 0x0011,
  PPC: 0x0012,
  FPCSR: 0x0014,
  EPCR: 0x0020,
  EEAR: 0x0030,
  ESR: 0x0040,
  COREID: 0x0080,
  NUMCORES: 0x0081,
  /** Shadow GPRs: set n, register r at SHADOW + 32 n + r (0x400–0x5FF). */
  SHADOW: 0x0400,
  DMMUCR: 0x0800,
  DTLBEIR: 0x0802,
  /** DTLB way 0 match registers, + set (0..127). */
  DTLBMR: 0x0a00,
  /** DTLB way 0 translate registers, + set. */
  DTLBTR: 0x0a80,
  IMMUCR: 0x1000,
  ITLBEIR: 0x1002,
  ITLBMR: 0x1200,
  ITLBTR: 0x1280,
  MACLO: 0x2801,
  MACHI: 0x2802,
  PMR: 0x4000,
  PICMR: 0x4800,
  PICSR: 0x4802,
  TTMR: 0x5000,
  TTCR: 0x5001,
} as const;

/** Configuration registers a CPU model reports (read-only SPRs of group 0). */
export interface CpuModel {
  readonly name: string;
  readonly description: string;
  readonly VR: number;
  readonly UPR: number;
  readonly CPUCFGR: number;
  /** DMMUCFGR and IMMUCFGR (1 way, 128 sets). */
  readonly MMUCFGR: number;
  readonly VR2: number;
  readonly AVR: number;
}

/** UPR: present, DMMU, IMMU, PIC, tick timer, power management (both models). */
const UPR_QEMU = 0x1 | 0x8 | 0x10 | 0x200 | 0x400 | 0x100;
/** CPUCFGR bits QEMU uses: NSGF (15 shadow sets), OB32S, OF32S, AVRP, EVBARP, OF64A32S. */
const CFG = { NSGF: 0xf, OB32S: 0x20, OF32S: 0x80, AVRP: 0x800, EVBARP: 0x1000, OF64A32S: 0x8000 } as const;
/** 1 way (NTW 0), 128 sets (NTS = log2 128 = 7, bits 4:2). */
const MMUCFGR_QEMU = 7 << 2;

/**
 * The models of QEMU 7.2's target/openrisc/cpu.c (`-cpu NAME`), by name.
 * or1200 predates the 1.x architecture registers: VR 0x13000008 (version
 * 0x13, revision 8, no UVRP), no VR2/AVR, no double-precision FPU; Linux
 * prints "OpenRISC-13, revision 8" for it. any: VR with UVRP set, VR2 0,
 * AVR 1.3, so Linux prints "OpenRISC 1000 (1.3-rev0)".
 */
export const CPU_MODELS = {
  or1200: {
    name: 'or1200',
    description: 'OpenRISC 1200 (VR 0x13000008; QEMU\'s default model)',
    VR: 0x13000008,
    UPR: UPR_QEMU,
    CPUCFGR: CFG.NSGF | CFG.OB32S | CFG.OF32S | CFG.EVBARP,
    MMUCFGR: MMUCFGR_QEMU,
    VR2: 0,
    AVR: 0,
  },
  any: {
    name: 'any',
    description: 'architecture 1.3 (VR2/AVR present, double-precision FPU flag)',
    VR: 0x13000040,
    UPR: UPR_QEMU,
    CPUCFGR: CFG.NSGF | CFG.OB32S | CFG.OF32S | CFG.AVRP | CFG.EVBARP | CFG.OF64A32S,
    MMUCFGR: MMUCFGR_QEMU,
    VR2: 0,
    AVR: 0x01030000,
  },
} as const satisfies Record<string, CpuModel>;

export type CpuModelName = keyof typeof CPU_MODELS;

/** Configuration registers of QEMU 7.2 `-cpu any`. */
export const CPU_ANY: CpuModel = CPU_MODELS.any;

/** The model called `name`, or undefined. */
export function cpuModel(name: string): CpuModel | undefined {
  return Object.prototype.hasOwnProperty.call(CPU_MODELS, name) ? CPU_MODELS[name as CpuModelName] : undefined;
}

/** Exception vector offsets (vector number << 8). */
export const Vector = {
  RESET: 0x100,
  BUS_ERROR: 0x200,
  DATA_PAGE_FAULT: 0x300,
  INSN_PAGE_FAULT: 0x400,
  TICK: 0x500,
  ALIGNMENT: 0x600,
  ILLEGAL: 0x700,
  EXTERNAL: 0x800,
  DTLB_MISS: 0x900,
  ITLB_MISS: 0xa00,
  RANGE: 0xb00,
  SYSCALL: 0xc00,
  FLOAT: 0xd00,
  TRAP: 0xe00,
} as const;

/** QEMU's names for `-d int` lines (`# CPU: 0 INT: <name>`), by vector. */
export const VECTOR_NAMES: Readonly<Record<number, string>> = {
  0x100: 'RESET (reset)',
  0x200: 'BUSERR (bus error)',
  0x300: 'DPF (data protection fault)',
  0x400: 'IPF (code protection fault)',
  0x500: 'TICK (timer interrupt)',
  0x600: 'ALIGN (alignment)',
  0x700: 'ILLEGAL (illegal instruction)',
  0x800: 'INT (extern interrupt)',
  0x900: 'DTLBMISS (data tlb miss)',
  0xa00: 'ITLBMISS (code tlb miss)',
  0xb00: 'RANGE (range)',
  0xc00: 'SYSCALL (syscall)',
  0xd00: 'FPE (floating point)',
  0xe00: 'TRAP (trap)',
};

/** Tick timer TTMR fields. */
export const TTMR = {
  TP: 0x0fffffff,
  IP: 0x10000000,
  IE: 0x20000000,
  MODE_SHIFT: 30,
} as const;

/** Power management register bits. */
export const PMR = { DME: 0x10, SME: 0x20 } as const;

/** TLB translate-register permission bits. */
export const TLB = {
  VALID: 0x1,
  URE: 0x40,
  UWE: 0x80,
  SRE: 0x100,
  SWE: 0x200,
  SXE: 0x40,
  UXE: 0x80,
} as const;
