// A growable byte buffer with a read cursor, used for socket I/O, log records and
// response bodies. Backed by a managed ArrayBuffer so the GC reclaims it.

export class ByteBuf {
  buf: ArrayBuffer;
  start: i32 = 0;
  end: i32 = 0;

  constructor(capacity: i32 = 256) {
    this.buf = new ArrayBuffer(capacity);
  }

  @inline get base(): usize { return changetype<usize>(this.buf); }
  @inline get length(): i32 { return this.end - this.start; }
  @inline get readPtr(): usize { return this.base + <usize>this.start; }
  @inline get writePtr(): usize { return this.base + <usize>this.end; }
  @inline get capacity(): i32 { return this.buf.byteLength; }
  @inline get spare(): i32 { return this.buf.byteLength - this.end; }

  /** Makes room for n more bytes at the end, compacting or growing as needed. */
  reserve(n: i32): void {
    if (this.end + n <= this.buf.byteLength) return;
    const len = this.length;
    if (len + n <= this.buf.byteLength && this.start > 0) {
      memory.copy(this.base, this.readPtr, <usize>len);
      this.start = 0;
      this.end = len;
      return;
    }
    let cap = this.buf.byteLength < 64 ? 64 : this.buf.byteLength;
    while (cap < len + n) cap <<= 1;
    const next = new ArrayBuffer(cap);
    memory.copy(changetype<usize>(next), this.readPtr, <usize>len);
    this.buf = next;
    this.start = 0;
    this.end = len;
  }

  consume(n: i32): void {
    this.start += n;
    if (this.start >= this.end) {
      this.start = 0;
      this.end = 0;
    }
  }

  clear(): void {
    this.start = 0;
    this.end = 0;
  }

  /** Drops a large backing buffer once it is empty, so one burst does not pin memory. */
  shrinkIfIdle(limit: i32, to: i32): void {
    if (this.length == 0 && this.buf.byteLength > limit) {
      this.buf = new ArrayBuffer(to);
      this.start = 0;
      this.end = 0;
    }
  }

  byteAt(i: i32): u8 {
    return load<u8>(this.readPtr + <usize>i);
  }

  writeByte(b: u32): void {
    this.reserve(1);
    store<u8>(this.writePtr, <u8>b);
    this.end++;
  }

  writeBytes(ptr: usize, len: i32): void {
    if (len <= 0) return;
    this.reserve(len);
    memory.copy(this.writePtr, ptr, <usize>len);
    this.end += len;
  }

  writeBuffer(b: ArrayBuffer): void {
    this.writeBytes(changetype<usize>(b), b.byteLength);
  }

  writeBuf(b: ByteBuf): void {
    this.writeBytes(b.readPtr, b.length);
  }

  /** For strings known to be ASCII (literals, numbers). */
  writeAscii(s: string): void {
    const n = s.length;
    this.reserve(n);
    const p = this.writePtr;
    for (let i = 0; i < n; i++) store<u8>(p + <usize>i, <u8>s.charCodeAt(i));
    this.end += n;
  }

  writeUtf8(s: string): void {
    const n = String.UTF8.byteLength(s);
    this.reserve(n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.writePtr);
    this.end += n;
  }

  writeU16LE(v: u32): void {
    this.reserve(2);
    store<u16>(this.writePtr, <u16>v);
    this.end += 2;
  }

  writeU32LE(v: u32): void {
    this.reserve(4);
    store<u32>(this.writePtr, v);
    this.end += 4;
  }

  writeI64LE(v: i64): void {
    this.reserve(8);
    store<i64>(this.writePtr, v);
    this.end += 8;
  }

  writeF64LE(v: f64): void {
    this.reserve(8);
    store<f64>(this.writePtr, v);
    this.end += 8;
  }

  /** Decimal text of a signed 64-bit integer. */
  writeDecimal(v: i64): void {
    if (v == 0) { this.writeByte(48); return; }
    if (v == i64.MIN_VALUE) { this.writeAscii("-9223372036854775808"); return; }
    if (v < 0) { this.writeByte(45); v = -v; }
    let digits = 0;
    let t = v;
    while (t > 0) { digits++; t /= 10; }
    this.reserve(digits);
    let p = this.writePtr + <usize>digits;
    while (v > 0) {
      p--;
      store<u8>(p, <u8>(48 + <i32>(v % 10)));
      v /= 10;
    }
    this.end += digits;
  }

  /** A finite f64 as JSON/Prometheus text. */
  writeNumber(v: f64): void {
    if (Math.floor(v) == v && Math.abs(v) < 9007199254740992.0) {
      if (v == 0 && 1.0 / v < 0) { this.writeAscii("-0"); return; }
      this.writeDecimal(<i64>v);
      return;
    }
    this.writeAscii(v.toString());
  }

  /** A JSON string literal (quotes included), escaping per RFC 8259. */
  writeJsonString(s: string): void {
    this.writeByte(34);
    const n = s.length;
    let runStart = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x20 && c != 34 && c != 92) continue;
      if (i > runStart) this.writeUtf8(s.substring(runStart, i));
      runStart = i + 1;
      if (c == 34) this.writeAscii("\\\"");
      else if (c == 92) this.writeAscii("\\\\");
      else if (c == 10) this.writeAscii("\\n");
      else if (c == 13) this.writeAscii("\\r");
      else if (c == 9) this.writeAscii("\\t");
      else {
        this.writeAscii("\\u00");
        this.writeByte(hexDigit(c >> 4));
        this.writeByte(hexDigit(c & 15));
      }
    }
    if (runStart == 0) this.writeUtf8(s);
    else if (runStart < n) this.writeUtf8(s.substring(runStart));
    this.writeByte(34);
  }

  /** Copies the readable bytes into a new ArrayBuffer. */
  toArrayBuffer(): ArrayBuffer {
    const out = new ArrayBuffer(this.length);
    memory.copy(changetype<usize>(out), this.readPtr, <usize>this.length);
    return out;
  }
}

export function hexDigit(v: i32): u32 {
  return <u32>(v < 10 ? 48 + v : 87 + v);
}

const CRC_TABLE = memory.data(1024);
let crcReady = false;

/** CRC-32 (IEEE 802.3), the same polynomial as zlib. */
export function crc32(ptr: usize, len: i32): u32 {
  if (!crcReady) {
    for (let n: u32 = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = (c & 1) ? (0xEDB88320 ^ (c >>> 1)) : (c >>> 1);
      store<u32>(CRC_TABLE + <usize>(n << 2), c);
    }
    crcReady = true;
  }
  let crc: u32 = 0xFFFFFFFF;
  for (let i = 0; i < len; i++) {
    const idx = (crc ^ <u32>load<u8>(ptr + <usize>i)) & 0xFF;
    crc = load<u32>(CRC_TABLE + <usize>(idx << 2)) ^ (crc >>> 8);
  }
  return crc ^ 0xFFFFFFFF;
}

/** Case-insensitive comparison of a byte range with a lowercase ASCII literal. */
export function bytesEqualLower(ptr: usize, len: i32, lower: string): bool {
  if (len != lower.length) return false;
  for (let i = 0; i < len; i++) {
    let c = <i32>load<u8>(ptr + <usize>i);
    if (c >= 65 && c <= 90) c += 32;
    if (c != lower.charCodeAt(i)) return false;
  }
  return true;
}

export function bytesEqual(ptr: usize, len: i32, s: string): bool {
  if (len != s.length) return false;
  for (let i = 0; i < len; i++) {
    if (<i32>load<u8>(ptr + <usize>i) != s.charCodeAt(i)) return false;
  }
  return true;
}

/** True if [ptr, ptr+len) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
export function isValidUtf8(ptr: usize, len: i32): bool {
  let i = 0;
  while (i < len) {
    const b0 = <u32>load<u8>(ptr + <usize>i);
    if (b0 < 0x80) { i++; continue; }
    let need = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if ((b0 & 0xE0) == 0xC0) { need = 1; cp = b0 & 0x1F; min = 0x80; }
    else if ((b0 & 0xF0) == 0xE0) { need = 2; cp = b0 & 0x0F; min = 0x800; }
    else if ((b0 & 0xF8) == 0xF0) { need = 3; cp = b0 & 0x07; min = 0x10000; }
    else return false;
    for (let k = 1; k <= need; k++) {
      if (i + k >= len) return false;
      const b = <u32>load<u8>(ptr + <usize>(i + k));
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += need + 1;
  }
  return true;
}
