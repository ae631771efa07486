// MQTT 3.1.1 packet encoding and framing (OASIS mqtt-v3.1.1, sections 2 and 3), only the
// packets a subscribing client needs.
import { ByteBuf } from "../util/bytes";

export const CONNECT: u32 = 1;
export const CONNACK: u32 = 2;
export const PUBLISH: u32 = 3;
export const PUBACK: u32 = 4;
export const PUBREC: u32 = 5;
export const PUBREL: u32 = 6;
export const PUBCOMP: u32 = 7;
export const SUBSCRIBE: u32 = 8;
export const SUBACK: u32 = 9;
export const UNSUBACK: u32 = 11;
export const PINGREQ: u32 = 12;
export const PINGRESP: u32 = 13;
export const DISCONNECT: u32 = 14;

export const FRAME_INCOMPLETE: i32 = 0;
export const FRAME_OK: i32 = 1;
export const FRAME_MALFORMED: i32 = -1;

/** Fixed header of one packet found at the start of a buffer. */
export class Frame {
  type: u32 = 0;
  flags: u32 = 0;
  headerLen: i32 = 0;
  remaining: i32 = 0;
  @inline get total(): i32 { return this.headerLen + this.remaining; }
}

/** Reads a fixed header (type, flags, variable-length "remaining length"). */
export function readFrame(ptr: usize, len: i32, f: Frame): i32 {
  if (len < 2) return FRAME_INCOMPLETE;
  const b0 = <u32>load<u8>(ptr);
  f.type = b0 >> 4;
  f.flags = b0 & 15;
  let mult: i32 = 1;
  let value: i32 = 0;
  let i = 1;
  while (true) {
    if (i > 4) return FRAME_MALFORMED; // at most 4 length bytes
    if (i >= len) return FRAME_INCOMPLETE;
    const b = <i32>load<u8>(ptr + <usize>i);
    value += (b & 127) * mult;
    i++;
    if ((b & 128) == 0) break;
    mult *= 128;
  }
  f.headerLen = i;
  f.remaining = value;
  return FRAME_OK;
}

function writeRemainingLength(out: ByteBuf, n: i32): void {
  do {
    let d = n % 128;
    n /= 128;
    if (n > 0) d |= 128;
    out.writeByte(<u32>d);
  } while (n > 0);
}

function utf8Len(s: string): i32 { return String.UTF8.byteLength(s); }

function writeMqttString(out: ByteBuf, s: string): void {
  const n = utf8Len(s);
  out.writeByte(<u32>(n >> 8));
  out.writeByte(<u32>(n & 255));
  out.writeUtf8(s);
}

export function encodeConnect(out: ByteBuf, clientId: string, username: string | null, password: string | null,
  keepaliveS: i32, cleanSession: bool): void {
  let flags: u32 = cleanSession ? 2 : 0;
  let len = 10 + 2 + utf8Len(clientId);
  if (username !== null) { flags |= 0x80; len += 2 + utf8Len(username); }
  if (password !== null) { flags |= 0x40; len += 2 + utf8Len(password); }
  out.writeByte(CONNECT << 4);
  writeRemainingLength(out, len);
  writeMqttString(out, "MQTT");
  out.writeByte(4); // protocol level 3.1.1
  out.writeByte(flags);
  out.writeByte(<u32>(keepaliveS >> 8));
  out.writeByte(<u32>(keepaliveS & 255));
  writeMqttString(out, clientId);
  if (username !== null) writeMqttString(out, username);
  if (password !== null) writeMqttString(out, password);
}

export function encodeSubscribe(out: ByteBuf, packetId: u32, filter: string, qos: u32): void {
  out.writeByte((SUBSCRIBE << 4) | 2);
  writeRemainingLength(out, 2 + 2 + utf8Len(filter) + 1);
  out.writeByte(packetId >> 8);
  out.writeByte(packetId & 255);
  writeMqttString(out, filter);
  out.writeByte(qos);
}

export function encodePuback(out: ByteBuf, packetId: u32): void {
  out.writeByte(PUBACK << 4);
  out.writeByte(2);
  out.writeByte(packetId >> 8);
  out.writeByte(packetId & 255);
}

export function encodePingreq(out: ByteBuf): void {
  out.writeByte(PINGREQ << 4);
  out.writeByte(0);
}

export function encodeDisconnect(out: ByteBuf): void {
  out.writeByte(DISCONNECT << 4);
  out.writeByte(0);
}

/** A decoded PUBLISH (offsets point into the receive buffer). */
export class Publish {
  qos: u32 = 0;
  packetId: u32 = 0;
  topicPtr: usize = 0;
  topicLen: i32 = 0;
  payloadPtr: usize = 0;
  payloadLen: i32 = 0;
}

/** Decodes a PUBLISH body; returns "" or the protocol violation. */
export function decodePublish(f: Frame, body: usize, p: Publish): string {
  p.qos = (f.flags >> 1) & 3;
  if (p.qos == 3) return "PUBLISH with QoS 3";
  const n = f.remaining;
  if (n < 2) return "PUBLISH too short";
  const tlen = (<i32>load<u8>(body) << 8) | <i32>load<u8>(body, 1);
  let pos = 2 + tlen;
  if (pos > n) return "PUBLISH topic overruns the packet";
  p.topicPtr = body + 2;
  p.topicLen = tlen;
  if (tlen == 0) return "PUBLISH with an empty topic";
  if (p.qos > 0) {
    if (pos + 2 > n) return "PUBLISH without packet identifier";
    p.packetId = (<u32>load<u8>(body + <usize>pos) << 8) | <u32>load<u8>(body + <usize>(pos + 1));
    if (p.packetId == 0) return "PUBLISH with packet identifier 0";
    pos += 2;
  } else {
    p.packetId = 0;
  }
  p.payloadPtr = body + <usize>pos;
  p.payloadLen = n - pos;
  return "";
}
