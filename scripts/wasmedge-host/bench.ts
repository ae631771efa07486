// Round-trip benchmark through the WasmEdge-compatible host: runs an AssemblyScript HTTP/1.1
// keep-alive server (test/scripts/wasmedge-host/fixtures/http-server.ts) under the host CLI in its
// own process, and drives it from this process with CONCURRENCY keep-alive connections for
// DURATION seconds, one request in flight per connection. Prints QPS and latency percentiles,
// cold start (process start to first 200) and the server's peak RSS.
//   npm run bench:host [-- --concurrency 64 --duration 10 --warmup 2 --churn 5000] [--rate 20000] [--baseline]
// --rate N offers N requests/s in total (paced per connection) instead of the closed loop, to read
// the latency at a given load.
// --baseline serves the same bytes from a plain Node net server instead, to show the host's overhead.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { buildAs } from "../../test/scripts/wasmedge-host/fixtures/build";
import { hostCommand } from "./launcher";

function option(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`bench: --${name} needs a positive number\n`);
    process.exit(2);
  }
  return v;
}

const CONCURRENCY = option("concurrency", 64);
const DURATION_S = option("duration", 10);
const WARMUP_S = option("warmup", 2);
/** short-lived connections opened after the main run (connection set-up cost, buffer reuse) */
const CHURN = option("churn", 5000);
/** offered load in requests/s; 0 = closed loop (each connection sends as soon as it has its answer) */
const RATE = process.argv.includes("--rate") ? option("rate", 20000) : 0;
const REQUEST = Buffer.from("GET /v1/ping HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench-host\r\n\r\n");

function rssKb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** --baseline: the same protocol served by plain Node `net` in a child process, for comparison. */
const BASELINE_SERVER = `
const net = require("net");
const RESPONSE = Buffer.from(${JSON.stringify(
  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: keep-alive\r\n\r\n{\"status\":\"ok\"}",
)});
const server = net.createServer({ noDelay: true }, (s) => {
  let pending = "";
  s.on("data", (d) => {
    pending += d.toString("latin1");
    let i;
    while ((i = pending.indexOf("\\r\\n\\r\\n")) >= 0) { pending = pending.slice(i + 4); s.write(RESPONSE); }
  });
  s.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => console.log("LISTENING " + server.address().port));
`;

async function main(): Promise<void> {
  const baseline = process.argv.includes("--baseline");
  const wasm = await buildAs("http-server", 3);
  const host = hostCommand();
  const t0 = process.hrtime.bigint();
  const child = baseline
    ? spawn(process.execPath, ["-e", BASELINE_SERVER], { stdio: ["ignore", "pipe", "inherit"] })
    : spawn(host.command, [...host.args, "--env", "HTTP_PORT=0", wasm], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (c) => reject(new Error(`server exited with ${c}: ${out}`)));
  });
  const first = await oneRequest(port);
  const coldMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!first.startsWith("HTTP/1.1 200")) throw new Error(`unexpected first response: ${first}`);

  const latencies = new Float64Array(4_000_000);
  let count = 0;
  let recording = false;
  let running = true;
  let errors = 0;
  let peakRss = 0;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssKb(child.pid!))), 200);

  const conns: Promise<void>[] = [];
  for (let i = 0; i < CONCURRENCY; i++) {
    conns.push(
      new Promise<void>((resolve) => {
        const s = net.connect({ port, host: "127.0.0.1", noDelay: true });
        let sent = 0n;
        let pending = 0;
        // --rate: each connection sends one request every `interval` ms (staggered), so the whole
        // run offers RATE requests/s; latency is measured from the actual send.
        const interval = RATE > 0 ? (CONCURRENCY * 1000) / RATE : 0;
        let nextAt = performance.now() + (interval * i) / CONCURRENCY;
        const send = () => {
          if (!running) {
            s.destroy();
            resolve();
            return;
          }
          sent = process.hrtime.bigint();
          s.write(REQUEST);
        };
        const fire = () => {
          if (interval === 0) return send();
          nextAt += interval;
          const wait = nextAt - performance.now();
          if (wait <= 0) send();
          else setTimeout(send, wait);
        };
        s.on("connect", () => (interval === 0 ? send() : setTimeout(send, Math.max(0, nextAt - performance.now()))));
        s.on("data", (d: Buffer) => {
          // responses are fixed-size; count complete ones
          pending += d.length;
          while (pending >= RESPONSE_LEN) {
            pending -= RESPONSE_LEN;
            if (recording && count < latencies.length) latencies[count++] = Number(process.hrtime.bigint() - sent) / 1e6;
            fire();
          }
        });
        s.on("error", () => {
          errors++;
          resolve();
        });
      }),
    );
  }
  await sleep(WARMUP_S * 1000);
  const cpu0 = cpuTicks(child.pid!);
  const start = process.hrtime.bigint();
  recording = true;
  await sleep(DURATION_S * 1000);
  recording = false;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu1 = cpuTicks(child.pid!);
  running = false;
  await Promise.all(conns);
  const rssSteady = rssKb(child.pid!);

  // connection churn: short-lived connections (connect, one request, close), 50 at a time
  const churnStart = process.hrtime.bigint();
  let churned = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (churned < CHURN) {
        churned++;
        await oneRequest(port);
      }
    }),
  );
  const churnRate = CHURN / (Number(process.hrtime.bigint() - churnStart) / 1e9);
  const rssAfterChurn = rssKb(child.pid!);
  clearInterval(rssTimer);
  child.kill("SIGKILL");

  const sorted = latencies.subarray(0, count).sort();
  const pct = (p: number) => sorted[Math.min(count - 1, Math.floor((p / 100) * count))];
  const cores = (cpu1 - cpu0) / 100 / elapsed;
  const lines = [
    `${baseline ? "BASELINE plain Node net server" : "wasmedge-host"} round-trip benchmark (HTTP/1.1 keep-alive, ${CONCURRENCY} connections, ${RATE > 0 ? `offered ${RATE} req/s` : "closed loop"}, ${DURATION_S}s after ${WARMUP_S}s warm-up)`,
    `  requests     ${count}`,
    `  QPS          ${(count / elapsed).toFixed(0)}`,
    `  p50          ${pct(50).toFixed(3)} ms`,
    `  p99          ${pct(99).toFixed(3)} ms`,
    `  p99.9        ${pct(99.9).toFixed(3)} ms`,
    `  max          ${sorted[count - 1].toFixed(3)} ms`,
    `  errors       ${errors}`,
    `  cold start   ${coldMs.toFixed(1)} ms (process spawn to first 200, includes Node start-up)`,
    `  server CPU   ${cores.toFixed(2)} cores (${((cores * 1e6) / (count / elapsed)).toFixed(1)} µs of CPU per request)`,
    `  server RSS   ${(peakRss / 1024).toFixed(1)} MiB peak (${(rssSteady / 1024).toFixed(1)} MiB after the run)`,
    `  churn        ${CHURN} short connections at ${churnRate.toFixed(0)}/s; RSS after: ${(rssAfterChurn / 1024).toFixed(1)} MiB`,
    `  machine      ${require("node:os").cpus().length} CPUs; load generator shares them`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}

const RESPONSE_LEN = Buffer.byteLength(
  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: keep-alive\r\n\r\n{\"status\":\"ok\"}",
);

function oneRequest(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => s.write(REQUEST));
    let got = "";
    s.on("data", (d) => {
      got += d;
      if (got.length >= RESPONSE_LEN) {
        s.destroy();
        resolve(got);
      }
    });
    s.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exit(1);
});
