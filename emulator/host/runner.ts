/**
 * The run loop: runs the machine in slices of N instructions, and between
 * slices hands console input to the guest, lets the caller inspect output
 * (boot checks), and yields to the Node event loop with `setImmediate` so
 * keys, signals and timers are served.
 *
 * Time. By default guest time is virtual: it advances with retired
 * instructions, and when the CPU dozes (idle, waiting for an interrupt) the
 * runner fast-forwards guest time straight to the next timer event. Nothing
 * depends on the host clock, so two runs retire the same instructions and
 * print the same transcript, printk timestamps included.
 * With `realtime`, a dozing guest waits for the wall clock to reach its next
 * event instead (`sleep 1` takes a second, typing wakes it), and a busy guest
 * that runs ahead of the wall clock is paused until the clock catches up: the
 * CPU is held to its 20 MHz guest clock.
 * With `freeRun` (interactive sessions), guest time follows the wall clock but
 * the CPU is never paused, as QEMU runs without -icount: after each slice the
 * runner sets how much guest time an instruction is worth from the slice's
 * wall time (never more than one 20 MHz tick), so a CPU-bound program runs at
 * full host speed while `sleep`, `date` and timers keep wall-clock pace. A
 * guest slower than real time has its clock moved on to the wall clock.
 * The same wall-clock pacing of a dozing guest applies, in any mode, while the
 * target says it is waiting on the host (a network connection): time is then
 * only as deterministic as the host traffic. Runs with no such traffic keep
 * skipping freely.
 */

/** What the runner needs of a machine (see `machineTarget` for the adapter). */
export interface RunTarget {
  /**
   * Runs at most `budget` instructions. Returns the number retired; stops early
   * when the CPU dozes or the machine halts.
   */
  run(budget: number): number;
  /** The CPU is dozing: nothing to run until an interrupt. */
  readonly idle: boolean;
  /** Set once the guest powered off or reset (the machine stops). */
  readonly halted: { how: 'poweroff' | 'reset'; code: number } | undefined;
  /** Guest time, nanoseconds since reset. */
  nowNs(): number;
  /** Guest time of the next timer event (Infinity when none is armed). */
  nextEventNs(): number;
  /** Advances guest time to `ns` while dozing (raises the due interrupts). */
  skipTo(ns: number): void;
  /** Offers input bytes to the console UART; returns how many it took. */
  input(bytes: Uint8Array): number;
  /** Restarts the machine after a guest reset (reboot). */
  reset?(): void;
  /** Guest nanoseconds each retired instruction is worth from now on (free-running; capped at the nominal clock). */
  setNsPerInstruction?(ns: number): void;
  /**
   * A network backend waits on the host (NetBackend.waitingOnHost): while it
   * does, a dozing guest is not fast-forwarded; guest time follows the wall
   * clock (as QEMU without -icount) so host peers see real timing.
   */
  waitingOnHost?(): boolean;
}

export interface RunHooks {
  /** Host → guest bytes to deliver (called between slices). */
  takeInput?: () => Uint8Array;
  /** Called after every slice; return true to stop the run. */
  afterSlice?: (nowNs: number) => boolean;
  /** Stop when the wall clock passes this (ms, `performance.now()` base). */
  wallDeadlineMs?: number;
  /** Guest time the caller must see (a timeout): idle skips stop there. */
  guestDeadlineNs?: () => number;
}

export interface RunOptions {
  /** Instructions per slice (default 1 Mi). Fixed, so runs are reproducible. */
  sliceInstructions?: number;
  realtime?: boolean;
  /** Guest time follows the wall clock without pausing the CPU (see the file header). Implies realtime's idle waits. */
  freeRun?: boolean;
  /**
   * Guest time to skip when the CPU dozes with no timer armed (virtual mode):
   * the guest only waits for input, which may never come; time moves on so
   * guest-time timeouts still fire.
   */
  idleSkipNs?: number;
  /** A guest reboot restarts the machine (interactive); by default it ends the run, like QEMU -no-reboot. */
  rebootResets?: boolean;
}

export type RunEnd = 'halted' | 'stopped' | 'wall-timeout';

export interface RunResult {
  end: RunEnd;
  instructions: number;
  /** Guest nanoseconds skipped while dozing. */
  idleSkippedNs: number;
  slices: number;
  wallMs: number;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runMachine(target: RunTarget, hooks: RunHooks = {}, options: RunOptions = {}): Promise<RunResult> {
  const slice = options.sliceInstructions ?? 1 << 20;
  const idleSkip = options.idleSkipNs ?? 10_000_000;
  const realtime = options.realtime === true || options.freeRun === true;
  const startWall = performance.now();
  // Realtime: guest time and wall time at a common instant (reset by a reboot), to map one onto the other.
  let guestAtStart = target.nowNs();
  let wallAtStart = startWall;
  let pendingInput: Uint8Array = new Uint8Array(0);
  let instructions = 0;
  let idleSkippedNs = 0;
  let slices = 0;
  // Host-paced (waitingOnHost) idling: the guest/wall anchor is reset on entering it.
  let hostPaced = false;

  const deliverInput = (): void => {
    const more = hooks.takeInput?.();
    if (more && more.length > 0) pendingInput = concat(pendingInput, more);
    if (pendingInput.length > 0) {
      const took = target.input(pendingInput);
      if (took > 0) pendingInput = pendingInput.subarray(took);
    }
  };
  const finish = (end: RunEnd): RunResult => ({ end, instructions, idleSkippedNs, slices, wallMs: performance.now() - startWall });

  for (;;) {
    if (target.halted?.how === 'reset' && options.rebootResets && target.reset) {
      target.reset();
      guestAtStart = target.nowNs();
      wallAtStart = performance.now();
    }
    deliverInput();
    if (target.halted) return finish('halted');
    if (!target.idle) {
      const sliceStart = performance.now();
      const ran = target.run(slice);
      instructions += ran;
      slices++;
      if (options.freeRun) followWallClock(target, ran, (performance.now() - sliceStart) * 1e6, guestAtStart + (performance.now() - wallAtStart) * 1e6);
    }
    const halted = target.halted as RunTarget['halted']; // changed by run(): no narrowing from above
    if (halted && !(halted.how === 'reset' && options.rebootResets && target.reset)) {
      hooks.afterSlice?.(target.nowNs());
      return finish('halted');
    }
    if (target.idle) {
      const now = target.nowNs();
      const deadline = hooks.guestDeadlineNs?.() ?? Number.POSITIVE_INFINITY;
      const next = Math.min(target.nextEventNs(), deadline > now ? deadline : Number.POSITIVE_INFINITY);
      const paced = !options.realtime && target.waitingOnHost?.() === true;
      if (paced && !hostPaced) {
        guestAtStart = now;
        wallAtStart = performance.now();
      }
      hostPaced = paced;
      if (paced) {
        // Wait on the host in short steps (frames wake the guest through the devices' poll).
        const goal = Number.isFinite(next) && next > now ? next : now + idleSkip;
        const wallGuestNs = guestAtStart + (performance.now() - wallAtStart) * 1e6;
        if (wallGuestNs < goal) await sleepMs(Math.min(1, (goal - wallGuestNs) / 1e6));
        deliverInput();
        const to = Math.min(goal, guestAtStart + (performance.now() - wallAtStart) * 1e6);
        target.skipTo(to > now ? to : now);
        idleSkippedNs += Math.max(0, target.nowNs() - now);
      } else if (realtime) {
        // Guest time tracks the wall clock: sleep (in short steps, so typed keys
        // wake the guest promptly) until the wall reaches the next event.
        const goal = Number.isFinite(next) && next > now ? next : now + idleSkip;
        const wallGuestNs = guestAtStart + (performance.now() - wallAtStart) * 1e6;
        if (wallGuestNs < goal) {
          await sleepMs(Math.min(10, (goal - wallGuestNs) / 1e6));
          deliverInput();
        }
        const to = Math.min(goal, guestAtStart + (performance.now() - wallAtStart) * 1e6);
        if (to > now) {
          target.skipTo(to);
          idleSkippedNs += to - now;
        }
      } else {
        const to = Number.isFinite(next) && next > now ? next : now + idleSkip;
        target.skipTo(to);
        // A target whose clock cannot land on `to` must still move on, or this loop would spin.
        if (target.nowNs() <= now && target.idle) target.skipTo(now + idleSkip);
        idleSkippedNs += target.nowNs() - now;
      }
    }
    if (options.realtime && !options.freeRun && !target.idle) {
      // A busy guest faster than real time waits for the wall clock to catch up.
      const aheadMs = (target.nowNs() - guestAtStart) / 1e6 - (performance.now() - wallAtStart);
      if (aheadMs > 20) await sleepMs(Math.min(aheadMs, 50));
    }
    if (hooks.afterSlice?.(target.nowNs())) return finish('stopped');
    if (hooks.wallDeadlineMs !== undefined && performance.now() > hooks.wallDeadlineMs) return finish('wall-timeout');
    await yieldToEventLoop();
  }
}

/**
 * Free-running: after a slice of `ran` instructions that took `sliceWallNs`,
 * sets the guest time an instruction is worth so that guest time keeps pace
 * with the wall clock (`wallGuestNs`: the wall clock in guest terms), pulling
 * back a lead over the next slice, and moves a lagging guest clock on.
 */
function followWallClock(target: RunTarget, ran: number, sliceWallNs: number, wallGuestNs: number): void {
  if (ran <= 0 || !target.setNsPerInstruction) return;
  const lead = target.nowNs() - wallGuestNs;
  let ns = sliceWallNs / ran;
  if (lead > 0) ns *= sliceWallNs / (sliceWallNs + lead);
  target.setNsPerInstruction(ns);
  if (lead < 0) target.skipTo(wallGuestNs);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
