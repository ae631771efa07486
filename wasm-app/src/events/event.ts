// The tracking event: validation of the JSON a device publishes, its JSON view in API
// responses and its binary form in the durable log.
import { ByteBuf } from "../util/bytes";
import { JsonReader, T_NUMBER, T_STRING, T_NULL } from "../util/json";

export const STATUSES: string[] = [
  "CREATED", "PICKED_UP", "IN_TRANSIT", "ARRIVED_AT_HUB", "OUT_FOR_DELIVERY", "DELIVERED", "EXCEPTION",
];

export const MAX_PAYLOAD_BYTES = 4096;
const MAX_SAFE_INT: f64 = 9007199254740991.0;
const MAX_DEVICE_ID = 128;
const MAX_NOTE = 512;

export class TrackingEvent {
  shipmentId: string = "";
  status: u8 = 0;
  ts: i64 = 0;
  deviceId: string = "";
  seq: i64 = 0;
  hasLocation: bool = false;
  lat: f64 = 0;
  lon: f64 = 0;
  note: string | null = null;

  /** Orders events by ts, then seq (the "latest state" rule). */
  @inline comesAfter(other: TrackingEvent): bool {
    return this.ts > other.ts || (this.ts == other.ts && this.seq > other.seq);
  }

  /** Appends the event's JSON object as served by the API. */
  renderJson(b: ByteBuf): void {
    b.writeAscii("{\"ts\":");
    b.writeDecimal(this.ts);
    b.writeAscii(",\"status\":\"");
    b.writeAscii(STATUSES[this.status]);
    b.writeAscii("\",\"deviceId\":");
    b.writeJsonString(this.deviceId);
    b.writeAscii(",\"seq\":");
    b.writeDecimal(this.seq);
    if (this.hasLocation) {
      b.writeAscii(",\"lat\":");
      b.writeNumber(this.lat);
      b.writeAscii(",\"lon\":");
      b.writeNumber(this.lon);
    }
    const note = this.note;
    if (note !== null) {
      b.writeAscii(",\"note\":");
      b.writeJsonString(note);
    }
    b.writeByte(125);
  }

  /** Binary log payload (type 1). */
  encode(out: ByteBuf): void {
    out.writeByte(1);
    out.writeByte(this.status);
    let flags: u32 = 0;
    if (this.hasLocation) flags |= 1;
    if (this.note !== null) flags |= 2;
    out.writeByte(flags);
    out.writeI64LE(this.ts);
    out.writeI64LE(this.seq);
    if (this.hasLocation) {
      out.writeF64LE(this.lat);
      out.writeF64LE(this.lon);
    }
    writeShortString(out, this.shipmentId);
    writeShortString(out, this.deviceId);
    const note = this.note;
    if (note !== null) writeShortString(out, note);
  }
}

export function writeShortString(out: ByteBuf, s: string): void {
  const n = String.UTF8.byteLength(s);
  out.writeU16LE(<u32>n);
  out.writeUtf8(s);
}

/** Cursor over a binary log payload; `ok` turns false on any overrun. */
export class BinReader {
  pos: usize;
  end: usize;
  ok: bool = true;
  constructor(ptr: usize, len: i32) {
    this.pos = ptr;
    this.end = ptr + <usize>len;
  }
  private need(n: usize): bool {
    if (this.pos + n > this.end) { this.ok = false; return false; }
    return true;
  }
  u8(): u32 {
    if (!this.need(1)) return 0;
    const v = <u32>load<u8>(this.pos);
    this.pos += 1;
    return v;
  }
  u32(): u32 {
    if (!this.need(4)) return 0;
    const v = load<u32>(this.pos);
    this.pos += 4;
    return v;
  }
  i64(): i64 {
    if (!this.need(8)) return 0;
    const v = load<i64>(this.pos);
    this.pos += 8;
    return v;
  }
  f64(): f64 {
    if (!this.need(8)) return 0;
    const v = load<f64>(this.pos);
    this.pos += 8;
    return v;
  }
  str(): string {
    if (!this.need(2)) return "";
    const n = <usize>load<u16>(this.pos);
    this.pos += 2;
    if (!this.need(n)) return "";
    const s = String.UTF8.decodeUnsafe(this.pos, n);
    this.pos += n;
    return s;
  }
  @inline get atEnd(): bool { return this.pos == this.end; }
}

/** Decodes a type-1 payload (the type byte already consumed). */
export function decodeEvent(r: BinReader): TrackingEvent | null {
  const e = new TrackingEvent();
  e.status = <u8>r.u8();
  const flags = r.u8();
  e.ts = r.i64();
  e.seq = r.i64();
  if (flags & 1) {
    e.hasLocation = true;
    e.lat = r.f64();
    e.lon = r.f64();
  }
  e.shipmentId = r.str();
  e.deviceId = r.str();
  if (flags & 2) e.note = r.str();
  if (!r.ok || e.status >= <u8>STATUSES.length) return null;
  return e;
}

export function isValidShipmentId(s: string): bool {
  const n = s.length;
  if (n < 1 || n > 64) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 45;
    if (!ok) return false;
  }
  return true;
}

function hasControlChars(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

function isSafeInteger(v: f64): bool {
  return Math.floor(v) == v && Math.abs(v) <= MAX_SAFE_INT;
}

/** Outcome of parsing one MQTT payload: an event, or the reason it was rejected. */
export class ParseResult {
  event: TrackingEvent | null = null;
  reason: string = "";
}

export function parseEvent(ptr: usize, len: i32): ParseResult {
  const res = new ParseResult();
  if (len > MAX_PAYLOAD_BYTES) { res.reason = "payload larger than 4096 bytes"; return res; }
  const r = new JsonReader(ptr, len);
  if (!r.checkUtf8()) { res.reason = r.error; return res; }
  if (!r.beginObject()) { res.reason = r.error; return res; }
  const e = new TrackingEvent();
  let seen: u32 = 0; // bit per known field, to reject duplicates
  let hasLat = false;
  let hasLon = false;
  while (true) {
    const k = r.nextKey();
    if (k === null) break;
    const key = k;
    let bit: u32 = 0;
    if (key == "shipmentId") bit = 1;
    else if (key == "status") bit = 2;
    else if (key == "ts") bit = 4;
    else if (key == "deviceId") bit = 8;
    else if (key == "seq") bit = 16;
    else if (key == "lat") bit = 32;
    else if (key == "lon") bit = 64;
    else if (key == "note") bit = 128;
    if (bit == 0) { r.skipValue(1); continue; } // unknown fields are tolerated (forward compatibility)
    if (seen & bit) { res.reason = "duplicate field '" + key + "'"; return res; }
    seen |= bit;
    const t = r.valueType();
    if (bit == 1 || bit == 2 || bit == 8 || bit == 128) {
      if (t != T_STRING) { res.reason = "field '" + key + "' must be a string"; return res; }
      const s = r.readString();
      if (r.failed) break;
      if (bit == 1) e.shipmentId = s;
      else if (bit == 2) {
        const idx = STATUSES.indexOf(s);
        if (idx < 0) { res.reason = "unknown status"; return res; }
        e.status = <u8>idx;
      } else if (bit == 8) e.deviceId = s;
      else e.note = s;
    } else {
      if (t == T_NULL && (bit == 32 || bit == 64)) { r.readNull(); continue; }
      if (t != T_NUMBER) { res.reason = "field '" + key + "' must be a number"; return res; }
      const v = r.readNumber();
      if (r.failed) break;
      if (bit == 4) {
        if (!isSafeInteger(v) || v < 0) { res.reason = "ts must be a non-negative integer (epoch ms)"; return res; }
        e.ts = <i64>v;
      } else if (bit == 16) {
        if (!isSafeInteger(v)) { res.reason = "seq must be an integer"; return res; }
        e.seq = <i64>v;
      } else if (bit == 32) {
        if (v < -90 || v > 90) { res.reason = "lat out of range"; return res; }
        e.lat = v; hasLat = true;
      } else {
        if (v < -180 || v > 180) { res.reason = "lon out of range"; return res; }
        e.lon = v; hasLon = true;
      }
    }
  }
  if (!r.finish()) { res.reason = "invalid JSON: " + r.error; return res; }
  if ((seen & 1) == 0) { res.reason = "missing shipmentId"; return res; }
  if ((seen & 2) == 0) { res.reason = "missing status"; return res; }
  if ((seen & 4) == 0) { res.reason = "missing ts"; return res; }
  if ((seen & 8) == 0) { res.reason = "missing deviceId"; return res; }
  if ((seen & 16) == 0) { res.reason = "missing seq"; return res; }
  if (!isValidShipmentId(e.shipmentId)) { res.reason = "shipmentId must match [A-Za-z0-9_-]{1,64}"; return res; }
  if (e.deviceId.length < 1 || e.deviceId.length > MAX_DEVICE_ID || hasControlChars(e.deviceId)) {
    res.reason = "deviceId must be 1-128 printable characters"; return res;
  }
  if (hasLat != hasLon) { res.reason = "lat and lon must be given together"; return res; }
  e.hasLocation = hasLat;
  const note = e.note;
  if (note !== null && note.length > MAX_NOTE) { res.reason = "note longer than 512 characters"; return res; }
  res.event = e;
  return res;
}
