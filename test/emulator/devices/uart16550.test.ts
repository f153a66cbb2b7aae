import { describe, expect, it } from 'vitest';
import { BufferCharBackend } from '../../../emulator/devices/char-backend.ts';
import { IER, IIR, LSR, Uart16550, UART_REG } from '../../../emulator/devices/uart16550.ts';
import { FakeClock, FakeIrq } from './fake-ram.ts';

function setup() {
  const irq = new FakeIrq();
  const out = new BufferCharBackend();
  const clock = new FakeClock();
  const uart = new Uart16550({ irq, backend: out, clock });
  const rd = (r: number) => uart.read(r, 1);
  const wr = (r: number, v: number) => uart.write(r, 1, v);
  return { irq, out, clock, uart, rd, wr };
}

describe('16550A UART', () => {
  it('has the QEMU reset values', () => {
    const { rd, irq } = setup();
    expect(rd(UART_REG.IIR_FCR)).toBe(0x01);
    expect(rd(UART_REG.LSR)).toBe(0x60);
    expect(rd(UART_REG.MSR)).toBe(0xb0);
    expect(rd(UART_REG.MCR)).toBe(0x08);
    expect(rd(UART_REG.IER_DLM)).toBe(0);
    expect(irq.level).toBe(false);
  });

  it('listens for host input while IER enables the receive interrupt (a tty is open), not in loopback', () => {
    const { wr, uart } = setup();
    expect(uart.listening()).toBe(false);
    wr(UART_REG.IER_DLM, IER.RDI | IER.THRI);
    expect(uart.listening()).toBe(true);
    wr(UART_REG.MCR, 0x10); // loopback: host bytes are not taken
    expect(uart.listening()).toBe(false);
    wr(UART_REG.MCR, 0x08);
    wr(UART_REG.IER_DLM, IER.THRI); // the printk path masks RDI while it writes; the last close clears it
    expect(uart.listening()).toBe(false);
  });

  it('transmits THR bytes to the backend and keeps THRE/TEMT set (polled printk path)', () => {
    const { rd, wr, out } = setup();
    for (const c of 'Linux\n') {
      expect(rd(UART_REG.LSR) & LSR.THRE).toBe(LSR.THRE);
      wr(UART_REG.RBR_THR_DLL, c.charCodeAt(0));
      expect(rd(UART_REG.LSR) & (LSR.THRE | LSR.TEMT)).toBe(LSR.THRE | LSR.TEMT);
    }
    expect(out.text()).toBe('Linux\n');
  });

  it('raises THRI when IER.THRI goes 0->1 with THR empty; reading IIR clears it; re-arms on re-enable', () => {
    const { rd, wr, irq } = setup();
    wr(UART_REG.IIR_FCR, 0x81); // FIFO on, trigger 8 (as Linux)
    // FCR transmit reset arms thr pending, but IER.THRI=0 so no interrupt yet.
    expect(irq.level).toBe(false);
    expect(rd(UART_REG.IIR_FCR)).toBe(0xc1);
    wr(UART_REG.IER_DLM, IER.THRI);
    expect(irq.level).toBe(true);
    expect(rd(UART_REG.IIR_FCR)).toBe(0xc0 | IIR.THRI);
    // The read of IIR reporting THRI cleared it.
    expect(irq.level).toBe(false);
    expect(rd(UART_REG.IIR_FCR)).toBe(0xc1);
    // Linux's THRE re-assert test: IER=0 then IER=THRI re-arms.
    wr(UART_REG.IER_DLM, 0);
    wr(UART_REG.IER_DLM, IER.THRI);
    expect(irq.level).toBe(true);
    expect(rd(UART_REG.IIR_FCR) & 0x0f).toBe(IIR.THRI);
  });

  it('interrupt-driven TX: each THR write clears then re-arms THRI (line stays up until IER.THRI cleared)', () => {
    const { rd, wr, irq, out } = setup();
    wr(UART_REG.IER_DLM, IER.THRI);
    expect(irq.level).toBe(true);
    expect(rd(UART_REG.IIR_FCR) & 0x0f).toBe(IIR.THRI); // handler reads IIR
    expect(irq.level).toBe(false);
    for (const c of 'BOOT-OK') wr(UART_REG.RBR_THR_DLL, c.charCodeAt(0));
    expect(irq.level).toBe(true); // transmitter empty again
    wr(UART_REG.IER_DLM, 0); // __stop_tx
    expect(irq.level).toBe(false);
    expect(out.text()).toBe('BOOT-OK');
  });

  it('THRI is not reported without IER.THRI, and writing THR with THRI masked keeps the line low', () => {
    const { rd, wr, irq } = setup();
    wr(UART_REG.RBR_THR_DLL, 0x41);
    expect(irq.level).toBe(false);
    expect(rd(UART_REG.IIR_FCR)).toBe(0x01);
  });

  it('receives into a 16-byte FIFO: RDI at the trigger level, LSR.DR, bytes in order', () => {
    const { rd, wr, irq, uart } = setup();
    wr(UART_REG.IIR_FCR, 0x81); // trigger 8
    wr(UART_REG.IER_DLM, IER.RDI);
    const data = new TextEncoder().encode('0123456789abcdefXYZ');
    let taken = uart.input(data);
    expect(taken).toBe(8); // QEMU can_receive: up to the trigger level
    expect(irq.level).toBe(true);
    expect(rd(UART_REG.IIR_FCR)).toBe(0xc0 | IIR.RDI);
    expect(rd(UART_REG.LSR) & LSR.DR).toBe(LSR.DR);
    let got = '';
    while (rd(UART_REG.LSR) & LSR.DR) got += String.fromCharCode(rd(UART_REG.RBR_THR_DLL));
    expect(got).toBe('01234567');
    expect(irq.level).toBe(false);
    taken += uart.input(data.subarray(taken));
    expect(taken).toBe(16);
    // FIFO never overflows through input(): 8 more were taken, nothing lost.
    got = '';
    while (rd(UART_REG.LSR) & LSR.DR) got += String.fromCharCode(rd(UART_REG.RBR_THR_DLL));
    expect(got).toBe('89abcdef');
  });

  it('raises the character timeout (IIR 0x0C) four character times after a byte below the trigger level', () => {
    const { rd, wr, irq, uart, clock } = setup();
    wr(UART_REG.LCR, 0x83);
    wr(UART_REG.RBR_THR_DLL, 11); // divisor 11 → 113636 baud at 20 MHz
    wr(UART_REG.IER_DLM, 0);
    wr(UART_REG.LCR, 0x03); // 8N1
    wr(UART_REG.IIR_FCR, 0x81);
    wr(UART_REG.IER_DLM, IER.RDI);
    expect(uart.input(new Uint8Array([0x61]))).toBe(1);
    expect(irq.level).toBe(false); // 1 < trigger 8
    const due = uart.nextEventNs();
    expect(due).toBeGreaterThan(300_000); // 4 x 10 bits at ~113.6 kbaud ≈ 352 µs
    expect(due).toBeLessThan(400_000);
    clock.ns = due - 1;
    uart.poll(clock.ns);
    expect(irq.level).toBe(false);
    clock.ns = due;
    uart.poll(clock.ns);
    expect(irq.level).toBe(true);
    expect(rd(UART_REG.IIR_FCR)).toBe(0xc0 | IIR.CTI);
    expect(rd(UART_REG.RBR_THR_DLL)).toBe(0x61);
    expect(irq.level).toBe(false);
    expect(uart.nextEventNs()).toBe(Infinity);
  });

  it('16450 mode (FIFO off): one byte at a time, RDI as soon as DR', () => {
    const { rd, wr, irq, uart } = setup();
    wr(UART_REG.IER_DLM, IER.RDI);
    expect(uart.input(new Uint8Array([1, 2, 3]))).toBe(1);
    expect(irq.level).toBe(true);
    expect(rd(UART_REG.IIR_FCR)).toBe(IIR.RDI);
    expect(rd(UART_REG.RBR_THR_DLL)).toBe(1);
    expect(irq.level).toBe(false);
  });

  it('gives line status priority and clears OE on LSR read', () => {
    const { rd, wr, irq, uart } = setup();
    wr(UART_REG.IER_DLM, IER.RDI | IER.RLSI | IER.THRI);
    uart.input(new Uint8Array([1]));
    // Force an overrun through loopback: a second byte while DR is set.
    wr(UART_REG.MCR, 0x10);
    wr(UART_REG.RBR_THR_DLL, 2);
    expect(irq.level).toBe(true);
    expect(rd(UART_REG.IIR_FCR)).toBe(IIR.RLSI);
    expect(rd(UART_REG.LSR) & LSR.OE).toBe(LSR.OE);
    expect(rd(UART_REG.IIR_FCR)).toBe(IIR.RDI); // next priority
    expect(rd(UART_REG.RBR_THR_DLL)).toBe(2);
  });

  it('loopback sends THR to the receiver, not the host, and MSR mirrors MCR', () => {
    const { rd, wr, out } = setup();
    wr(UART_REG.IIR_FCR, 0x01);
    wr(UART_REG.MCR, 0x10 | 0x0f);
    wr(UART_REG.RBR_THR_DLL, 0x5a);
    expect(out.text()).toBe('');
    expect(rd(UART_REG.RBR_THR_DLL)).toBe(0x5a);
    expect(rd(UART_REG.MSR)).toBe(0xf0);
  });

  it('DLAB switches offsets 0/1 to the divisor latch; SCR stores a byte', () => {
    const { rd, wr, out } = setup();
    wr(UART_REG.LCR, 0x80);
    wr(UART_REG.RBR_THR_DLL, 0x34);
    wr(UART_REG.IER_DLM, 0x12);
    expect(rd(UART_REG.RBR_THR_DLL)).toBe(0x34);
    expect(rd(UART_REG.IER_DLM)).toBe(0x12);
    wr(UART_REG.LCR, 0x03);
    expect(rd(UART_REG.IER_DLM)).toBe(0);
    expect(out.text()).toBe('');
    wr(UART_REG.SCR, 0xa5);
    expect(rd(UART_REG.SCR)).toBe(0xa5);
  });

  it('FCR receive reset empties the FIFO and drops DR', () => {
    const { rd, wr, uart } = setup();
    wr(UART_REG.IIR_FCR, 0x01);
    uart.input(new Uint8Array([7]));
    expect(rd(UART_REG.LSR) & LSR.DR).toBe(LSR.DR);
    wr(UART_REG.IIR_FCR, 0x03);
    expect(rd(UART_REG.LSR) & LSR.DR).toBe(0);
  });
});

describe('16550A UART invariants (property-based)', () => {
  it('the IRQ line always equals "IIR reports an interrupt", whatever the guest and host do', async () => {
    const fc = (await import('fast-check')).default;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('read' as const), reg: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('write' as const), reg: fc.integer({ min: 0, max: 9 }), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('input' as const), bytes: fc.uint8Array({ maxLength: 20 }) }),
      fc.record({ kind: fc.constant('time' as const), ns: fc.integer({ min: 0, max: 2_000_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const { uart, irq, clock, out } = setup();
        let received = 0;
        for (const o of ops) {
          if (o.kind === 'read') uart.read(o.reg, 1);
          else if (o.kind === 'write') uart.write(o.reg, 1, o.value);
          else if (o.kind === 'input') received += uart.input(o.bytes);
          else {
            clock.ns += o.ns;
            uart.poll(clock.ns);
          }
          expect(irq.level).toBe(uart.irqLevel);
          expect(irq.level).toBe((uart.peekIir() & 1) === 0);
          // Bits 7:6 of IIR follow FCR.FE.
          expect(uart.peekIir() & 0x30).toBe(0);
        }
        expect(received).toBeGreaterThanOrEqual(0);
        expect(out.data().length).toBeLessThanOrEqual(ops.length);
      }),
      { numRuns: 300 },
    );
  });
});
