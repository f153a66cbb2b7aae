/**
 * The or1k (OpenRISC 1000, ORBIS32) CPU core: an interpreter tuned for V8,
 * with the supervision SPRs, both MMUs, the tick timer, the PIC and power
 * management of QEMU 7.2's `-cpu any` (facts: shared/docs/or1k-platform.md).
 *
 * API (stable; devices, board, runners and tests code against it)
 *
 *   const ram = new Ram(128 << 20);
 *   const bus = new Bus({ ram, logger });
 *   const cpu = new Cpu({ bus });          // reset state: PC 0x100, SR 0x8001
 *   cpu.reset(0x100); cpu.gpr[3] = 0x720000;
 *   const why = cpu.run(1_000_000);        // a StopReason value
 *
 * - `cpu.gpr`: Int32Array(32), the live registers (r0 is forced to 0 after
 *   every instruction). `cpu.pc`: address of the next instruction (uint32);
 *   change it with `cpu.jump(pc)` (clears a pending delay slot).
 * - `cpu.sr` (get/set, FO forced), `cpu.getSpr(n)` / `cpu.setSpr(n, v)`: any
 *   SPR with the semantics of l.mfspr/l.mtspr (for tests, loaders, debuggers).
 * - `cpu.run(budget)`: executes until `budget` instructions have retired or
 *   something stops it; returns a `StopReason`:
 *     BUDGET          budget used up (the CPU may be between a branch and its
 *                     delay slot; that state is kept, run() continues it);
 *     HALT            `l.nop 1` (or1ksim exit), exit code in `cpu.exitCode` (r3);
 *     PUTC            `l.nop 4` (or1ksim putc), the byte is `cpu.putcByte` (r3);
 *     DOZE            PMR.DME/SME set and no interrupt pending: nothing to do
 *                     until the host advances time or raises a line;
 *     SYSCALL         only with `cpu.linuxUserMode`: `l.sys` returns to the
 *                     host (pc already past it) instead of vectoring to 0xC00;
 *     EXCEPTION       only with `cpu.linuxUserMode`: any other exception stops
 *                     with `cpu.stopVector` set and pc at the faulting insn;
 *     STOP_REQUESTED  a device called `cpu.requestStop()` (e.g. syscon poweroff).
 *   `cpu.nopHooks = false` turns l.nop 1/4 into plain no-ops (as in QEMU).
 * - `cpu.step()`: exactly one event, either one retired instruction or one
 *   exception/interrupt entry; for tracers (`cpu.exceptionCount`,
 *   `cpu.lastVector`, `cpu.lastFaultAddress` tell what happened). Tracing is
 *   kept out of run()'s hot loop entirely.
 * - `cpu.instret`: retired instructions since reset.
 * - Interrupts: `cpu.picLine(n)` is the IrqLine of PIC input n (level).
 * - Time: one tick per retired instruction (TTCR at 20 MHz = 50 ns per
 *   instruction), plus ticks the host skips while the CPU dozes. A
 *   free-running host may make instructions worth less (`setTickRate`), so
 *   guest time follows the wall clock at any host speed.
 *   `cpu.ticks`, `cpu.nowNs()`, `cpu.clock` (a Clock for devices),
 *   `cpu.nextEventTick()` (absolute tick of the next timer match, Infinity if
 *   none), `cpu.advanceTicks(n)` / `cpu.skipToNs(ns)` (move guest time forward,
 *   firing timer matches on the way; wakes a dozing CPU when one interrupts).
 *
 * Design notes (performance): registers and TLBs are typed arrays; the run
 * loop keeps pc, delay-slot state and SR[F] in locals, fetches straight from
 * RAM words through a one-page fetch cache, translates data accesses through
 * per-page host tables (emulator/cpu/mmu.ts) and only leaves the loop for
 * slow paths (TLB walk, MMIO, SPRs, exceptions). Nothing allocates or throws
 * per instruction; traps are status returns. Asynchronous interrupts are only
 * taken between instructions and never before a delay slot, like QEMU.
 * The loop is only left for SR/PICMR/PICSR/TTMR/TTCR/PMR/ITLB writes, an IRQ
 * line change during an MMIO access, an l.rfe that unmasks a pending
 * interrupt, a write to a page holding translated code, stop reasons and the
 * budget; exception entry continues in place (entry masks interrupts).
 *
 * Translation (emulator/cpu/jit/, `cpu.jit`, on by default when the host has
 * WebAssembly): run() goes through execJit(), whose cold code runs in a
 * WebAssembly interpreter (jit/interp.ts: the same semantics as exec(),
 * 2x faster on a boot, with the same slow paths as translated code and
 * resuming in place after exception entry and l.rfe), which counts block
 * starts per physical page; a page whose block start was seen
 * `jitThreshold` times is translated into a WebAssembly function that runs
 * its hot blocks and loops in place, and the interpreter calls it directly.
 * exec() remains the reference (`jit = false`), runs what the WebAssembly
 * interpreter hands back (a fetch outside RAM, an instruction for
 * JavaScript in a delay slot), and serves step().
 * Translated code retires exactly the instructions the interpreter would
 * (each block checks the remaining budget first, exits at the same points),
 * so guest time, interrupts and transcripts do not depend on it; pages it
 * was made from are watched, and any write to them (CPU store or DMA) drops
 * the translation. The GPRs and the host tables live in Ram's arena, the
 * same WebAssembly.Memory as RAM, so translated code uses them in place.
 * Measured (bench/cpu.bench.ts, same run as qemu-or1k at 659 MIPS): ~120
 * guest MIPS interpreted, ~1,000 MIPS translated, on a CPU-bound program.
 *
 * V8 (node --trace-deopt): TurboFan compiles exec() early in a boot, and any
 * operation whose type feedback is still empty then (a case not yet run)
 * becomes a deoptimisation point; each first use later throws the whole big
 * function back to the interpreter until it is recompiled (~100 ms each on
 * the boot). So instructions the boot runs seldom live in execRare(), the
 * helpers inlined into exec() do the same operations on every call
 * (interruptDeliverable, setSrValue's table choice), and exec() gets int32
 * arguments only (its limit; bus addresses as int32).
 *
 * Choices where QEMU 7.2 and the architecture manual differ (documented so
 * differential tests know): l.mulu sets CY from the unsigned product (QEMU
 * uses the signed one); l.extws/l.extwz execute (QEMU: illegal); unknown SPRs
 * read 0 (QEMU leaves rD unchanged); PPC reads pc - 4; l.div 0x80000000 / -1
 * gives 0x80000000 with OV (QEMU crashes). As in QEMU: no alignment or bus
 * errors, division by zero returns rA with OV (l.div) / CY (l.divu), the
 * range exception (SR[OVE]) fires after the result is written, l.sys in a
 * delay slot gets EPCR = the l.sys, PICSR writes clear bits.
 */
import type { Clock, IrqLine } from '../device.ts';
import type { Bus } from '../memory/bus.ts';
import type { Ram } from '../memory/ram.ts';
import { CodeCache, HEAT_SIZE, NEVER as HEAT_NEVER, type CodeCacheStats } from './jit/code-cache.ts';
import { decodeSavedPages, encodeSavedPages } from './jit/saved-pages.ts';
import { STATE } from './jit/translate.ts';
import { CPU_WORDS } from './jit/interp.ts';
import { Access, FAULT, MISS, Mmu, PAGE_BITS, PAGE_MASK, TABLE, type AccessKind } from './mmu.ts';
import { CPU_ANY, PMR, SPR, SR, TTMR, Vector, type CpuModel } from './spr.ts';

export const StopReason = {
  BUDGET: 0,
  HALT: 1,
  PUTC: 2,
  DOZE: 3,
  SYSCALL: 4,
  EXCEPTION: 5,
  STOP_REQUESTED: 6,
} as const;
export type StopReason = (typeof StopReason)[keyof typeof StopReason];

/** Nanoseconds per tick (TTCR runs at the DT clock-frequency, 20 MHz). */
export const NS_PER_TICK = 50;

const NONE = -1;

/** execRare() results. */
const RARE_OK = 0;
const RARE_FAULT = 1;
const RARE_EXIT = 2;

const SR_KEEP = ~(SR.F | SR.CY | SR.OV);

export interface CpuOptions {
  bus: Bus;
  /**
   * false: no WebAssembly (interpreter or translations) for this CPU, only
   * exec(); `jit` stays false. For a scratch CPU whose modules would be
   * built for nothing (the primer). Default true.
   */
  wasm?: boolean;
}

export class Cpu {
  readonly bus: Bus;
  readonly ram: Ram;
  readonly mmu: Mmu;
  /** In Ram's arena, where translated code reads and writes them. */
  readonly gpr: Int32Array;
  /** Shadow GPR sets 1..15 (set 0 aliases gpr), 32 registers each; in Ram's arena (jit/interp.ts uses them). */
  readonly shadow: Int32Array;

  /** Address of the next instruction, kept as int32 (see `pc`). */
  private pcr = 0x100;
  /** 1 when the instruction at pc is a delay slot; dsTarget is where to go after it. */
  ds = 0;
  dsTarget = 0;
  /** SR without F/CY/OV (kept apart for speed), and the three flags as 0/1. */
  private srBits = SR.FO | SR.SM;
  flag = 0;
  carry = 0;
  overflow = 0;

  fpcsr = 0;
  macLo = 0;
  macHi = 0;
  private ttcrBase = 0;
  private ttcrTick = 0;
  private ttCounting = false;
  private timerEvent = Infinity;
  private skippedTicks = 0;
  /**
   * Ticks per retired instruction: 1 (exact, deterministic: headless boots),
   * or below 1 when the host runs the guest faster than its 20 MHz clock and
   * guest time follows the wall clock instead (free-running interactive
   * mode, see setTickRate).
   */
  private tickRate = 1;

  /**
   * In Ram's arena, for the WebAssembly interpreter: the l.lwa reservation
   * (RES_VALID 0/1, RES_ADDR, RES_VALUE), EEAR and the MMUCFGR of `model`.
   */
  private readonly words: Int32Array;

  instret = 0;

  /** User-mode emulation (qemu-or1k style): l.sys and exceptions stop run() (see StopReason). */
  get linuxUserMode(): boolean { return this.words[CPU_WORDS.USER_MODE] !== 0; }
  set linuxUserMode(on: boolean) { this.words[CPU_WORDS.USER_MODE] = on ? 1 : 0; }
  nopHooks = true;
  /**
   * `l.nop 1` stops with HALT even without nopHooks (the machine decides what
   * a halt means: power-off on or1k-sim); `l.nop 4` stays a no-op.
   */
  nopHalt = false;
  /** The configuration registers it reports (QEMU `-cpu` model). */
  private cpuModel: CpuModel = CPU_ANY;
  get model(): CpuModel {
    return this.cpuModel;
  }
  set model(m: CpuModel) {
    this.cpuModel = m;
    this.words[CPU_WORDS.MMUCFGR] = m.MMUCFGR; // for the WebAssembly interpreter's l.mfspr
  }
  /**
   * Run translated code (emulator/cpu/jit/) for hot pages; false = interpret
   * everything (same results, instruction for instruction; for A/B tests and
   * hosts that forbid `new Function`).
   */
  jit = true;
  /**
   * With `jit`: cold code runs in the WebAssembly interpreter
   * (emulator/cpu/jit/interp.ts) instead of exec(); same results,
   * instruction for instruction. False for A/B runs.
   */
  wasmInterp = true;
  exitCode = 0;
  putcByte = 0;
  stopVector = 0;
  dozing = false;

  /** Set by slow paths: an exception was taken (state already in fields). */
  private fault = 0;
  /** Set by slow paths: leave the inner loop after this instruction. */
  private exitLoop = false;
  private stopReason: number = NONE;
  private stopRequested = false;
  /** step(): an exception entry ends exec() instead of running the handler. */
  private stepping = false;

  private curRead: Int32Array;
  private curWrite: Int32Array;
  private curExec: Int32Array;
  private readonly lines: IrqLine[] = [];
  readonly clock: Clock;
  private readonly code: CodeCache;
  /** Translated code's out-of-band results (translate.ts STATE). */
  private readonly jitState: Int32Array;
  /** instret when the running page function was entered (its slow paths count from it). */
  private jitBase = 0;

  constructor(opts: CpuOptions) {
    this.bus = opts.bus;
    this.ram = opts.bus.ram;
    this.gpr = this.ram.arena(32);
    this.jitState = this.ram.arena(STATE.WORDS);
    this.shadow = this.ram.arena(16 * 32);
    this.words = this.ram.arena(CPU_WORDS.COUNT);
    this.model = CPU_ANY;
    this.mmu = new Mmu(this.ram.size, this.ram.watch, (words) => this.ram.arena(words));
    this.curRead = this.curWrite = this.curExec = this.mmu.identity;
    const layout = {
      gpr: this.gpr.byteOffset, state: this.jitState.byteOffset, memPages: this.ram.buffer.byteLength / 65536,
      shadow: this.shadow.byteOffset, cpuWords: this.words.byteOffset,
      mmu: {
        dtlbMr: this.mmu.dtlbMr.byteOffset, dtlbTr: this.mmu.dtlbTr.byteOffset, itlbMr: this.mmu.itlbMr.byteOffset, itlbTr: this.mmu.itlbTr.byteOffset,
        identity: this.mmu.identity.byteOffset, identityWrite: this.mmu.identityWrite.byteOffset,
        tables: this.mmu.tables.map((t) => t.byteOffset), watch: this.ram.watch.byteOffset, ramSize: this.ram.size,
      },
    };
    const slow = {
      ld: (va: number, kind: number, pcds: number, retired: number, f: number, cy: number, ov: number, after: number): number =>
        this.jitLoad(va, kind, pcds, retired, f, cy, ov, after),
      st: (va: number, size: number, value: number, pcds: number, retired: number, f: number, cy: number, ov: number, after: number): number =>
        this.jitStore(va, size, value, pcds, retired, f, cy, ov, after),
      sys: (pc: number, retired: number, f: number, cy: number, ov: number): number => this.jitSys(pc, retired, f, cy, ov),
      fx: (pcds: number, retired: number, f: number, cy: number, ov: number): number => this.jitFetch(pcds, retired, f, cy, ov),
    };
    this.code = new CodeCache(this.ram, this.mmu, layout, slow, () => {
      this.exitLoop = true;
    }, opts.wasm !== false);
    this.jit = this.code.available;
    this.clock = { nowNs: () => this.nowNs() };
    this.reset();
  }

  // The SPRs that the WebAssembly interpreter's exception entry and l.rfe
  // read or write live in the arena (`words`); uint32 here.
  get eear(): number { return this.words[CPU_WORDS.EEAR]! >>> 0; }
  set eear(value: number) { this.words[CPU_WORDS.EEAR] = value; }
  get epcr(): number { return this.words[CPU_WORDS.EPCR]! >>> 0; }
  set epcr(value: number) { this.words[CPU_WORDS.EPCR] = value; }
  get esr(): number { return this.words[CPU_WORDS.ESR]! >>> 0; }
  set esr(value: number) { this.words[CPU_WORDS.ESR] = value; }
  get evbar(): number { return this.words[CPU_WORDS.EVBAR]! >>> 0; }
  set evbar(value: number) { this.words[CPU_WORDS.EVBAR] = value; }
  get pmr(): number { return this.words[CPU_WORDS.PMR]! >>> 0; }
  set pmr(value: number) { this.words[CPU_WORDS.PMR] = value; }
  get picmr(): number { return this.words[CPU_WORDS.PICMR]! >>> 0; }
  set picmr(value: number) { this.words[CPU_WORDS.PICMR] = value; }
  get picsr(): number { return this.words[CPU_WORDS.PICSR]! >>> 0; }
  set picsr(value: number) { this.words[CPU_WORDS.PICSR] = value; }
  get ttmr(): number { return this.words[CPU_WORDS.TTMR]! >>> 0; }
  set ttmr(value: number) { this.words[CPU_WORDS.TTMR] = value; }
  /** Exceptions and interrupts taken since the CPU was made (tracers). */
  get exceptionCount(): number { return this.words[CPU_WORDS.EXC_COUNT]! >>> 0; }
  set exceptionCount(value: number) { this.words[CPU_WORDS.EXC_COUNT] = value; }
  /** Vector of the last exception. */
  get lastVector(): number { return this.words[CPU_WORDS.LAST_VECTOR]! >>> 0; }
  set lastVector(value: number) { this.words[CPU_WORDS.LAST_VECTOR] = value; }
  /** EEAR-style address of the last exception (fetch or data VA). */
  get lastFaultAddress(): number { return this.words[CPU_WORDS.LAST_EEAR]! >>> 0; }
  set lastFaultAddress(value: number) { this.words[CPU_WORDS.LAST_EEAR] = value; }

  /** CPU reset (RAM untouched): PC, SR 0x8001, TLBs invalid, timer and PIC cleared. */
  reset(pc = 0x100): void {
    this.gpr.fill(0);
    this.shadow.fill(0);
    this.pcr = pc | 0;
    this.ds = 0;
    this.dsTarget = 0;
    this.epcr = this.eear = this.esr = this.evbar = this.fpcsr = 0;
    this.macLo = this.macHi = 0;
    this.pmr = this.picmr = this.picsr = 0;
    this.ttmr = 0;
    this.ttcrBase = 0;
    this.ttcrTick = 0;
    this.ttCounting = false;
    this.timerEvent = Infinity;
    this.skippedTicks = -this.instretTicks();
    this.words[CPU_WORDS.RES_VALID] = 0;
    this.dozing = false;
    this.fault = 0;
    this.exitLoop = false;
    this.stopReason = NONE;
    this.stopRequested = false;
    this.mmu.reset();
    this.code.reset();
    this.setSrValue(SR.FO | SR.SM);
  }

  /** Block-start visits before a page is translated (emulator/cpu/jit/code-cache.ts); 1 = at once. */
  get jitThreshold(): number {
    return this.code.hot;
  }
  set jitThreshold(n: number) {
    this.code.hot = Math.min(0xfffe, Math.max(1, Math.floor(n)));
  }

  /** False: hot pages are not translated (cold-code interpreter only; see `wasmInterp`). */
  get jitTranslate(): boolean {
    return this.code.translating;
  }
  set jitTranslate(on: boolean) {
    this.code.translating = on;
  }

  /** Why translation stopped for good on this host (it then interprets), if it did. */
  get jitDisabled(): string | undefined {
    return this.code.disabled;
  }

  /** Translation counters (benchmarks, tests). */
  get codeStats(): Readonly<CodeCacheStats> {
    return this.code.stats;
  }

  /** Instructions retired in translated code since the CPU was made (the rest ran in the interpreters); counted by jit/chain.ts. */
  get translatedRetired(): number {
    return (this.jitState[STATE.RAN]! >>> 0) + (this.jitState[STATE.RAN + 1]! >>> 0) * 2 ** 32;
  }

  /**
   * This CPU's translations as bytes, for seeding a later run of the same
   * machine (`seedTranslations`); undefined when it made none. The host
   * keys them by the emulator's build: they hold this translator's output.
   */
  saveTranslations(): Uint8Array | undefined {
    const pages = this.code.savedPages();
    return pages.length === 0 ? undefined : encodeSavedPages(this.code.layoutKey, pages);
  }

  /**
   * Seeds the code cache with saveTranslations' bytes: a seeded page's
   * translation runs from its first visit, if the page holds the same words
   * (emulator/cpu/jit/code-cache.ts `seed`). False if the bytes are not for
   * this CPU's layout or do not parse (nothing is seeded).
   */
  seedTranslations(bytes: Uint8Array): boolean {
    const pages = decodeSavedPages(this.code.layoutKey, bytes);
    if (pages === undefined) return false;
    this.code.seed(pages);
    return true;
  }

  /** Drops all translated code (after writing RAM through its typed arrays directly). */
  flushCode(): void {
    this.code.reset();
  }

  /** Sets pc, dropping any pending delay slot. */
  jump(pc: number): void {
    this.pcr = pc | 0;
    this.ds = 0;
  }

  /** Address of the next instruction (uint32). Setting it is `jump`. */
  get pc(): number {
    return this.pcr >>> 0;
  }
  set pc(value: number) {
    this.jump(value);
  }

  get sr(): number {
    return (this.srBits | (this.flag << 9) | (this.carry << 10) | (this.overflow << 11)) >>> 0;
  }
  set sr(value: number) {
    this.setSrValue(value);
  }

  private setSrValue(value: number): void {
    this.flag = (value >>> 9) & 1;
    this.carry = (value >>> 10) & 1;
    this.overflow = (value >>> 11) & 1;
    this.setSrBits(((value & SR_KEEP) | SR.FO) >>> 0);
  }

  /** SR without F/CY/OV (the WebAssembly interpreter's SR state word), and the host tables it selects. */
  private setSrBits(value: number): void {
    this.srBits = value >>> 0;
    // One table() call site per kind (not a getter per privilege) so that the
    // first user-mode SR, late in a boot, brings no new code path into exec().
    const user = (value & SR.SM) !== 0 ? 0 : 1;
    const m = this.mmu;
    if (value & SR.DME) {
      this.curRead = m.table(TABLE.SUP_READ + 2 * user);
      this.curWrite = m.table(TABLE.SUP_WRITE + 2 * user);
    } else {
      this.curRead = m.identity;
      this.curWrite = m.identityWrite;
    }
    this.curExec = value & SR.IME ? m.table(TABLE.SUP_EXEC + user) : m.identity;
  }

  // ---------------------------------------------------------------- time

  /** Guest time in ticks (instructions retired + ticks skipped while dozing). */
  get ticks(): number {
    return this.instretTicks() + this.skippedTicks;
  }
  /** The ticks retired instructions account for (all of them at rate 1). */
  private instretTicks(): number {
    return this.tickRate === 1 ? this.instret : Math.floor(this.instret * this.tickRate);
  }
  /**
   * Sets how many ticks each retired instruction is worth from now on (0 < r
   * <= 1), keeping the current tick: a host that runs the guest faster than
   * real time slows guest time to the wall clock without pausing the CPU (as
   * QEMU's adaptive -icount does). Rate 1 is the exact default.
   */
  setTickRate(r: number): void {
    const rate = r >= 1 || !(r > 0) ? 1 : Math.max(r, 1e-6);
    if (rate === this.tickRate) return;
    const now = this.ticks;
    this.tickRate = rate;
    this.skippedTicks = now - this.instretTicks();
  }
  nowNs(): number {
    return this.ticks * NS_PER_TICK;
  }
  /** Absolute tick of the next timer match that changes state, Infinity if none. */
  nextEventTick(): number {
    return this.timerEvent;
  }
  nextEventNs(): number {
    return this.timerEvent * NS_PER_TICK;
  }
  /** Moves guest time forward by n ticks without executing (host fast-forward). */
  advanceTicks(n: number): void {
    const target = this.ticks + Math.max(0, Math.floor(n));
    while (this.timerEvent <= target) {
      const at = this.timerEvent;
      this.skippedTicks = at - this.instretTicks();
      this.fireTimer(at);
    }
    this.skippedTicks = target - this.instretTicks();
    if (this.dozing && this.wakeable()) this.dozing = false;
  }
  skipToNs(ns: number): void {
    const t = Math.floor(ns / NS_PER_TICK);
    if (t > this.ticks) this.advanceTicks(t - this.ticks);
  }

  private ttcrAt(tick: number): number {
    return this.ttCounting ? (this.ttcrBase + (tick - this.ttcrTick)) >>> 0 : this.ttcrBase >>> 0;
  }

  private updateTimerEvent(now: number): void {
    const mode = this.ttmr >>> TTMR.MODE_SHIFT;
    if (!this.ttCounting || mode === 0 || (mode === 3 && (this.ttmr & TTMR.IE) === 0)) {
      this.timerEvent = Infinity;
      return;
    }
    let delta = ((this.ttmr & TTMR.TP) - (this.ttcrAt(now) & TTMR.TP)) & TTMR.TP;
    if (delta === 0) delta = TTMR.TP + 1;
    this.timerEvent = now + delta;
  }

  /** TTCR[27:0] reached TP at tick `at`. */
  private fireTimer(at: number): void {
    if (this.ttmr & TTMR.IE) this.ttmr = (this.ttmr | TTMR.IP) >>> 0;
    const mode = this.ttmr >>> TTMR.MODE_SHIFT;
    if (mode === 1) {
      this.ttcrBase = 0;
      this.ttcrTick = at;
    } else if (mode === 2) {
      this.ttcrBase = this.ttcrAt(at);
      this.ttCounting = false;
    }
    this.updateTimerEvent(at);
  }

  private writeTtmr(value: number, now: number): void {
    const oldMode = this.ttmr >>> TTMR.MODE_SHIFT;
    const newMode = value >>> TTMR.MODE_SHIFT;
    if (oldMode !== newMode) {
      if (newMode === 0) {
        this.ttcrBase = this.ttcrAt(now);
        this.ttCounting = false;
      } else if (!this.ttCounting) {
        this.ttCounting = true;
        this.ttcrTick = now;
      }
    }
    // QEMU: a write keeps IP only if the written value has IP set; it never sets it.
    const ip = value & TTMR.IP ? this.ttmr & TTMR.IP : 0;
    this.ttmr = ((value & ~TTMR.IP) | ip) >>> 0;
    this.updateTimerEvent(now);
  }

  private writeTtcr(value: number, now: number): void {
    this.ttcrBase = value >>> 0;
    this.ttcrTick = now;
    this.updateTimerEvent(now);
  }

  // ---------------------------------------------------------------- interrupts

  /** The IrqLine of PIC input n (0..31), level-triggered into PICSR. */
  picLine(n: number): IrqLine {
    if (n < 0 || n > 31) throw new RangeError(`PIC line ${n} out of range 0..31`);
    let line = this.lines[n];
    if (!line) {
      const bit = 1 << n;
      line = {
        set: (level: boolean) => {
          const before = this.picsr;
          this.picsr = (level ? this.picsr | bit : this.picsr & ~bit) >>> 0;
          if (this.picsr !== before) {
            this.exitLoop = true;
            if (this.dozing && this.wakeable()) this.dozing = false;
          }
        },
      };
      this.lines[n] = line;
    }
    return line;
  }

  /** Asks run() to return STOP_REQUESTED after the current instruction. */
  requestStop(): void {
    this.stopRequested = true;
    this.exitLoop = true;
  }

  /** An interrupt request is pending (wakes doze even when SR masks it, like QEMU). */
  private wakeable(): boolean {
    return (this.ttmr & TTMR.IP) !== 0 || (this.picsr & this.picmr) !== 0;
  }

  /** An interrupt would be taken now if we were between instructions. */
  private interruptDeliverable(): boolean {
    // Every operation runs on every call (no short-circuit): inlined into
    // exec(), a path first taken late would deoptimise it.
    const sr = this.srBits;
    const tee = sr & SR.TEE, iee = sr & SR.IEE;
    const tick = (this.ttmr & TTMR.IP) !== 0, ext = (this.picsr & this.picmr) !== 0;
    return ((tick ? tee : 0) | (ext ? iee : 0)) !== 0;
  }

  /** Takes a pending, enabled interrupt (between instructions, not before a delay slot). */
  private checkInterrupts(): boolean {
    if (this.ds !== 0 || this.linuxUserMode) return false;
    const sr = this.srBits;
    if ((this.ttmr & TTMR.IP) !== 0 && (sr & SR.TEE) !== 0) {
      this.exception(Vector.TICK, this.pcr, 0, false);
      this.fault = 0;
      return true;
    }
    if ((this.picsr & this.picmr) !== 0 && (sr & SR.IEE) !== 0) {
      this.exception(Vector.EXTERNAL, this.pcr, 0, false);
      this.fault = 0;
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- exceptions

  /**
   * Exception entry (QEMU openrisc_cpu_do_interrupt): EPCR, EEAR, ESR <- SR,
   * SR: SM on, IEE/TEE/DME/IME off, DSX <- in delay slot; PMR doze bits and the
   * l.lwa reservation cleared; pc <- vector.
   */
  private exception(vector: number, epcr: number, eear: number, setEear: boolean): void {
    this.fault = 1;
    this.lastVector = vector;
    this.lastFaultAddress = eear >>> 0;
    this.exceptionCount++;
    if (this.linuxUserMode) {
      this.stopVector = vector;
      this.stopReason = StopReason.EXCEPTION;
      if (setEear) this.eear = eear >>> 0;
      return;
    }
    const sr = this.sr;
    this.esr = sr;
    this.epcr = epcr >>> 0;
    if (setEear) this.eear = eear >>> 0;
    let nsr = (sr | SR.SM) & ~(SR.IEE | SR.TEE | SR.DME | SR.IME | SR.DSX);
    if (this.ds) nsr |= SR.DSX;
    this.setSrValue(nsr);
    this.pmr &= ~(PMR.DME | PMR.SME);
    this.dozing = false;
    this.words[CPU_WORDS.RES_VALID] = 0;
    this.pcr = this.evbar | (sr & SR.EPH ? 0xf0000000 : 0) | vector;
    this.ds = 0;
  }

  /**
   * l.rfe's effect (supervisor mode checked by the caller): SR <- ESR, the
   * l.lwa reservation dropped, pc <- EPCR; asks to leave the run loop
   * (exitLoop) if that unmasked a pending interrupt.
   */
  private returnFromException(): void {
    this.setSrValue(this.esr);
    this.words[CPU_WORDS.RES_VALID] = 0;
    this.pcr = this.epcr | 0;
    this.ds = 0;
    if (this.exitLoop || this.interruptDeliverable()) this.exitLoop = true;
  }

  /** A synchronous exception of the instruction at this.pcr (this.ds says delay slot). */
  private syncException(vector: number, eear: number, setEear: boolean): void {
    this.exception(vector, this.pcr - (this.ds ? 4 : 0), eear, setEear);
  }

  private illegal(): void {
    this.syncException(Vector.ILLEGAL, this.pcr, true);
  }

  // ---------------------------------------------------------------- memory slow paths

  /** Translates va for an access; on a miss/fault raises it and returns -1. */
  private translate(va: number, kind: AccessKind): number {
    const sr = this.srBits;
    const on = kind === Access.EXEC ? sr & SR.IME : sr & SR.DME;
    if (on === 0) return va >>> 0;
    const pa = this.mmu.lookup(va, kind, (sr & SR.SM) !== 0);
    if (pa >= 0) return pa;
    let vector: number;
    if (kind === Access.EXEC) vector = pa === MISS ? Vector.ITLB_MISS : Vector.INSN_PAGE_FAULT;
    else vector = pa === FAULT ? Vector.DATA_PAGE_FAULT : Vector.DTLB_MISS;
    this.syncException(vector, va, true);
    return -1;
  }

  /** Data load of 1/2/4 bytes (unsigned result); sets this.fault on an exception. */
  private loadSlow(va: number, size: 1 | 2 | 4): number {
    va >>>= 0;
    if ((va & PAGE_MASK) + size > PAGE_MASK + 1) {
      let v = 0;
      for (let i = 0; i < size; i++) {
        const pa = this.translate((va + i) >>> 0, Access.READ);
        if (pa < 0) return 0;
        v = (v << 8) | this.bus.read(pa | 0, 1);
      }
      return v >>> 0;
    }
    const pa = this.translate(va, Access.READ);
    if (pa < 0) return 0;
    return this.bus.read(pa | 0, size);
  }

  private storeSlow(va: number, size: 1 | 2 | 4, value: number): void {
    va >>>= 0;
    if ((va & PAGE_MASK) + size > PAGE_MASK + 1) {
      // Translate every byte first so a fault leaves memory untouched.
      const pas = [0, 0, 0, 0];
      for (let i = 0; i < size; i++) {
        const pa = this.translate((va + i) >>> 0, Access.WRITE);
        if (pa < 0) return;
        pas[i] = pa | 0; // int32 elements (a uint32 above 2^31 would make them doubles)
      }
      for (let i = 0; i < size; i++) this.bus.write(pas[i]!, 1, (value >>> ((size - 1 - i) * 8)) & 0xff);
      return;
    }
    const pa = this.translate(va, Access.WRITE);
    if (pa < 0) return;
    this.bus.write(pa | 0, size, value);
  }

  /** Fetch-page refill: returns the page's fast entry (PA | 1), 0 for non-RAM, -1 on a fault. */
  private fetchSlow(pc: number): number {
    const pa = this.translate(pc, Access.EXEC);
    if (pa < 0) return -1;
    if (pa < this.ram.size) return ((pa >>> PAGE_BITS) << PAGE_BITS) | 1;
    return 0;
  }

  /** SR[F] | SR[CY] << 1 | SR[OV] << 2, the form translated code passes the flags in. */
  private packedFlags(): number {
    return this.flag | (this.carry << 1) | (this.overflow << 2);
  }

  private setPackedFlags(fl: number): void {
    this.flag = fl & 1;
    this.carry = (fl >>> 1) & 1;
    this.overflow = (fl >>> 2) & 1;
  }

  /**
   * Translated code's state at a slow access: the instruction's pc (bit 0:
   * in a delay slot), the instructions the function retired before it, and
   * the flags, so exceptions and devices see what the interpreter would
   * show them.
   */
  private jitSync(pcds: number, retired: number, f: number, cy: number, ov: number): void {
    // The WebAssembly interpreter's exception entry and l.rfe change SR in place.
    const sr = this.jitState[STATE.SR]! >>> 0;
    if (sr !== this.srBits) this.setSrBits(sr);
    this.pcr = pcds & ~1;
    this.ds = pcds & 1;
    this.instret = this.jitBase + this.jitState[STATE.CHAIN]! + retired;
    this.flag = f;
    this.carry = cy;
    this.overflow = ov;
  }

  /**
   * After a slow access of translated code: 0 to go on, or 1 with the state
   * words filled (translate.ts STATE) when it took an exception, or asked to
   * leave the run loop (then the instruction retired and `after` is next).
   */
  private jitLeave(retired: number, after: number): number {
    const st = this.jitState;
    if (this.fault !== 0) return this.jitOut(retired);
    if (!this.exitLoop) return 0;
    st[STATE.RESUME] = 0;
    st[STATE.DS] = 0;
    st[STATE.FLT] = 0;
    st[STATE.STOP] = 1;
    st[STATE.RETIRED] = retired + 1;
    st[STATE.NPC] = after;
    st[STATE.FLAGS] = this.packedFlags();
    return 1;
  }

  /**
   * A slow path's way out with the state in the fields (an exception was
   * taken, a jump, a stop reason or a reason to leave the run loop): FLT,
   * STOP and the count (`retired`, of the running WebAssembly function) in
   * the state words, and whether it may resume in place. Returns 1.
   */
  private jitOut(retired: number): number {
    const st = this.jitState;
    st[STATE.FLT] = 1;
    st[STATE.STOP] = 1;
    st[STATE.RETIRED] = retired;
    this.jitResume();
    return 1;
  }

  /**
   * After a slow path's way out with the state in the fields (FLT): the
   * WebAssembly interpreter may go on in place (RESUME, with the pc, flags,
   * SR and tables in the state words) when execJit would only re-enter it:
   * no stop reason, no reason to leave the run loop (an l.rfe that unmasks
   * a pending interrupt sets one), no delay slot, SR[OVE] clear.
   */
  private jitResume(): void {
    const st = this.jitState;
    if (this.stopReason !== NONE || this.exitLoop || this.ds !== 0 || (this.srBits & SR.OVE) !== 0) {
      st[STATE.RESUME] = 0;
      return;
    }
    this.fault = 0;
    st[STATE.RESUME] = 1;
    st[STATE.NPC] = this.pcr;
    st[STATE.FLAGS] = this.packedFlags();
    st[STATE.SR] = this.srBits;
    st[STATE.RTB] = this.curRead.byteOffset;
    st[STATE.WTB] = this.curWrite.byteOffset;
    st[STATE.XTB] = this.curExec.byteOffset;
  }

  /**
   * The WebAssembly interpreter's fetch from a page without an execute
   * entry: the entry after a TLB walk (fetchSlow), 0 if pc is not in RAM
   * (exec() fetches from the bus), or -1 after taking the exception (state
   * words as after a slow path's way out).
   */
  private jitFetch(pcds: number, retired: number, f: number, cy: number, ov: number): number {
    this.jitSync(pcds, retired, f, cy, ov);
    const e = this.fetchSlow(pcds & ~1);
    if (e >= 0) return e;
    this.jitOut(retired);
    return -1;
  }

  /** Slow-path load of translated code (a miss in the fast table: TLB walk, fault or MMIO); writes rD. */
  private jitLoad(va: number, kind: number, pcds: number, retired: number, f: number, cy: number, ov: number, after: number): number {
    this.jitSync(pcds, retired, f, cy, ov);
    const size = kind & 7;
    let v = this.loadSlow(va, size as 1 | 2 | 4);
    if (this.fault === 0) {
      const d = kind >>> 4;
      if ((kind & 8) !== 0) v = size === 1 ? (v << 24) >> 24 : (v << 16) >> 16;
      if (d !== 0) this.gpr[d] = v;
    }
    return this.jitLeave(retired, after);
  }

  /** Slow-path store of translated code (see jitLoad); a store into a code page lands here too. */
  private jitStore(va: number, size: number, value: number, pcds: number, retired: number, f: number, cy: number, ov: number, after: number): number {
    this.jitSync(pcds, retired, f, cy, ov);
    this.storeSlow(va, size as 1 | 2 | 4, value);
    return this.jitLeave(retired, after);
  }

  /**
   * For WebAssembly code (the interpreter's `sys`, and translated code's
   * through interp.ts's `s`): the one instruction at pc, not in a delay
   * slot, that WebAssembly does not do itself. Returns 0 if it retired normally (the flags are
   * then in the FLAGS state word), else 1 with the state in the fields
   * (FLT set: an exception, a jump such as l.rfe, a stop reason, or a
   * reason to leave the run loop).
   */
  private jitSys(pc: number, retired: number, f: number, cy: number, ov: number): number {
    this.jitSync(pc, retired, f, cy, ov);
    // l.mfspr / l.mtspr in supervisor mode (TLB and SR writes, other SPRs)
    // and l.rfe: done here, as exec(1, 1) would do them, without its entry
    // and exit.
    const e = this.curExec[pc >>> PAGE_BITS]!;
    if ((e & 1) !== 0 && (this.srBits & SR.SM) !== 0) {
      const insn = this.ram.words[((e ^ 1) | (pc & PAGE_MASK)) >>> 2]!;
      const op = insn >>> 26;
      if (op === 0x2d || op === 0x30) {
        const r = this.gpr;
        this.exitLoop = false;
        let srWrite = false;
        if (op === 0x2d) {
          const d = (insn >>> 21) & 31;
          const v = this.getSpr(r[(insn >>> 16) & 31]! | (insn & 0xffff));
          if (d !== 0) r[d] = v;
        } else {
          const n = (r[(insn >>> 16) & 31]! | (((insn >>> 10) & 0xf800) | (insn & 0x7ff))) & 0xffff;
          this.setSpr(n, r[(insn >>> 11) & 31]!);
          // An SR write leaves the run loop so that run() looks at interrupts
          // (and the tables change): with none deliverable the WebAssembly
          // interpreter may go on in place with the new tables (jitResume).
          if (n === SPR.SR && this.stopReason === NONE && !this.interruptDeliverable()) {
            this.exitLoop = false;
            srWrite = true;
          }
        }
        this.instret++;
        if (srWrite || this.exitLoop || this.stopReason !== NONE) {
          if (this.pcr === pc) this.pcr = (pc + 4) | 0; // else an NPC write: a jump
          this.ds = 0;
          return this.jitOut(retired + 1);
        }
        this.pcr = (pc + 4) | 0;
        this.jitState[STATE.FLAGS] = this.packedFlags();
        return 0;
      }
      if (op === 0x09) {
        // l.rfe (every exception handler's last instruction).
        this.returnFromException();
        this.instret++;
        return this.jitOut(retired + 1);
      }
    }
    const before = this.instret;
    this.exec(1, 1);
    const n = this.instret - before;
    if (n === 1 && this.pcr === ((pc + 4) | 0) && !this.exitLoop && this.stopReason === NONE) {
      this.jitState[STATE.FLAGS] = this.packedFlags();
      return 0;
    }
    return this.jitOut(retired + n);
  }

  // ---------------------------------------------------------------- SPRs

  /** l.mfspr semantics (unknown SPRs read 0). */
  getSpr(n: number): number {
    n &= 0xffff;
    const group = n >>> 11;
    switch (group) {
      case 0:
        if (n >= SPR.SHADOW && n < SPR.SHADOW + 512) {
          const i = n - SPR.SHADOW;
          return (i < 32 ? this.gpr[i]! : this.shadow[i]!) >>> 0;
        }
        switch (n) {
          case SPR.VR: return this.model.VR;
          case SPR.UPR: return this.model.UPR;
          case SPR.CPUCFGR: return this.model.CPUCFGR;
          case SPR.DMMUCFGR: case SPR.IMMUCFGR: return this.model.MMUCFGR;
          case SPR.VR2: return this.model.VR2;
          case SPR.AVR: return this.model.AVR;
          case SPR.EVBAR: return this.evbar >>> 0;
          case SPR.NPC: return this.pcr >>> 0;
          case SPR.SR: return this.sr;
          case SPR.PPC: return (this.pcr - 4) >>> 0;
          case SPR.FPCSR: return this.fpcsr;
          case SPR.EPCR: return this.epcr >>> 0;
          case SPR.EEAR: return this.eear >>> 0;
          case SPR.ESR: return this.esr >>> 0;
          case SPR.COREID: return 0;
          case SPR.NUMCORES: return 1;
          default: return 0;
        }
      case 1: {
        const i = n & 0x7ff;
        if (i >= 0x200 && i < 0x280) return this.mmu.dtlbMr[i - 0x200]! >>> 0;
        if (i >= 0x280 && i < 0x300) return this.mmu.dtlbTr[i - 0x280]! >>> 0;
        return 0;
      }
      case 2: {
        const i = n & 0x7ff;
        if (i >= 0x200 && i < 0x280) return this.mmu.itlbMr[i - 0x200]! >>> 0;
        if (i >= 0x280 && i < 0x300) return this.mmu.itlbTr[i - 0x280]! >>> 0;
        return 0;
      }
      case 5:
        if (n === SPR.MACLO) return this.macLo >>> 0;
        if (n === SPR.MACHI) return this.macHi >>> 0;
        return 0;
      case 8:
        return n === SPR.PMR ? this.pmr >>> 0 : 0;
      case 9:
        if (n === SPR.PICMR) return this.picmr >>> 0;
        if (n === SPR.PICSR) return this.picsr >>> 0;
        return 0;
      case 10:
        if (n === SPR.TTMR) return this.ttmr >>> 0;
        if (n === SPR.TTCR) return this.ttcrAt(this.ticks);
        return 0;
      default:
        return 0;
    }
  }

  /** l.mtspr semantics (read-only and unknown SPRs ignore writes). */
  setSpr(n: number, value: number): void {
    n &= 0xffff;
    value >>>= 0;
    switch (n >>> 11) {
      case 0:
        if (n >= SPR.SHADOW && n < SPR.SHADOW + 512) {
          const i = n - SPR.SHADOW;
          if (i < 32) this.gpr[i] = value;
          else this.shadow[i] = value;
          return;
        }
        switch (n) {
          case SPR.EVBAR: this.evbar = value; return;
          case SPR.NPC: this.jump(value); this.exitLoop = true; return;
          case SPR.SR: this.setSrValue(value); this.exitLoop = true; return;
          case SPR.FPCSR: this.fpcsr = value & 0xfff; return;
          case SPR.EPCR: this.epcr = value; return;
          case SPR.EEAR: this.eear = value; return;
          case SPR.ESR: this.esr = value; return;
          default: return;
        }
      case 1: {
        const i = n & 0x7ff;
        if (i >= 0x200 && i < 0x280) this.mmu.writeDtlb(i - 0x200, false, value);
        else if (i >= 0x280 && i < 0x300) this.mmu.writeDtlb(i - 0x280, true, value);
        return;
      }
      case 2: {
        const i = n & 0x7ff;
        if (i >= 0x200 && i < 0x280) this.mmu.writeItlb(i - 0x200, false, value);
        else if (i >= 0x280 && i < 0x300) this.mmu.writeItlb(i - 0x280, true, value);
        // The run loop's fetch-page cache (and translated code's page) come
        // from the ITLB only while the IMMU is on; the kernel's ITLB-miss
        // handler writes it with the IMMU off and goes on in place.
        if ((this.srBits & SR.IME) !== 0) this.exitLoop = true;
        return;
      }
      case 5:
        if (n === SPR.MACLO) this.macLo = value | 0;
        else if (n === SPR.MACHI) this.macHi = value | 0;
        return;
      case 8:
        if (n === SPR.PMR) {
          this.pmr = value;
          if (value & (PMR.DME | PMR.SME)) this.dozing = true;
          this.exitLoop = true;
        }
        return;
      case 9:
        if (n === SPR.PICMR) this.picmr = value;
        else if (n === SPR.PICSR) this.picsr = (this.picsr & ~value) >>> 0;
        this.exitLoop = true; // re-check interrupts
        return;
      case 10:
        if (n === SPR.TTMR) this.writeTtmr(value, this.ticks);
        else if (n === SPR.TTCR) this.writeTtcr(value, this.ticks);
        this.exitLoop = true; // next timer event moved
        return;
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- MAC unit

  /** MAC += / -= the 64-bit product of a and b (signed or unsigned); sets OV or CY. */
  private macOp(a: number, b: number, signed: boolean, subtract: boolean): void {
    // 64-bit product as hi:lo from 16-bit limbs (no BigInt: nothing allocates).
    const ua = a >>> 0, ub = b >>> 0;
    const a0 = ua & 0xffff, a1 = ua >>> 16, b0 = ub & 0xffff, b1 = ub >>> 16;
    const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const lo = ((mid << 16) | (p00 & 0xffff)) >>> 0;
    let hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + Math.floor(mid / 0x10000)) >>> 0;
    if (signed) {
      if (a < 0) hi = (hi - ub) >>> 0;
      if (b < 0) hi = (hi - ua) >>> 0;
    }
    const mlo = this.macLo >>> 0, mhi = this.macHi >>> 0;
    let rlo: number, rhi: number;
    if (!subtract) {
      const s = mlo + lo;
      rlo = s >>> 0;
      rhi = (mhi + hi + (s > 0xffffffff ? 1 : 0)) >>> 0;
      if (signed) this.overflow = ((~(mhi ^ hi) & (mhi ^ rhi)) >>> 31) & 1;
      else this.carry = rhi < mhi || (rhi === mhi && rlo < mlo) ? 1 : 0;
    } else {
      rlo = (mlo - lo) >>> 0;
      rhi = (mhi - hi - (mlo < lo ? 1 : 0)) >>> 0;
      if (signed) this.overflow = (((mhi ^ hi) & (mhi ^ rhi)) >>> 31) & 1;
      else this.carry = mhi < hi || (mhi === hi && mlo < lo) ? 1 : 0;
    }
    this.macLo = rlo | 0;
    this.macHi = rhi | 0;
  }

  /** MAC <- 64-bit product (l.muld / l.muldu). */
  private macSet(a: number, b: number, signed: boolean): void {
    this.macLo = 0;
    this.macHi = 0;
    const ov = this.overflow, cy = this.carry;
    this.macOp(a, b, signed, false);
    this.overflow = ov;
    this.carry = cy;
  }

  // ---------------------------------------------------------------- rare instructions

  /**
   * The instructions the boot executes seldom (l.sys/l.trap/syncs, MAC unit,
   * l.lwa/l.swa, l.sra/l.ror by register, l.div/l.ext/l.ff1 ...) and every
   * illegal encoding, kept out of exec() so that their first execution late
   * in a run deoptimises this small function instead of the big loop.
   * exec() has stored pc, ds, flag and instret in the fields before the call.
   * Returns RARE_OK (retired; SR[F] is in this.flag), RARE_FAULT (exception
   * taken, state in the fields) or RARE_EXIT (retired; leave the inner loop).
   */
  private execRare(insn: number): number {
    const r = this.gpr;
    switch (insn >>> 26) {
      case 0x06:
        if ((insn & 0xffff) === 0) { // (l.movhi is handled by exec)
          r[(insn >>> 21) & 31] = this.macLo; // l.macrc
          this.macLo = 0;
          this.macHi = 0;
          return RARE_OK;
        }
        break;
      case 0x08: {
        const sub = (insn >>> 16) & 0x3ff;
        if (sub === 0x000) { // l.sys
          if (this.linuxUserMode) {
            this.stopReason = StopReason.SYSCALL;
            return RARE_EXIT;
          }
          this.exception(Vector.SYSCALL, (this.pcr + 4 - (this.ds ? 4 : 0)) | 0, 0, false);
          return RARE_FAULT;
        }
        if (sub === 0x100) { // l.trap
          this.syncException(Vector.TRAP, 0, false);
          return RARE_FAULT;
        }
        if ((insn & 0xffff) === 0 && (sub === 0x200 || sub === 0x280 || sub === 0x300)) {
          return RARE_OK; // l.msync / l.psync / l.csync: no-ops for an in-order core
        }
        break;
      }
      case 0x13: // l.maci
        this.macOp(r[(insn >>> 16) & 31]!, (insn << 16) >> 16, true, false);
        return this.rangeCheck(this.overflow);
      case 0x1b: { // l.lwa
        const va = (r[(insn >>> 16) & 31]! + ((insn << 16) >> 16)) >>> 0;
        const v = this.loadSlow(va, 4);
        if (this.fault !== 0) return RARE_FAULT;
        r[(insn >>> 21) & 31] = v;
        this.words[CPU_WORDS.RES_VALID] = 1;
        this.words[CPU_WORDS.RES_ADDR] = va;
        this.words[CPU_WORDS.RES_VALUE] = v;
        return this.exitLoop ? RARE_EXIT : RARE_OK;
      }
      case 0x31: { // l.mac / l.msb / l.macu / l.msbu
        const op = insn & 0xf;
        if (op < 1 || op > 4) break;
        this.macOp(r[(insn >>> 16) & 31]!, r[(insn >>> 11) & 31]!, op === 1 || op === 2, op === 2 || op === 4);
        return this.rangeCheck(op <= 2 ? this.overflow : this.carry);
      }
      case 0x33: { // l.swa
        const va = (r[(insn >>> 16) & 31]! + (((((insn >>> 10) & 0xf800) | (insn & 0x7ff)) << 16) >> 16)) >>> 0;
        // Like QEMU: no memory access at all unless the address matches the reservation.
        let ok = false;
        const w = this.words;
        if (w[CPU_WORDS.RES_VALID] !== 0 && w[CPU_WORDS.RES_ADDR] === (va | 0)) {
          const cur = this.loadSlow(va, 4);
          if (this.fault !== 0) return RARE_FAULT;
          ok = w[CPU_WORDS.RES_VALUE] === (cur | 0);
        }
        if (ok) {
          this.storeSlow(va, 4, r[(insn >>> 11) & 31]!);
          if (this.fault !== 0) return RARE_FAULT;
        }
        this.words[CPU_WORDS.RES_VALID] = 0;
        this.flag = ok ? 1 : 0;
        return this.exitLoop ? RARE_EXIT : RARE_OK;
      }
      case 0x38: // the register-register ALU operations exec() leaves here
        return this.aluRare(insn);
      default:
        break;
    }
    this.illegal();
    return RARE_FAULT;
  }

  /** l.sra, l.ror, l.muld, l.div, l.divu, l.mulu, l.muldu, l.ext*, l.ff1, l.fl1 (or illegal). */
  private aluRare(insn: number): number {
    const r = this.gpr;
    const d = (insn >>> 21) & 31;
    const a = r[(insn >>> 16) & 31]!;
    const b = r[(insn >>> 11) & 31]!;
    const op2 = (insn >>> 8) & 3;
    switch (insn & 0xf) {
      case 0x7: // l.muld
        if (op2 !== 3) break;
        this.macSet(a, b, true);
        return RARE_OK;
      case 0x9: // l.div
        if (op2 !== 3) break;
        if (b === 0) {
          r[d] = a; // QEMU: divides by 1
          this.overflow = 1;
        } else if (a === -0x80000000 && b === -1) {
          r[d] = a;
          this.overflow = 1;
        } else {
          r[d] = (a / b) | 0;
          this.overflow = 0;
        }
        return this.rangeCheck(this.overflow);
      case 0xa: // l.divu
        if (op2 !== 3) break;
        if (b === 0) {
          r[d] = a;
          this.carry = 1;
        } else {
          r[d] = ((a >>> 0) / (b >>> 0)) >>> 0;
          this.carry = 0;
        }
        return this.rangeCheck(this.carry);
      case 0xb: { // l.mulu
        if (op2 !== 3) break;
        r[d] = Math.imul(a, b);
        this.carry = (a >>> 0) * (b >>> 0) > 0xffffffff ? 1 : 0;
        return this.rangeCheck(this.carry);
      }
      case 0xc:
        if (op2 === 3) { this.macSet(a, b, false); return RARE_OK; } // l.muldu
        if (op2 !== 0) break;
        switch ((insn >>> 6) & 3) {
          case 0: r[d] = (a << 16) >> 16; break; // l.exths
          case 1: r[d] = (a << 24) >> 24; break; // l.extbs
          case 2: r[d] = a & 0xffff; break; // l.exthz
          default: r[d] = a & 0xff; break; // l.extbz
        }
        return RARE_OK;
      case 0x8: { // l.sra / l.ror by register (l.sll / l.srl are handled by exec)
        if (op2 !== 0 || (insn & 0x80) === 0) break;
        const l = b & 31;
        r[d] = (insn & 0x40) === 0 ? a >> l : (a >>> l) | (a << (32 - l));
        return RARE_OK;
      }
      case 0xd: // l.extws / l.extwz (32-bit: a move)
        if (op2 !== 0 || ((insn >>> 6) & 3) > 1) break;
        r[d] = a;
        return RARE_OK;
      case 0xf: // l.ff1 / l.fl1
        if (op2 === 0) { r[d] = a === 0 ? 0 : 32 - Math.clz32(a & -a); return RARE_OK; }
        if (op2 === 1) { r[d] = 32 - Math.clz32(a); return RARE_OK; }
        break;
      default:
        break;
    }
    this.illegal();
    return RARE_FAULT;
  }

  /** The range exception (SR[OVE]) after a result with this OV/CY bit was written. */
  private rangeCheck(bit: number): number {
    if ((this.srBits & SR.OVE) !== 0 && bit !== 0) {
      this.syncException(Vector.RANGE, 0, false);
      return RARE_FAULT;
    }
    return RARE_OK;
  }

  // ---------------------------------------------------------------- run loop

  /**
   * Runs up to `budget` instructions (see the file header for stop reasons).
   */
  run(budget: number): StopReason {
    let retired = 0;
    if (this.jit) this.code.promote(); // pages hot enough for the optimising tier (jit/code-cache.ts PageTier)
    for (;;) {
      if (this.stopRequested) {
        this.stopRequested = false;
        return StopReason.STOP_REQUESTED;
      }
      const now = this.ticks;
      if (now >= this.timerEvent) {
        this.fireTimer(this.timerEvent);
        continue;
      }
      if (this.dozing) {
        if (!this.wakeable()) return StopReason.DOZE;
        this.dozing = false;
      }
      const taken = this.checkInterrupts();
      if (retired >= budget) return StopReason.BUDGET;
      let limit = budget - retired;
      // An interrupt that waits for a delay slot is taken right after it
      // (as in QEMU), not whenever the loop is next left.
      if (!taken && this.ds !== 0 && !this.linuxUserMode && this.interruptDeliverable()) limit = 1;
      // Instructions until the timer event (ticks, scaled when free-running).
      const toEvent = this.tickRate === 1 ? this.timerEvent - now : (this.timerEvent - this.skippedTicks) / this.tickRate - this.instret;
      if (toEvent < limit) limit = toEvent;
      // exec() wants a small integer (a double limit deoptimises it): round up
      // (same count of whole instructions) and cap; run() just loops again.
      limit = Math.ceil(limit);
      limit = limit > 0x3fffffff ? 0x3fffffff : limit | 0;
      retired += this.jit ? this.execJit(limit) : this.exec(limit, 0);
      if (this.stopReason !== NONE) {
        const s = this.stopReason as StopReason;
        this.stopReason = NONE;
        return s;
      }
    }
  }

  /**
   * One event: an interrupt entry, an exception entry, or one retired
   * instruction. Returns the StopReason of that instruction (BUDGET = normal).
   */
  step(): StopReason {
    if (this.stopRequested) {
      this.stopRequested = false;
      return StopReason.STOP_REQUESTED;
    }
    const now = this.ticks;
    if (now >= this.timerEvent) this.fireTimer(this.timerEvent);
    if (this.dozing) {
      if (!this.wakeable()) return StopReason.DOZE;
      this.dozing = false;
    }
    if (this.checkInterrupts()) return StopReason.BUDGET;
    this.stepping = true;
    this.exec(1, 0);
    this.stepping = false;
    if (this.stopReason !== NONE) {
      const s = this.stopReason as StopReason;
      this.stopReason = NONE;
      return s;
    }
    return StopReason.BUDGET;
  }

  /**
   * Runs at most `limit` instructions: translated code (emulator/cpu/jit/,
   * entered through the chain, which goes from page to page) wherever a
   * block start has it, the interpreter elsewhere (which counts block-start
   * heat and comes back here at translated or newly hot starts). Returns
   * when the limit is reached or something asks to leave the loop, like
   * exec().
   */
  private execJit(limit: number): number {
    let count = 0;
    const code = this.code;
    const interp = this.wasmInterp ? code.interp : null;
    const st = this.jitState;
    while (count < limit) {
      const pc = this.pcr;
      if (this.ds === 0 && (this.srBits & SR.OVE) === 0) {
        const e = this.curExec[pc >>> PAGE_BITS]!;
        if ((e & 1) !== 0 && (pc & 3) === 0 && code.lookup((e ^ 1) | (pc & PAGE_MASK))) {
          // Translated code (emulator/cpu/jit/), through the chain.
          this.exitLoop = false;
          const base = this.instret;
          this.jitBase = base;
          st[STATE.SR] = this.srBits;
          const n = code.enter!(pc, limit - count, this.packedFlags(), this.curRead.byteOffset, this.curWrite.byteOffset, this.curExec.byteOffset, 0);
          count += n;
          if (this.wasmReturned(base, n)) break;
          if (n !== 0 || st[STATE.FLT] !== 0) continue;
          // The first block did not fit in the limit: interpret up to it.
        }
        if (interp !== null) {
          // The WebAssembly interpreter (jit/interp.ts), with the same
          // protocol as translated code, plus its delay-slot state.
          this.exitLoop = false;
          const base = this.instret;
          this.jitBase = base;
          const n = interp(pc, limit - count, this.packedFlags(), this.curRead.byteOffset, this.curWrite.byteOffset, this.curExec.byteOffset,
            code.hot, this.srBits);
          count += n;
          if (this.wasmReturned(base, n)) break;
          if (st[STATE.FLT] !== 0) continue;
          if (count >= limit) break;
          // It stopped at a block start (translated or hot: the dispatcher's
          // turn), or at what only exec() does: a fetch that needs the TLB,
          // an instruction for JavaScript in a delay slot.
          if (n !== 0 && this.ds === 0) continue;
          count += this.exec(1, 1);
          if (this.exitLoop || this.stopReason !== NONE) break;
          continue;
        }
      }
      count += this.exec(limit - count, 1);
      if (this.exitLoop || this.stopReason !== NONE) break;
    }
    return count;
  }

  /**
   * After translated code or the WebAssembly interpreter retired `n`: the
   * CPU's fields from the state words, unless a slow path's way out (FLT)
   * already left them there (an exception was taken, entry masks
   * interrupts; or jitSys ran an instruction). True: leave execJit.
   */
  private wasmReturned(base: number, n: number): boolean {
    this.instret = base + n;
    const st = this.jitState;
    const flt = st[STATE.FLT]!;
    if (flt === 1) {
      this.fault = 0;
      this.ds = 0;
    } else {
      // The state is in the words: a normal return, or (FLT 2) translated
      // code's l.rfe, SR or ITLB write done in WebAssembly (interp.ts `s`),
      // which is never in a delay slot.
      this.pcr = st[STATE.NPC]!;
      this.ds = flt === 0 ? st[STATE.DS]! : 0;
      this.dsTarget = st[STATE.TARGET]!;
      this.setPackedFlags(st[STATE.FLAGS]!);
      const sr = st[STATE.SR]! >>> 0;
      if (sr !== this.srBits) this.setSrBits(sr);
    }
    return this.stopReason !== NONE || this.exitLoop;
  }

  /**
   * The interpreter proper: at most `limit` instructions. Returns how many
   * retired. With `block` = 1 (under execJit) it counts visits of branch
   * targets in the code cache's heat table, and also returns at a branch
   * target that has translated code or just got hot, after an l.rfe and
   * after an exception entry (so the dispatcher can take over).
   */
  private exec(limit: number, block: number): number {
    const r = this.gpr;
    const ram = this.ram;
    const mem = ram.words;
    const bytes = ram.bytes;
    const halves = ram.halves;
    let rt = this.curRead;
    let wt = this.curWrite;
    let xt = this.curExec;
    const base = this.instret;
    let pc = this.pcr;
    let ds = this.ds;
    let target = this.dsTarget;
    let flag = this.flag;
    let count = 0;
    let fetchVpn = -1;
    let fetchPage = 0;
    let fault = 0;
    this.exitLoop = false;
    const heat = this.code.heat;
    const blockBits = this.code.blockBits;
    const hot = this.code.hot;

    loop: while (count < limit) {
      // ---- fetch
      let insn: number;
      if (pc >>> PAGE_BITS === fetchVpn) {
        insn = mem[(fetchPage | (pc & PAGE_MASK)) >>> 2]!;
      } else {
        const e = xt[pc >>> PAGE_BITS]!;
        if ((e & 1) !== 0) {
          fetchVpn = pc >>> PAGE_BITS;
          fetchPage = e ^ 1;
          insn = mem[(fetchPage | (pc & PAGE_MASK)) >>> 2]!;
        } else {
          this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count;
          const f = this.fetchSlow(pc);
          if (f < 0) {
            // ITLB miss / insn page fault: now at the vector, MMU off, interrupts off.
            pc = this.pcr; ds = 0; this.fault = 0;
            if (this.stopReason !== NONE || this.stepping || block !== 0) break loop;
            rt = this.curRead; wt = this.curWrite; xt = this.curExec; fetchVpn = -1;
            continue loop;
          }
          if (f === 0) {
            fetchVpn = -1;
            insn = this.bus.read(this.translate(pc, Access.EXEC), 4) | 0;
            limit = 0;
          } else {
            fetchVpn = pc >>> PAGE_BITS;
            fetchPage = f ^ 1;
            insn = mem[(fetchPage | (pc & PAGE_MASK)) >>> 2]!;
          }
        }
      }
      count++;
      let nds = 0;

      // ---- execute
      sw: switch (insn >>> 26) {
        case 0x00: // l.j
          target = (pc + ((insn << 6) >> 4)) | 0;
          nds = 1;
          break;
        case 0x01: // l.jal
          r[9] = (pc + 8) | 0;
          target = (pc + ((insn << 6) >> 4)) | 0;
          nds = 1;
          break;
        case 0x02: // l.adrp
          r[(insn >>> 21) & 31] = (pc & ~PAGE_MASK) + (((insn << 11) >> 11) << 13);
          break;
        case 0x03: // l.bnf
          target = flag === 0 ? (pc + ((insn << 6) >> 4)) | 0 : (pc + 8) | 0;
          nds = 1;
          break;
        case 0x04: // l.bf
          target = flag !== 0 ? (pc + ((insn << 6) >> 4)) | 0 : (pc + 8) | 0;
          nds = 1;
          break;
        case 0x05: // l.nop
          if ((insn & 0x03000000) !== 0x01000000) {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            this.illegal(); fault = 1; break;
          }
          if (this.nopHooks || this.nopHalt) {
            const k = insn & 0xffff;
            if (k === 1) {
              this.exitCode = r[3]!;
              this.stopReason = StopReason.HALT;
              limit = 0;
            } else if (k === 4 && this.nopHooks) {
              this.putcByte = r[3]! & 0xff;
              this.stopReason = StopReason.PUTC;
              limit = 0;
            }
          }
          break;
        case 0x06:
          if ((insn & 0x10000) === 0) {
            r[(insn >>> 21) & 31] = insn << 16; // l.movhi
            break;
          }
          // l.macrc: execRare()
          {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            const st = this.execRare(insn);
            flag = this.flag;
            if (st === RARE_FAULT) fault = 1;
            else if (st === RARE_EXIT) limit = 0;
          }
          break;
        case 0x09: // l.rfe
          this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
          if ((this.srBits & SR.SM) === 0) { this.illegal(); fault = 1; break; }
          this.returnFromException();
          pc = this.pcr;
          ds = 0;
          flag = this.flag;
          rt = this.curRead; wt = this.curWrite; xt = this.curExec; fetchVpn = -1;
          if (this.exitLoop) break loop;
          if (block !== 0) break loop;
          continue loop; // retired; pc already set

        case 0x11: // l.jr
          target = r[(insn >>> 11) & 31]!;
          nds = 1;
          break;
        case 0x12: // l.jalr
          target = r[(insn >>> 11) & 31]!;
          r[9] = (pc + 8) | 0;
          nds = 1;
          break;
        case 0x21: // l.lwz
        case 0x22: { // l.lws
          const va = (r[(insn >>> 16) & 31]! + ((insn << 16) >> 16)) | 0;
          const e = rt[va >>> PAGE_BITS]!;
          if ((e & 1) !== 0 && (va & 3) === 0) {
            r[(insn >>> 21) & 31] = mem[((e ^ 1) | (va & PAGE_MASK)) >>> 2]!;
          } else {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            const v = this.loadSlow(va, 4);
            if (this.fault !== 0) { fault = 1; break; }
            r[(insn >>> 21) & 31] = v;
            if (this.exitLoop) limit = 0;
          }
          break;
        }
        case 0x23: // l.lbz
        case 0x24: { // l.lbs
          const va = (r[(insn >>> 16) & 31]! + ((insn << 16) >> 16)) | 0;
          const e = rt[va >>> PAGE_BITS]!;
          let v: number;
          if ((e & 1) !== 0) {
            v = bytes[((e ^ 1) | (va & PAGE_MASK)) ^ 3]!;
          } else {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            v = this.loadSlow(va, 1);
            if (this.fault !== 0) { fault = 1; break; }
            if (this.exitLoop) limit = 0;
          }
          r[(insn >>> 21) & 31] = (insn & 0x04000000) === 0 ? (v << 24) >> 24 : v; // 0x24 l.lbs
          break;
        }
        case 0x25: // l.lhz
        case 0x26: { // l.lhs
          const va = (r[(insn >>> 16) & 31]! + ((insn << 16) >> 16)) | 0;
          const e = rt[va >>> PAGE_BITS]!;
          let v: number;
          if ((e & 1) !== 0 && (va & 1) === 0) {
            v = halves[(((e ^ 1) | (va & PAGE_MASK)) ^ 2) >>> 1]!;
          } else {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            v = this.loadSlow(va, 2);
            if (this.fault !== 0) { fault = 1; break; }
            if (this.exitLoop) limit = 0;
          }
          r[(insn >>> 21) & 31] = (insn & 0x04000000) === 0 ? (v << 16) >> 16 : v; // 0x26 l.lhs
          break;
        }
        case 0x27: { // l.addi
          const a = r[(insn >>> 16) & 31]!;
          const b = (insn << 16) >> 16;
          const s = (a + b) | 0;
          r[(insn >>> 21) & 31] = s;
          this.carry = (s >>> 0) < (a >>> 0) ? 1 : 0;
          this.overflow = ((~(a ^ b) & (a ^ s)) >>> 31);
          if ((this.srBits & SR.OVE) !== 0 && (this.carry | this.overflow) !== 0) {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            this.syncException(Vector.RANGE, 0, false); fault = 1;
          }
          break;
        }
        case 0x28: { // l.addic
          const a = r[(insn >>> 16) & 31]!;
          const b = (insn << 16) >> 16;
          const c = this.carry;
          const s = (a + b + c) | 0;
          r[(insn >>> 21) & 31] = s;
          const us = (a >>> 0) + (b >>> 0) + c;
          this.carry = us > 0xffffffff ? 1 : 0;
          this.overflow = ((~(a ^ b) & (a ^ s)) >>> 31);
          if ((this.srBits & SR.OVE) !== 0 && (this.carry | this.overflow) !== 0) {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            this.syncException(Vector.RANGE, 0, false); fault = 1;
          }
          break;
        }
        case 0x29: // l.andi
          r[(insn >>> 21) & 31] = r[(insn >>> 16) & 31]! & (insn & 0xffff);
          break;
        case 0x2a: // l.ori
          r[(insn >>> 21) & 31] = r[(insn >>> 16) & 31]! | (insn & 0xffff);
          break;
        case 0x2b: // l.xori
          r[(insn >>> 21) & 31] = r[(insn >>> 16) & 31]! ^ ((insn << 16) >> 16);
          break;
        case 0x2c: { // l.muli
          const a = r[(insn >>> 16) & 31]!;
          const b = (insn << 16) >> 16;
          const p = Math.imul(a, b);
          r[(insn >>> 21) & 31] = p;
          this.overflow = a * b !== p ? 1 : 0;
          if ((this.srBits & SR.OVE) !== 0 && this.overflow !== 0) {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            this.syncException(Vector.RANGE, 0, false); fault = 1;
          }
          break;
        }
        case 0x2d: { // l.mfspr
          this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
          if ((this.srBits & SR.SM) === 0) { this.illegal(); fault = 1; break; }
          r[(insn >>> 21) & 31] = this.getSpr(r[(insn >>> 16) & 31]! | (insn & 0xffff));
          break;
        }
        case 0x2e: { // l.slli / l.srli / l.srai / l.rori
          const a = r[(insn >>> 16) & 31]!;
          const l = insn & 31;
          let v: number;
          switch ((insn >>> 6) & 3) {
            case 0: v = a << l; break;
            case 1: v = a >>> l; break;
            case 2: v = a >> l; break;
            default: v = (a >>> l) | (a << (32 - l)); break;
          }
          r[(insn >>> 21) & 31] = v;
          break;
        }
        case 0x2f: { // l.sf*i
          const a = r[(insn >>> 16) & 31]!;
          const b = (insn << 16) >> 16;
          switch ((insn >>> 21) & 31) {
            case 0x0: flag = a === b ? 1 : 0; break;
            case 0x1: flag = a !== b ? 1 : 0; break;
            case 0x2: flag = (a >>> 0) > (b >>> 0) ? 1 : 0; break;
            case 0x3: flag = (a >>> 0) >= (b >>> 0) ? 1 : 0; break;
            case 0x4: flag = (a >>> 0) < (b >>> 0) ? 1 : 0; break;
            case 0x5: flag = (a >>> 0) <= (b >>> 0) ? 1 : 0; break;
            case 0xa: flag = a > b ? 1 : 0; break;
            case 0xb: flag = a >= b ? 1 : 0; break;
            case 0xc: flag = a < b ? 1 : 0; break;
            case 0xd: flag = a <= b ? 1 : 0; break;
            default:
              this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
              this.illegal(); fault = 1;
          }
          break;
        }
        case 0x30: { // l.mtspr
          this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
          if ((this.srBits & SR.SM) === 0) { this.illegal(); fault = 1; break; }
          const spr = r[(insn >>> 16) & 31]! | (((insn >>> 10) & 0xf800) | (insn & 0x7ff));
          this.setSpr(spr, r[(insn >>> 11) & 31]!);
          flag = this.flag;
          if (this.exitLoop) {
            if (this.pcr !== pc) { // NPC write: a jump
              pc = this.pcr; ds = 0;
              break loop;
            }
            limit = 0;
          }
          break;
        }
        case 0x35: { // l.sw
          const va = (r[(insn >>> 16) & 31]! + (((((insn >>> 10) & 0xf800) | (insn & 0x7ff)) << 16) >> 16)) | 0;
          const e = wt[va >>> PAGE_BITS]!;
          if ((e & 1) !== 0 && (va & 3) === 0) {
            mem[((e ^ 1) | (va & PAGE_MASK)) >>> 2] = r[(insn >>> 11) & 31]!;
          } else {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            this.storeSlow(va, 4, r[(insn >>> 11) & 31]!);
            if (this.fault !== 0) { fault = 1; break; }
            if (this.exitLoop) limit = 0;
          }
          break;
        }
        case 0x36: { // l.sb
          const va = (r[(insn >>> 16) & 31]! + (((((insn >>> 10) & 0xf800) | (insn & 0x7ff)) << 16) >> 16)) | 0;
          const e = wt[va >>> PAGE_BITS]!;
          if ((e & 1) !== 0) {
            bytes[((e ^ 1) | (va & PAGE_MASK)) ^ 3] = r[(insn >>> 11) & 31]!;
          } else {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            this.storeSlow(va, 1, r[(insn >>> 11) & 31]! & 0xff);
            if (this.fault !== 0) { fault = 1; break; }
            if (this.exitLoop) limit = 0;
          }
          break;
        }
        case 0x37: { // l.sh
          const va = (r[(insn >>> 16) & 31]! + (((((insn >>> 10) & 0xf800) | (insn & 0x7ff)) << 16) >> 16)) | 0;
          const e = wt[va >>> PAGE_BITS]!;
          if ((e & 1) !== 0 && (va & 1) === 0) {
            halves[(((e ^ 1) | (va & PAGE_MASK)) ^ 2) >>> 1] = r[(insn >>> 11) & 31]!;
          } else {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            this.storeSlow(va, 2, r[(insn >>> 11) & 31]! & 0xffff);
            if (this.fault !== 0) { fault = 1; break; }
            if (this.exitLoop) limit = 0;
          }
          break;
        }
        case 0x38: { // register-register ALU
          const d = (insn >>> 21) & 31;
          const a = r[(insn >>> 16) & 31]!;
          const b = r[(insn >>> 11) & 31]!;
          const op2 = (insn >>> 8) & 3;
          switch (insn & 0xf) {
            case 0x0: // l.add
            case 0x1: { // l.addc
              if (op2 !== 0) break;
              const c = (insn & 1) !== 0 ? this.carry : 0;
              const s = (a + b + c) | 0;
              r[d] = s;
              this.carry = (a >>> 0) + (b >>> 0) + c > 0xffffffff ? 1 : 0;
              this.overflow = ((~(a ^ b) & (a ^ s)) >>> 31);
              if ((this.srBits & SR.OVE) !== 0 && (this.carry | this.overflow) !== 0) {
                this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
                this.syncException(Vector.RANGE, 0, false); fault = 1;
              }
              break sw;
            }
            case 0x2: { // l.sub
              if (op2 !== 0) break;
              const s = (a - b) | 0;
              r[d] = s;
              this.carry = (a >>> 0) < (b >>> 0) ? 1 : 0;
              this.overflow = (((a ^ b) & (a ^ s)) >>> 31);
              if ((this.srBits & SR.OVE) !== 0 && (this.carry | this.overflow) !== 0) {
                this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
                this.syncException(Vector.RANGE, 0, false); fault = 1;
              }
              break sw;
            }
            case 0x3: if (op2 !== 0) break; r[d] = a & b; break sw; // l.and
            case 0x4: if (op2 !== 0) break; r[d] = a | b; break sw; // l.or
            case 0x5: if (op2 !== 0) break; r[d] = a ^ b; break sw; // l.xor
            case 0x6: { // l.mul
              if (op2 !== 3) break;
              const p = Math.imul(a, b);
              r[d] = p;
              this.overflow = a * b !== p ? 1 : 0;
              if ((this.srBits & SR.OVE) !== 0 && this.overflow !== 0) {
                this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
                this.syncException(Vector.RANGE, 0, false); fault = 1;
              }
              break sw;
            }
            case 0x8: { // l.sll / l.srl (l.sra / l.ror by register: execRare)
              if (((insn >>> 8) & 3) !== 0 || (insn & 0x80) !== 0) break;
              const l = b & 31;
              r[d] = (insn & 0x40) === 0 ? a << l : a >>> l;
              break sw;
            }
            case 0xe: // l.cmov
              if (op2 !== 0) break;
              r[d] = flag !== 0 ? a : b;
              break sw;
          }
          // l.mul, l.div, l.ext*, ... or not decoded: execRare()
          {
            this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
            const st = this.execRare(insn);
            flag = this.flag;
            if (st === RARE_FAULT) fault = 1;
            else if (st === RARE_EXIT) limit = 0;
          }
          break;
        }
        case 0x39: { // l.sf*
          const a = r[(insn >>> 16) & 31]!;
          const b = r[(insn >>> 11) & 31]!;
          switch ((insn >>> 21) & 31) {
            case 0x0: flag = a === b ? 1 : 0; break;
            case 0x1: flag = a !== b ? 1 : 0; break;
            case 0x2: flag = (a >>> 0) > (b >>> 0) ? 1 : 0; break;
            case 0x3: flag = (a >>> 0) >= (b >>> 0) ? 1 : 0; break;
            case 0x4: flag = (a >>> 0) < (b >>> 0) ? 1 : 0; break;
            case 0x5: flag = (a >>> 0) <= (b >>> 0) ? 1 : 0; break;
            case 0xa: flag = a > b ? 1 : 0; break;
            case 0xb: flag = a >= b ? 1 : 0; break;
            case 0xc: flag = a < b ? 1 : 0; break;
            case 0xd: flag = a <= b ? 1 : 0; break;
            default:
              this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
              this.illegal(); fault = 1;
          }
          break;
        }
        default: { // everything else: execRare()
          this.pcr = pc; this.ds = ds; this.flag = flag; this.instret = base + count - 1;
          const st = this.execRare(insn);
          flag = this.flag;
          if (st === RARE_FAULT) fault = 1;
          else if (st === RARE_EXIT) limit = 0;
          break;
        }
      }

      if (fault !== 0) {
        // Exception taken by this instruction: it did not retire; state is in the fields.
        // Entry disables interrupts, so just continue at the vector with the new tables.
        fault = 0;
        this.fault = 0;
        count--;
        pc = this.pcr;
        ds = 0;
        flag = this.flag;
        if (this.stopReason !== NONE || this.stepping || block !== 0) break;
        rt = this.curRead; wt = this.curWrite; xt = this.curExec; fetchVpn = -1;
        continue;
      }
      r[0] = 0;
      if (ds !== 0) {
        pc = target;
        if (block > nds) {
          // A delay slot retired: pc starts a block. Stop for translated
          // code or a start that just got hot; count the visit otherwise.
          const e = xt[pc >>> PAGE_BITS]!;
          if ((e & 1) === 0 || (pc & 3) !== 0) { ds = 0; break; }
          const pa = (e ^ 1) | (pc & PAGE_MASK);
          if (((blockBits[pa >>> 5]! >>> ((pa >>> 2) & 7)) & 1) !== 0) { ds = 0; break; }
          const h = (pa >>> 2) & (HEAT_SIZE - 1);
          const v = heat[h]!;
          if (v < hot) heat[h] = v + 1;
          else if (v !== HEAT_NEVER) { ds = 0; break; }
        }
      } else {
        pc = (pc + 4) | 0;
      }
      ds = nds;
    }
    r[0] = 0;
    this.pcr = pc;
    this.ds = ds;
    this.dsTarget = target;
    this.flag = flag;
    this.instret = base + count;
    return count;
  }
}
