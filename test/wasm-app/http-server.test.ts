// The HTTP/1.1 side with real clients: keep-alive, pipelining, HEAD, errors (400, 404,
// 405, 431, 408), fuzzed requests, and slow clients that must not block others.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import * as http from "node:http";
import * as net from "node:net";
import { Service, get, rawExchange, statusCodes, sleep, waitFor, FakeBroker } from "./harness";

let svc: Service;
let broker: FakeBroker;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

beforeAll(async () => {
  broker = new FakeBroker(); // accepts TCP but never answers: the service stays "not ready"
  await broker.listen();
  svc = await Service.start({
    env: { SITE_ID: "ham-03", MQTT_PORT: String(broker.port), HTTP_HEADER_TIMEOUT_MS: "1500", HTTP_IDLE_TIMEOUT_MS: "3000" },
  });
});

afterAll(async () => {
  await svc?.kill();
  await broker?.close();
});

describe("HTTP/1.1 server", () => {
  it("keeps a connection alive across many requests (node http agent)", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const r = await new Promise<{ status: number; port: number }>((resolve, reject) => {
        const req = http.get({ host: "127.0.0.1", port: svc.httpPort, path: "/healthz", agent }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode!, port: req.socket!.localPort! }));
        });
        req.on("error", reject);
      });
      expect(r.status).toBe(200);
      ports.add(r.port);
    }
    expect(ports.size).toBe(1);
    agent.destroy();
  });

  it("answers pipelined requests in order, HEAD without a body, and closes on Connection: close", async () => {
    const req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
      "HEAD /v1/shipments/none HTTP/1.1\r\nHost: x\r\n\r\n" +
      "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" +
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    const r = await rawExchange(svc.httpPort, req);
    expect(r.closed).toBe(true);
    expect(statusCodes(r.text)).toEqual([200, 404, 503]); // nothing after the close
    const head = r.text.split("HTTP/1.1 404")[1].split("HTTP/1.1 503")[0];
    expect(head).toMatch(/Content-Length: \d+\r\n/);
    expect(head.endsWith("\r\n\r\n")).toBe(true); // no body after HEAD's headers
    expect(r.text).toMatch(/Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/);
  });

  it("speaks HTTP/1.0 (close by default, keep-alive on request)", async () => {
    const a = await rawExchange(svc.httpPort, "GET /healthz HTTP/1.0\r\n\r\n");
    expect(statusCodes(a.text)).toEqual([200]);
    expect(a.closed).toBe(true);
    const b = await rawExchange(svc.httpPort, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n");
    expect(statusCodes(b.text)).toEqual([200, 200]);
    expect(b.text).toContain("Connection: keep-alive\r\n");
    // Absolute-form targets (RFC 9112 3.2.2) are routed by their path.
    const c = await rawExchange(svc.httpPort, "GET http://edge.local/healthz HTTP/1.1\r\nHost: edge.local\r\n\r\nGET http://edge.local HTTP/1.1\r\nHost: edge.local\r\n\r\n");
    expect(statusCodes(c.text)).toEqual([200, 404]);
  });

  it("rejects bad requests with 400/405/431/501/505 and unknown paths with 404", async () => {
    const cases: Array<[string, number]> = [
      ["GARBAGE\r\n\r\n", 400],
      ["GET /healthz\r\n\r\n", 400],
      ["GET /healthz HTTP/1.1\r\n\r\n", 400],                                   // no Host
      ["GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
      ["GET /healthz HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400],
      ["GET /healthz HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400],
      ["GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\n", 400],
      ["GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400],
      ["GET healthz HTTP/1.1\r\nHost: a\r\n\r\n", 400],
      ["GET /healthz HTTP/2.0\r\nHost: a\r\n\r\n", 505],
      ["GET /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501],
      ["POST /v1/shipments/x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 405],
      ["GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 404],
      ["GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 404],
      [`GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: ${"a".repeat(9000)}\r\n\r\n`, 431],
      [`GET /healthz HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 120 }, (_, i) => `X-${i}: 1\r\n`).join("")}\r\n`, 431],
      [`GET /${"a".repeat(9000)} HTTP/1.1\r\nHost: a\r\n\r\n`, 431],
    ];
    for (const [raw, want] of cases) {
      const r = await rawExchange(svc.httpPort, raw);
      expect(statusCodes(r.text), JSON.stringify(raw.slice(0, 80))).toEqual([want]);
      if (want !== 404 && want !== 405) expect(r.closed).toBe(true);
      if (want === 405) expect(r.text).toContain("Allow: GET, HEAD\r\n");
      const body = r.text.slice(r.text.indexOf("\r\n\r\n") + 4);
      expect(JSON.parse(body)).toHaveProperty("error");
    }
    // A body sent with GET is read and discarded; the connection stays usable.
    const ok = await rawExchange(svc.httpPort, "GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(statusCodes(ok.text)).toEqual([200, 200]);
  });

  it("survives fuzzed requests and keeps serving", async () => {
    const rand = rng(7);
    const valid = "GET /v1/shipments/ABC-1?x=1 HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\nContent-Length: 0\r\n\r\n";
    const jobs: Array<Promise<{ text: string }>> = [];
    for (let i = 0; i < 300; i++) {
      let b: Buffer;
      if (i % 3 === 0) {
        b = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
      } else {
        b = Buffer.from(valid, "latin1");
        for (let k = 0; k < 1 + Math.floor(rand() * 5); k++) {
          const at = Math.floor(rand() * b.length);
          b = Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(rand() * 256)]), b.subarray(at + (rand() < 0.5 ? 1 : 0))]);
        }
      }
      jobs.push(rawExchange(svc.httpPort, b, 2500));
      if (jobs.length >= 20) {
        for (const r of await Promise.all(jobs.splice(0))) {
          for (const code of statusCodes(r.text)) expect([200, 400, 404, 405, 408, 413, 431, 501, 505]).toContain(code);
        }
      }
    }
    await Promise.all(jobs);
    expect((await get(svc.httpPort, "/healthz")).status).toBe(200);
  }, 60_000);

  it("does not let slow or stalled clients block others, and times out a slow request head with 408", async () => {
    // Slowloris: 20 connections trickling a header byte every 200 ms.
    const slow: net.Socket[] = [];
    const slowText: string[] = [];
    const head = "GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: " + "z".repeat(200);
    for (let i = 0; i < 20; i++) {
      const s = net.connect(svc.httpPort, "127.0.0.1");
      s.on("error", () => undefined);
      slowText.push("");
      s.on("data", (d) => { slowText[i] += d.toString(); });
      slow.push(s);
    }
    // A client that sends a request and never reads (its responses pile up).
    const hog = net.connect(svc.httpPort, "127.0.0.1");
    hog.on("error", () => undefined);
    hog.pause();
    hog.write("GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n".repeat(2000));
    let pos = 0;
    const trickle = setInterval(() => {
      for (const s of slow) s.write(head[pos % head.length]);
      pos++;
    }, 200);
    try {
      const t0 = Date.now();
      const latencies: number[] = [];
      while (Date.now() - t0 < 1200) {
        const a = Date.now();
        const r = await get(svc.httpPort, "/healthz");
        expect(r.status).toBe(200);
        latencies.push(Date.now() - a);
      }
      latencies.sort((x, y) => x - y);
      expect(latencies.length).toBeGreaterThan(20);
      expect(latencies[Math.floor(latencies.length * 0.9)]).toBeLessThan(200);
      // After the 1.5 s header timeout every slow client got a 408 and was closed.
      await sleep(1200);
      for (const t of slowText) expect(statusCodes(t)).toEqual([408]);
    } finally {
      clearInterval(trickle);
      for (const s of slow) s.destroy();
      hog.destroy();
    }
    expect((await get(svc.httpPort, "/healthz")).status).toBe(200);
  }, 30_000);

  it("closes idle keep-alive connections after HTTP_IDLE_TIMEOUT_MS", async () => {
    const s = net.connect(svc.httpPort, "127.0.0.1");
    let text = "";
    s.on("data", (d) => { text += d.toString(); });
    const closed = new Promise<number>((r) => s.on("close", () => r(Date.now())));
    s.write("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
    const t0 = Date.now();
    const at = await closed;
    expect(statusCodes(text)).toEqual([200]);
    expect(at - t0).toBeGreaterThan(2500);
    expect(at - t0).toBeLessThan(6000);
  }, 15_000);

  it("answers 503 beyond HTTP_MAX_CONNECTIONS and serves again once connections close", async () => {
    const small = await Service.start({ env: { SITE_ID: "cap", MQTT_PORT: String(broker.port), HTTP_MAX_CONNECTIONS: "4" } });
    const held: net.Socket[] = [];
    try {
      // Closed connections are counted down when their EOF is read; give the start-up probes
      // time to go, then hold 4 keep-alive connections that each got a 200.
      await sleep(500);
      for (let i = 0; i < 4; i++) {
        const s = net.connect(small.httpPort, "127.0.0.1");
        s.on("error", () => undefined);
        held.push(s);
        const text = await new Promise<string>((resolve) => {
          let t = "";
          s.on("data", (d) => { t += d.toString(); if (t.includes("\r\n\r\n")) resolve(t); });
          s.write("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
        });
        expect(statusCodes(text)).toEqual([200]);
      }
      const over = await rawExchange(small.httpPort, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
      expect(statusCodes(over.text)).toEqual([503]);
      for (const s of held) s.destroy();
      held.length = 0;
      await sleep(200);
      expect((await get(small.httpPort, "/healthz")).status).toBe(200);
    } finally {
      for (const s of held) s.destroy();
      await small.kill();
    }
  });
});
