// Reads the import section of a Wasm binary with each function import's parameter count.
// WasmEdge binds sock_accept & co. to V1 or V2 by the import's declared signature, and Node 20's
// WebAssembly.Module.imports() does not expose signatures, so we read them from the bytes.

export interface FunctionImport {
  module: string;
  name: string;
  params: number;
  results: number;
  /** value type byte of the first result (0x7f i32, 0x7e i64, 0x7d f32, 0x7c f64), 0 if none */
  resultType: number;
}

class UnsupportedTypes extends Error {}

class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.bytes.length) throw new Error("unexpected end of Wasm binary");
    return this.bytes[this.pos++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error("malformed LEB128 in Wasm binary");
    }
  }
  name(): string {
    const len = this.u32();
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.pos, len).toString("utf8");
    this.pos += len;
    return s;
  }
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
  valtype(): number {
    const t = this.byte();
    // (ref null? heaptype) from the typed function references / GC proposals
    if (t === 0x63 || t === 0x64) this.u32();
    return t;
  }
}

/** Parses the type and import sections; throws a plain Error if the file is not a Wasm module. */
export function readFunctionImports(bytes: Uint8Array): FunctionImport[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error("not a WebAssembly binary (bad magic number)");
  }
  const r = new Reader(bytes);
  r.pos = 8;
  const types: Array<{ params: number; results: number; resultType: number } | null> = [];
  const imports: FunctionImport[] = [];
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      const count = r.u32();
      try {
        for (let i = 0; i < count; i++) readTypeEntry(r, types);
      } catch (e) {
        if (!(e instanceof UnsupportedTypes)) throw e;
      }
    } else if (id === 2) {
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) {
          const t = types[r.u32()];
          imports.push({ module, name, params: t?.params ?? -1, results: t?.results ?? -1, resultType: t?.resultType ?? 0 });
        } else if (kind === 1) {
          r.valtype();
          r.limits();
        } else if (kind === 2) {
          r.limits();
        } else if (kind === 3) {
          r.valtype();
          r.byte();
        } else if (kind === 4) {
          r.byte();
          r.u32();
        } else {
          throw new Error(`unknown import kind ${kind} in Wasm binary`);
        }
      }
      return imports;
    } else if (id !== 0 && id > 2) {
      return imports;
    }
    r.pos = end;
  }
  return imports;
}

function readTypeEntry(r: Reader, types: Array<{ params: number; results: number; resultType: number } | null>): void {
  const form = r.byte();
  if (form === 0x60) {
    const params = r.u32();
    for (let i = 0; i < params; i++) r.valtype();
    const results = r.u32();
    let resultType = 0;
    for (let i = 0; i < results; i++) {
      const t = r.valtype();
      if (i === 0) resultType = t;
    }
    types.push({ params, results, resultType });
    return;
  }
  // Anything else (GC rec groups, structs, arrays) is not used by the modules we run; we record
  // an unknown type and stop interpreting the section, which only costs V1/V2 precision.
  types.push(null);
  throw new UnsupportedTypes();
}

