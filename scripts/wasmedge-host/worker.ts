// Runs one WASI preview1 module (plus WasmEdge's socket extension) inside a worker thread.
// Every import is synchronous from the module's point of view. Files and stdio are served here
// with fs.*Sync; sockets live on the main thread (Node's net is asynchronous), and we talk to it
// through shared memory: per-socket receive/send rings we read and write without a round trip,
// a command ring for the main thread, and Atomics.wait on CTL.SEQ whenever we must block.
import fs from "node:fs";
import path from "node:path";
import { parentPort, workerData, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { randomFillSync } from "node:crypto";
import { E, LINUX_ERRNO_OF_WASI, errnoOf } from "./errno";
import {
  ACCEPT_OFFSET,
  ACCEPT_SLOTS,
  ARG_OFFSET,
  CMD_SLOTS,
  CMD_WORDS,
  CTL,
  FLAG,
  LISTEN_SOCK_BYTES,
  OP,
  RECV_OFFSET,
  RECV_RING,
  S,
  SEND_OFFSET,
  SEND_RING,
  STATE,
  STREAM_SOCK_BYTES,
  SlotPool,
  randomFd,
  type Slot,
} from "./layout";
import { readFunctionImports } from "./wasm-imports";

export interface WorkerInit {
  wasmPath: string;
  args: string[];
  env: string[];
  /** [guest path, real host path] in --dir order */
  preopens: Array<[string, string]>;
  ctl: SharedArrayBuffer;
  port: MessagePort;
  /** "fd": write straight to the process's fd 1/2; "port": post chunks to the parent. */
  stdio: "fd" | "port";
}

const FILETYPE = { UNKNOWN: 0, CHAR: 2, DIR: 3, FILE: 4, DGRAM: 5, STREAM: 6, SYMLINK: 7 } as const;
const ALL_RIGHTS = 0x1fffffffn;

interface SockEntry {
  kind: "sock";
  fd: number;
  /** 1 IPv4, 2 IPv6 */
  family: number;
  hdr: Int32Array;
  ring: Uint8Array;
  acc: Int32Array | null;
  type: number;
  nonblock: boolean;
  rdShut: boolean;
  wrShut: boolean;
  rcvTimeoutMs: number;
  sndTimeoutMs: number;
  opts: Map<number, Uint8Array>;
  /** the pending socket error was handed out (recv/send/SO_ERROR report it once, like Linux) */
  errConsumed: boolean;
}
interface FileEntry {
  kind: "file" | "dir";
  hostFd: number;
  hostPath: string;
  /** real path of the preopen this entry lives under; resolved paths must stay inside it */
  root: string;
  preopen: string | null;
  pos: number;
  fdflags: number;
  readdirCache: fs.Dirent[] | null;
}
interface StdioEntry {
  kind: "stdio";
  n: number;
  fdflags: number;
}
type Entry = SockEntry | FileEntry | StdioEntry;

class ProcExit {
  constructor(readonly code: number) {}
}
class Stopped {}

const init = workerData as WorkerInit;
const ctl = new Int32Array(init.ctl);
const ctlBytes = new Uint8Array(init.ctl);
const ctlView = new DataView(init.ctl);
const port = init.port;
const fds = new Map<number, Entry>();
/** SABs of accepted sockets that arrived on the port before the module accepted them */
const arrivedSabs = new Map<number, Slot>();
const enc = new TextEncoder();
const dec = new TextDecoder();

let memory: WebAssembly.Memory | null = null;
let memBuf: ArrayBuffer = new ArrayBuffer(0);
let u8 = new Uint8Array(0);
let dv = new DataView(memBuf);

function mem(): void {
  const b = memory!.buffer as ArrayBuffer;
  if (b !== memBuf) {
    memBuf = b;
    u8 = new Uint8Array(b);
    dv = new DataView(b);
  }
}

// ---------------------------------------------------------------- main-thread protocol

let cmdHead = 0;

function ringDoorbell(): void {
  Atomics.add(ctl, CTL.DOORBELL, 1);
  // notify is costly; the main thread re-reads DOORBELL before it arms its waiter, so a bell rung
  // while it is busy is never lost
  if (Atomics.load(ctl, CTL.MAIN_ARMED) !== 0) Atomics.notify(ctl, CTL.DOORBELL);
}

function pushCmd(op: number, fd: number, a: number, b: number): void {
  while (((cmdHead - Atomics.load(ctl, CTL.CMD_TAIL)) | 0) >= CMD_SLOTS) {
    const seq = Atomics.load(ctl, CTL.SEQ);
    Atomics.store(ctl, CTL.CMD_FULL, 1);
    if (((cmdHead - Atomics.load(ctl, CTL.CMD_TAIL)) | 0) < CMD_SLOTS) break;
    ringDoorbell();
    waitSeq(seq, 50);
  }
  const base = CTL.CMD_BASE + (cmdHead & (CMD_SLOTS - 1)) * CMD_WORDS;
  ctl[base] = op;
  ctl[base + 1] = fd;
  ctl[base + 2] = a;
  ctl[base + 3] = b;
  cmdHead = (cmdHead + 1) | 0;
  Atomics.store(ctl, CTL.CMD_HEAD, cmdHead);
  ringDoorbell();
}

/** Blocks until CTL.SEQ moves away from seq or timeoutMs passes. */
function waitSeq(seq: number, timeoutMs: number): void {
  if (Atomics.load(ctl, CTL.STOP) !== 0) throw new Stopped();
  // the main thread bumps SEQ before it looks at WORKER_WAITING, and Atomics.wait re-checks SEQ,
  // so a change that skipped the notify still ends the wait at once
  Atomics.store(ctl, CTL.WORKER_WAITING, 1);
  Atomics.wait(ctl, CTL.SEQ, seq, timeoutMs);
  Atomics.store(ctl, CTL.WORKER_WAITING, 0);
  if (Atomics.load(ctl, CTL.STOP) !== 0) throw new Stopped();
}

let reqId = 0;
function syncCall(op: number, fd: number, a: number, b: number): number {
  reqId = (reqId + 1) | 0 || 1;
  Atomics.store(ctl, CTL.REQ_ID, reqId);
  pushCmd(op, fd, a, b);
  for (;;) {
    const seq = Atomics.load(ctl, CTL.SEQ);
    if (Atomics.load(ctl, CTL.RESP_ID) === reqId) return ctl[CTL.RESP_ERRNO];
    waitSeq(seq, 1000);
  }
}

/** Buffers for sock_open; the main thread hands them back when it is done with a closed socket. */
const slotPool = new SlotPool(LISTEN_SOCK_BYTES, 256);

/** Takes one message off the port: a new accepted socket's buffer, or a buffer to reuse. */
function readPort(): boolean {
  const msg = receiveMessageOnPort(port);
  if (!msg) return false;
  const m = msg.message as { fd?: number; sab: SharedArrayBuffer; off: number; recycle?: boolean };
  if (m.recycle) slotPool.give({ sab: m.sab, off: m.off });
  else arrivedSabs.set(m.fd!, { sab: m.sab, off: m.off });
  return true;
}

function takeSlot(fd: number): Slot {
  for (;;) {
    const have = arrivedSabs.get(fd);
    if (have) {
      arrivedSabs.delete(fd);
      return have;
    }
    if (!readPort()) throw new Error(`host protocol error: no shared buffer for accepted fd ${fd}`);
  }
}

function newSockEntry(fd: number, slot: Slot, family: number, type: number, withAccept: boolean): SockEntry {
  return {
    kind: "sock",
    fd,
    family,
    hdr: new Int32Array(slot.sab, slot.off, S.HEADER_WORDS),
    ring: new Uint8Array(slot.sab, slot.off, withAccept ? LISTEN_SOCK_BYTES : STREAM_SOCK_BYTES),
    acc: withAccept ? new Int32Array(slot.sab, slot.off + ACCEPT_OFFSET, ACCEPT_SLOTS) : null,
    type,
    nonblock: false,
    rdShut: false,
    wrShut: false,
    rcvTimeoutMs: -1,
    sndTimeoutMs: -1,
    opts: new Map(),
    errConsumed: false,
  };
}

// ---------------------------------------------------------------- helpers

function str(ptr: number, len: number): string {
  return dec.decode(u8.subarray(ptr, ptr + len));
}

function fileErr(e: unknown): number {
  if (e instanceof ProcExit || e instanceof Stopped) throw e;
  if (e instanceof RangeError) return E.FAULT;
  return errnoOf(e);
}

function writeU64(ptr: number, v: number): void {
  dv.setUint32(ptr, v >>> 0, true);
  dv.setUint32(ptr + 4, Math.floor(v / 4294967296) >>> 0, true);
}

function nowMonoNs(): bigint {
  return BigInt(Math.round(performance.now() * 1e6));
}
function nowRealNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith("/") ? root : root + "/");
}

/**
 * Resolves a guest path relative to a directory fd the way WasmEdge does: absolute paths and
 * ".." above the directory are EPERM, and symlinks may not lead outside the preopen.
 */
/** fd_sync / fd_datasync: files and directories only, errors mapped to WASI errnos. */
function syncFd(fd: number, sync: (hostFd: number) => void): number {
  const e = fds.get(fd);
  if (e === undefined) return E.BADF;
  if (e.kind !== "file" && e.kind !== "dir") return E.INVAL;
  try {
    sync(e.hostFd);
    return E.SUCCESS;
  } catch (err) {
    return fileErr(err);
  }
}

/** Resolves a guest path and runs a host file operation on it, mapping Node errors to WASI errnos. */
function onPath(dirFd: number, ptr: number, len: number, followFinal: boolean, op: (host: string) => number | void): number {
  const host = resolvePath(dirFd, ptr, len, followFinal);
  if (typeof host === "number") return host;
  try {
    return op(host) ?? E.SUCCESS;
  } catch (err) {
    return fileErr(err);
  }
}

function resolvePath(dirFd: number, ptr: number, len: number, followFinal: boolean): string | number {
  const dir = fds.get(dirFd);
  if (!dir) return E.BADF;
  if (dir.kind !== "dir") return E.NOTDIR;
  const p = str(ptr, len);
  if (p.length === 0) return E.NOENT;
  if (p.charCodeAt(0) === 47) return E.PERM;
  if (p.indexOf("\0") >= 0) return E.INVAL;
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return E.PERM;
      parts.pop();
    } else parts.push(part);
  }
  const host = parts.length ? path.join(dir.hostPath, ...parts) : dir.hostPath;
  try {
    const realParent = fs.realpathSync(parts.length ? path.dirname(host) : host);
    if (!isInside(dir.root, realParent)) return E.PERM;
    if (followFinal && parts.length) {
      let real: string | null = null;
      try {
        real = fs.realpathSync(host);
      } catch {
        real = null;
      }
      if (real !== null && !isInside(dir.root, real)) return E.PERM;
    }
  } catch (e) {
    return fileErr(e);
  }
  return host;
}

function filetypeOf(st: fs.BigIntStats | fs.Stats): number {
  if (st.isFile()) return FILETYPE.FILE;
  if (st.isDirectory()) return FILETYPE.DIR;
  if (st.isSymbolicLink()) return FILETYPE.SYMLINK;
  if (st.isCharacterDevice()) return FILETYPE.CHAR;
  if (st.isSocket()) return FILETYPE.STREAM;
  if (st.isBlockDevice()) return 1;
  return FILETYPE.UNKNOWN;
}

function writeFilestat(ptr: number, st: fs.BigIntStats): void {
  dv.setBigUint64(ptr, st.dev, true);
  dv.setBigUint64(ptr + 8, st.ino, true);
  u8[ptr + 16] = filetypeOf(st);
  u8.fill(0, ptr + 17, ptr + 24);
  dv.setBigUint64(ptr + 24, st.nlink, true);
  dv.setBigUint64(ptr + 32, st.size, true);
  dv.setBigUint64(ptr + 40, st.atimeNs, true);
  dv.setBigUint64(ptr + 48, st.mtimeNs, true);
  dv.setBigUint64(ptr + 56, st.ctimeNs, true);
}

// ---------------------------------------------------------------- stdio

const napCell = new Int32Array(new SharedArrayBuffer(4));

function stdWrite(n: number, data: Uint8Array): void {
  if (init.stdio === "fd") {
    let off = 0;
    while (off < data.length) {
      try {
        off += fs.writeSync(n, data, off, data.length - off);
      } catch (e) {
        // a pipe someone else switched to O_NONBLOCK: wait for the reader like a blocking write would
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
        Atomics.wait(napCell, 0, 0, 1);
      }
    }
  } else {
    parentPort!.postMessage({ t: n === 1 ? "o" : "e", d: data.slice() });
  }
}

/** Host diagnostics go where the module's stderr goes. */
function diag(text: string): void {
  stdWrite(2, enc.encode(text));
}

// ---------------------------------------------------------------- sockets: data path

function sockOf(fd: number): SockEntry | null {
  const e = fds.get(fd);
  return e !== undefined && e.kind === "sock" ? e : null;
}

function iovTotal(iovs: number, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += dv.getUint32(iovs + i * 8 + 4, true);
  return total;
}

/** Receives into an iovec array; returns errno, byte count in recvCount. */
let recvCount = 0;
function sockRecv(s: SockEntry, iovs: number, iovsLen: number, peek: boolean, waitAll: boolean): number {
  if (s.type === 1) return dgramRecv(s, iovs, iovsLen, peek, 0, 0, 0);
  recvCount = 0;
  recvTruncated = false;
  if (iovsLen > 1024) return E.INVAL;
  const hdr = s.hdr;
  const want = iovTotal(iovs, iovsLen);
  if (s.rdShut) return E.SUCCESS;
  if (want === 0) return E.SUCCESS;
  const deadline = s.rcvTimeoutMs > 0 ? performance.now() + s.rcvTimeoutMs : 0;
  let avail = 0;
  for (;;) {
    const seq = Atomics.load(ctl, CTL.SEQ);
    avail = (Atomics.load(hdr, S.R_HEAD) - Atomics.load(hdr, S.R_TAIL)) | 0;
    // RECV_WAITALL waits for the whole request, or for a full ring if the request is bigger
    if (avail > 0 && (!waitAll || avail >= want || avail >= RECV_RING)) break;
    const flags = Atomics.load(hdr, S.FLAGS);
    if (flags & FLAG.ERROR) {
      if (avail > 0) break;
      // like Linux: the first call after a reset reports it, later receives see end of stream
      if (s.errConsumed) return E.SUCCESS;
      s.errConsumed = true;
      return hdr[S.ERR];
    }
    if (flags & FLAG.RD_EOF) {
      if (avail > 0) break;
      return E.SUCCESS;
    }
    const state = Atomics.load(hdr, S.STATE);
    if (state !== STATE.CONNECTED && state !== STATE.CONNECTING) return E.NOTCONN;
    if (s.nonblock) {
      if (avail > 0) break;
      return E.AGAIN;
    }
    let timeout = 1000;
    if (deadline) {
      timeout = deadline - performance.now();
      if (timeout <= 0) {
        if (avail > 0) break;
        return E.AGAIN;
      }
    }
    waitSeq(seq, timeout);
  }
  let tail = Atomics.load(hdr, S.R_TAIL);
  let copied = 0;
  for (let i = 0; i < iovsLen && avail > 0; i++) {
    const buf = dv.getUint32(iovs + i * 8, true);
    let len = dv.getUint32(iovs + i * 8 + 4, true);
    if (buf + len > u8.length) return E.FAULT;
    if (len > avail) len = avail;
    let off = 0;
    while (off < len) {
      const at = tail & (RECV_RING - 1);
      const chunk = Math.min(len - off, RECV_RING - at);
      u8.set(s.ring.subarray(RECV_OFFSET + at, RECV_OFFSET + at + chunk), buf + off);
      off += chunk;
      tail = (tail + chunk) | 0;
    }
    copied += len;
    avail -= len;
  }
  if (!peek) {
    Atomics.store(hdr, S.R_TAIL, tail);
    if (Atomics.load(hdr, S.FLAGS) & FLAG.PAUSED) {
      if ((Atomics.or(hdr, S.FLAGS, FLAG.RESUME_PENDING) & FLAG.RESUME_PENDING) === 0) {
        pushCmd(OP.RESUME, s.fd, 0, 0);
      }
    }
  }
  recvCount = copied;
  return E.SUCCESS;
}

let sendCount = 0;
function sockSend(s: SockEntry, iovs: number, iovsLen: number): number {
  if (s.type === 1) {
    // send on a datagram socket needs a connected peer (Linux: EDESTADDRREQ)
    if (Atomics.load(s.hdr, S.STATE) !== STATE.CONNECTED) return 17;
    return dgramSend(s, iovs, iovsLen, 0, 0, null);
  }
  sendCount = 0;
  if (iovsLen > 1024) return E.INVAL;
  const hdr = s.hdr;
  const total = iovTotal(iovs, iovsLen);
  const deadline = s.sndTimeoutMs > 0 ? performance.now() + s.sndTimeoutMs : 0;
  let nbDeadline = 0;
  let space = 0;
  for (;;) {
    const seq = Atomics.load(ctl, CTL.SEQ);
    const flags = Atomics.load(hdr, S.FLAGS);
    if (flags & FLAG.ERROR) {
      if (s.errConsumed) return E.PIPE;
      s.errConsumed = true;
      return hdr[S.ERR];
    }
    if (s.wrShut) return E.PIPE;
    const state = Atomics.load(hdr, S.STATE);
    if (state !== STATE.CONNECTED) {
      if (state === STATE.CONNECTING && !s.nonblock) {
        waitSeq(seq, 1000);
        continue;
      }
      return state === STATE.CONNECTING ? E.AGAIN : E.NOTCONN;
    }
    if (total === 0) return E.SUCCESS;
    space = SEND_RING - ((hdr[S.W_HEAD] - Atomics.load(hdr, S.W_TAIL)) | 0);
    if (space > 0) break;
    if (s.nonblock) {
      // A kernel would still take the data while the peer keeps reading; here the ring is only
      // the front of that buffer, so give the main thread a moment to move it on unless Node's
      // own buffer is already full (BLOCKED), which is when a real send would give EAGAIN.
      if (flags & FLAG.BLOCKED || performance.now() - (nbDeadline ||= performance.now()) > 20) return E.AGAIN;
    }
    let timeout = 1000;
    if (deadline) {
      timeout = deadline - performance.now();
      if (timeout <= 0) return E.AGAIN;
    }
    // ask to be woken when the main thread frees room, then look once more (no lost wake-up)
    Atomics.or(hdr, S.FLAGS, FLAG.WANT_SPACE);
    if (SEND_RING - ((hdr[S.W_HEAD] - Atomics.load(hdr, S.W_TAIL)) | 0) > 0) continue;
    waitSeq(seq, timeout);
  }
  let head = hdr[S.W_HEAD];
  if (head === Atomics.load(hdr, S.W_TAIL) && (head & (SEND_RING - 1)) !== 0) {
    // empty ring: restart at offset 0, so request/response traffic keeps using the same few pages
    // instead of touching the whole ring (RSS with many connections). The main thread only reads
    // between W_TAIL and W_HEAD, and there is nothing there.
    head = ((head | (SEND_RING - 1)) + 1) | 0;
    Atomics.store(hdr, S.W_TAIL, head);
    Atomics.store(hdr, S.W_HEAD, head);
    space = SEND_RING;
  }
  let copied = 0;
  for (let i = 0; i < iovsLen && space > 0; i++) {
    const buf = dv.getUint32(iovs + i * 8, true);
    let len = dv.getUint32(iovs + i * 8 + 4, true);
    if (buf + len > u8.length) return E.FAULT;
    if (len > space) len = space;
    let off = 0;
    while (off < len) {
      const at = head & (SEND_RING - 1);
      const chunk = Math.min(len - off, SEND_RING - at);
      s.ring.set(u8.subarray(buf + off, buf + off + chunk), SEND_OFFSET + at);
      off += chunk;
      head = (head + chunk) | 0;
    }
    copied += len;
    space -= len;
  }
  Atomics.store(hdr, S.W_HEAD, head);
  if ((Atomics.or(hdr, S.FLAGS, FLAG.FLUSH_PENDING) & FLAG.FLUSH_PENDING) === 0) {
    pushCmd(OP.FLUSH, s.fd, 0, 0);
  }
  sendCount = copied;
  return E.SUCCESS;
}

// ---------------------------------------------------------------- sockets: datagrams
// A datagram socket's rings hold records: DGRAM_HDR bytes (payload length, family, port, 16 address
// bytes) followed by the payload. The main thread drops an arriving datagram that does not fit, as a
// full kernel receive buffer would.

const DGRAM_HDR = 28;
const MAX_DATAGRAM = 65507;
const recHdr = new Uint8Array(DGRAM_HDR);
const recView = new DataView(recHdr.buffer);

function ringRead(ring: Uint8Array, base: number, size: number, pos: number, dst: Uint8Array, dstOff: number, n: number): void {
  let off = 0;
  while (off < n) {
    const at = (pos + off) & (size - 1);
    const chunk = Math.min(n - off, size - at);
    dst.set(ring.subarray(base + at, base + at + chunk), dstOff + off);
    off += chunk;
  }
}

function ringWrite(ring: Uint8Array, base: number, size: number, pos: number, src: Uint8Array, srcOff: number, n: number): void {
  let off = 0;
  while (off < n) {
    const at = (pos + off) & (size - 1);
    const chunk = Math.min(n - off, size - at);
    ring.set(src.subarray(srcOff + off, srcOff + off + chunk), base + at);
    off += chunk;
  }
}

let recvTruncated = false;
/**
 * Receives one datagram. addrMode 0: no address; 1: V1 (IP bytes into a 4/16-byte buffer);
 * 2: V2 (128-byte storage gets the family too; port written as u16 to portPtr).
 */
function dgramRecv(s: SockEntry, iovs: number, iovsLen: number, peek: boolean, addrPtr: number, addrMode: number, portPtr: number): number {
  recvCount = 0;
  recvTruncated = false;
  if (iovsLen > 1024) return E.INVAL;
  const hdr = s.hdr;
  const deadline = s.rcvTimeoutMs > 0 ? performance.now() + s.rcvTimeoutMs : 0;
  for (;;) {
    const seq = Atomics.load(ctl, CTL.SEQ);
    if (((Atomics.load(hdr, S.R_HEAD) - Atomics.load(hdr, S.R_TAIL)) | 0) > 0) break;
    const flags = Atomics.load(hdr, S.FLAGS);
    if (flags & FLAG.ERROR && !s.errConsumed) {
      s.errConsumed = true;
      return hdr[S.ERR];
    }
    if (s.nonblock) return E.AGAIN;
    let timeout = 1000;
    if (deadline) {
      timeout = deadline - performance.now();
      if (timeout <= 0) return E.AGAIN;
    }
    waitSeq(seq, timeout);
  }
  const tail = Atomics.load(hdr, S.R_TAIL);
  ringRead(s.ring, RECV_OFFSET, RECV_RING, tail, recHdr, 0, DGRAM_HDR);
  const len = recView.getUint32(0, true);
  const fam = recView.getUint32(4, true);
  const port = recView.getUint32(8, true);
  let pos = tail + DGRAM_HDR;
  let left = len;
  for (let i = 0; i < iovsLen && left > 0; i++) {
    const buf = dv.getUint32(iovs + i * 8, true);
    const cap = dv.getUint32(iovs + i * 8 + 4, true);
    if (buf + cap > u8.length) return E.FAULT;
    const n = Math.min(cap, left);
    ringRead(s.ring, RECV_OFFSET, RECV_RING, pos, u8, buf, n);
    pos += n;
    left -= n;
    recvCount += n;
  }
  recvTruncated = left > 0;
  if (addrMode !== 0) {
    const buf = dv.getUint32(addrPtr, true);
    const blen = dv.getUint32(addrPtr + 4, true);
    const n = fam === 1 ? 4 : 16;
    if (addrMode === 2 && blen === 128) {
      if (buf + 128 > u8.length) return E.FAULT;
      dv.setUint16(buf, fam, true);
      u8.set(recHdr.subarray(12, 12 + n), buf + 2);
    } else {
      if (buf + Math.min(blen, n) > u8.length) return E.FAULT;
      u8.set(recHdr.subarray(12, 12 + Math.min(blen, n)), buf);
    }
    if (addrMode === 2) dv.setUint16(portPtr, port, true);
  }
  if (!peek) Atomics.store(hdr, S.R_TAIL, (tail + DGRAM_HDR + len) | 0);
  return E.SUCCESS;
}

/** Queues one datagram; family 0 means "to the connected peer". */
function dgramSend(s: SockEntry, iovs: number, iovsLen: number, fam: number, port: number, addr: Uint8Array | null): number {
  sendCount = 0;
  if (iovsLen > 1024) return E.INVAL;
  const hdr = s.hdr;
  const total = iovTotal(iovs, iovsLen);
  if (total > MAX_DATAGRAM) return E.MSGSIZE;
  const need = DGRAM_HDR + total;
  for (;;) {
    const seq = Atomics.load(ctl, CTL.SEQ);
    const flags = Atomics.load(hdr, S.FLAGS);
    if (flags & FLAG.ERROR && !s.errConsumed) {
      s.errConsumed = true;
      return hdr[S.ERR];
    }
    const space = SEND_RING - ((hdr[S.W_HEAD] - Atomics.load(hdr, S.W_TAIL)) | 0);
    if (space >= need) break;
    if (s.nonblock) return E.AGAIN;
    Atomics.or(hdr, S.FLAGS, FLAG.WANT_SPACE);
    if (SEND_RING - ((hdr[S.W_HEAD] - Atomics.load(hdr, S.W_TAIL)) | 0) >= need) continue;
    waitSeq(seq, 1000);
  }
  recView.setUint32(0, total, true);
  recView.setUint32(4, fam, true);
  recView.setUint32(8, port, true);
  recHdr.fill(0, 12);
  if (addr) recHdr.set(addr.subarray(0, 16), 12);
  let head = hdr[S.W_HEAD];
  ringWrite(s.ring, SEND_OFFSET, SEND_RING, head, recHdr, 0, DGRAM_HDR);
  head = (head + DGRAM_HDR) | 0;
  for (let i = 0; i < iovsLen; i++) {
    const buf = dv.getUint32(iovs + i * 8, true);
    const len = dv.getUint32(iovs + i * 8 + 4, true);
    if (buf + len > u8.length) return E.FAULT;
    ringWrite(s.ring, SEND_OFFSET, SEND_RING, head, u8, buf, len);
    head = (head + len) | 0;
  }
  Atomics.store(hdr, S.W_HEAD, head);
  if ((Atomics.or(hdr, S.FLAGS, FLAG.FLUSH_PENDING) & FLAG.FLUSH_PENDING) === 0) {
    pushCmd(OP.FLUSH, s.fd, 0, 0);
  }
  sendCount = total;
  return E.SUCCESS;
}

/** Readiness of a socket for poll: returns -1 if not ready, else the byte count for the event. */
function sockReadReady(s: SockEntry): number {
  const hdr = s.hdr;
  if (s.type === 1) {
    if (((Atomics.load(hdr, S.R_HEAD) - Atomics.load(hdr, S.R_TAIL)) | 0) > 0) {
      ringRead(s.ring, RECV_OFFSET, RECV_RING, Atomics.load(hdr, S.R_TAIL), recHdr, 0, 4);
      return recView.getUint32(0, true);
    }
    return Atomics.load(hdr, S.FLAGS) & FLAG.ERROR ? 0 : -1;
  }
  const state = Atomics.load(hdr, S.STATE);
  if (state === STATE.LISTENING) {
    const n = (Atomics.load(hdr, S.ACC_HEAD) - hdr[S.ACC_TAIL]) | 0;
    return n > 0 ? n : -1;
  }
  const avail = (Atomics.load(hdr, S.R_HEAD) - Atomics.load(hdr, S.R_TAIL)) | 0;
  if (avail > 0) return avail;
  if (s.rdShut) return 0;
  const flags = Atomics.load(hdr, S.FLAGS);
  if (flags & (FLAG.RD_EOF | FLAG.ERROR)) return 0;
  if (state === STATE.OPEN || state === STATE.CLOSED) return 0;
  return -1;
}

function sockWriteReady(s: SockEntry): number {
  const hdr = s.hdr;
  if (s.type === 1) {
    const space = SEND_RING - ((hdr[S.W_HEAD] - Atomics.load(hdr, S.W_TAIL)) | 0) - DGRAM_HDR;
    return space > 0 ? space : -1;
  }
  const flags = Atomics.load(hdr, S.FLAGS);
  if (flags & FLAG.ERROR) return 0;
  const state = Atomics.load(hdr, S.STATE);
  if (state === STATE.CONNECTING) return -1;
  if (state !== STATE.CONNECTED) return 0;
  const space = SEND_RING - ((hdr[S.W_HEAD] - Atomics.load(hdr, S.W_TAIL)) | 0);
  return space > 0 ? space : -1;
}

// ---------------------------------------------------------------- address helpers

const addrBytes = new Uint8Array(16);
let addrFamily = 0;

/** Parses a V1 (4/16-byte) or, when allowed, V2 (128-byte storage) address struct into addrBytes. */
function parseAddress(addrPtr: number, allowStorage: boolean): number {
  if (addrPtr + 8 > u8.length) return E.FAULT;
  const buf = dv.getUint32(addrPtr, true);
  const len = dv.getUint32(addrPtr + 4, true);
  let src: number;
  if (len === 4) {
    addrFamily = 1;
    src = buf;
  } else if (len === 16) {
    addrFamily = 2;
    src = buf;
  } else if (len === 128 && allowStorage) {
    if (buf + 2 > u8.length) return E.FAULT;
    addrFamily = dv.getUint16(buf, true);
    src = buf + 2;
    if (addrFamily === 3) return E.NOSYS;
    if (addrFamily !== 1 && addrFamily !== 2) return E.INVAL;
  } else return E.INVAL;
  const n = addrFamily === 1 ? 4 : 16;
  if (src + n > u8.length) return E.FAULT;
  addrBytes.fill(0);
  addrBytes.set(u8.subarray(src, src + n));
  return E.SUCCESS;
}

/** Reads an address struct into the arg area: family(u32) port(u32) bytes[16] at ARG_OFFSET. */
function stageAddress(addrPtr: number, port: number, allowStorage: boolean): number {
  const r = parseAddress(addrPtr, allowStorage);
  if (r !== 0) return r;
  ctlView.setUint32(ARG_OFFSET, addrFamily, true);
  ctlView.setUint32(ARG_OFFSET + 4, port & 0xffff, true);
  ctlBytes.set(addrBytes, ARG_OFFSET + 8);
  return E.SUCCESS;
}

/** Writes local (which = S.L_FAM) or peer (S.P_FAM) address of a socket for getlocaladdr/peeraddr. */
function writeSockAddr(s: SockEntry, which: number, addrPtr: number, typePtr: number, portPtr: number, v2: boolean): number {
  const hdr = s.hdr;
  const fam = Atomics.load(hdr, which);
  if (fam === 0) return which === S.P_FAM ? E.NOTCONN : E.INVAL;
  const buf = dv.getUint32(addrPtr, true);
  const len = dv.getUint32(addrPtr + 4, true);
  const n = fam === 1 ? 4 : 16;
  const bytes = new Uint8Array(hdr.buffer, hdr.byteOffset + (which + 2) * 4, 16);
  if (v2) {
    if (len !== 128) return E.INVAL;
    if (buf + 128 > u8.length) return E.FAULT;
    dv.setUint16(buf, fam, true);
    u8.set(bytes.subarray(0, n), buf + 2);
  } else {
    if (len !== 4 && len !== 16) return E.INVAL;
    if (len < n) return E.NOMEM;
    if (buf + len > u8.length) return E.FAULT;
    u8.set(bytes.subarray(0, n), buf);
    dv.setUint32(typePtr, fam === 1 ? 4 : 6, true);
  }
  dv.setUint32(portPtr, hdr[which + 1], true);
  return E.SUCCESS;
}

// ---------------------------------------------------------------- poll_oneoff

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;

let pollDeadlines = new Float64Array(64);

function pollOneoff(inPtr: number, outPtr: number, nsubs: number, neventsPtr: number): number {
  mem();
  if (nsubs === 0) return E.INVAL;
  if (inPtr + nsubs * 48 > u8.length || outPtr + nsubs * 32 > u8.length) return E.FAULT;
  if (pollDeadlines.length < nsubs) pollDeadlines = new Float64Array(nsubs * 2);
  let start = performance.now();
  let minDeadline = Infinity;
  for (let i = 0; i < nsubs; i++) {
    const sub = inPtr + i * 48;
    if (u8[sub + 8] === 0) {
      const clockId = dv.getUint32(sub + 16, true);
      const timeoutNs = dv.getUint32(sub + 24, true) + dv.getUint32(sub + 28, true) * 4294967296;
      const abs = (dv.getUint16(sub + 40, true) & 1) !== 0;
      let deadline: number;
      if (!abs) deadline = start + timeoutNs / 1e6;
      else if (clockId === CLOCK_REALTIME) deadline = start + (timeoutNs / 1e6 - (performance.timeOrigin + start));
      else deadline = timeoutNs / 1e6;
      pollDeadlines[i] = deadline;
      if (clockId !== CLOCK_REALTIME && clockId !== CLOCK_MONOTONIC && clockId !== 2 && clockId !== 3) {
        pollDeadlines[i] = -1;
      }
      if (deadline < minDeadline) minDeadline = deadline;
    }
  }
  for (;;) {
    const seq = Atomics.load(ctl, CTL.SEQ);
    const now = performance.now();
    let nev = 0;
    for (let i = 0; i < nsubs; i++) {
      const sub = inPtr + i * 48;
      const tag = u8[sub + 8];
      const ev = outPtr + nev * 32;
      let errno = 0;
      let nbytes = -1;
      let hangup = false;
      if (tag === 0) {
        if (pollDeadlines[i] === -1) errno = E.INVAL;
        else if (now < pollDeadlines[i]) continue;
        nbytes = 0;
      } else if (tag === 1 || tag === 2) {
        const fd = dv.getUint32(sub + 16, true);
        const e = fds.get(fd);
        if (e === undefined) {
          errno = E.BADF;
          nbytes = 0;
        } else if (e.kind === "sock") {
          nbytes = tag === 1 ? sockReadReady(e) : sockWriteReady(e);
          if (nbytes < 0 && tag === 2) {
            // the main thread only wakes us for freed send room when asked to
            Atomics.or(e.hdr, S.FLAGS, FLAG.WANT_SPACE);
            nbytes = sockWriteReady(e);
          }
          if (nbytes < 0) continue;
          // WasmEdge's epoll poller never puts an errno in fd events (EPOLLERR is not mapped); it
          // sets HANGUP for EPOLLHUP, i.e. an error/reset/failed connect or both directions shut.
          // A peer's FIN alone (EPOLLRDHUP) is just "readable". Callers learn errors from
          // SO_ERROR or the next recv/send.
          const flags = Atomics.load(e.hdr, S.FLAGS);
          hangup = (flags & FLAG.ERROR) !== 0 || ((flags & FLAG.RD_EOF) !== 0 && e.wrShut);
        } else if (e.kind === "file") {
          nbytes = 0;
          if (tag === 1) {
            try {
              const size = fs.fstatSync(e.hostFd).size;
              nbytes = Math.max(0, size - e.pos);
            } catch {
              nbytes = 0;
            }
          }
        } else nbytes = 0;
      } else {
        errno = E.INVAL;
        nbytes = 0;
      }
      u8.copyWithin(ev, sub, sub + 8);
      dv.setUint16(ev + 8, errno, true);
      u8[ev + 10] = tag;
      u8.fill(0, ev + 11, ev + 16);
      writeU64(ev + 16, nbytes);
      dv.setUint16(ev + 24, hangup ? 1 : 0, true);
      u8.fill(0, ev + 26, ev + 32);
      nev++;
    }
    if (nev > 0) {
      dv.setUint32(neventsPtr, nev, true);
      return E.SUCCESS;
    }
    let timeout = minDeadline === Infinity ? 1000 : minDeadline - now;
    if (timeout > 1000) timeout = 1000;
    if (timeout > 0) waitSeq(seq, timeout);
    mem();
  }
}

// ---------------------------------------------------------------- imports

function fdWrite(fd: number, iovs: number, iovsLen: number, nwritten: number): number {
  mem();
  const e = fds.get(fd);
  if (e === undefined) return E.BADF;
  try {
    if (e.kind === "sock") {
      const r = sockSend(e, iovs, iovsLen);
      if (r === 0) dv.setUint32(nwritten, sendCount, true);
      return r;
    }
    let total = 0;
    for (let i = 0; i < iovsLen; i++) {
      const buf = dv.getUint32(iovs + i * 8, true);
      const len = dv.getUint32(iovs + i * 8 + 4, true);
      if (buf + len > u8.length) return E.FAULT;
      if (len === 0) continue;
      const data = u8.subarray(buf, buf + len);
      if (e.kind === "stdio") {
        if (e.n === 0) return E.BADF;
        stdWrite(e.n, data);
      } else if (e.kind === "file") {
        const append = (e.fdflags & 1) !== 0;
        let off = 0;
        while (off < len) {
          off += fs.writeSync(e.hostFd, data, off, len - off, append ? null : e.pos + off);
        }
        if (append) e.pos = fs.fstatSync(e.hostFd).size;
        else e.pos += len;
      } else return E.ISDIR;
      total += len;
    }
    dv.setUint32(nwritten, total, true);
    return E.SUCCESS;
  } catch (err) {
    return fileErr(err);
  }
}

function fdRead(fd: number, iovs: number, iovsLen: number, nread: number): number {
  mem();
  const e = fds.get(fd);
  if (e === undefined) return E.BADF;
  try {
    if (e.kind === "sock") {
      const r = sockRecv(e, iovs, iovsLen, false, false);
      if (r === 0) dv.setUint32(nread, recvCount, true);
      return r;
    }
    if (e.kind === "dir") return E.ISDIR;
    let total = 0;
    for (let i = 0; i < iovsLen; i++) {
      const buf = dv.getUint32(iovs + i * 8, true);
      const len = dv.getUint32(iovs + i * 8 + 4, true);
      if (buf + len > u8.length) return E.FAULT;
      if (len === 0) continue;
      let n: number;
      if (e.kind === "stdio") {
        if (e.n !== 0) return E.BADF;
        try {
          n = fs.readSync(0, u8, buf, len, null);
        } catch (err) {
          if ((err as { code?: string }).code === "EOF") n = 0;
          else if ((err as { code?: string }).code === "EAGAIN") {
            if (total > 0) break;
            return E.AGAIN;
          } else throw err;
        }
      } else {
        n = fs.readSync(e.hostFd, u8, buf, len, e.pos);
        e.pos += n;
      }
      total += n;
      if (n < len) break;
    }
    dv.setUint32(nread, total, true);
    return E.SUCCESS;
  } catch (err) {
    return fileErr(err);
  }
}

function closeSock(s: SockEntry): void {
  if (s.acc) {
    // connections still queued on a listener were never seen by the module: close them too
    let tail = s.hdr[S.ACC_TAIL];
    const head = Atomics.load(s.hdr, S.ACC_HEAD);
    while (tail !== head) {
      const cfd = s.acc[tail & (ACCEPT_SLOTS - 1)];
      tail = (tail + 1) | 0;
      takeSlot(cfd);
      pushCmd(OP.CLOSE, cfd, 0, 0);
    }
    Atomics.store(s.hdr, S.ACC_TAIL, tail);
  }
  pushCmd(OP.CLOSE, s.fd, 0, 0);
}

const preopenNames = new Map<number, Uint8Array>();

function buildImports(): Record<string, HostFn> {
  const argsBytes = init.args.map((a) => enc.encode(a + "\0"));
  const envBytes = init.env.map((a) => enc.encode(a + "\0"));

  const strList = (list: Uint8Array[]) => ({
    get(ptrs: number, buf: number): number {
      mem();
      let off = buf;
      for (let i = 0; i < list.length; i++) {
        dv.setUint32(ptrs + i * 4, off, true);
        u8.set(list[i], off);
        off += list[i].length;
      }
      return E.SUCCESS;
    },
    sizes(countPtr: number, sizePtr: number): number {
      mem();
      dv.setUint32(countPtr, list.length, true);
      dv.setUint32(sizePtr, list.reduce((n, b) => n + b.length, 0), true);
      return E.SUCCESS;
    },
  });
  const argsFns = strList(argsBytes);
  const envFns = strList(envBytes);

  const wasi: Record<string, HostFn> = {
    args_get: (a: number, b: number) => argsFns.get(a, b),
    args_sizes_get: (a: number, b: number) => argsFns.sizes(a, b),
    environ_get: (a: number, b: number) => envFns.get(a, b),
    environ_sizes_get: (a: number, b: number) => envFns.sizes(a, b),

    clock_res_get(id: number, out: number): number {
      mem();
      if (id < 0 || id > 3) return E.INVAL;
      dv.setBigUint64(out, id === CLOCK_REALTIME ? 1000n : 1n, true);
      return E.SUCCESS;
    },
    clock_time_get(id: number, _precision: bigint, out: number): number {
      mem();
      if (id === CLOCK_REALTIME) dv.setBigUint64(out, nowRealNs(), true);
      else if (id === CLOCK_MONOTONIC) dv.setBigUint64(out, nowMonoNs(), true);
      else if (id === 2 || id === 3) dv.setBigUint64(out, process.hrtime.bigint(), true);
      else return E.INVAL;
      return E.SUCCESS;
    },
    random_get(buf: number, len: number): number {
      mem();
      if (buf + len > u8.length) return E.FAULT;
      randomFillSync(u8, buf, len);
      return E.SUCCESS;
    },
    proc_exit(code: number): never {
      throw new ProcExit(code >>> 0);
    },
    proc_raise: () => E.NOSYS,
    sched_yield: () => E.SUCCESS,

    fd_write: fdWrite,
    fd_read: fdRead,
    fd_pwrite(fd: number, iovs: number, iovsLen: number, offset: bigint, nwritten: number): number {
      mem();
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      if (e.kind !== "file") return e.kind === "dir" ? E.ISDIR : E.SPIPE;
      try {
        let total = 0;
        let pos = Number(offset);
        for (let i = 0; i < iovsLen; i++) {
          const buf = dv.getUint32(iovs + i * 8, true);
          const len = dv.getUint32(iovs + i * 8 + 4, true);
          total += fs.writeSync(e.hostFd, u8, buf, len, pos);
          pos += len;
        }
        dv.setUint32(nwritten, total, true);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    fd_pread(fd: number, iovs: number, iovsLen: number, offset: bigint, nread: number): number {
      mem();
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      if (e.kind !== "file") return e.kind === "dir" ? E.ISDIR : E.SPIPE;
      try {
        let total = 0;
        let pos = Number(offset);
        for (let i = 0; i < iovsLen; i++) {
          const buf = dv.getUint32(iovs + i * 8, true);
          const len = dv.getUint32(iovs + i * 8 + 4, true);
          const n = fs.readSync(e.hostFd, u8, buf, len, pos);
          total += n;
          pos += n;
          if (n < len) break;
        }
        dv.setUint32(nread, total, true);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    fd_close(fd: number): number {
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      fds.delete(fd);
      try {
        if (e.kind === "sock") closeSock(e);
        else if (e.kind !== "stdio") fs.closeSync(e.hostFd);
      } catch (err) {
        return fileErr(err);
      }
      return E.SUCCESS;
    },
    fd_seek(fd: number, offset: bigint, whence: number, out: number): number {
      mem();
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      if (e.kind !== "file") return e.kind === "sock" || e.kind === "stdio" ? E.SPIPE : E.ISDIR;
      try {
        const off = Number(offset);
        let base: number;
        if (whence === 0) base = 0;
        else if (whence === 1) base = e.pos;
        else if (whence === 2) base = fs.fstatSync(e.hostFd).size;
        else return E.INVAL;
        if (base + off < 0) return E.INVAL;
        e.pos = base + off;
        dv.setBigUint64(out, BigInt(e.pos), true);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    fd_tell(fd: number, out: number): number {
      mem();
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      if (e.kind !== "file") return E.SPIPE;
      dv.setBigUint64(out, BigInt(e.pos), true);
      return E.SUCCESS;
    },
    fd_sync(fd: number): number {
      return syncFd(fd, fs.fsyncSync);
    },
    fd_datasync(fd: number): number {
      return syncFd(fd, fs.fdatasyncSync);
    },
    fd_advise(fd: number): number {
      return fds.has(fd) ? E.SUCCESS : E.BADF;
    },
    fd_allocate(fd: number, offset: bigint, len: bigint): number {
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      if (e.kind !== "file") return E.INVAL;
      try {
        const end = Number(offset) + Number(len);
        if (fs.fstatSync(e.hostFd).size < end) fs.ftruncateSync(e.hostFd, end);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    fd_fdstat_get(fd: number, out: number): number {
      mem();
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      let type: number;
      let flags = 0;
      if (e.kind === "sock") {
        type = e.type === 1 ? FILETYPE.DGRAM : FILETYPE.STREAM;
        flags = e.nonblock ? 4 : 0;
      } else if (e.kind === "stdio") {
        type = FILETYPE.CHAR;
        try {
          type = filetypeOf(fs.fstatSync(e.n));
        } catch {
          type = FILETYPE.CHAR;
        }
        flags = e.fdflags;
      } else {
        type = e.kind === "dir" ? FILETYPE.DIR : FILETYPE.FILE;
        flags = e.fdflags;
      }
      u8.fill(0, out, out + 24);
      u8[out] = type;
      dv.setUint16(out + 2, flags, true);
      dv.setBigUint64(out + 8, ALL_RIGHTS, true);
      dv.setBigUint64(out + 16, ALL_RIGHTS, true);
      return E.SUCCESS;
    },
    fd_fdstat_set_flags(fd: number, flags: number): number {
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      if (e.kind === "sock") e.nonblock = (flags & 4) !== 0;
      else e.fdflags = flags & 0xffff;
      return E.SUCCESS;
    },
    fd_fdstat_set_rights(fd: number): number {
      return fds.has(fd) ? E.SUCCESS : E.BADF;
    },
    fd_filestat_get(fd: number, out: number): number {
      mem();
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      try {
        if (e.kind === "sock") {
          u8.fill(0, out, out + 64);
          u8[out + 16] = e.type === 1 ? FILETYPE.DGRAM : FILETYPE.STREAM;
          return E.SUCCESS;
        }
        writeFilestat(out, fs.fstatSync(e.kind === "stdio" ? e.n : e.hostFd, { bigint: true }));
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    fd_filestat_set_size(fd: number, size: bigint): number {
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      if (e.kind !== "file") return E.INVAL;
      try {
        fs.ftruncateSync(e.hostFd, Number(size));
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, flags: number): number {
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      if (e.kind !== "file" && e.kind !== "dir") return E.INVAL;
      try {
        const st = fs.fstatSync(e.hostFd);
        const now = Date.now() / 1000;
        const a = flags & 2 ? now : flags & 1 ? Number(atim) / 1e9 : st.atimeMs / 1000;
        const m = flags & 8 ? now : flags & 4 ? Number(mtim) / 1e9 : st.mtimeMs / 1000;
        fs.futimesSync(e.hostFd, a, m);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    fd_prestat_get(fd: number, out: number): number {
      mem();
      const name = preopenNames.get(fd);
      if (name === undefined) return E.BADF;
      dv.setUint32(out, 0, true);
      dv.setUint32(out + 4, name.length, true);
      return E.SUCCESS;
    },
    fd_prestat_dir_name(fd: number, buf: number, len: number): number {
      mem();
      const name = preopenNames.get(fd);
      if (name === undefined) return E.BADF;
      if (len < name.length) return E.NAMETOOLONG;
      u8.set(name, buf);
      return E.SUCCESS;
    },
    fd_readdir(fd: number, buf: number, bufLen: number, cookie: bigint, bufUsed: number): number {
      mem();
      const e = fds.get(fd);
      if (e === undefined) return E.BADF;
      if (e.kind !== "dir") return E.NOTDIR;
      try {
        const start = Number(cookie);
        if (start === 0 || e.readdirCache === null) {
          e.readdirCache = fs.readdirSync(e.hostPath, { withFileTypes: true });
        }
        const names: Array<[string, number, bigint]> = [];
        const dirSt = fs.statSync(e.hostPath, { bigint: true });
        names.push([".", FILETYPE.DIR, dirSt.ino]);
        names.push(["..", FILETYPE.DIR, 0n]);
        for (const d of e.readdirCache) {
          let ino = 0n;
          try {
            ino = fs.lstatSync(path.join(e.hostPath, d.name), { bigint: true }).ino;
          } catch {
            ino = 0n;
          }
          names.push([d.name, filetypeOf(d as unknown as fs.Stats), ino]);
        }
        let used = 0;
        for (let i = start; i < names.length && used < bufLen; i++) {
          const [name, type, ino] = names[i];
          const nameBytes = enc.encode(name);
          const ent = new Uint8Array(24 + nameBytes.length);
          const edv = new DataView(ent.buffer);
          edv.setBigUint64(0, BigInt(i + 1), true);
          edv.setBigUint64(8, ino, true);
          edv.setUint32(16, nameBytes.length, true);
          ent[20] = type;
          ent.set(nameBytes, 24);
          const n = Math.min(ent.length, bufLen - used);
          u8.set(ent.subarray(0, n), buf + used);
          used += n;
        }
        dv.setUint32(bufUsed, used, true);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    fd_renumber(from: number, to: number): number {
      const e = fds.get(from);
      if (e === undefined || !fds.has(to)) return E.BADF;
      if (from === to) return E.SUCCESS;
      // the main thread keys sockets by fd too; renumbering them is not supported
      if (e.kind === "sock" || fds.get(to)!.kind === "sock") return E.NOTSUP;
      const old = fds.get(to)!;
      try {
        if (old.kind === "sock") closeSock(old);
        else if (old.kind !== "stdio") fs.closeSync(old.hostFd);
      } catch {
        // the old descriptor is being replaced either way
      }
      fds.set(to, e);
      fds.delete(from);
      const name = preopenNames.get(from);
      preopenNames.delete(from);
      if (name) preopenNames.set(to, name);
      else preopenNames.delete(to);
      return E.SUCCESS;
    },

    path_open(
      dirFd: number,
      dirflags: number,
      pathPtr: number,
      pathLen: number,
      oflags: number,
      rightsBase: bigint,
      _rightsInheriting: bigint,
      fdflags: number,
      out: number,
    ): number {
      mem();
      const host = resolvePath(dirFd, pathPtr, pathLen, (dirflags & 1) !== 0);
      if (typeof host === "number") return host;
      const dir = fds.get(dirFd) as FileEntry;
      const rb = BigInt.asUintN(64, rightsBase);
      const wantRead = (rb & ((1n << 1n) | (1n << 14n))) !== 0n;
      const wantWrite = (rb & ((1n << 0n) | (1n << 6n) | (1n << 8n) | (1n << 22n))) !== 0n;
      const C = fs.constants;
      let flags = wantWrite ? (wantRead ? C.O_RDWR : C.O_WRONLY) : C.O_RDONLY;
      if (oflags & 1) flags |= C.O_CREAT;
      if (oflags & 2) flags |= C.O_DIRECTORY;
      if (oflags & 4) flags |= C.O_EXCL;
      if (oflags & 8) flags |= C.O_TRUNC;
      if (fdflags & 1) flags |= C.O_APPEND;
      if (fdflags & 2) flags |= C.O_DSYNC;
      if (fdflags & 16) flags |= C.O_SYNC;
      if ((dirflags & 1) === 0) flags |= C.O_NOFOLLOW;
      try {
        let hostFd: number;
        try {
          hostFd = fs.openSync(host, flags, 0o644);
        } catch (err) {
          // a directory cannot be opened for writing; WASI callers often ask for write rights anyway
          if ((err as { code?: string }).code === "EISDIR" && !(oflags & (1 | 8))) {
            hostFd = fs.openSync(host, C.O_RDONLY | C.O_DIRECTORY);
          } else throw err;
        }
        const isDir = fs.fstatSync(hostFd).isDirectory();
        const fd = randomFd(0, (n) => fds.has(n) || arrivedSabs.has(n));
        fds.set(fd, {
          kind: isDir ? "dir" : "file",
          hostFd,
          hostPath: host,
          root: dir.root,
          preopen: null,
          pos: 0,
          fdflags: fdflags & 0xffff,
          readdirCache: null,
        });
        dv.setUint32(out, fd, true);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    path_filestat_get(dirFd: number, flags: number, pathPtr: number, pathLen: number, out: number): number {
      mem();
      const host = resolvePath(dirFd, pathPtr, pathLen, (flags & 1) !== 0);
      if (typeof host === "number") return host;
      try {
        writeFilestat(out, flags & 1 ? fs.statSync(host, { bigint: true }) : fs.lstatSync(host, { bigint: true }));
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    path_filestat_set_times(
      dirFd: number,
      flags: number,
      pathPtr: number,
      pathLen: number,
      atim: bigint,
      mtim: bigint,
      fst: number,
    ): number {
      mem();
      const host = resolvePath(dirFd, pathPtr, pathLen, (flags & 1) !== 0);
      if (typeof host === "number") return host;
      try {
        const st = fs.statSync(host);
        const now = Date.now() / 1000;
        const a = fst & 2 ? now : fst & 1 ? Number(atim) / 1e9 : st.atimeMs / 1000;
        const m = fst & 8 ? now : fst & 4 ? Number(mtim) / 1e9 : st.mtimeMs / 1000;
        fs.utimesSync(host, a, m);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    path_create_directory(dirFd: number, pathPtr: number, pathLen: number): number {
      mem();
      return onPath(dirFd, pathPtr, pathLen, false, (host) => fs.mkdirSync(host));
    },
    path_unlink_file(dirFd: number, pathPtr: number, pathLen: number): number {
      mem();
      return onPath(dirFd, pathPtr, pathLen, false, (host) => {
        if (fs.lstatSync(host).isDirectory()) return E.ISDIR;
        fs.unlinkSync(host);
      });
    },
    path_remove_directory(dirFd: number, pathPtr: number, pathLen: number): number {
      mem();
      return onPath(dirFd, pathPtr, pathLen, false, (host) => fs.rmdirSync(host));
    },
    path_rename(oldFd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number): number {
      mem();
      const from = resolvePath(oldFd, oldPtr, oldLen, false);
      if (typeof from === "number") return from;
      const to = resolvePath(newFd, newPtr, newLen, false);
      if (typeof to === "number") return to;
      try {
        fs.renameSync(from, to);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    path_readlink(dirFd: number, pathPtr: number, pathLen: number, buf: number, bufLen: number, out: number): number {
      mem();
      const host = resolvePath(dirFd, pathPtr, pathLen, false);
      if (typeof host === "number") return host;
      try {
        const target = enc.encode(fs.readlinkSync(host));
        const n = Math.min(target.length, bufLen);
        u8.set(target.subarray(0, n), buf);
        dv.setUint32(out, n, true);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    path_symlink(oldPtr: number, oldLen: number, dirFd: number, newPtr: number, newLen: number): number {
      mem();
      const target = str(oldPtr, oldLen);
      if (target.startsWith("/")) return E.PERM;
      const host = resolvePath(dirFd, newPtr, newLen, false);
      if (typeof host === "number") return host;
      try {
        fs.symlinkSync(target, host);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },
    path_link(oldFd: number, flags: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number): number {
      mem();
      const from = resolvePath(oldFd, oldPtr, oldLen, (flags & 1) !== 0);
      if (typeof from === "number") return from;
      const to = resolvePath(newFd, newPtr, newLen, false);
      if (typeof to === "number") return to;
      try {
        fs.linkSync(from, to);
        return E.SUCCESS;
      } catch (err) {
        return fileErr(err);
      }
    },

    poll_oneoff: pollOneoff,
    epoll_oneoff: pollOneoff,

    // ---------------------------------------------------------- WasmEdge socket extension
    sock_open(af: number, type: number, outFd: number): number {
      mem();
      af &= 0xff;
      type &= 0xff;
      if (af === 3) return E.NOSYS;
      if (af !== 1 && af !== 2) return E.INVAL;
      if (type !== 1 && type !== 2) return E.INVAL;
      const fd = randomFd(0, (n) => fds.has(n) || arrivedSabs.has(n));
      while (readPort());
      const slot = slotPool.take();
      const s = newSockEntry(fd, slot, af, type, true);
      port.postMessage({ fd, sab: slot.sab, off: slot.off });
      fds.set(fd, s);
      pushCmd(OP.OPEN, fd, af, type);
      dv.setUint32(outFd, fd, true);
      return E.SUCCESS;
    },
    sock_bind: (fd: number, addr: number, port: number) => sockBind(fd, addr, port, false),
    sock_bind_v2: (fd: number, addr: number, port: number) => sockBind(fd, addr, port, true),
    sock_listen(fd: number, backlog: number): number {
      const s = sockOf(fd);
      if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
      if (s.type === 1) return E.NOTSUP;
      return syncCall(OP.LISTEN, fd, backlog, 0);
    },
    sock_accept: (fd: number, outFd: number) => sockAccept(fd, 0, outFd),
    sock_accept_v2: (fd: number, flags: number, outFd: number) => sockAccept(fd, flags, outFd),
    sock_connect: (fd: number, addr: number, port: number) => sockConnect(fd, addr, port, false),
    sock_connect_v2: (fd: number, addr: number, port: number) => sockConnect(fd, addr, port, true),
    sock_recv(fd: number, iovs: number, iovsLen: number, riFlags: number, outLen: number, outFlags: number): number {
      mem();
      const s = sockOf(fd);
      if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
      riFlags &= 0xffff;
      if (riFlags & ~3) return E.INVAL;
      const r = sockRecv(s, iovs, iovsLen, (riFlags & 1) !== 0, (riFlags & 2) !== 0);
      if (r === 0) {
        dv.setUint32(outLen, recvCount, true);
        dv.setUint16(outFlags, recvTruncated ? 1 : 0, true);
      }
      return r;
    },
    sock_recv_from: (fd: number, iovs: number, n: number, addr: number, fl: number, outLen: number, outFlags: number) =>
      sockRecvFrom(fd, iovs, n, addr, fl, 0, outLen, outFlags, false),
    sock_recv_from_v2: (
      fd: number,
      iovs: number,
      n: number,
      addr: number,
      fl: number,
      outPort: number,
      outLen: number,
      outFlags: number,
    ) => sockRecvFrom(fd, iovs, n, addr, fl, outPort, outLen, outFlags, true),
    sock_send(fd: number, iovs: number, iovsLen: number, _siFlags: number, outLen: number): number {
      mem();
      const s = sockOf(fd);
      if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
      const r = sockSend(s, iovs, iovsLen);
      if (r === 0) dv.setUint32(outLen, sendCount, true);
      return r;
    },
    sock_send_to: (fd: number, iovs: number, n: number, addr: number, port: number, fl: number, outLen: number) =>
      sockSendTo(fd, iovs, n, addr, port, fl, outLen, false),
    sock_send_to_v2: (fd: number, iovs: number, n: number, addr: number, port: number, fl: number, outLen: number) =>
      sockSendTo(fd, iovs, n, addr, port, fl, outLen, true),
    sock_shutdown(fd: number, how: number): number {
      const s = sockOf(fd);
      if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
      how &= 0xff;
      if (how < 1 || how > 3) return E.INVAL;
      if (Atomics.load(s.hdr, S.STATE) !== STATE.CONNECTED) return E.NOTCONN;
      if (how & 1) s.rdShut = true;
      if (how & 2) s.wrShut = true;
      pushCmd(OP.SHUTDOWN, fd, how, 0);
      return E.SUCCESS;
    },
    sock_setsockopt(fd: number, level: number, name: number, val: number, len: number): number {
      mem();
      const s = sockOf(fd);
      if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
      if (level !== 0 || name < 0 || name > 14) return E.INVAL;
      if (val + len > u8.length) return E.FAULT;
      const bytes = u8.slice(val, val + len);
      if (name === 11 || name === 12) {
        if (len < 16) return E.INVAL;
        const bdv = new DataView(bytes.buffer);
        const ms = Number(bdv.getBigInt64(0, true)) * 1000 + Number(bdv.getBigInt64(8, true)) / 1000;
        if (name === 11) s.rcvTimeoutMs = ms > 0 ? ms : -1;
        else s.sndTimeoutMs = ms > 0 ? ms : -1;
      } else if (len < 4) return E.INVAL;
      if (name === 7) pushCmd(OP.KEEPALIVE, fd, dv.getInt32(val, true) !== 0 ? 1 : 0, 0);
      s.opts.set(name, bytes);
      return E.SUCCESS;
    },
    sock_getsockopt(fd: number, level: number, name: number, val: number, lenPtr: number): number {
      mem();
      const s = sockOf(fd);
      if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
      if (level !== 0 || name < 0 || name > 14) return E.INVAL;
      const cap = dv.getUint32(lenPtr, true);
      let bytes: Uint8Array;
      const int = (v: number) => {
        const b = new Uint8Array(4);
        new DataView(b.buffer).setInt32(0, v, true);
        return b;
      };
      if (name === 1) bytes = int(s.type === 2 ? 1 : 2);
      else if (name === 2) {
        // like Linux, reading SO_ERROR hands out the pending error once
        const flags = Atomics.load(s.hdr, S.FLAGS);
        bytes = int(flags & FLAG.ERROR && !s.errConsumed ? linuxErrno(s.hdr[S.ERR]) : 0);
        if (flags & FLAG.ERROR) s.errConsumed = true;
      } else if (name === 13) bytes = int(Atomics.load(s.hdr, S.STATE) === STATE.LISTENING ? 1 : 0);
      else if (s.opts.has(name)) bytes = s.opts.get(name)!;
      else if (name === 5) bytes = int(SEND_RING);
      else if (name === 6) bytes = int(RECV_RING);
      else if (name === 9 || name === 11 || name === 12) bytes = new Uint8Array(name === 9 ? 8 : 16);
      else bytes = int(0);
      const n = Math.min(cap, bytes.length);
      u8.set(bytes.subarray(0, n), val);
      dv.setUint32(lenPtr, n, true);
      return E.SUCCESS;
    },
    sock_getlocaladdr: (fd: number, addr: number, typePtr: number, portPtr: number) =>
      sockAddr(fd, S.L_FAM, addr, typePtr, portPtr, false),
    sock_getpeeraddr: (fd: number, addr: number, typePtr: number, portPtr: number) =>
      sockAddr(fd, S.P_FAM, addr, typePtr, portPtr, false),
    sock_getlocaladdr_v2: (fd: number, addr: number, portPtr: number) => sockAddr(fd, S.L_FAM, addr, 0, portPtr, true),
    sock_getpeeraddr_v2: (fd: number, addr: number, portPtr: number) => sockAddr(fd, S.P_FAM, addr, 0, portPtr, true),
    sock_getaddrinfo: sockGetaddrinfo,
  };
  return wasi;
}

function linuxErrno(wasiErrno: number): number {
  return LINUX_ERRNO_OF_WASI[wasiErrno] ?? 5;
}

function sockBind(fd: number, addr: number, port: number, v2: boolean): number {
  mem();
  const s = sockOf(fd);
  if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
  const r = stageAddress(addr, port, v2);
  if (r !== 0) return r;
  return syncCall(OP.BIND, fd, 0, 0);
}

function sockConnect(fd: number, addr: number, port: number, v2: boolean): number {
  mem();
  const s = sockOf(fd);
  if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
  const state = Atomics.load(s.hdr, S.STATE);
  if (state === STATE.CONNECTED) return E.ISCONN;
  if (state === STATE.CONNECTING) return E.ALREADY;
  if (state === STATE.LISTENING) return E.INVAL;
  const r = stageAddress(addr, port, v2);
  if (r !== 0) return r;
  return syncCall(OP.CONNECT, fd, s.nonblock ? 1 : 0, 0);
}

function sockAccept(fd: number, flags: number, outFd: number): number {
  mem();
  const s = sockOf(fd);
  if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
  const hdr = s.hdr;
  if (s.type === 1) return E.NOTSUP;
  if (Atomics.load(hdr, S.STATE) !== STATE.LISTENING || s.acc === null) return E.INVAL;
  // WasmEdge 0.14.1 applies sock_accept_v2's NONBLOCK to the listening socket, not the new one.
  if (flags & 4) s.nonblock = true;
  for (;;) {
    const seq = Atomics.load(ctl, CTL.SEQ);
    const tail = hdr[S.ACC_TAIL];
    if (Atomics.load(hdr, S.ACC_HEAD) !== tail) {
      const cfd = s.acc[tail & (ACCEPT_SLOTS - 1)];
      Atomics.store(hdr, S.ACC_TAIL, (tail + 1) | 0);
      fds.set(cfd, newSockEntry(cfd, takeSlot(cfd), s.family, s.type, false));
      dv.setUint32(outFd, cfd, true);
      return E.SUCCESS;
    }
    const flagsNow = Atomics.load(hdr, S.FLAGS);
    if (flagsNow & FLAG.ERROR) return hdr[S.ERR];
    if (s.nonblock) return E.AGAIN;
    waitSeq(seq, 1000);
  }
}

function sockAddr(fd: number, which: number, addr: number, typePtr: number, portPtr: number, v2: boolean): number {
  mem();
  const s = sockOf(fd);
  if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
  return writeSockAddr(s, which, addr, typePtr, portPtr, v2);
}

function sockRecvFrom(
  fd: number,
  iovs: number,
  iovsLen: number,
  addr: number,
  riFlags: number,
  outPort: number,
  outLen: number,
  outFlags: number,
  v2: boolean,
): number {
  mem();
  const s = sockOf(fd);
  if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
  riFlags &= 0xffff;
  if (riFlags & ~3) return E.INVAL;
  if (s.type === 1) {
    const r = dgramRecv(s, iovs, iovsLen, (riFlags & 1) !== 0, addr, v2 ? 2 : 1, outPort);
    if (r !== 0) return r;
    dv.setUint32(outLen, recvCount, true);
    dv.setUint16(outFlags, recvTruncated ? 1 : 0, true);
    return E.SUCCESS;
  }
  // Stream sockets: recvfrom behaves like recv and reports the peer's address.
  const r = sockRecv(s, iovs, iovsLen, (riFlags & 1) !== 0, (riFlags & 2) !== 0);
  if (r !== 0) return r;
  const hdr = s.hdr;
  const fam = Atomics.load(hdr, S.P_FAM);
  const buf = dv.getUint32(addr, true);
  const len = dv.getUint32(addr + 4, true);
  const bytes = new Uint8Array(hdr.buffer, hdr.byteOffset + S.P_ADDR * 4, 16);
  if (fam !== 0) {
    if (len === 128 && v2) {
      dv.setUint16(buf, fam, true);
      u8.set(bytes.subarray(0, fam === 1 ? 4 : 16), buf + 2);
    } else {
      u8.set(bytes.subarray(0, Math.min(len, fam === 1 ? 4 : 16)), buf);
    }
  }
  if (v2) dv.setUint16(outPort, hdr[S.P_PORT], true);
  dv.setUint32(outLen, recvCount, true);
  dv.setUint16(outFlags, 0, true);
  return E.SUCCESS;
}

function sockSendTo(
  fd: number,
  iovs: number,
  iovsLen: number,
  addr: number,
  port: number,
  _flags: number,
  outLen: number,
  v2: boolean,
): number {
  mem();
  const s = sockOf(fd);
  if (s === null) return fds.has(fd) ? E.NOTSOCK : E.BADF;
  if (s.type === 2) {
    // a connected stream socket ignores the destination (Linux sendto on TCP)
    const r = sockSend(s, iovs, iovsLen);
    if (r === 0) dv.setUint32(outLen, sendCount, true);
    return r;
  }
  const r = parseAddress(addr, v2);
  if (r !== 0) return r;
  if (addrFamily !== s.family) return E.AFNOSUPPORT;
  const q = dgramSend(s, iovs, iovsLen, addrFamily, port & 0xffff, addrBytes);
  if (q === 0) dv.setUint32(outLen, sendCount, true);
  return q;
}

function sockGetaddrinfo(
  nodePtr: number,
  nodeLen: number,
  servicePtr: number,
  serviceLen: number,
  hintsPtr: number,
  resPtr: number,
  maxResLen: number,
  outResLen: number,
): number {
  mem();
  if (nodeLen === 0 && serviceLen === 0) return E.AINONAME;
  if (maxResLen === 0) return E.AIMEMORY;
  // C callers pass lengths that may include the terminating NUL; getaddrinfo reads a C string
  let node = str(nodePtr, nodeLen);
  let service = str(servicePtr, serviceLen);
  const nul = (t: string) => (t.indexOf("\0") >= 0 ? t.slice(0, t.indexOf("\0")) : t);
  node = nul(node);
  service = nul(service);
  const hFlags = dv.getUint16(hintsPtr, true);
  const hFamily = u8[hintsPtr + 2];
  const hType = u8[hintsPtr + 3];
  const hProto = u8[hintsPtr + 4];
  if (hFamily > 2) return E.AIFAMILY;
  if (hType > 2) return E.AISOCKTYPE;
  if (hProto > 2) return E.AISERVICE;
  if (hFlags & ~0x7f) return E.AIBADFLAG;
  const nb = enc.encode(node);
  const sb = enc.encode(service);
  if (24 + nb.length + sb.length > 4096) return E.AIMEMORY;
  ctlView.setUint32(ARG_OFFSET, nb.length, true);
  ctlView.setUint32(ARG_OFFSET + 4, sb.length, true);
  ctlView.setUint32(ARG_OFFSET + 8, hFlags, true);
  ctlView.setUint32(ARG_OFFSET + 12, hFamily, true);
  ctlView.setUint32(ARG_OFFSET + 16, hType, true);
  ctlView.setUint32(ARG_OFFSET + 20, hProto, true);
  ctlBytes.set(nb, ARG_OFFSET + 24);
  ctlBytes.set(sb, ARG_OFFSET + 24 + nb.length);
  const r = syncCall(OP.GETADDRINFO, 0, 0, 0);
  if (r !== 0) return r;
  mem();
  const count = Math.min(ctl[CTL.RESP_V0], maxResLen);
  let ai = dv.getUint32(resPtr, true);
  for (let i = 0; i < count; i++) {
    if (ai === 0) return E.AIMEMORY;
    const base = ARG_OFFSET + 4096 + i * 32;
    const fam = ctlView.getUint32(base, true);
    const type = ctlView.getUint32(base + 4, true);
    const proto = ctlView.getUint32(base + 8, true);
    const port = ctlView.getUint32(base + 12, true);
    dv.setUint16(ai, hFlags, true);
    u8[ai + 2] = fam;
    u8[ai + 3] = type;
    u8[ai + 4] = proto;
    dv.setUint32(ai + 8, fam === 1 ? 16 : 28, true);
    const sa = dv.getUint32(ai + 12, true);
    u8[sa] = fam;
    const data = dv.getUint32(sa + 8, true);
    const dataLen = fam === 1 ? 14 : 26;
    if (data + dataLen > u8.length) return E.FAULT;
    u8.fill(0, data, data + dataLen);
    u8[data] = (port >> 8) & 0xff;
    u8[data + 1] = port & 0xff;
    if (fam === 1) u8.set(ctlBytes.subarray(base + 16, base + 20), data + 2);
    else u8.set(ctlBytes.subarray(base + 16, base + 32), data + 6);
    dv.setUint32(sa + 4, dataLen, true);
    const canon = dv.getUint32(ai + 16, true);
    const canonCap = dv.getUint32(ai + 20, true);
    if (i === 0 && hFlags & 2 && canon !== 0 && canonCap > 0) {
      const n = Math.min(nb.length, canonCap - 1);
      u8.set(nb.subarray(0, n), canon);
      u8[canon + n] = 0;
      dv.setUint32(ai + 20, n, true);
    } else {
      dv.setUint32(ai + 20, 0, true);
    }
    ai = dv.getUint32(ai + 24, true);
  }
  dv.setUint32(outResLen, count, true);
  return E.SUCCESS;
}

// ---------------------------------------------------------------- start-up

function enosys(): number {
  return E.NOSYS;
}
function enosys64(): bigint {
  return BigInt(E.NOSYS);
}

type HostFn = (...args: never[]) => unknown;

/**
 * Wraps an import so a pointer outside linear memory (a RangeError from a DataView or typed array)
 * comes back as FAULT (21), as WasmEdge's memory checks give, instead of trapping the module.
 * Fixed-arity wrappers keep the hot calls free of rest-argument arrays.
 */
function guard(f: HostFn): HostFn {
  const g = f as unknown as (...a: number[]) => unknown;
  const fail = (e: unknown): number => {
    if (e instanceof RangeError) return E.FAULT;
    throw e;
  };
  switch (f.length) {
    case 0:
      return (() => {
        try {
          return g();
        } catch (e) {
          return fail(e);
        }
      }) as HostFn;
    case 1:
      return ((a: number) => {
        try {
          return g(a);
        } catch (e) {
          return fail(e);
        }
      }) as HostFn;
    case 2:
      return ((a: number, b: number) => {
        try {
          return g(a, b);
        } catch (e) {
          return fail(e);
        }
      }) as HostFn;
    case 3:
      return ((a: number, b: number, c: number) => {
        try {
          return g(a, b, c);
        } catch (e) {
          return fail(e);
        }
      }) as HostFn;
    case 4:
      return ((a: number, b: number, c: number, d: number) => {
        try {
          return g(a, b, c, d);
        } catch (e) {
          return fail(e);
        }
      }) as HostFn;
    case 5:
      return ((a: number, b: number, c: number, d: number, e5: number) => {
        try {
          return g(a, b, c, d, e5);
        } catch (e) {
          return fail(e);
        }
      }) as HostFn;
    case 6:
      return ((a: number, b: number, c: number, d: number, e5: number, f6: number) => {
        try {
          return g(a, b, c, d, e5, f6);
        } catch (e) {
          return fail(e);
        }
      }) as HostFn;
    default:
      return ((...args: number[]) => {
        try {
          return g(...args);
        } catch (e) {
          return fail(e);
        }
      }) as HostFn;
  }
}

/** Imports whose WasmEdge binding (V1 or V2) depends on the declared parameter count. */
const V2_BY_PARAMS: Record<string, [number, string]> = {
  sock_accept: [3, "sock_accept_v2"],
  sock_recv_from: [8, "sock_recv_from_v2"],
  sock_getlocaladdr: [3, "sock_getlocaladdr_v2"],
  sock_getpeeraddr: [3, "sock_getpeeraddr_v2"],
};

async function main(): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(init.wasmPath);
  } catch (e) {
    diag(`wasmedge-host: cannot read ${init.wasmPath}: ${(e as Error).message}\n`);
    return 1;
  }
  let module: WebAssembly.Module;
  let declared;
  try {
    declared = readFunctionImports(bytes);
    module = await WebAssembly.compile(new Uint8Array(bytes));
  } catch (e) {
    diag(`wasmedge-host: ${init.wasmPath} is not a valid Wasm module: ${(e as Error).message}\n`);
    return 1;
  }

  fds.set(0, { kind: "stdio", n: 0, fdflags: 0 });
  fds.set(1, { kind: "stdio", n: 1, fdflags: 1 });
  fds.set(2, { kind: "stdio", n: 2, fdflags: 1 });
  let next = 3;
  for (const [guest, host] of init.preopens) {
    const hostFd = fs.openSync(host, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    fds.set(next, {
      kind: "dir",
      hostFd,
      hostPath: host,
      root: host,
      preopen: guest,
      pos: 0,
      fdflags: 0,
      readdirCache: null,
    });
    preopenNames.set(next, enc.encode(guest));
    next++;
  }

  const wasi = buildImports();
  const importObject: WebAssembly.Imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    const ns = (importObject[imp.module] ??= {}) as Record<string, WebAssembly.ImportValue>;
    if (imp.kind !== "function") {
      diag(
        `wasmedge-host: unsupported import ${imp.module}.${imp.name} (${imp.kind}); only functions can be provided\n`,
      );
      return 1;
    }
    let fn: HostFn | undefined;
    if (imp.module === "wasi_snapshot_preview1" || imp.module === "wasi_unstable") {
      const v2 = V2_BY_PARAMS[imp.name];
      const decl = declared.find((d) => d.module === imp.module && d.name === imp.name);
      if (v2 && decl && decl.params === v2[0]) fn = wasi[v2[1]];
      else fn = wasi[imp.name];
    }
    let stub: () => unknown = enosys;
    if (!fn) {
      // an i64 result must be a BigInt or the call throws a TypeError
      const decl = declared.find((d) => d.module === imp.module && d.name === imp.name);
      if (decl?.resultType === 0x7e) stub = enosys64;
    }
    ns[imp.name] = (fn ? guard(fn) : stub) as WebAssembly.ImportValue;
  }

  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, importObject);
  } catch (e) {
    diag(`wasmedge-host: instantiation failed: ${(e as Error).message}\n`);
    return 1;
  }
  const exp = instance.exports;
  if (!(exp.memory instanceof WebAssembly.Memory)) {
    diag("wasmedge-host: the module does not export its memory\n");
    return 1;
  }
  memory = exp.memory;
  mem();
  const start = (exp._start ?? exp._initialize) as (() => void) | undefined;
  if (typeof start !== "function") {
    diag("wasmedge-host: the module exports no _start function\n");
    return 1;
  }
  try {
    start();
    return 0;
  } catch (e) {
    if (e instanceof ProcExit) return e.code;
    if (e instanceof Stopped) return -1;
    diag(`wasmedge-host: execution failed: ${(e as Error)?.message ?? String(e)}\n`);
    return 1;
  }
}

main().then(
  (code) => parentPort!.postMessage({ t: "x", code }),
  (e) => {
    diag(`wasmedge-host: ${(e as Error)?.message ?? String(e)}\n`);
    parentPort!.postMessage({ t: "x", code: 1 });
  },
);
