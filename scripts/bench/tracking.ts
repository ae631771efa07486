// Benchmark of the tracking service (not a test) on the real runtime, three implementations side by side
// in one run, on loopback:
//   - "aot":         the image's /app.wasm (AOT-compiled universal module) under the real WasmEdge 0.14.1;
//   - "interpreter": the same file under WasmEdge's interpreter (what an arm64 site runs, see docs/wasm-app.md);
//   - "node":        a plain Node implementation of the same query API (scripts/bench/tracking-node-baseline.ts).
// For each: closed-loop throughput and p50/p99/p99.9 at BENCH_CONCURRENCY keep-alive connections, p99/p99.9
// and CPU at a fixed BENCH_RATE req/s, cold start (process spawn -> first 200, 1 ms polling; the wasm engines
// on the runtime-only build when WASMEDGE_RUNTIME_BIN is set) and the module's own start-up, RSS, and the
// cost of BENCH_IDLE idle keep-alive connections; for the module also ingest with fsync and restart-to-ready
// with a BENCH_EVENTS-event log.
//
//   npm run bench:tracking                       # prints the figures (and where it wrote the plot)
//   npm run bench:tracking -- --write-docs       # also replaces docs/img/tracking-latency.svg
//   BENCH_ENGINES=aot,node BENCH_SECONDS=10 npm run bench:tracking
//
// WasmEdge: $WASMEDGE_BIN (with the compiler) or PATH, version 0.14.1; $WASMEDGE_RUNTIME_BIN optionally
// points at a runtime-only build (`WASMEDGE_LLVM=OFF build.sh`), which starts without loading libLLVM.
import { spawn, ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir, cpus, totalmem, loadavg } from "node:os";
import * as net from "node:net";
import * as path from "node:path";
import { findWasmEdge, HOW_TO_GET_WASMEDGE, AOT_CPU_NAME } from "../../wasm-app/aot/wasmedge";
import { freePort } from "../../test/support/net";

const REPO = path.resolve(__dirname, "..", "..");
const AOT_WASM = path.join(REPO, "wasm-app/dist/logistics-system.aot.wasm");
const WASM = path.join(REPO, "wasm-app/dist/logistics-system.wasm");
const OCI = path.join(REPO, "wasm-app/dist/logistics-system.oci.tar");
const BASELINE = path.join(__dirname, "tracking-node-baseline.ts");
const DOCS_SVG = path.join(REPO, "docs/img/tracking-latency.svg");
const WRITE_DOCS = process.argv.includes("--write-docs");

function envInt(name: string, def: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    console.error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
    process.exit(2);
  }
  return v;
}

const CONCURRENCY = envInt("BENCH_CONCURRENCY", 64, 1, 4096);
const MAX_REQUESTS = envInt("BENCH_REQUESTS", 600_000, 1000, 100_000_000);
const SECONDS = envInt("BENCH_SECONDS", 20, 1, 600);
const RATE = envInt("BENCH_RATE", 20000, 100, 1_000_000);
const RATE_SECONDS = envInt("BENCH_RATE_SECONDS", 10, 1, 600);
const WARMUP_SECONDS = 2;
const SHIPMENTS = envInt("BENCH_SHIPMENTS", 1000, 1, 1_000_000);
const EVENTS_PER_SHIPMENT = 20;
const LOG_EVENTS = envInt("BENCH_EVENTS", 200_000, 1000, 10_000_000);
const SITE = "bench";
const IDLE_CONNECTIONS = envInt("BENCH_IDLE", 2000, 0, 20000);
const COLD_RUNS = envInt("BENCH_COLD_RUNS", 9, 1, 100);
const ENGINES = (process.env.BENCH_ENGINES ?? "aot,interpreter,node").split(",").map((e) => e.trim()).filter(Boolean);
for (const e of ENGINES) {
  if (!["aot", "interpreter", "node"].includes(e)) {
    console.error(`BENCH_ENGINES: unknown engine ${JSON.stringify(e)} (use aot, interpreter, node)`);
    process.exit(2);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** One raw HTTP/1.1 exchange on a fresh connection; resolves with the status code (0 on error). */
function probe(port: number, p: string): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString("latin1");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (m) { s.destroy(); resolve(Number(m[1])); }
    });
    s.on("error", () => resolve(0));
    s.on("close", () => resolve(0));
    s.end(`GET ${p} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n`);
  });
}

async function waitStatus(port: number, p: string, want: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await probe(port, p)) === want) return performance.now();
    await sleep(0.2);
  }
  throw new Error(`timed out waiting for ${want} on ${p}`);
}

// ------------------------------------------------------------- minimal MQTT broker side

function rl(n: number): Buffer {
  const out: number[] = [];
  do { let d = n % 128; n = Math.floor(n / 128); if (n > 0) d |= 128; out.push(d); } while (n > 0);
  return Buffer.from(out);
}

function publish(topic: string, payload: string, id: number): Buffer {
  const t = Buffer.from(topic);
  const p = Buffer.from(payload);
  const vh = Buffer.concat([Buffer.from([t.length >> 8, t.length & 255]), t, Buffer.from([id >> 8, id & 255])]);
  return Buffer.concat([Buffer.from([0x32]), rl(vh.length + p.length), vh, p]);
}

/**
 * A broker stand-in that completes the handshake for every connection and can stream
 * events with a window of in-flight QoS 1 PUBLISHes, counting PUBACKs.
 */
class BenchBroker {
  server: net.Server;
  port = 0;
  current: net.Socket | null = null;
  private acks = 0;
  private onAck: (() => void) | null = null;
  constructor() {
    this.server = net.createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on("error", () => undefined);
      s.on("data", (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          if (buf.length < 2) break;
          let mult = 1, len = 0, i = 1, b: number;
          do { if (i >= buf.length) return; b = buf[i++]; len += (b & 127) * mult; mult *= 128; } while (b & 128);
          if (buf.length < i + len) break;
          const type = buf[0] >> 4;
          const body = buf.subarray(i, i + len);
          buf = buf.subarray(i + len);
          if (type === 1) s.write(Buffer.from([0x20, 2, 0, 0]));
          else if (type === 8) { s.write(Buffer.from([0x90, 3, body[0], body[1], 1])); this.current = s; }
          else if (type === 12) s.write(Buffer.from([0xd0, 0]));
          else if (type === 4) { this.acks++; this.onAck?.(); }
        }
      });
    });
  }
  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  async waitSubscribed(): Promise<net.Socket> {
    while (!this.current || this.current.destroyed) await sleep(5);
    return this.current;
  }
  /** Streams events gen(0..n-1) with up to `window` unacknowledged. */
  async stream(n: number, gen: (i: number) => string, window = 2000): Promise<number> {
    const s = await this.waitSubscribed();
    const t0 = performance.now();
    const startAcks = this.acks;
    let sent = 0;
    await new Promise<void>((resolve) => {
      const pump = () => {
        const chunks: Buffer[] = [];
        while (sent < n && sent - (this.acks - startAcks) < window) {
          chunks.push(publish(`tracking/${SITE}/bench/events`, gen(sent), (sent % 65535) + 1));
          sent++;
        }
        if (chunks.length) s.write(Buffer.concat(chunks));
        if (this.acks - startAcks >= n) { this.onAck = null; resolve(); }
      };
      this.onAck = pump;
      pump();
    });
    return performance.now() - t0;
  }
  close(): void {
    this.current?.destroy();
    this.server.close();
  }
}

function eventPayload(i: number, shipments: number): string {
  return JSON.stringify({
    shipmentId: `SHP-${(i % shipments).toString().padStart(6, "0")}`,
    status: "IN_TRANSIT", ts: 1_700_000_000_000 + i, deviceId: `dev-${i % 97}`, seq: i,
    lat: 52 + (i % 1000) / 1000, lon: 13 + (i % 777) / 1000,
  });
}

// ------------------------------------------------------------- service processes

type Engine = "aot" | "interpreter" | "node";
const ENGINE_LABEL: Record<Engine, string> = {
  aot: "WasmEdge 0.14.1, AOT (/app.wasm)",
  interpreter: "WasmEdge 0.14.1, interpreter",
  node: "plain Node (node:http)",
};

interface Proc { child: ChildProcess; port: number; startedAt: number; stderr: string[] }

interface Runtimes { full: string; runtimeOnly?: string }

/** Starts one implementation; `bin` overrides the wasmedge binary (cold start on the runtime-only build). */
function startEngine(engine: Engine, rt: Runtimes, dataDir: string, brokerPort: number, port: number, eventsFile: string, bin?: string): Proc {
  let cmd: string;
  let args: string[];
  if (engine === "node") {
    cmd = process.execPath;
    args = ["--import", "tsx", BASELINE, String(port), eventsFile];
  } else {
    cmd = bin ?? rt.full;
    args = [...(engine === "interpreter" ? ["--force-interpreter"] : []), "--dir", `/data:${dataDir}`,
      "--env", `SITE_ID=${SITE}`, "--env", `HTTP_PORT=${port}`, "--env", "HTTP_BIND=127.0.0.1",
      "--env", `MQTT_PORT=${brokerPort}`, "--env", `HTTP_MAX_CONNECTIONS=${IDLE_CONNECTIONS + CONCURRENCY + 64}`, AOT_WASM];
  }
  const startedAt = performance.now();
  const child = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", "ignore", "pipe"] });
  const stderr: string[] = [];
  child.stderr!.on("data", (d) => stderr.push(d.toString()));
  return { child, port, startedAt, stderr };
}

async function stopProcess(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const done = new Promise<void>((r) => p.child.once("exit", () => r()));
  p.child.kill("SIGKILL");
  await done;
}

function procStat(pid: number): { cpuTicks: number; rssKb: number; hwmKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuTicks, rssKb: kb("VmRSS"), hwmKb: kb("VmHWM") };
}

/** Opens n keep-alive connections that each make one request and then stay idle. */
async function openIdle(port: number, n: number): Promise<net.Socket[]> {
  const socks: net.Socket[] = [];
  for (let i = 0; i < n; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, n - i) }, () => new Promise<void>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      socks.push(s);
      s.once("data", () => resolve());
      s.once("error", () => resolve());
      s.on("connect", () => s.write("GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"));
    })));
  }
  return socks;
}

// ------------------------------------------------------------- load generator

interface LoadResult { requests: number; errors: number; seconds: number; latUs: Float64Array; statusCounts: Map<number, number> }

/** Calls onResponse(status) for every complete HTTP/1.1 response (Content-Length framed) arriving on s. */
function onResponses(s: net.Socket, onResponse: (code: number) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  s.on("data", (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    for (;;) {
      const he = buf.indexOf("\r\n\r\n");
      if (he < 0) return;
      const head = buf.subarray(0, he).toString("latin1");
      const cl = Number(/Content-Length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < he + 4 + cl) return;
      buf = buf.subarray(he + 4 + cl);
      onResponse(Number(head.slice(9, 12)));
    }
  });
}

/**
 * Closed-loop load: CONCURRENCY keep-alive connections, each sending the next GET as soon
 * as the previous response is complete. Stops at MAX_REQUESTS or after SECONDS.
 */
async function load(port: number, paths: string[], seconds: number, maxRequests: number, record: boolean): Promise<LoadResult> {
  const lat: number[] = [];
  const statusCounts = new Map<number, number>();
  let done = 0, errors = 0, issued = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await new Promise<void>((resolveAll) => {
    let open = CONCURRENCY;
    const finishOne = () => { if (--open === 0) resolveAll(); };
    for (let c = 0; c < CONCURRENCY; c++) {
      const s = net.connect(port, "127.0.0.1");
      s.setNoDelay(true);
      let sentAt = 0n;
      let closed = false;
      const send = () => {
        if (issued >= maxRequests || performance.now() > deadline) { closed = true; s.end(); finishOne(); return; }
        issued++;
        const p = paths[(issued * 7919) % paths.length];
        sentAt = process.hrtime.bigint();
        s.write(`GET ${p} HTTP/1.1\r\nHost: bench\r\n\r\n`);
      };
      s.on("connect", send);
      s.on("error", () => { errors++; if (!closed) { closed = true; finishOne(); } });
      s.on("close", () => { if (!closed) { closed = true; errors++; finishOne(); } });
      onResponses(s, (code) => {
        done++;
        if (record) {
          lat.push(Number(process.hrtime.bigint() - sentAt) / 1000);
          statusCounts.set(code, (statusCounts.get(code) ?? 0) + 1);
        }
        send();
      });
    }
  });
  const secondsUsed = (performance.now() - t0) / 1000;
  return { requests: done, errors, seconds: secondsUsed, latUs: Float64Array.from(lat).sort(), statusCounts };
}

/**
 * Open-loop load at a fixed request rate over CONCURRENCY keep-alive connections (one
 * request in flight per connection). Latency is measured from the moment a request was
 * due, not when a connection became free, so queueing is not hidden (no coordinated
 * omission).
 */
async function loadAtRate(port: number, paths: string[], rate: number, seconds: number): Promise<LoadResult> {
  const lat: number[] = [];
  const statusCounts = new Map<number, number>();
  let done = 0, errors = 0, due = 0, sent = 0;
  const idle: net.Socket[] = [];
  const socks: net.Socket[] = [];
  const total = Math.floor(rate * seconds);
  let start = 0n;
  // How many requests are due by now. Also evaluated on every response, so the schedule
  // does not depend only on the 1 ms timer (whose lateness would count as latency).
  const dueNow = () => Math.min(total, Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * rate));
  // Request k is due at start + k / rate.
  const sendOn = (s: net.Socket & { sentDue?: bigint }) => {
    s.sentDue = start + BigInt(Math.round((sent / rate) * 1e9));
    const p = paths[(sent * 7919) % paths.length];
    sent++;
    s.write(`GET ${p} HTTP/1.1\r\nHost: bench\r\n\r\n`);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, () => new Promise<void>((resolve) => {
    const s = net.connect(port, "127.0.0.1") as net.Socket & { sentDue?: bigint };
    s.setNoDelay(true);
    socks.push(s);
    s.on("connect", () => { idle.push(s); resolve(); });
    s.on("error", () => { errors++; resolve(); });
    onResponses(s, (code) => {
      lat.push(Number(process.hrtime.bigint() - s.sentDue!) / 1000);
      statusCounts.set(code, (statusCounts.get(code) ?? 0) + 1);
      done++;
      due = dueNow();
      if (sent < due) sendOn(s); else idle.push(s);
    });
  })));
  start = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = process.hrtime.bigint();
      due = dueNow();
      while (sent < due && idle.length > 0) sendOn(idle.pop()!);
      if (done + errors >= total) { resolve(); return; }
      if (Number(now - start) / 1e9 > seconds + 10) { resolve(); return; } // give up on stragglers
      setTimeout(tick, 1); // not setImmediate: a spinning generator would steal the host's CPU
    };
    tick();
  });
  for (const s of socks) s.destroy();
  return { requests: done, errors, seconds: Number(process.hrtime.bigint() - start) / 1e9, latUs: Float64Array.from(lat).sort(), statusCounts };
}

function metricsText(port: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let b = "";
    s.on("data", (d) => { b += d.toString("latin1"); });
    s.on("end", () => resolve(b));
    s.on("error", reject);
    s.end("GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
  });
}

/** Upper bound (ms) of the histogram bucket holding quantile q of the module's own request timing. */
async function moduleQuantiles(port: number, qs: number[]): Promise<string[]> {
  const body = await metricsText(port);
  const buckets: Array<[number, number]> = [];
  for (const m of body.matchAll(/^tracking_http_request_duration_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)) {
    buckets.push([m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2])]);
  }
  const total = buckets[buckets.length - 1]?.[1] ?? 0;
  return qs.map((q) => {
    const b = buckets.find(([, c]) => c >= q * total);
    return b ? (b[0] === Infinity ? "> 1000 ms" : `<= ${b[0] * 1000} ms`) : "n/a";
  });
}

function pct(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

// ------------------------------------------------------------- SVG plot

interface Series { label: string; color: string; sorted: Float64Array }

function latencySvg(series: Series[], title: string, subtitle: string): string {
  const W = 860, H = 500, L = 70, R = 30, T = 60, B = 120;
  const pw = W - L - R, ph = H - T - B;
  // x: percentile on a "nines" scale (0, 90, 99, 99.9, 99.99); y: latency, log10 ms.
  const maxNines = 4;
  const xOf = (q: number) => L + (Math.min(-Math.log10(Math.max(1 - q, 1e-4)), maxNines) / maxNines) * pw;
  const lo = 0.01;
  const worst = Math.max(...series.map((s) => (s.sorted[s.sorted.length - 1] ?? 1000) / 1000));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(100, worst))));
  const yOf = (ms: number) => T + ph - ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
  const esc = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${L}" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<text x="${L}" y="42" fill="#555">${esc(subtitle)}</text>`);
  for (let e = -2; Math.pow(10, e) <= hi; e++) {
    const ms = Math.pow(10, e);
    const y = yOf(ms).toFixed(1);
    parts.push(`<line x1="${L}" x2="${L + pw}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${L - 8}" y="${Number(y) + 4}" text-anchor="end">${ms >= 1 ? ms.toFixed(0) : ms} ms</text>`);
  }
  for (const [q, label] of [[0, "0%"], [0.9, "90%"], [0.99, "99%"], [0.999, "99.9%"], [0.9999, "99.99%"]] as const) {
    const x = xOf(q).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${T}" y2="${T + ph}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${x}" y="${T + ph + 18}" text-anchor="middle">${label}</text>`);
  }
  parts.push(`<text x="${L + pw / 2}" y="${T + ph + 38}" text-anchor="middle" fill="#333">percentile of requests (log scale of nines)</text>`);
  // Seed targets.
  for (const [q, ms] of [[0.5, 15], [0.99, 30], [0.999, 50]] as const) {
    parts.push(`<circle cx="${xOf(q).toFixed(1)}" cy="${yOf(ms).toFixed(1)}" r="5" fill="none" stroke="#c0392b" stroke-width="2"/>`);
  }
  series.forEach((s, si) => {
    const n = s.sorted.length;
    if (n === 0) return;
    const pts: string[] = [];
    for (let k = 0; k <= 400; k++) {
      const q = 1 - Math.pow(10, -(k / 400) * maxNines);
      const idx = Math.min(n - 1, Math.floor(q * n));
      pts.push(`${xOf(q).toFixed(1)},${yOf(s.sorted[idx] / 1000).toFixed(1)}`);
    }
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(" ")}"/>`);
    for (const q of [0.5, 0.99, 0.999]) {
      parts.push(`<circle cx="${xOf(q).toFixed(1)}" cy="${yOf(pct(s.sorted, q) / 1000).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
    const ly = T + ph + 60 + si * 18;
    const lx = L;
    parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"/>`);
    const f = (q: number) => (pct(s.sorted, q) / 1000).toFixed(2);
    parts.push(`<text x="${lx + 30}" y="${ly}">${esc(s.label)}: p50 ${f(0.5)} / p99 ${f(0.99)} / p999 ${f(0.999)} ms</text>`);
  });
  const ny = T + ph + 60 + series.length * 18;
  parts.push(`<circle cx="${L + 12}" cy="${ny - 4}" r="5" fill="none" stroke="#c0392b" stroke-width="2"/>`);
  parts.push(`<text x="${L + 30}" y="${ny}" fill="#c0392b">seed targets: p50 15 / p99 30 / p999 50 ms</text>`);
  parts.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  parts.push(`</svg>`);
  return parts.join("\n") + "\n";
}

// ------------------------------------------------------------- main

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const ms = (us: number) => (us / 1000).toFixed(2);
const fmtLat = (r: LoadResult) => `${ms(pct(r.latUs, 0.5))} / ${ms(pct(r.latUs, 0.99))} / ${ms(pct(r.latUs, 0.999))} ms`;

interface EngineFigures { closed?: LoadResult; closedQps?: number; rate?: LoadResult }

async function main(): Promise<void> {
  statSync(AOT_WASM); // fails clearly if the module was not built
  const full = findWasmEdge();
  const needWasm = ENGINES.some((e) => e !== "node");
  if (needWasm && !full.ok) throw new Error(`${full.reason}; ${HOW_TO_GET_WASMEDGE}`);
  const runtimeOnly = process.env.WASMEDGE_RUNTIME_BIN ? findWasmEdge("WASMEDGE_RUNTIME_BIN") : undefined;
  if (runtimeOnly && !runtimeOnly.ok) throw new Error(`WASMEDGE_RUNTIME_BIN: ${runtimeOnly.reason}`);
  const rt: Runtimes = { full: full.ok ? full.runtime.bin : "", runtimeOnly: runtimeOnly?.ok ? runtimeOnly.runtime.bin : undefined };

  const results: Array<[string, string, string, string]> = [];
  const row = (engine: string, k: string, v: string, target = "") => {
    results.push([engine, k, v, target]);
    console.log(`${engine.padEnd(12)} ${k.padEnd(52)} ${v}${target ? `   (target ${target})` : ""}`);
  };
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(`bench:tracking ${date}  ${machine}  load average at start ${loadavg().map((v) => v.toFixed(2)).join(" ")}`);
  console.log(`engines ${ENGINES.join(", ")}; closed loop ${CONCURRENCY} connections for ${SECONDS} s; fixed ${RATE} req/s for ${RATE_SECONDS} s; ` +
    `${SHIPMENTS} shipments x ${EVENTS_PER_SHIPMENT} events; AOT code for ${AOT_CPU_NAME}\n`);

  const broker = new BenchBroker();
  await broker.listen();
  const tmp = mkdtempSync(path.join(tmpdir(), "bench-tracking-"));
  const seedEvents = Array.from({ length: SHIPMENTS * EVENTS_PER_SHIPMENT }, (_, i) => eventPayload(i, SHIPMENTS));
  const eventsFile = path.join(tmp, "seed-events.jsonl");
  writeFileSync(eventsFile, seedEvents.join("\n") + "\n");
  const paths = Array.from({ length: SHIPMENTS }, (_, i) => `/v1/shipments/SHP-${i.toString().padStart(6, "0")}`);
  const figures = new Map<Engine, EngineFigures>();
  try {
    for (const engine of ENGINES as Engine[]) {
      const f: EngineFigures = {};
      figures.set(engine, f);
      // 1. Cold start: spawn -> first 200 on /healthz (1 ms polling), median of COLD_RUNS.
      {
        const bin = engine === "node" ? undefined : rt.runtimeOnly ?? rt.full;
        const spawnTo200: number[] = [];
        const own: number[] = [];
        for (let i = 0; i < COLD_RUNS; i++) {
          const port = await freePort();
          const dir = path.join(tmp, `cold-${engine}-${i}`);
          mkdirSync(dir, { recursive: true });
          const p = startEngine(engine, rt, dir, broker.port, port, eventsFile, bin);
          const t = await waitStatus(port, "/healthz", 200, 60000);
          spawnTo200.push(t - p.startedAt);
          const m = /startup_us=(\d+)/.exec(p.stderr.join(""));
          if (m) own.push(Number(m[1]) / 1000);
          await stopProcess(p);
        }
        const which = engine === "node" ? "node + tsx" : rt.runtimeOnly ? "runtime-only build" : "build with the compiler";
        row(engine, `cold start, spawn -> first 200 (median of ${COLD_RUNS}, ${which})`, `${median(spawnTo200).toFixed(1)} ms (min ${Math.min(...spawnTo200).toFixed(1)})`, engine === "node" ? "" : "< 10 ms");
        if (own.length) row(engine, "  the module's own start-up (main -> listening)", `${median(own).toFixed(2)} ms`, "<= 3 ms");
      }
      // 2. A loaded service: seeded store, closed loop, fixed rate, idle connections.
      const dataDir = path.join(tmp, `load-${engine}`);
      mkdirSync(dataDir, { recursive: true });
      const port = await freePort();
      const svc = startEngine(engine, rt, dataDir, broker.port, port, eventsFile);
      await waitStatus(port, "/readyz", 200, 60000);
      if (engine !== "node") {
        const seedMs = await broker.stream(seedEvents.length, (i) => seedEvents[i]);
        row(engine, "ingest (QoS 1, one fsync per read, PUBACK after it)", `${(seedEvents.length / (seedMs / 1000)).toFixed(0)} events/s`);
      }
      await load(port, paths, WARMUP_SECONDS, MAX_REQUESTS, false);
      const before = procStat(svc.child.pid!);
      const r = await load(port, paths, SECONDS, MAX_REQUESTS, true);
      const after = procStat(svc.child.pid!);
      f.closed = r;
      f.closedQps = r.requests / r.seconds;
      row(engine, `closed loop, ${CONCURRENCY} keep-alive connections`, `${f.closedQps.toFixed(0)} req/s, errors ${r.errors}, ${((after.cpuTicks - before.cpuTicks) / 100 / r.seconds).toFixed(2)} cores`);
      row(engine, "  p50 / p99 / p99.9", fmtLat(r), "< 15 / 30 / 50 ms");
      const rb = procStat(svc.child.pid!);
      const fr = await loadAtRate(port, paths, RATE, RATE_SECONDS);
      const ra = procStat(svc.child.pid!);
      f.rate = fr;
      row(engine, `fixed ${RATE} req/s: achieved, p50 / p99 / p99.9`, `${(fr.requests / fr.seconds).toFixed(0)} req/s, ${fmtLat(fr)}`, "p99 <= 5, p99.9 <= 15 ms");
      row(engine, `  CPU at ${RATE} req/s`, `${((ra.cpuTicks - rb.cpuTicks) / 100 / fr.seconds).toFixed(2)} cores`, "< 1 core");
      if (engine !== "node") {
        // The module's own histogram (wake-up that delivered a request -> response handed to the socket), over
        // every request it served so far: what the service itself adds, without the generator's scheduling.
        row(engine, "  inside the module p50 / p99 / p99.9 (histogram bucket)", (await moduleQuantiles(port, [0.5, 0.99, 0.999])).join(" / "));
      }
      const rss = procStat(svc.child.pid!);
      row(engine, "  RSS after the load", `${(rss.rssKb / 1024).toFixed(1)} MiB (peak ${(rss.hwmKb / 1024).toFixed(1)} MiB)`, "< 256 MiB");
      if (IDLE_CONNECTIONS > 0) {
        const i0 = procStat(svc.child.pid!);
        const idle = await openIdle(port, IDLE_CONNECTIONS);
        const i1 = procStat(svc.child.pid!);
        await sleep(5000);
        const i2 = procStat(svc.child.pid!);
        const idleRate = Math.min(RATE, 5000);
        const withIdle = await loadAtRate(port, paths, idleRate, 3);
        const i3 = procStat(svc.child.pid!);
        row(engine, `${IDLE_CONNECTIONS} idle keep-alive connections`, `+${((i1.rssKb - i0.rssKb) / 1024).toFixed(1)} MiB RSS, ${((i2.cpuTicks - i1.cpuTicks) / 100 / 5).toFixed(3)} cores while idle`);
        row(engine, `  ${idleRate} req/s beside them: p99 / p99.9, CPU`, `${ms(pct(withIdle.latUs, 0.99))} / ${ms(pct(withIdle.latUs, 0.999))} ms, ${((i3.cpuTicks - i2.cpuTicks) / 100 / withIdle.seconds).toFixed(2)} cores`);
        for (const s of idle) s.destroy();
      }
      await stopProcess(svc);

      // 3. Restart-to-ready with a large event log (the module only).
      if (engine !== "node") {
        const bigDir = path.join(tmp, `big-${engine}`);
        mkdirSync(bigDir, { recursive: true });
        const bigPort = await freePort();
        const big = startEngine(engine, rt, bigDir, broker.port, bigPort, eventsFile);
        await waitStatus(bigPort, "/readyz", 200, 60000);
        const bigShipments = Math.ceil(LOG_EVENTS / 50);
        const fillMs = await broker.stream(LOG_EVENTS, (i) => eventPayload(i, bigShipments));
        row(engine, `ingest ${LOG_EVENTS} events into a fresh log`, `${(fillMs / 1000).toFixed(1)} s (${(LOG_EVENTS / (fillMs / 1000)).toFixed(0)} events/s)`);
        const bigRss = procStat(big.child.pid!);
        row(engine, `  RSS holding ${LOG_EVENTS} events`, `${(bigRss.rssKb / 1024).toFixed(0)} MiB`, "< 256 MiB");
        await stopProcess(big); // SIGKILL
        const logBytes = statSync(path.join(bigDir, "events.log")).size;
        const again = startEngine(engine, rt, bigDir, broker.port, bigPort, eventsFile);
        const tHealth = await waitStatus(bigPort, "/healthz", 200, 300000);
        const tReady = await waitStatus(bigPort, "/readyz", 200, 300000);
        row(engine, `restart -> ready, ${LOG_EVENTS} events (${(logBytes / 2 ** 20).toFixed(1)} MiB log)`,
          `${(tReady - again.startedAt).toFixed(0)} ms (healthz after ${(tHealth - again.startedAt).toFixed(0)} ms)`, "<= 1 s");
        await stopProcess(again);
      }
    }
    const aot = figures.get("aot")?.closedQps;
    const node = figures.get("node")?.closedQps;
    if (aot && node) row("aot/node", "closed-loop throughput, AOT module / plain Node", `${(aot / node).toFixed(2)}x`, ">= 1.0x");
    row("image", "module size: plain / AOT (/app.wasm) / OCI archive", `${statSync(WASM).size} / ${statSync(AOT_WASM).size} / ${statSync(OCI).size} bytes`, "< 2 MB");

    const colors: Record<Engine, string> = { aot: "#1f6fb2", interpreter: "#c77c11", node: "#27894a" };
    const series: Series[] = [];
    for (const [engine, f] of figures) {
      if (f.rate) series.push({ label: `${ENGINE_LABEL[engine]}, fixed ${RATE} req/s`, color: colors[engine], sorted: f.rate.latUs });
    }
    const svg = latencySvg(series, `Tracking service HTTP latency by percentile at a fixed ${RATE} req/s (${CONCURRENCY} keep-alive connections)`,
      `${date}, ${machine}, real WasmEdge 0.14.1 (bench:tracking)`);
    const svgOut = WRITE_DOCS ? DOCS_SVG : path.join(tmpdir(), `tracking-latency-${process.pid}.svg`);
    writeFileSync(svgOut, svg);
    console.log(`\nwrote ${svgOut}${WRITE_DOCS ? "" : " (pass --write-docs to replace docs/img/tracking-latency.svg)"}; load average at end ${loadavg().map((v) => v.toFixed(2)).join(" ")}`);
    console.log("\n| engine | figure | measured | target |\n|---|---|---|---|");
    for (const [e, k, v, t] of results) console.log(`| ${e} | ${k} | ${v} | ${t} |`);
  } finally {
    broker.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(`bench:tracking failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
