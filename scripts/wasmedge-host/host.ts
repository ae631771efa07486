// Main-thread side of the WasmEdge-compatible host: starts the module in a worker thread and
// performs its socket I/O with Node's net/dns, exchanging data through shared memory (layout.ts).
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import net from "node:net";
import dgram from "node:dgram";
import dns from "node:dns";
import path from "node:path";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { Writable } from "node:stream";
import { E, aiErrnoOf, errnoOf } from "./errno";
import {
  ACCEPT_OFFSET,
  ACCEPT_SLOTS,
  ARG_OFFSET,
  CMD_SLOTS,
  CMD_WORDS,
  CTL,
  CTL_BYTES,
  FLAG,
  OP,
  RECV_OFFSET,
  RECV_RING,
  S,
  SEND_OFFSET,
  SEND_RING,
  STATE,
  STREAM_SOCK_BYTES,
  LISTEN_SOCK_BYTES,
  SlotPool,
  randomFd,
  type Slot,
} from "./layout";
import type { WorkerInit } from "./worker";

export interface RunWasmOptions {
  wasmPath: string;
  /** argv after the module name; argv[0] seen by the module is the module's file name, as with wasmedge */
  args?: string[];
  /** the module sees only these variables (wasmedge does not pass the host environment) */
  env?: Record<string, string> | string[];
  /** guest path -> host directory, like `--dir /data:/host/dir` */
  preopens?: Record<string, string>;
  /** where the module's fd 1 / fd 2 go; default: this process's stdout / stderr file descriptors */
  stdout?: Writable;
  stderr?: Writable;
}

export interface WasmHandle {
  /** resolves with the exit code: proc_exit's code, 0 when _start returns, 1 on a trap, 128+n when killed */
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals): void;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

const SERVICES: Record<string, number> = { http: 80, https: 443, mqtt: 1883, "secure-mqtt": 8883, ssh: 22, dns: 53 };

interface HostSock {
  fd: number;
  slot: Slot;
  /** opened by the module (sock_open): the slot belongs to the worker's pool */
  fromWorker: boolean;
  hdr: Int32Array;
  bytes: Uint8Array;
  acc: Int32Array | null;
  family: number;
  /** 1 datagram, 2 stream */
  type: number;
  sock: net.Socket | null;
  udp: dgram.Socket | null;
  udpBound: boolean;
  server: net.Server | null;
  bindHost: string | null;
  bindPort: number;
  /** received data that did not fit in the ring while the socket is paused */
  pending: Buffer[];
  /** Node's write buffer is over its high-water mark; we stop draining the send ring until 'drain' */
  blocked: boolean;
  closed: boolean;
  /** the peer's FIN arrived while received data still waits in `pending` */
  eofPending: boolean;
  /** SO_KEEPALIVE as the module set it */
  keepAlive: boolean;
}

function ipString(family: number, bytes: Uint8Array): string {
  if (family === 1) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return parts.join(":");
}

/** Writes an IP string into 16 bytes (v4 uses the first 4); returns the WASI family. */
function ipBytes(ip: string, out: Uint8Array): number {
  out.fill(0);
  const v4 = ip.startsWith("::ffff:") && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (net.isIPv4(v4)) {
    v4.split(".").forEach((p, i) => (out[i] = Number(p)));
    return 1;
  }
  const [head, tail] = ip.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  groups.forEach((g, i) => {
    const v = parseInt(g.split("%")[0], 16) || 0;
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return 2;
}

function setAddr(hdr: Int32Array, famIdx: number, ip: string | undefined, port: number | undefined): void {
  if (!ip) return;
  const b = new Uint8Array(16);
  const fam = ipBytes(ip, b);
  const words = new Uint8Array(hdr.buffer, hdr.byteOffset + (famIdx + 2) * 4, 16);
  words.set(b);
  hdr[famIdx + 1] = port ?? 0;
  Atomics.store(hdr, famIdx, fam);
}

let cachedEntry: { file: string; execArgv: string[] } | null = null;

/**
 * The worker script. Running from TypeScript sources (tsx, vitest), loading worker.ts through the tsx
 * loader costs ~70 ms per start, so we bundle it once with esbuild (which tsx ships with) into a
 * cache file named by the sources' hash; if that is not possible we fall back to the tsx loader.
 */
function workerEntry(): { file: string; execArgv: string[] } {
  if (cachedEntry) return cachedEntry;
  const js = path.join(__dirname, "worker.js");
  if (fs.existsSync(js)) return (cachedEntry = { file: js, execArgv: [] });
  const ts = path.join(__dirname, "worker.ts");
  try {
    const sources = ["worker.ts", "layout.ts", "errno.ts", "wasm-imports.ts"].map((f) => path.join(__dirname, f));
    const hash = crypto.createHash("sha256");
    for (const f of sources) hash.update(fs.readFileSync(f));
    const dir = path.join(os.tmpdir(), `wasmedge-host-worker-${hash.digest("hex").slice(0, 16)}`);
    const bundled = path.join(dir, "worker.js");
    if (!fs.existsSync(bundled)) {
      const esbuild = require("esbuild") as {
        buildSync(o: Record<string, unknown>): unknown;
      };
      fs.mkdirSync(dir, { recursive: true });
      const tmp = `${bundled}.${process.pid}.tmp`;
      esbuild.buildSync({ entryPoints: [ts], bundle: true, platform: "node", format: "cjs", target: "node20", outfile: tmp, logLevel: "silent" });
      fs.renameSync(tmp, bundled);
    }
    return (cachedEntry = { file: bundled, execArgv: [] });
  } catch {
    return (cachedEntry = { file: ts, execArgv: ["--require", require.resolve("tsx/cjs")] });
  }
}

export function runWasm(opts: RunWasmOptions): WasmHandle {
  if (typeof opts.wasmPath !== "string" || opts.wasmPath === "") throw new Error("runWasm: wasmPath is required");
  if (!fs.existsSync(opts.wasmPath)) throw new Error(`runWasm: no such module file: ${opts.wasmPath}`);
  const preopens: Array<[string, string]> = [];
  for (const [guest, host] of Object.entries(opts.preopens ?? {})) {
    let real: string;
    try {
      real = fs.realpathSync(host);
    } catch {
      throw new Error(`runWasm: preopen ${guest}: host directory ${host} does not exist`);
    }
    if (!fs.statSync(real).isDirectory()) throw new Error(`runWasm: preopen ${guest}: ${host} is not a directory`);
    preopens.push([guest, real]);
  }
  const env = Array.isArray(opts.env)
    ? opts.env
    : Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of env) {
    if (!e.includes("=")) throw new Error(`runWasm: environment entry "${e}" is not NAME=VALUE`);
  }

  const ctlSab = new SharedArrayBuffer(CTL_BYTES);
  const ctl = new Int32Array(ctlSab);
  const ctlBytes = new Uint8Array(ctlSab);
  const ctlView = new DataView(ctlSab);
  const channel = new MessageChannel();
  const port: MessagePort = channel.port1;
  const init: WorkerInit = {
    wasmPath: path.resolve(opts.wasmPath),
    // like the wasmedge CLI: argv[0] is the module's file name with a .wasm extension
    args: [path.basename(opts.wasmPath).replace(/(\.[^.]*)?$/, ".wasm"), ...(opts.args ?? [])],
    env,
    preopens,
    ctl: ctlSab,
    port: channel.port2,
    stdio: opts.stdout || opts.stderr ? "port" : "fd",
  };
  const entry = workerEntry();
  const worker = new Worker(entry.file, {
    workerData: init,
    transferList: [channel.port2],
    execArgv: entry.execArgv,
    stdout: false,
    stderr: false,
  });

  const socks = new Map<number, HostSock>();
  const arrived = new Map<number, Slot>();
  let finished = false;
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));

  const wake = () => {
    Atomics.add(ctl, CTL.SEQ, 1);
    if (Atomics.load(ctl, CTL.WORKER_WAITING) !== 0) Atomics.notify(ctl, CTL.SEQ);
  };
  // Data arriving on many sockets in one event-loop turn wakes the worker once, after the turn's
  // I/O callbacks, so it finds all of them ready in a single poll_oneoff.
  let wakeScheduled = false;
  const wakeAfterIo = () => {
    wakeScheduled = false;
    wake();
  };
  const wakeSoon = () => {
    if (!wakeScheduled) {
      wakeScheduled = true;
      setImmediate(wakeAfterIo);
    }
  };

  /** Freed send-ring room matters only to a worker that asked for it (WANT_SPACE). */
  const wakeForSpace = (hdr: Int32Array) => {
    if (Atomics.load(hdr, S.FLAGS) & FLAG.WANT_SPACE) {
      Atomics.and(hdr, S.FLAGS, ~FLAG.WANT_SPACE);
      wake();
    }
  };

  const respond = (errno: number, v0 = 0) => {
    ctl[CTL.RESP_ERRNO] = errno;
    ctl[CTL.RESP_V0] = v0;
    Atomics.store(ctl, CTL.RESP_ID, Atomics.load(ctl, CTL.REQ_ID));
    wake();
  };

  const slotFor = (fd: number): Slot => {
    for (;;) {
      const have = arrived.get(fd);
      if (have) {
        arrived.delete(fd);
        return have;
      }
      const msg = receiveMessageOnPort(port);
      if (!msg) throw new Error(`host protocol error: no shared buffer for socket fd ${fd}`);
      const m = msg.message as { fd: number; sab: SharedArrayBuffer; off: number };
      arrived.set(m.fd, { sab: m.sab, off: m.off });
    }
  };

  const makeSock = (fd: number, slot: Slot, family: number, fromWorker: boolean): HostSock => ({
    fd,
    slot,
    fromWorker,
    hdr: new Int32Array(slot.sab, slot.off, S.HEADER_WORDS),
    bytes: new Uint8Array(slot.sab, slot.off, fromWorker ? LISTEN_SOCK_BYTES : STREAM_SOCK_BYTES),
    acc: fromWorker ? new Int32Array(slot.sab, slot.off + ACCEPT_OFFSET, ACCEPT_SLOTS) : null,
    family,
    type: 2,
    sock: null,
    udp: null,
    udpBound: false,
    server: null,
    bindHost: null,
    bindPort: 0,
    pending: [],
    blocked: false,
    closed: false,
    eofPending: false,
    keepAlive: false,
  });

  // ---------------------------------------------------------------- receive path

  /** Copies as much of chunk as fits into the receive ring; returns bytes copied. */
  const toRing = (hs: HostSock, chunk: Buffer): number => {
    const hdr = hs.hdr;
    let head = hdr[S.R_HEAD];
    const tail = Atomics.load(hdr, S.R_TAIL);
    if (head === tail && (head & (RECV_RING - 1)) !== 0) {
      // empty ring: restart at offset 0, so small messages keep using the same few pages instead
      // of touching the whole ring (RSS with many connections); the worker reads nothing while empty
      head = ((head | (RECV_RING - 1)) + 1) | 0;
      Atomics.store(hdr, S.R_TAIL, head);
      Atomics.store(hdr, S.R_HEAD, head);
    }
    const space = RECV_RING - ((head - Atomics.load(hdr, S.R_TAIL)) | 0);
    const n = Math.min(space, chunk.length);
    if (n <= 0) return 0;
    const at = head & (RECV_RING - 1);
    const first = Math.min(n, RECV_RING - at);
    hs.bytes.set(first === chunk.length ? chunk : chunk.subarray(0, first), RECV_OFFSET + at);
    if (n > first) hs.bytes.set(chunk.subarray(first, n), RECV_OFFSET);
    Atomics.store(hdr, S.R_HEAD, (head + n) | 0);
    return n;
  };

  /** Moves pending data into the ring; pauses or resumes the socket accordingly. */
  const fillFromPending = (hs: HostSock) => {
    for (;;) {
      while (hs.pending.length > 0) {
        const c = hs.pending[0];
        const n = toRing(hs, c);
        if (n === c.length) hs.pending.shift();
        else {
          if (n > 0) hs.pending[0] = c.subarray(n);
          break;
        }
      }
      if (hs.pending.length === 0) {
        if (hs.eofPending) {
          hs.eofPending = false;
          Atomics.or(hs.hdr, S.FLAGS, FLAG.RD_EOF);
        }
        if (Atomics.load(hs.hdr, S.FLAGS) & FLAG.PAUSED) {
          Atomics.and(hs.hdr, S.FLAGS, ~FLAG.PAUSED);
          hs.sock?.resume();
        }
        return;
      }
      hs.sock?.pause();
      Atomics.or(hs.hdr, S.FLAGS, FLAG.PAUSED);
      // the worker may have drained the ring between our copy and setting PAUSED
      const space = RECV_RING - ((hs.hdr[S.R_HEAD] - Atomics.load(hs.hdr, S.R_TAIL)) | 0);
      if (space === 0) return;
    }
  };

  const attach = (hs: HostSock, sock: net.Socket) => {
    hs.sock = sock;
    sock.setNoDelay(true);
    if (hs.keepAlive) sock.setKeepAlive(true);
    sock.on("data", (chunk: Buffer) => {
      if (hs.closed) return;
      if (hs.pending.length > 0) hs.pending.push(chunk);
      else {
        const n = toRing(hs, chunk);
        if (n < chunk.length) {
          hs.pending.push(n > 0 ? chunk.subarray(n) : chunk);
          fillFromPending(hs);
        }
      }
      wakeSoon();
    });
    const eof = () => {
      // the module must first read what is still queued behind a full ring
      if (hs.pending.length > 0) hs.eofPending = true;
      else Atomics.or(hs.hdr, S.FLAGS, FLAG.RD_EOF);
      wake();
    };
    sock.on("end", eof);
    sock.on("error", (err) => {
      if (Atomics.load(hs.hdr, S.STATE) === STATE.CONNECTING) return;
      hs.hdr[S.ERR] = errnoOf(err);
      Atomics.or(hs.hdr, S.FLAGS, FLAG.ERROR);
      wake();
    });
    sock.on("close", eof);
  };

  // ---------------------------------------------------------------- send path

  const flush = (hs: HostSock, force: boolean) => {
    const hdr = hs.hdr;
    Atomics.and(hdr, S.FLAGS, ~FLAG.FLUSH_PENDING);
    const sock = hs.sock;
    if (sock === null || (hs.blocked && !force)) return;
    const head = Atomics.load(hdr, S.W_HEAD);
    const tail = Atomics.load(hdr, S.W_TAIL);
    const n = (head - tail) | 0;
    if (n <= 0) return;
    const out = Buffer.allocUnsafe(n);
    const at = tail & (SEND_RING - 1);
    const first = Math.min(n, SEND_RING - at);
    out.set(hs.bytes.subarray(SEND_OFFSET + at, SEND_OFFSET + at + first), 0);
    if (n > first) out.set(hs.bytes.subarray(SEND_OFFSET, SEND_OFFSET + n - first), first);
    Atomics.store(hdr, S.W_TAIL, head);
    wakeForSpace(hdr);
    if (sock.destroyed || !sock.writable) return;
    if (!sock.write(out) && !hs.blocked) {
      hs.blocked = true;
      Atomics.or(hdr, S.FLAGS, FLAG.BLOCKED);
      sock.once("drain", () => {
        hs.blocked = false;
        if (hs.closed) return;
        Atomics.and(hdr, S.FLAGS, ~FLAG.BLOCKED);
        flush(hs, false);
      });
    }
  };

  // ---------------------------------------------------------------- datagrams

  const DGRAM_HDR = 28;
  const recHdr = Buffer.alloc(DGRAM_HDR);

  const ringPut = (hs: HostSock, base: number, size: number, pos: number, src: Uint8Array) => {
    let off = 0;
    while (off < src.length) {
      const at = (pos + off) & (size - 1);
      const chunk = Math.min(src.length - off, size - at);
      hs.bytes.set(src.subarray(off, off + chunk), base + at);
      off += chunk;
    }
  };
  const ringGet = (hs: HostSock, base: number, size: number, pos: number, dst: Uint8Array) => {
    let off = 0;
    while (off < dst.length) {
      const at = (pos + off) & (size - 1);
      const chunk = Math.min(dst.length - off, size - at);
      dst.set(hs.bytes.subarray(base + at, base + at + chunk), off);
      off += chunk;
    }
  };

  const ensureUdp = (hs: HostSock): dgram.Socket => {
    if (hs.udp) return hs.udp;
    const udp = dgram.createSocket({ type: hs.family === 1 ? "udp4" : "udp6" });
    hs.udp = udp;
    udp.on("listening", () => {
      hs.udpBound = true;
      const a = udp.address();
      setAddr(hs.hdr, S.L_FAM, a.address, a.port);
    });
    udp.on("message", (msg, rinfo) => {
      if (hs.closed) return;
      const hdr = hs.hdr;
      const head = hdr[S.R_HEAD];
      const space = RECV_RING - ((head - Atomics.load(hdr, S.R_TAIL)) | 0);
      if (space < DGRAM_HDR + msg.length) return; // a full receive buffer drops datagrams
      const addr = new Uint8Array(16);
      const fam = ipBytes(rinfo.address, addr);
      recHdr.writeUInt32LE(msg.length, 0);
      recHdr.writeUInt32LE(fam, 4);
      recHdr.writeUInt32LE(rinfo.port, 8);
      recHdr.set(addr, 12);
      ringPut(hs, RECV_OFFSET, RECV_RING, head, recHdr);
      ringPut(hs, RECV_OFFSET, RECV_RING, head + DGRAM_HDR, msg);
      Atomics.store(hdr, S.R_HEAD, (head + DGRAM_HDR + msg.length) | 0);
      wake();
    });
    udp.on("error", (err) => {
      hs.hdr[S.ERR] = errnoOf(err);
      Atomics.or(hs.hdr, S.FLAGS, FLAG.ERROR);
      wake();
    });
    return udp;
  };

  const flushDatagrams = (hs: HostSock) => {
    const hdr = hs.hdr;
    Atomics.and(hdr, S.FLAGS, ~FLAG.FLUSH_PENDING);
    const udp = ensureUdp(hs);
    const head = Atomics.load(hdr, S.W_HEAD);
    let tail = Atomics.load(hdr, S.W_TAIL);
    const h = Buffer.alloc(DGRAM_HDR);
    while (((head - tail) | 0) > 0) {
      ringGet(hs, SEND_OFFSET, SEND_RING, tail, h);
      const len = h.readUInt32LE(0);
      const fam = h.readUInt32LE(4);
      const port = h.readUInt32LE(8);
      const payload = Buffer.allocUnsafe(len);
      ringGet(hs, SEND_OFFSET, SEND_RING, tail + DGRAM_HDR, payload);
      tail = (tail + DGRAM_HDR + len) | 0;
      const done = (err: Error | null) => {
        if (err) {
          hs.hdr[S.ERR] = errnoOf(err);
          Atomics.or(hs.hdr, S.FLAGS, FLAG.ERROR);
          wake();
        }
      };
      try {
        if (fam === 0) udp.send(payload, done);
        else udp.send(payload, port, ipString(fam, h.subarray(12, 28)), done);
      } catch (err) {
        done(err as Error);
      }
    }
    Atomics.store(hdr, S.W_TAIL, tail);
    wakeForSpace(hdr);
  };

  const udpBind = (hs: HostSock) => {
    const udp = ensureUdp(hs);
    if (hs.udpBound) {
      respond(E.INVAL);
      return;
    }
    const onError = (err: Error) => respond(errnoOf(err));
    udp.once("error", onError);
    udp.bind({ address: hs.bindHost!, port: hs.bindPort, exclusive: true }, () => {
      udp.off("error", onError);
      respond(E.SUCCESS);
    });
  };

  const udpConnectTo = (hs: HostSock, host: string, port: number) => {
    const udp = ensureUdp(hs);
    const onError = (err: Error) => respond(errnoOf(err));
    udp.once("error", onError);
    udp.connect(port, host, () => {
      udp.off("error", onError);
      const r = udp.remoteAddress();
      setAddr(hs.hdr, S.P_FAM, r.address, r.port);
      Atomics.store(hs.hdr, S.STATE, STATE.CONNECTED);
      respond(E.SUCCESS);
    });
  };

  // ---------------------------------------------------------------- commands

  // Socket buffers are reused (see SlotPool); those of sockets the module opened go back to the worker.
  const streamPool = new SlotPool(STREAM_SOCK_BYTES, 256);
  /** closed sockets whose data still sits in Node's write buffer (a kernel would send it after exit) */
  const draining = new Set<net.Socket>();
  const noop = () => undefined;

  const recycle = (hs: HostSock) => {
    if (hs.fromWorker) port.postMessage({ recycle: true, sab: hs.slot.sab, off: hs.slot.off });
    else streamPool.give(hs.slot);
  };

  const closeHostSock = (hs: HostSock) => {
    if (hs.closed) return;
    hs.closed = true;
    socks.delete(hs.fd);
    Atomics.store(hs.hdr, S.STATE, STATE.CLOSED);
    // the buffer is reused only once no handler of this socket can touch it any more
    let reusable = !finished;
    const server = hs.server;
    if (server) {
      server.close();
      server.removeAllListeners();
      server.on("error", noop);
    }
    if (hs.udp) {
      if (hs.type === 1 && ((Atomics.load(hs.hdr, S.W_HEAD) - hs.hdr[S.W_TAIL]) | 0) > 0) flushDatagrams(hs);
      hs.udp.close();
      reusable = false;
    }
    const sock = hs.sock;
    if (sock) {
      flush(hs, true);
      sock.removeAllListeners();
      sock.on("data", noop);
      sock.on("error", noop);
      if (!sock.destroyed) {
        sock.end();
        sock.once("finish", () => sock.destroy());
        sock.resume();
        if (sock.writableLength > 0) {
          draining.add(sock);
          const done = () => draining.delete(sock);
          sock.once("finish", done);
          sock.once("close", done);
        }
      }
    }
    if (reusable) recycle(hs);
  };

  /**
   * Node binds TCP only together with listen/connect, so bind is checked with a short-lived probe
   * listener: the module gets EADDRINUSE/EADDRNOTAVAIL from sock_bind as with WasmEdge, and port 0
   * is resolved to the ephemeral port that the later listen or connect then uses.
   */
  const probeBind = (hs: HostSock, host: string, port: number) => {
    const probe = net.createServer();
    probe.once("error", (err) => respond(errnoOf(err)));
    probe.listen({ host, port, exclusive: true }, () => {
      const actual = (probe.address() as net.AddressInfo).port;
      probe.close(() => {
        hs.bindHost = host;
        hs.bindPort = actual;
        setAddr(hs.hdr, S.L_FAM, host, actual);
        respond(E.SUCCESS);
      });
    });
  };

  const doListen = (hs: HostSock, backlog: number) => {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true });
    hs.server = server;
    server.on("connection", (sock) => {
      const hdr = hs.hdr;
      const head = hdr[S.ACC_HEAD];
      if (hs.closed || ((head - Atomics.load(hdr, S.ACC_TAIL)) | 0) >= ACCEPT_SLOTS) {
        sock.destroy();
        return;
      }
      const fd = randomFd(1, (n) => socks.has(n));
      const slot = streamPool.take();
      const cs = makeSock(fd, slot, hs.family, false);
      cs.keepAlive = hs.keepAlive; // accepted sockets inherit SO_KEEPALIVE, as on Linux
      Atomics.store(cs.hdr, S.STATE, STATE.CONNECTED);
      setAddr(cs.hdr, S.L_FAM, sock.localAddress, sock.localPort);
      setAddr(cs.hdr, S.P_FAM, sock.remoteAddress, sock.remotePort);
      socks.set(fd, cs);
      attach(cs, sock);
      port.postMessage({ fd, sab: slot.sab, off: slot.off });
      hs.acc![head & (ACCEPT_SLOTS - 1)] = fd;
      Atomics.store(hdr, S.ACC_HEAD, (head + 1) | 0);
      wake();
    });
    let listening = false;
    server.once("listening", () => {
      listening = true;
      const a = server.address() as net.AddressInfo;
      setAddr(hs.hdr, S.L_FAM, a.address, a.port);
      Atomics.store(hs.hdr, S.STATE, STATE.LISTENING);
      respond(E.SUCCESS);
    });
    server.on("error", (err) => {
      if (!listening) respond(errnoOf(err));
      else {
        hs.hdr[S.ERR] = errnoOf(err);
        Atomics.or(hs.hdr, S.FLAGS, FLAG.ERROR);
        wake();
      }
    });
    const host = hs.bindHost ?? (hs.family === 2 ? "::" : "0.0.0.0");
    server.listen({ host, port: hs.bindPort, backlog: Math.max(1, Math.min(backlog || 128, 4096)) });
  };

  const doConnect = (hs: HostSock, nonblock: boolean) => {
    const family = ctlView.getUint32(ARG_OFFSET, true);
    const port = ctlView.getUint32(ARG_OFFSET + 4, true);
    const host = ipString(family, ctlBytes.subarray(ARG_OFFSET + 8, ARG_OFFSET + 24));
    if (family !== hs.family) {
      respond(E.AFNOSUPPORT);
      return;
    }
    if (hs.type === 1) {
      udpConnectTo(hs, host, port);
      return;
    }
    if (port === 0) {
      respond(E.CONNREFUSED);
      return;
    }
    Atomics.store(hs.hdr, S.STATE, STATE.CONNECTING);
    const sock = net.connect({
      host,
      port,
      family: family === 1 ? 4 : 6,
      allowHalfOpen: true,
      noDelay: true,
      ...(hs.bindHost ? { localAddress: hs.bindHost } : {}),
      ...(hs.bindPort ? { localPort: hs.bindPort } : {}),
    });
    attach(hs, sock);
    sock.once("connect", () => {
      setAddr(hs.hdr, S.L_FAM, sock.localAddress, sock.localPort);
      setAddr(hs.hdr, S.P_FAM, sock.remoteAddress, sock.remotePort);
      Atomics.store(hs.hdr, S.STATE, STATE.CONNECTED);
      if (!nonblock) respond(E.SUCCESS);
      else wake();
    });
    sock.once("error", (err) => {
      if (Atomics.load(hs.hdr, S.STATE) !== STATE.CONNECTING) return;
      Atomics.store(hs.hdr, S.STATE, STATE.OPEN);
      // the failed attempt must not touch the socket's state any more (its 'close' is still to come)
      sock.removeAllListeners();
      sock.on("error", noop);
      hs.sock = null;
      if (!nonblock) respond(errnoOf(err));
      else {
        hs.hdr[S.ERR] = errnoOf(err);
        Atomics.or(hs.hdr, S.FLAGS, FLAG.ERROR);
        wake();
      }
    });
    if (nonblock) respond(E.INPROGRESS);
  };

  const doGetaddrinfo = () => {
    const nodeLen = ctlView.getUint32(ARG_OFFSET, true);
    const servLen = ctlView.getUint32(ARG_OFFSET + 4, true);
    const flags = ctlView.getUint32(ARG_OFFSET + 8, true);
    const family = ctlView.getUint32(ARG_OFFSET + 12, true);
    const socktype = ctlView.getUint32(ARG_OFFSET + 16, true);
    const protocol = ctlView.getUint32(ARG_OFFSET + 20, true);
    const node = Buffer.from(ctlBytes.subarray(ARG_OFFSET + 24, ARG_OFFSET + 24 + nodeLen)).toString("utf8");
    const service = Buffer.from(
      ctlBytes.subarray(ARG_OFFSET + 24 + nodeLen, ARG_OFFSET + 24 + nodeLen + servLen),
    ).toString("utf8");
    let port = 0;
    if (service !== "") {
      if (/^[0-9]+$/.test(service) && Number(service) < 65536) port = Number(service);
      else if (flags & 8 || !(service in SERVICES)) {
        respond(E.AISERVICE);
        return;
      } else port = SERVICES[service];
    }
    const finish = (addrs: Array<{ address: string; family: number }>) => {
      const types: Array<[number, number]> =
        socktype === 2 ? [[2, 1]] : socktype === 1 ? [[1, 2]] : protocol === 2 ? [[1, 2]] : protocol === 1 ? [[2, 1]] : [[2, 1], [1, 2]];
      let count = 0;
      const tmp = new Uint8Array(16);
      for (const a of addrs) {
        for (const [t, p] of types) {
          if (count >= 64) break;
          const base = ARG_OFFSET + 4096 + count * 32;
          const fam = ipBytes(a.address, tmp);
          ctlView.setUint32(base, fam, true);
          ctlView.setUint32(base + 4, t, true);
          ctlView.setUint32(base + 8, p, true);
          ctlView.setUint32(base + 12, port, true);
          ctlBytes.set(tmp, base + 16);
          count++;
        }
      }
      if (count === 0) respond(E.AINODATA);
      else respond(E.SUCCESS, count);
    };
    if (node === "") {
      const passive = (flags & 1) !== 0;
      const v4 = passive ? "0.0.0.0" : "127.0.0.1";
      const v6 = passive ? "::" : "::1";
      finish(
        family === 1
          ? [{ address: v4, family: 4 }]
          : family === 2
            ? [{ address: v6, family: 6 }]
            : [
                { address: v6, family: 6 },
                { address: v4, family: 4 },
              ],
      );
      return;
    }
    if (flags & 4 && net.isIP(node) === 0) {
      respond(E.AINONAME);
      return;
    }
    dns.lookup(node, { all: true, family: family === 1 ? 4 : family === 2 ? 6 : 0, verbatim: true }, (err, addrs) => {
      if (finished) return;
      if (err) respond(aiErrnoOf(err));
      else finish(addrs);
    });
  };

  const runCommand = (op: number, fd: number, a: number, b: number) => {
    if (op === OP.OPEN) {
      const hs = makeSock(fd, slotFor(fd), a, true);
      hs.type = b;
      socks.set(fd, hs);
      return;
    }
    if (op === OP.GETADDRINFO) {
      doGetaddrinfo();
      return;
    }
    const hs = socks.get(fd);
    if (hs === undefined) {
      if (op === OP.BIND || op === OP.LISTEN || op === OP.CONNECT) respond(E.BADF);
      return;
    }
    switch (op) {
      case OP.FLUSH:
        if (hs.type === 1) flushDatagrams(hs);
        else flush(hs, false);
        break;
      case OP.RESUME:
        Atomics.and(hs.hdr, S.FLAGS, ~FLAG.RESUME_PENDING);
        fillFromPending(hs);
        wake();
        break;
      case OP.CLOSE:
        closeHostSock(hs);
        break;
      case OP.SHUTDOWN:
        if (a & 2 && hs.sock) {
          flush(hs, true);
          hs.sock.end();
        }
        break;
      case OP.KEEPALIVE:
        // set before connect: applied when the socket exists (attach)
        hs.keepAlive = a !== 0;
        hs.sock?.setKeepAlive(hs.keepAlive);
        break;
      case OP.BIND: {
        const family = ctlView.getUint32(ARG_OFFSET, true);
        if (family !== hs.family) {
          respond(E.INVAL);
          break;
        }
        if (hs.sock || hs.server || hs.bindHost !== null || hs.udpBound) {
          respond(E.INVAL);
          break;
        }
        const host = ipString(family, ctlBytes.subarray(ARG_OFFSET + 8, ARG_OFFSET + 24));
        const port = ctlView.getUint32(ARG_OFFSET + 4, true);
        if (hs.type === 1) {
          hs.bindHost = host;
          hs.bindPort = port;
          setAddr(hs.hdr, S.L_FAM, host, port);
          udpBind(hs);
        } else probeBind(hs, host, port);
        break;
      }
      case OP.LISTEN:
        if (hs.sock) respond(E.INVAL);
        else if (hs.server) respond(E.SUCCESS);
        else doListen(hs, a);
        break;
      case OP.CONNECT:
        doConnect(hs, a !== 0);
        break;
      default:
        respond(E.NOSYS);
    }
  };

  let cmdTail = 0;
  const drain = () => {
    const head = Atomics.load(ctl, CTL.CMD_HEAD);
    if (head === cmdTail) return;
    while (cmdTail !== head) {
      const base = CTL.CMD_BASE + (cmdTail & (CMD_SLOTS - 1)) * CMD_WORDS;
      const op = ctl[base];
      const fd = ctl[base + 1];
      const a = ctl[base + 2];
      const b = ctl[base + 3];
      cmdTail = (cmdTail + 1) | 0;
      Atomics.store(ctl, CTL.CMD_TAIL, cmdTail);
      try {
        runCommand(op, fd, a, b);
      } catch (e) {
        process.stderr.write(`wasmedge-host: internal error: ${(e as Error).message}\n`);
      }
    }
    if (Atomics.load(ctl, CTL.CMD_FULL) !== 0) {
      Atomics.store(ctl, CTL.CMD_FULL, 0);
      wake();
    }
  };

  const waitAsync = (Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
  }).waitAsync;
  const pump = () => {
    Atomics.store(ctl, CTL.MAIN_ARMED, 0);
    while (!finished) {
      const bell = Atomics.load(ctl, CTL.DOORBELL);
      drain();
      Atomics.store(ctl, CTL.MAIN_ARMED, 1);
      const r = waitAsync(ctl, CTL.DOORBELL, bell);
      if (r.async) {
        void (r.value as Promise<string>).then(pump);
        return;
      }
      Atomics.store(ctl, CTL.MAIN_ARMED, 0);
    }
  };
  pump();

  // ---------------------------------------------------------------- lifetime

  const teardown = (graceful: boolean) => {
    finished = true;
    Atomics.add(ctl, CTL.DOORBELL, 1);
    Atomics.notify(ctl, CTL.DOORBELL);
    for (const hs of [...socks.values()]) {
      if (graceful) closeHostSock(hs);
      else {
        hs.closed = true;
        hs.server?.close();
        hs.sock?.destroy();
        hs.udp?.close();
      }
    }
    socks.clear();
    port.close();
  };

  const finish = (code: number) => {
    if (finished) return;
    drain();
    teardown(true);
    // What the module sent before exiting is delivered, as the kernel would after a real exit;
    // `exited` waits for Node's write buffers to reach the kernel (at most 2 s for stalled peers).
    const pending = [...draining].filter((sock) => sock.writableLength > 0 && !sock.destroyed);
    if (pending.length === 0) {
      resolveExit(code);
      return;
    }
    const flushed = pending.map(
      (sock) =>
        new Promise<void>((resolve) => {
          sock.once("finish", resolve);
          sock.once("close", resolve);
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)));
    void Promise.race([Promise.all(flushed), limit]).then(() => {
      clearTimeout(timer);
      resolveExit(code);
    });
  };

  worker.on("message", (m: { t: string; d?: Uint8Array; code?: number }) => {
    if (m.t === "o") (opts.stdout ?? process.stdout).write(m.d!);
    else if (m.t === "e") (opts.stderr ?? process.stderr).write(m.d!);
    else if (m.t === "x") {
      finish(m.code ?? 1);
      void worker.terminate();
    }
  });
  worker.on("error", (err) => {
    (opts.stderr ?? process.stderr).write(`wasmedge-host: ${err.message}\n`);
    finish(1);
  });
  worker.on("exit", () => finish(1));

  return {
    exited,
    kill(signal: NodeJS.Signals = "SIGKILL") {
      if (finished) return;
      Atomics.store(ctl, CTL.STOP, 1);
      Atomics.add(ctl, CTL.SEQ, 1);
      Atomics.notify(ctl, CTL.SEQ);
      teardown(false);
      void worker.terminate();
      resolveExit(128 + (SIGNALS[signal] ?? 9));
    },
  };
}
