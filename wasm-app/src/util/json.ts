// A small strict JSON scanner over raw bytes (RFC 8259). It validates the whole
// document while letting callers pull typed values out of the top-level object.
// Nesting depth is bounded so hostile input cannot exhaust the stack.
import { isValidUtf8 } from "./bytes";

const MAX_DEPTH = 16;

export const T_STRING: i32 = 1;
export const T_NUMBER: i32 = 2;
export const T_BOOL: i32 = 3;
export const T_NULL: i32 = 4;
export const T_OTHER: i32 = 5;

export class JsonReader {
  pos: usize;
  end: usize;
  failed: bool = false;
  error: string = "";

  constructor(public ptr: usize, public len: i32) {
    this.pos = ptr;
    this.end = ptr + <usize>len;
  }

  fail(msg: string): void {
    if (!this.failed) {
      this.failed = true;
      this.error = msg;
    }
  }

  checkUtf8(): bool {
    if (!isValidUtf8(this.ptr, this.len)) { this.fail("payload is not valid UTF-8"); return false; }
    return true;
  }

  @inline peek(): i32 { return this.pos < this.end ? <i32>load<u8>(this.pos) : -1; }

  skipWs(): void {
    while (this.pos < this.end) {
      const c = load<u8>(this.pos);
      if (c == 32 || c == 9 || c == 10 || c == 13) this.pos++;
      else break;
    }
  }

  expect(c: i32): bool {
    this.skipWs();
    if (this.peek() != c) {
      this.fail("expected '" + String.fromCharCode(c) + "'");
      return false;
    }
    this.pos++;
    return true;
  }

  /** Parses a string at pos (which must be '"') and returns its decoded value. */
  readString(): string {
    if (this.peek() != 34) { this.fail("expected a string"); return ""; }
    this.pos++;
    const start = this.pos;
    let simple = true;
    while (this.pos < this.end) {
      const c = load<u8>(this.pos);
      if (c == 34) break;
      if (c < 0x20) { this.fail("control character in string"); return ""; }
      if (c == 92) {
        simple = false;
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
    if (this.pos >= this.end) { this.fail("unterminated string"); return ""; }
    const stop = this.pos;
    this.pos++; // closing quote
    if (simple) return String.UTF8.decodeUnsafe(start, stop - start);
    return this.unescape(start, stop);
  }

  private unescape(start: usize, stop: usize): string {
    let out = "";
    let run = start;
    let p = start;
    while (p < stop) {
      if (load<u8>(p) != 92) { p++; continue; }
      if (p > run) out += String.UTF8.decodeUnsafe(run, p - run);
      if (p + 1 >= stop) { this.fail("bad escape"); return ""; }
      const e = load<u8>(p + 1);
      p += 2;
      if (e == 34) out += "\"";
      else if (e == 92) out += "\\";
      else if (e == 47) out += "/";
      else if (e == 98) out += "\b";
      else if (e == 102) out += "\f";
      else if (e == 110) out += "\n";
      else if (e == 114) out += "\r";
      else if (e == 116) out += "\t";
      else if (e == 117) {
        if (p + 4 > stop) { this.fail("bad \\u escape"); return ""; }
        let v = 0;
        for (let k = 0; k < 4; k++) {
          const h = <i32>load<u8>(p + <usize>k);
          let d = -1;
          if (h >= 48 && h <= 57) d = h - 48;
          else if (h >= 97 && h <= 102) d = h - 87;
          else if (h >= 65 && h <= 70) d = h - 55;
          if (d < 0) { this.fail("bad \\u escape"); return ""; }
          v = (v << 4) | d;
        }
        p += 4;
        out += String.fromCharCode(v);
      } else { this.fail("bad escape"); return ""; }
      run = p;
    }
    if (stop > run) out += String.UTF8.decodeUnsafe(run, stop - run);
    return out;
  }

  /** Parses a JSON number at pos per the RFC grammar. NaN on failure. */
  readNumber(): f64 {
    const start = this.pos;
    if (this.peek() == 45) this.pos++;
    let c = this.peek();
    if (c == 48) {
      this.pos++;
    } else if (c >= 49 && c <= 57) {
      while (this.peek() >= 48 && this.peek() <= 57) this.pos++;
    } else { this.fail("bad number"); return NaN; }
    if (this.peek() == 46) {
      this.pos++;
      if (!(this.peek() >= 48 && this.peek() <= 57)) { this.fail("bad number"); return NaN; }
      while (this.peek() >= 48 && this.peek() <= 57) this.pos++;
    }
    c = this.peek();
    if (c == 101 || c == 69) {
      this.pos++;
      c = this.peek();
      if (c == 43 || c == 45) this.pos++;
      if (!(this.peek() >= 48 && this.peek() <= 57)) { this.fail("bad number"); return NaN; }
      while (this.peek() >= 48 && this.peek() <= 57) this.pos++;
    }
    if (this.pos - start > 40) { this.fail("number too long"); return NaN; }
    const v = parseFloat(String.UTF8.decodeUnsafe(start, this.pos - start));
    if (!isFinite(v)) { this.fail("number out of range"); return NaN; }
    return v;
  }

  private literal(word: string): void {
    const n = word.length;
    if (this.pos + <usize>n > this.end) { this.fail("bad literal"); return; }
    for (let i = 0; i < n; i++) {
      if (<i32>load<u8>(this.pos + <usize>i) != word.charCodeAt(i)) { this.fail("bad literal"); return; }
    }
    this.pos += <usize>n;
  }

  /** Kind of the value at pos (after whitespace), without consuming it. */
  valueType(): i32 {
    this.skipWs();
    const c = this.peek();
    if (c == 34) return T_STRING;
    if (c == 45 || (c >= 48 && c <= 57)) return T_NUMBER;
    if (c == 116 || c == 102) return T_BOOL;
    if (c == 110) return T_NULL;
    return T_OTHER;
  }

  readBool(): bool {
    if (this.peek() == 116) { this.literal("true"); return true; }
    this.literal("false");
    return false;
  }

  readNull(): void { this.literal("null"); }

  /** Validates and skips any value. */
  skipValue(depth: i32 = 0): void {
    if (depth > MAX_DEPTH) { this.fail("nested too deeply"); return; }
    this.skipWs();
    const c = this.peek();
    if (c == 34) { this.readString(); return; }
    if (c == 45 || (c >= 48 && c <= 57)) { this.readNumber(); return; }
    if (c == 116) { this.literal("true"); return; }
    if (c == 102) { this.literal("false"); return; }
    if (c == 110) { this.literal("null"); return; }
    if (c == 123) {
      this.pos++;
      this.skipWs();
      if (this.peek() == 125) { this.pos++; return; }
      while (!this.failed) {
        this.skipWs();
        this.readString();
        if (!this.expect(58)) return;
        this.skipValue(depth + 1);
        this.skipWs();
        const d = this.peek();
        this.pos++;
        if (d == 125) return;
        if (d != 44) { this.fail("expected ',' or '}'"); return; }
      }
      return;
    }
    if (c == 91) {
      this.pos++;
      this.skipWs();
      if (this.peek() == 93) { this.pos++; return; }
      while (!this.failed) {
        this.skipValue(depth + 1);
        this.skipWs();
        const d = this.peek();
        this.pos++;
        if (d == 93) return;
        if (d != 44) { this.fail("expected ',' or ']'"); return; }
      }
      return;
    }
    this.fail("unexpected character");
  }

  /**
   * Object iteration: call beginObject(), then nextKey() until it returns null; after each
   * key, consume the value with one of the read/skip methods.
   */
  beginObject(): bool {
    this.skipWs();
    if (this.peek() != 123) { this.fail("expected a JSON object"); return false; }
    this.pos++;
    return true;
  }

  private seenFirst: bool = false;

  nextKey(): string | null {
    if (this.failed) return null;
    this.skipWs();
    if (!this.seenFirst) {
      this.seenFirst = true;
      if (this.peek() == 125) { this.pos++; return null; }
    } else {
      const d = this.peek();
      this.pos++;
      if (d == 125) return null;
      if (d != 44) { this.fail("expected ',' or '}'"); return null; }
      this.skipWs();
    }
    const key = this.readString();
    if (this.failed) return null;
    if (!this.expect(58)) return null;
    this.skipWs();
    return key;
  }

  /** After the top-level value: only whitespace may follow. */
  finish(): bool {
    this.skipWs();
    if (!this.failed && this.pos != this.end) this.fail("trailing data after JSON value");
    return !this.failed;
  }
}
