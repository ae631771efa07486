// What the real WasmEdge 0.14.1 does differently from a lenient host, each as a case the module must pass:
// the shim's layout (the container root preopened as "/", a 0444 /config.json read by a non-root user, a
// DATA_DIR that does not exist yet), preopen names without their leading slash, path normalisation as
// wasi-libc does it, and fairness between connections under the AOT code and the interpreter alike.
import { afterAll, beforeAll, expect, it } from "vitest";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { describeOnWasmEdge, WASMEDGE_BIN } from "../support/wasmedge";
import { IS_ROOT } from "../support/root";
import { ENGINES, FakeBroker, Service, get, rawExchange, sleep, statusCodes, tempDir, wasmedgeArgs, freePort, waitFor } from "./harness";

let broker: FakeBroker;
const dirs: string[] = [];
beforeAll(async () => {
  broker = new FakeBroker();
  await broker.listen();
});
afterAll(async () => {
  await broker?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A container root like the image's: /config.json (0444, root-owned) and nothing else. */
function containerRoot(config: Record<string, unknown>): string {
  const root = tempDir("tracking-root-");
  dirs.push(root);
  chmodSync(root, 0o755);
  writeFileSync(path.join(root, "config.json"), JSON.stringify(config));
  chmodSync(path.join(root, "config.json"), 0o444);
  return root;
}

describeOnWasmEdge("the module on the real WasmEdge 0.14.1", () => {
  it("starts in the shim's layout: root preopened as /, 0444 /config.json read as a non-root user, DATA_DIR created", async () => {
    const root = containerRoot({ SITE_ID: "from-config-file", MQTT_PORT: broker.port, HTTP_BIND: "127.0.0.1" });
    const port = await freePort();
    // The shim preopens the container root; the Deployment mounts the hostPath at /data (here: not there yet,
    // so the module must create it). As root, run the module as nobody to hit the read-only file for real.
    let uid: number | undefined;
    if (IS_ROOT) {
      uid = Number(spawnSync("id", ["-u", "nobody"], { encoding: "utf8" }).stdout.trim());
      chownSync(root, uid, uid); // nobody may create /data in the root, but not write /config.json (0444, see below)
      chownSync(path.join(root, "config.json"), 0, 0);
    }
    const args = wasmedgeArgs({ HTTP_PORT: String(port) }, { root, otherUser: uid !== undefined });
    const child = spawn(WASMEDGE_BIN!, args, { cwd: root, stdio: ["ignore", "ignore", "pipe"], uid, gid: uid });
    let stderr = "";
    child.stderr!.on("data", (d) => { stderr += d; });
    try {
      await waitFor("/healthz", async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${stderr}`);
        return (await get(port, "/healthz").catch(() => null))?.status === 200;
      }, 20000, 10);
      expect(stderr).toMatch(/site=from-config-file/); // the settings came from the read-only file
      expect(readdirSync(path.join(root, "data"))).toEqual(["events.log"]);
      if (uid !== undefined) expect(statSync(path.join(root, "data", "events.log")).uid).toBe(uid);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("resolves DATA_DIR and CONFIG_FILE the way wasi-libc does (./, .., repeated and trailing slashes)", async () => {
    const root = containerRoot({ SITE_ID: "norm", MQTT_PORT: broker.port, HTTP_BIND: "127.0.0.1" });
    mkdirSync(path.join(root, "etc"));
    copyFileSync(path.join(root, "config.json"), path.join(root, "etc", "tracking.json"));
    const svc = await Service.start({ root, env: { DATA_DIR: "/srv/./tracking//x/../data/", CONFIG_FILE: "//etc/../etc/tracking.json" } });
    await svc.kill();
    expect(svc.stderr).toMatch(/site=norm/);
    expect(existsSync(path.join(root, "srv", "tracking", "data", "events.log"))).toBe(true);
  });

  it("refuses a DATA_DIR that climbs out of every preopen, naming it", async () => {
    const r = await Service.runToExit({ SITE_ID: "s", DATA_DIR: "/data/../../etc" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DATA_DIR /data/../../etc is not inside any preopened directory");
  });

  it("reports a preopen that cannot be written instead of carrying on (a read-only /data)", async () => {
    if (!IS_ROOT) return; // needs a user for whom the directory is read-only
    const dir = tempDir("tracking-ro-");
    dirs.push(dir);
    chmodSync(dir, 0o555);
    const nobody = Number(spawnSync("id", ["-u", "nobody"], { encoding: "utf8" }).stdout.trim());
    const child = spawn(WASMEDGE_BIN!, wasmedgeArgs({ SITE_ID: "s", MQTT_PORT: String(broker.port) }, { dataDir: dir, otherUser: true }), {
      cwd: dir, stdio: ["ignore", "ignore", "pipe"], uid: nobody, gid: nobody,
    });
    let stderr = "";
    child.stderr!.on("data", (d) => { stderr += d; });
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot open events\.log \(errno \d+\)/);
  });

  it("still answers idle keep-alive connections while the loop is kept busy (they are polled every sweep)", async () => {
    const svc = await Service.start({ env: { SITE_ID: "idle", MQTT_PORT: String(broker.port) } });
    try {
      const idle: net.Socket[] = [];
      const replies: string[] = [];
      for (let i = 0; i < 50; i++) {
        const s = net.connect(svc.httpPort, "127.0.0.1");
        let text = "";
        s.on("data", (d) => { text += d.toString("latin1"); replies[i] = text; });
        await new Promise<void>((r) => s.once("connect", () => r()));
        s.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        idle.push(s);
      }
      await waitFor("first answers", async () => replies.filter((t) => t?.includes("200 OK")).length === 50);
      // Keep the loop busy for 1.5 s (the connections above turn idle after 1 s), then wake the idle ones.
      const end = Date.now() + 1500;
      while (Date.now() < end) expect((await get(svc.httpPort, "/healthz")).status).toBe(200);
      const t0 = Date.now();
      const busy = (async () => { while (Date.now() - t0 < 1000) await get(svc.httpPort, "/healthz"); })();
      for (const s of idle) s.write("GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n");
      await waitFor("second answers on the idle connections", async () => replies.every((t) => (t.match(/HTTP\/1\.1 /g) ?? []).length === 2), 5000, 5);
      await busy;
      for (const s of idle) s.destroy();
    } finally {
      await svc.kill();
    }
  });

  for (const engine of ENGINES) {
    it(`serves another client between batches while one client pipelines 2,000 /metrics without reading (${engine})`, async () => {
      const svc = await Service.start({ engine, env: { SITE_ID: "fair", MQTT_PORT: String(broker.port) } });
      try {
        // What one /metrics costs this service on this machine right now: a reading client pipelines 64.
        const costs: number[] = [];
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          const r = await rawExchange(svc.httpPort, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(63) + "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 30000);
          expect(statusCodes(r.text)).toHaveLength(64);
          costs.push((performance.now() - t0) / 64);
        }
        const perRequest = costs.sort((x, y) => x - y)[1];
        const hog = net.connect(svc.httpPort, "127.0.0.1");
        await new Promise<void>((r) => hog.once("connect", () => r()));
        hog.pause(); // never reads: its responses pile up in the kernel and then in the service
        hog.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2000));
        await sleep(Math.max(5, perRequest * 20));
        // One read of the hog's pipeline holds about 400 requests; rendering all of them in one wake-up (as the
        // module once did) keeps every other connection waiting for about 400 requests' worth of work. Bounded
        // batches of 16 make a new request wait for a batch or a few.
        const waits: number[] = [];
        for (let i = 0; i < 10; i++) {
          const t0 = performance.now();
          expect((await get(svc.httpPort, "/healthz")).status).toBe(200);
          waits.push(performance.now() - t0);
        }
        const worst = Math.max(...waits);
        expect(worst, `slowest /healthz ${worst.toFixed(1)} ms, one /metrics costs ${perRequest.toFixed(2)} ms`).toBeLessThan(100 * perRequest + 20);
        hog.destroy();
        expect((await get(svc.httpPort, "/metrics")).status).toBe(200);
      } finally {
        await svc.kill();
      }
    });

    it(`answers a long pipeline in full and in order to a client that reads (${engine})`, async () => {
      const svc = await Service.start({ engine, env: { SITE_ID: "fair", MQTT_PORT: String(broker.port) } });
      try {
        const s = net.connect(svc.httpPort, "127.0.0.1");
        let text = "";
        s.on("data", (d) => { text += d.toString("latin1"); });
        const N = 500;
        let req = "";
        for (let i = 0; i < N; i++) req += `GET ${i % 2 ? "/healthz" : "/v1/shipments/none"} HTTP/1.1\r\nHost: x\r\n\r\n`;
        s.end(req); // half-close right after the pipeline: every request must still be answered
        await new Promise<void>((r) => s.once("close", () => r()));
        const codes = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
        expect(codes.length).toBe(N);
        expect(codes.every((c, i) => c === (i % 2 ? 200 : 404))).toBe(true);
      } finally {
        await svc.kill();
      }
    });
  }
});
