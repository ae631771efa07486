// Shared plumbing for the tracking-service end-to-end tests: a real Mosquitto broker,
// a scriptable broker (raw MQTT over net) for fuzzing and exact PUBACK tracking,
// the service itself (the shipped AOT module from the image, run by the real WasmEdge 0.14.1,
// or the same file under its interpreter), and small HTTP helpers.
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, chownSync, existsSync, copyFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as net from "node:net";
import * as http from "node:http";
import { WASMEDGE_BIN } from "../support/wasmedge";
import { freePort } from "../support/net";
export { freePort };

export const REPO = path.resolve(__dirname, "../..");
/** the plain module (what asc produced) */
export const WASM_PATH = path.join(REPO, "wasm-app/dist/logistics-system.wasm");
/** the AOT-compiled universal module: byte for byte the image's /app.wasm */
export const AOT_WASM_PATH = path.join(REPO, "wasm-app/dist/logistics-system.aot.wasm");

let anyUserCopy: string | undefined;
/**
 * The shipped AOT module, copied byte for byte into a world-readable temp folder: a test that runs the module as a
 * non-root user must not depend on that user being able to reach the checkout (a clone in a 0700 temp folder).
 */
export function moduleForAnyUser(): string {
  if (anyUserCopy === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), "tracking-module-"));
    chmodSync(dir, 0o755);
    const file = path.join(dir, path.basename(AOT_WASM_PATH));
    copyFileSync(AOT_WASM_PATH, file);
    chmodSync(file, 0o444);
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    anyUserCopy = file;
  }
  return anyUserCopy;
}

/** "aot": the shipped native code (what an amd64 site runs); "interpreter": the same file interpreted (arm64 sites). */
export type Engine = "aot" | "interpreter";
export const ENGINES: Engine[] = ["aot", "interpreter"];

/** wasmedge command line for the shipped module; dataDir is preopened as /data, or root as / (the shim's layout). */
export function wasmedgeArgs(env: Record<string, string>, opts: { dataDir?: string; root?: string; engine?: Engine; otherUser?: boolean }): string[] {
  const args: string[] = [];
  if (opts.engine === "interpreter") args.push("--force-interpreter");
  if (opts.root !== undefined) args.push("--dir", `/:${opts.root}`);
  if (opts.dataDir !== undefined) args.push("--dir", `/data:${opts.dataDir}`);
  for (const [k, v] of Object.entries(env)) args.push("--env", `${k}=${v}`);
  args.push(opts.otherUser ? moduleForAnyUser() : AOT_WASM_PATH);
  return args;
}

function wasmedgeBin(): string {
  if (!WASMEDGE_BIN) throw new Error("WasmEdge 0.14.1 is not available (see test/support/wasmedge.ts)");
  return WASMEDGE_BIN;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}


export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      lastErr = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ""}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------- Mosquitto

/** A real Debian mosquitto with password authentication on a loopback port. */
export class Mosquitto {
  private proc: ChildProcess | null = null;
  readonly dir: string;
  log = "";
  constructor(readonly port: number, readonly user: string, readonly password: string) {
    this.dir = tempDir("mosq-");
  }

  static async start(user = "tracker", password = "s3cret-pw"): Promise<Mosquitto> {
    if (spawnSync("sh", ["-c", "command -v mosquitto && command -v mosquitto_passwd"]).status !== 0) {
      throw new Error("mosquitto and mosquitto_passwd are required (apt-get install mosquitto)");
    }
    const m = new Mosquitto(await freePort(), user, password);
    const passwd = path.join(m.dir, "passwd");
    const r = spawnSync("mosquitto_passwd", ["-b", "-c", passwd, user, password], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
    writeFileSync(path.join(m.dir, "mosquitto.conf"), [
      "per_listener_settings false",
      "allow_anonymous false",
      `password_file ${passwd}`,
      `listener ${m.port} 127.0.0.1`,
      "persistence false",
      "max_inflight_messages 100",
      "max_queued_messages 100000",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "",
    ].join("\n"));
    // Run as root, mosquitto drops to user "mosquitto": it must be able to read its files.
    if (process.getuid?.() === 0) {
      const id = spawnSync("id", ["-u", "mosquitto"], { encoding: "utf8" });
      if (id.status === 0) {
        const uid = Number(id.stdout.trim());
        for (const f of [m.dir, passwd, path.join(m.dir, "mosquitto.conf")]) chownSync(f, uid, 0);
      }
    }
    await m.resume();
    return m;
  }

  async resume(): Promise<void> {
    const p = spawn("mosquitto", ["-c", path.join(this.dir, "mosquitto.conf")], { stdio: ["ignore", "ignore", "pipe"] });
    p.stderr!.on("data", (d) => { this.log += d.toString(); });
    this.proc = p;
    await waitFor(`mosquitto on port ${this.port}`, async () => {
      if (p.exitCode !== null) throw new Error(`mosquitto exited: ${this.log}`);
      return await canConnect(this.port);
    }, 10000);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const done = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGTERM");
    await done;
    this.proc = null;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

// ---------------------------------------------------------------- the service

export interface ServiceOptions {
  env: Record<string, string>;
  dataDir?: string;
  /** preopen this directory as / (as the runwasi shim preopens the container root); DATA_DIR then lives in it */
  root?: string;
  engine?: Engine;
}

/** The tracking service as a real `wasmedge` process. */
export class Service {
  stderr = "";
  /** the data dir was made by start() and is removed by kill() */
  ownsDataDir = false;
  private child: ChildProcess;
  exited: Promise<number>;

  private constructor(readonly httpPort: number, readonly dataDir: string, opts: ServiceOptions) {
    const env = { HTTP_BIND: "127.0.0.1", ...opts.env, HTTP_PORT: String(httpPort) };
    const args = wasmedgeArgs(env, { dataDir: opts.root === undefined ? dataDir : undefined, root: opts.root, engine: opts.engine });
    const c = spawn(wasmedgeBin(), args, { cwd: tmpdir(), stdio: ["ignore", "ignore", "pipe"] });
    c.stderr!.on("data", (d) => { this.stderr += d.toString(); });
    this.child = c;
    this.exited = new Promise((r) => c.once("exit", (code, sig) => r(code ?? (sig === "SIGKILL" ? 137 : 128))));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts the service and waits until /healthz answers. */
  static async start(opts: ServiceOptions): Promise<Service> {
    const port = await freePort();
    const dir = opts.dataDir ?? tempDir("tracking-data-");
    const s = new Service(port, dir, opts);
    s.ownsDataDir = opts.dataDir === undefined;
    let exitCode: number | null = null;
    void s.exited.then((c) => { exitCode = c; });
    const end = Date.now() + 20000;
    for (;;) {
      if (exitCode !== null) throw new Error(`service exited with ${exitCode}: ${s.stderr}`);
      if ((await get(port, "/healthz").catch(() => null))?.status === 200) return s;
      if (Date.now() > end) {
        await s.kill();
        throw new Error(`the service did not answer /healthz within 20 s: ${s.stderr}`);
      }
      await sleep(5);
    }
  }

  /** Runs the module to completion (for configuration errors). */
  static async runToExit(env: Record<string, string>, dataDir?: string, opts: { root?: string; engine?: Engine } = {}): Promise<{ code: number; stderr: string }> {
    const dir = dataDir ?? (opts.root === undefined ? tempDir("tracking-data-") : undefined);
    const c = spawn(wasmedgeBin(), wasmedgeArgs(env, { dataDir: dir, root: opts.root, engine: opts.engine }), {
      cwd: tmpdir(), stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    c.stderr!.on("data", (d) => { stderr += d.toString(); });
    const timer = setTimeout(() => c.kill("SIGKILL"), 10000);
    const code = await new Promise<number>((r) => c.once("exit", (code, sig) => r(code ?? (sig === "SIGKILL" ? 137 : 128))));
    clearTimeout(timer);
    if (dataDir === undefined && dir !== undefined) rmSync(dir, { recursive: true, force: true });
    return { code, stderr };
  }

  async waitReady(timeoutMs = 15000): Promise<void> {
    await waitFor("/readyz to return 200", async () => (await get(this.httpPort, "/readyz")).status === 200, timeoutMs);
  }

  /** SIGKILL: no chance to flush or close anything, as when a node dies. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }

  async metrics(): Promise<Map<string, number>> {
    const r = await get(this.httpPort, "/metrics");
    const m = new Map<string, number>();
    for (const line of r.body.split("\n")) {
      if (!line || line.startsWith("#")) continue;
      const i = line.lastIndexOf(" ");
      m.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
    return m;
  }
}

// ---------------------------------------------------------------- HTTP helpers

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function get(port: number, p: string, agent?: http.Agent, method = "GET"): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: p, method, agent: agent ?? false, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`timeout on ${p}`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Sends raw bytes on a fresh connection, half-closes, and collects everything until the server closes
 * (or timeoutMs passes). Returns the response text and whether the server closed.
 */
export function rawExchange(port: number, data: Buffer | string, timeoutMs = 3000): Promise<{ text: string; closed: boolean; error?: string }> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let text = "";
    let done = false;
    const finish = (closed: boolean, error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve({ text, closed, error });
    };
    const t = setTimeout(() => finish(false), timeoutMs);
    s.on("data", (d) => { text += d.toString("latin1"); });
    s.on("end", () => finish(true));
    s.on("close", () => finish(true));
    s.on("error", (e) => finish(true, e.message));
    // Half-close after sending, like a client that has nothing more to say: the server
    // sees EOF instead of waiting for its header timeout.
    s.end(data);
  });
}

/** Status codes of every response in a raw byte stream. */
export function statusCodes(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

// ---------------------------------------------------------------- fake MQTT broker

export interface MqttPacket {
  type: number;
  flags: number;
  body: Buffer;
}

/** Splits a byte stream into MQTT packets (test-side decoder, independent of the service's). */
export class PacketReader {
  private buf = Buffer.alloc(0);
  push(d: Buffer): MqttPacket[] {
    this.buf = Buffer.concat([this.buf, d]);
    const out: MqttPacket[] = [];
    for (;;) {
      if (this.buf.length < 2) break;
      let mult = 1, len = 0, i = 1, b: number;
      do {
        if (i >= this.buf.length) return out;
        b = this.buf[i++];
        len += (b & 127) * mult;
        mult *= 128;
      } while (b & 128);
      if (this.buf.length < i + len) break;
      out.push({ type: this.buf[0] >> 4, flags: this.buf[0] & 15, body: this.buf.subarray(i, i + len) });
      this.buf = this.buf.subarray(i + len);
    }
    return out;
  }
}

export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 128;
    out.push(d);
  } while (n > 0);
  return Buffer.from(out);
}

export function mqttString(s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
}

export function publishPacket(topic: string, payload: Buffer | string, qos: 0 | 1, packetId = 0, dup = false): Buffer {
  const p = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const vh = Buffer.concat([mqttString(topic), qos > 0 ? Buffer.from([packetId >> 8, packetId & 255]) : Buffer.alloc(0)]);
  const first = 0x30 | (dup ? 8 : 0) | (qos << 1);
  return Buffer.concat([Buffer.from([first]), remainingLength(vh.length + p.length), vh, p]);
}

export interface ParsedConnect {
  protocol: string;
  level: number;
  flags: number;
  keepalive: number;
  clientId: string;
  username?: string;
  password?: string;
}

export function parseConnect(body: Buffer): ParsedConnect {
  let pos = 0;
  const str = () => {
    const n = body.readUInt16BE(pos);
    const s = body.subarray(pos + 2, pos + 2 + n).toString("utf8");
    pos += 2 + n;
    return s;
  };
  const protocol = str();
  const level = body[pos++];
  const flags = body[pos++];
  const keepalive = body.readUInt16BE(pos);
  pos += 2;
  const c: ParsedConnect = { protocol, level, flags, keepalive, clientId: str() };
  if (flags & 0x80) c.username = str();
  if (flags & 0x40) c.password = str();
  return c;
}

/** One client connection seen by the fake broker. */
export class BrokerConn {
  packets: MqttPacket[] = [];
  closed = false;
  private reader = new PacketReader();
  private waiters: Array<() => void> = [];
  constructor(readonly socket: net.Socket) {
    socket.on("data", (d) => {
      this.packets.push(...this.reader.push(d));
      this.wake();
    });
    socket.on("close", () => { this.closed = true; this.wake(); });
    socket.on("error", () => undefined);
  }
  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  /** Waits for (and removes) the first packet matching pred. */
  async next(pred: (p: MqttPacket) => boolean, timeoutMs = 10000): Promise<MqttPacket> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.packets.findIndex(pred);
      if (i >= 0) return this.packets.splice(i, 1)[0];
      if (this.closed) throw new Error("connection closed while waiting for a packet");
      const left = end - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a packet");
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }
  async waitClosed(timeoutMs = 10000): Promise<void> {
    await waitFor("the client to close the connection", async () => this.closed, timeoutMs, 10);
  }
  send(b: Buffer): void {
    if (!this.closed) this.socket.write(b);
  }
  /** Completes CONNECT/CONNACK and SUBSCRIBE/SUBACK; returns the CONNECT and the subscription filter. */
  async handshake(connackCode = 0): Promise<{ connect: ParsedConnect; filter: string; qos: number }> {
    const c = await this.next((p) => p.type === 1);
    const connect = parseConnect(c.body);
    this.send(Buffer.from([0x20, 2, 0, connackCode]));
    if (connackCode !== 0) return { connect, filter: "", qos: -1 };
    const s = await this.next((p) => p.type === 8);
    const id = s.body.readUInt16BE(0);
    const n = s.body.readUInt16BE(2);
    const filter = s.body.subarray(4, 4 + n).toString("utf8");
    const qos = s.body[4 + n];
    this.send(Buffer.from([0x90, 3, id >> 8, id & 255, 1]));
    return { connect, filter, qos };
  }
  pubackIds(): number[] {
    const ids: number[] = [];
    this.packets = this.packets.filter((p) => {
      if (p.type !== 4) return true;
      ids.push(p.body.readUInt16BE(0));
      return false;
    });
    return ids;
  }
}

export class FakeBroker {
  private server: net.Server;
  conns: BrokerConn[] = [];
  private waiters: Array<() => void> = [];
  port = 0;
  constructor() {
    this.server = net.createServer((s) => {
      this.conns.push(new BrokerConn(s));
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }
  async listen(port = 0): Promise<number> {
    await new Promise<void>((r) => this.server.listen(port, "127.0.0.1", () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }
  /** Waits for the n-th connection (1-based). */
  async connection(n: number, timeoutMs = 15000): Promise<BrokerConn> {
    await waitFor(`MQTT connection #${n}`, async () => this.conns.length >= n, timeoutMs, 10);
    return this.conns[n - 1];
  }
  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export function eventJson(e: { shipmentId: string; status?: string; ts: number; deviceId: string; seq: number; lat?: number; lon?: number; note?: string }): string {
  return JSON.stringify({ status: "IN_TRANSIT", ...e });
}

export function wasmBuilt(): boolean {
  return existsSync(AOT_WASM_PATH);
}
