import { describe, expect, it } from 'vitest';
import { runMachine, type RunTarget } from '../../../emulator/host/runner.ts';

/**
 * A toy machine: 1 instruction = 50 ns; it dozes after every `busy`
 * instructions until its timer fires `period` ns later; it halts after
 * `ticks` timer events; bytes offered as input are echoed into `log` and
 * wake it from doze.
 */
class ToyMachine implements RunTarget {
  ns = 0;
  /** Guest ns per instruction (free-running targets change it). */
  nsPerInstruction = 50;
  retired = 0;
  sinceWake = 0;
  idle = false;
  halted: RunTarget['halted'];
  nextTimer: number;
  ticks = 0;
  log: string[] = [];
  constructor(readonly busy: number, readonly period: number, readonly maxTicks: number, readonly timerArmed = true) {
    this.nextTimer = timerArmed ? period : Infinity;
  }
  run(budget: number): number {
    let n = 0;
    while (n < budget && !this.idle && !this.halted) {
      n++;
      this.retired++;
      this.ns += this.nsPerInstruction;
      this.fireDue();
      if (++this.sinceWake >= this.busy) this.idle = true;
    }
    return n;
  }
  private fireDue() {
    while (this.ns >= this.nextTimer) {
      this.ticks++;
      this.log.push(`tick@${this.nextTimer}`);
      this.nextTimer += this.period;
      this.idle = false;
      this.sinceWake = 0;
      if (this.ticks >= this.maxTicks) this.halted = { how: 'poweroff', code: 0 };
    }
  }
  nowNs() { return this.ns; }
  nextEventNs() { return this.nextTimer; }
  skipTo(ns: number) { this.ns = ns; this.fireDue(); }
  input(bytes: Uint8Array): number {
    const took = Math.min(2, bytes.length); // a tiny FIFO
    this.log.push(`in:${Buffer.from(bytes.subarray(0, took)).toString()}@${this.retired}`);
    this.idle = false;
    this.sinceWake = 0;
    return took;
  }
}

describe('runMachine (virtual time)', () => {
  it('fast-forwards a dozing CPU to the next timer event and runs to the halt', async () => {
    const m = new ToyMachine(1000, 1_000_000, 20);
    const r = await runMachine(m, {}, { sliceInstructions: 300 });
    expect(r.end).toBe('halted');
    expect(m.ticks).toBe(20);
    expect(r.instructions).toBe(m.retired);
    // 1000 busy instructions (50 us) per 1 ms tick: most guest time was skipped.
    expect(r.idleSkippedNs).toBeGreaterThan(15_000_000);
    expect(m.ns).toBe(20_000_000);
  });

  it('is deterministic: the same instruction count, time and event log every run', async () => {
    const once = async () => {
      const m = new ToyMachine(777, 400_000, 30);
      let typed = false;
      const r = await runMachine(m, {
        takeInput: () => {
          if (typed || m.ticks < 5) return new Uint8Array(0);
          typed = true;
          return Buffer.from('hello');
        },
      }, { sliceInstructions: 256 });
      return { r: r.instructions, ns: m.ns, log: m.log.join(' ') };
    };
    const a = await once();
    const b = await once();
    expect(a).toEqual(b);
    // Input larger than the FIFO is delivered over several slices.
    expect(a.log).toMatch(/in:he@\d+ .*in:ll@\d+ .*in:o@\d+/);
  });

  it('stops when afterSlice says so, and skips idle time when no timer is armed', async () => {
    const m = new ToyMachine(100, 1, 1e9, false);
    let calls = 0;
    const r = await runMachine(m, { afterSlice: (ns) => { calls++; return ns >= 1e9; } }, { sliceInstructions: 64, idleSkipNs: 100_000_000 });
    expect(r.end).toBe('stopped');
    expect(m.ns).toBeGreaterThanOrEqual(1e9);
    expect(calls).toBeGreaterThan(5);
  });

  it('gives up at the wall-clock deadline', async () => {
    const m = new ToyMachine(1e12, 1e15, 1);
    const r = await runMachine(m, { wallDeadlineMs: performance.now() + 50 }, { sliceInstructions: 1000 });
    expect(r.end).toBe('wall-timeout');
  });
});

describe('runMachine (realtime)', () => {
  it('lets guest time follow the wall clock while dozing', async () => {
    const m = new ToyMachine(10, 5_000_000, 20); // 20 ticks of 5 ms = 100 ms of guest time
    const t0 = performance.now();
    const r = await runMachine(m, {}, { realtime: true, sliceInstructions: 1000 });
    const wall = performance.now() - t0;
    expect(r.end).toBe('halted');
    expect(wall).toBeGreaterThanOrEqual(90);
  });
});

describe('runMachine (realtime, busy guest)', () => {
  it('holds a guest that runs faster than real time back to the wall clock', async () => {
    const m = new ToyMachine(1e12, 1e15, 1); // never dozes
    const t0 = performance.now();
    await runMachine(m, { afterSlice: (ns) => ns >= 200_000_000 }, { realtime: true, sliceInstructions: 100_000 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
  });
});

describe('runMachine (free-running)', () => {
  class FreeToy extends ToyMachine {
    setNsPerInstruction(ns: number) { this.nsPerInstruction = Math.min(50, ns); }
  }
  /** A host far faster than 20 MHz at any machine load: a slice costs next to nothing. */
  class InstantToy extends FreeToy {
    override run(budget: number): number {
      this.retired += budget;
      this.ns += budget * this.nsPerInstruction;
      return budget;
    }
  }
  it('keeps guest time on the wall clock without pacing a fast CPU', async () => {
    const m = new InstantToy(1e12, 1e15, 1); // never dozes
    const t0 = performance.now();
    let stop = 0; // the wall clock when the runner handed over its last slice (a loaded host may be slow to return)
    await runMachine(m, { afterSlice: () => (stop = performance.now()) - t0 >= 300 }, { freeRun: true, sliceInstructions: 100_000 });
    const wallNs = (stop - t0) * 1e6;
    // Guest time follows the wall clock (not the 50 ns-per-instruction count)...
    expect(m.ns).toBeGreaterThan(wallNs * 0.5);
    expect(m.ns).toBeLessThan(wallNs * 1.5 + 20e6);
    // ...while the toy CPU ran far more instructions than a 20 MHz pace allows.
    expect(m.retired * 50).toBeGreaterThan(m.ns * 2);
  });
  it('moves a guest slower than real time on to the wall clock', async () => {
    class Slow extends FreeToy {
      override run(budget: number): number {
        const end = performance.now() + 5; // 5 ms per slice of 1000 instructions: 0.2 MIPS
        while (performance.now() < end) { /* a slow host */ }
        return super.run(budget);
      }
    }
    const m = new Slow(1e12, 1e15, 1);
    const t0 = performance.now();
    let stop = 0;
    await runMachine(m, { afterSlice: () => (stop = performance.now()) - t0 >= 200 }, { freeRun: true, sliceInstructions: 1000 });
    expect(m.ns).toBeGreaterThan((stop - t0) * 1e6 * 0.5);
  });
});

describe('runMachine (guest reboot)', () => {
  class Rebooter extends ToyMachine {
    resets = 0;
    override run(budget: number): number {
      const n = super.run(budget);
      if (this.retired >= 5000 && this.resets < 2) this.halted = { how: 'reset', code: 0 };
      return n;
    }
    reset() { this.resets++; this.retired = 0; this.halted = undefined; }
  }
  it('ends the run on a reset by default, restarts the machine when asked', async () => {
    const a = new Rebooter(1e12, 1e15, 1);
    expect((await runMachine(a, {}, { sliceInstructions: 1000 })).end).toBe('halted');
    expect(a.resets).toBe(0);
    const b = new Rebooter(1e12, 1e15, 1);
    const r = await runMachine(b, { afterSlice: () => b.resets === 2 && b.retired >= 3000 }, { sliceInstructions: 1000, rebootResets: true });
    expect(r.end).toBe('stopped');
    expect(b.resets).toBe(2);
  });
});

describe('runMachine (coarse guest clock)', () => {
  it('does not spin when the target cannot land exactly on a deadline', async () => {
    class Coarse extends ToyMachine {
      override skipTo(ns: number) { super.skipTo(Math.floor(ns / 50) * 50); }
    }
    const m = new Coarse(100, 1, 1e9, false);
    const deadline = 12_345_678.9; // not a multiple of the 50 ns tick
    const r = await runMachine(m, { guestDeadlineNs: () => deadline, afterSlice: (ns) => ns >= deadline }, { sliceInstructions: 64 });
    expect(r.end).toBe('stopped');
    expect(m.ns).toBeGreaterThanOrEqual(deadline);
  });
});

describe('runMachine (a backend waiting on the host)', () => {
  it('does not fast-forward a dozing guest while waitingOnHost(): guest time follows the wall clock, then skips again', async () => {
    class Networked extends ToyMachine {
      waiting = true;
      waitingOnHost() { return this.waiting; }
    }
    const m = new Networked(10, 10_000_000, 1e9); // a 10 ms timer
    const t0 = performance.now();
    await runMachine(m, { afterSlice: (ns) => ns >= 60_000_000 }, { sliceInstructions: 1000 });
    const wall = performance.now() - t0;
    expect(wall).toBeGreaterThanOrEqual(50); // 60 ms of guest time took about as long on the wall
    m.waiting = false;
    const t1 = performance.now();
    await runMachine(m, { afterSlice: (ns) => ns >= 10_000_000_000 }, { sliceInstructions: 1000 });
    expect(performance.now() - t1).toBeLessThan(5000); // 10 s of guest time skipped through
  });
});
