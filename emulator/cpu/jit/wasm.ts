/**
 * A minimal WebAssembly binary writer for the translator: one module with
 * one exported function, its imports (the shared memory and the CPU's slow
 * paths) and structured control flow with named labels.
 *
 * Only what translate.ts emits is here (i32/i64 integer ops, loads and
 * stores, block/loop/if/br/br_if/br_table, calls, locals). Encoding facts:
 * WebAssembly Core Specification 2.0, §5 (binary format).
 */

/** Opcodes (spec §5.4). */
export const Op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b,
  br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10, call_indirect: 0x11, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a,
  i32_gt_u: 0x4b, i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_ne: 0x52,
  i32_clz: 0x67, i32_ctz: 0x68, i32_add: 0x6a, i32_sub: 0x6b, i32_div_s: 0x6d,
  i32_div_u: 0x6e, i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75,
  i32_shr_u: 0x76, i32_rotr: 0x78,
  i64_add: 0x7c, i64_mul: 0x7e, i64_shr_u: 0x88,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1,
} as const;

export const I32 = 0x7f;
export const I64 = 0x7e;
const VOID = 0x40;

/** Growable byte buffer with LEB128 writers. */
export class Bytes {
  buf = new Uint8Array(4096);
  len = 0;

  byte(b: number): void {
    if (this.len === this.buf.length) this.grow(1);
    this.buf[this.len++] = b;
  }
  /** Room for `n` more bytes. */
  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.len));
    this.buf = bigger;
  }
  u32(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
  }
  s32(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return;
      }
      this.byte(b | 0x80);
    }
  }
  bytes(src: Uint8Array | readonly number[]): void {
    if (this.len + src.length > this.buf.length) this.grow(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }
  str(s: string): void {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }
  /** Appends `inner` as a length-prefixed section or body. */
  sized(inner: Bytes): void {
    this.u32(inner.len);
    this.bytes(inner.view());
  }
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/**
 * Function-body writer. Labels are strings: `block(name)`/`loop(name)`/
 * `if_()` push one, `end()` pops, and `br(name)` computes the depth.
 */
export class Code extends Bytes {
  private labels: string[] = [];
  /** Locals kept in memory words instead (local -> byte address), and the scratch local their stores use. */
  private inMemory = new Map<number, number>();
  private scratch = -1;

  /**
   * From now on, local `l` lives in the i32 at byte address `address`:
   * get/set/tee of it load and store that word (`scratch`: a free i32
   * local for the stores). For state that changes rarely but would
   * otherwise be a loop-carried value spilled to the stack on every trip.
   */
  keepInMemory(l: number, address: number, scratch: number): void {
    this.inMemory.set(l, address);
    this.scratch = scratch;
  }

  op(o: number): this {
    this.byte(o);
    return this;
  }
  i32(v: number): this {
    this.byte(Op.i32_const);
    this.s32(v);
    return this;
  }
  get(l: number): this {
    const a = this.inMemory.get(l);
    if (a !== undefined) return this.i32(0).mem(Op.i32_load, a);
    this.byte(Op.local_get);
    this.u32(l);
    return this;
  }
  set(l: number): this {
    const a = this.inMemory.get(l);
    if (a !== undefined) return this.local(Op.local_set, this.scratch).i32(0).local(Op.local_get, this.scratch).mem(Op.i32_store, a);
    return this.local(Op.local_set, l);
  }
  tee(l: number): this {
    const a = this.inMemory.get(l);
    if (a !== undefined) return this.set(l).local(Op.local_get, this.scratch);
    return this.local(Op.local_tee, l);
  }
  private local(o: number, l: number): this {
    this.byte(o);
    this.u32(l);
    return this;
  }
  /** A memory access with a static offset (alignment hint 0: any address). */
  mem(o: number, offset = 0): this {
    this.byte(o);
    this.u32(0);
    this.u32(offset);
    return this;
  }
  call(f: number): this {
    this.byte(Op.call);
    this.u32(f);
    return this;
  }
  /** call_indirect through table 0 with function type `typeIndex`. */
  callIndirect(typeIndex: number): this {
    this.byte(Op.call_indirect);
    this.u32(typeIndex);
    this.byte(0x00);
    return this;
  }
  block(name = ''): this {
    this.byte(Op.block);
    this.byte(VOID);
    this.labels.push(name);
    return this;
  }
  loop(name = ''): this {
    this.byte(Op.loop);
    this.byte(VOID);
    this.labels.push(name);
    return this;
  }
  if_(): this {
    this.byte(Op.if);
    this.byte(VOID);
    this.labels.push('');
    return this;
  }
  else_(): this {
    this.byte(Op.else);
    return this;
  }
  end(): this {
    this.byte(Op.end);
    this.labels.pop();
    return this;
  }
  depth(name: string): number {
    const i = this.labels.lastIndexOf(name);
    if (i < 0) throw new Error(`wasm: no label ${name}`);
    return this.labels.length - 1 - i;
  }
  br(name: string): this {
    this.byte(Op.br);
    this.u32(this.depth(name));
    return this;
  }
  brIf(name: string): this {
    this.byte(Op.br_if);
    this.u32(this.depth(name));
    return this;
  }
  brTable(names: readonly string[], fallback: string): this {
    const depths = new Map<string, number>();
    const depthOf = (n: string): number => {
      let d = depths.get(n);
      if (d === undefined) {
        d = this.depth(n);
        depths.set(n, d);
      }
      return d;
    };
    this.byte(Op.br_table);
    this.u32(names.length);
    for (const n of names) this.u32(depthOf(n));
    this.u32(depthOf(fallback));
    return this;
  }
}

export interface FuncType {
  params: number[];
  results: number[];
}

export interface ModuleSpec {
  /** Imported functions, indexes 0..n-1 (their types come first in the type section). */
  imports: ReadonlyArray<{ name: string; type: FuncType }>;
  /** The exported function `f` (index n): its type, extra locals and body. */
  type: FuncType;
  locals: { i32: number; i64: number };
  body: Code;
  /** Minimum size of the imported memory `env.mem`, in 64 KiB pages. */
  memoryPages: number;
  /** Also import `env.table` (funcref) as table 0, for call_indirect. */
  table?: boolean;
  /** More function types (for call_indirect): index n + 1 + i. */
  extraTypes?: readonly FuncType[];
  /** More exported functions (indexes n + 1 + i), after `f`. */
  more?: ReadonlyArray<{ name: string; type: FuncType; locals: { i32: number; i64: number }; body: Code }>;
}

/** Encodes a module: imports `env.mem` (+ `env.table`) and `imports`, exports `f`. */
export function buildModule(spec: ModuleSpec): Uint8Array {
  const { imports, type, locals, body, memoryPages } = spec;
  const more = spec.more ?? [];
  const extra = spec.extraTypes ?? [];
  const types = [...imports.map((i) => i.type), type, ...extra, ...more.map((f) => f.type)];
  const funcs = [{ name: 'f', type: imports.length, locals, body }, ...more.map((f, i) => ({ ...f, type: imports.length + 1 + extra.length + i }))];
  const m = new Bytes();
  m.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, fill: (s: Bytes) => void): void => {
    const s = new Bytes();
    fill(s);
    m.byte(id);
    m.sized(s);
  };
  section(1, (s) => { // types
    s.u32(types.length);
    for (const t of types) {
      s.byte(0x60);
      s.u32(t.params.length);
      s.bytes(t.params);
      s.u32(t.results.length);
      s.bytes(t.results);
    }
  });
  section(2, (s) => { // imports
    s.u32(imports.length + 1 + (spec.table ? 1 : 0));
    s.str('env');
    s.str('mem');
    s.byte(0x02); // memory
    s.byte(0x00);
    s.u32(memoryPages);
    if (spec.table) {
      s.str('env');
      s.str('table');
      s.byte(0x01); // table
      s.byte(0x70); // funcref
      s.byte(0x00); // limits: min only
      s.u32(0);
    }
    imports.forEach((imp, i) => {
      s.str('env');
      s.str(imp.name);
      s.byte(0x00); // function
      s.u32(i);
    });
  });
  section(3, (s) => { // functions
    s.u32(funcs.length);
    for (const f of funcs) s.u32(f.type);
  });
  section(7, (s) => { // exports
    s.u32(funcs.length);
    funcs.forEach((f, i) => {
      s.str(f.name);
      s.byte(0x00);
      s.u32(imports.length + i);
    });
  });
  section(10, (s) => { // code
    s.u32(funcs.length);
    for (const fn of funcs) {
      const f = new Bytes();
      const groups = [[fn.locals.i32, I32], [fn.locals.i64, I64]].filter(([n]) => n! > 0);
      f.u32(groups.length);
      for (const [n, t] of groups) {
        f.u32(n!);
        f.byte(t!);
      }
      f.bytes(fn.body.view());
      f.byte(Op.end);
      s.sized(f);
    }
  });
  return m.view();
}
