// A real AssemblyScript TCP echo server (fixtures/echo-server.ts) driven by Node clients.
import net from "node:net";
import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAs } from "./fixtures/build";
import { start, type Running } from "./helpers";
import { spawn } from "node:child_process";
import { hostCommand } from "../../../scripts/wasmedge-host/launcher";

let server: Running;
let port: number;

beforeAll(async () => {
  const wasm = await buildAs("echo-server");
  server = start({ wasmPath: wasm, env: { HTTP_PORT: "0" } });
  port = Number(await server.waitFor(/LISTENING (\d+)/));
});

afterAll(() => server?.kill());

/** Sends payload, half-closes, and collects everything until the server closes. */
function roundTrip(payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => {
      s.end(payload);
    });
    s.on("data", (c) => chunks.push(c));
    s.on("end", () => resolve(Buffer.concat(chunks)));
    s.on("error", reject);
  });
}

describe("echo server under the host", () => {
  it("echoes one message and closes after the client's half-close", async () => {
    expect((await roundTrip(Buffer.from("hello wasm"))).toString()).toBe("hello wasm");
  });

  it("handles 200 concurrent connections with distinct payloads", async () => {
    const payloads = Array.from({ length: 200 }, (_, i) => crypto.randomBytes(100 + i * 37));
    const results = await Promise.all(payloads.map((p) => roundTrip(p)));
    results.forEach((r, i) => expect(r.equals(payloads[i])).toBe(true));
  });

  it("echoes a 16 MiB payload intact (ring wrap-around and backpressure both ways)", async () => {
    const big = crypto.randomBytes(16 * 1024 * 1024);
    const back = await roundTrip(big);
    expect(back.length).toBe(big.length);
    expect(crypto.createHash("sha256").update(back).digest("hex")).toBe(
      crypto.createHash("sha256").update(big).digest("hex"),
    );
  });

  it("keeps serving after clients reset their connections abruptly", async () => {
    await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) => {
            const s = net.connect({ port, host: "127.0.0.1" }, () => {
              s.write(crypto.randomBytes(200_000));
              setTimeout(() => {
                s.resetAndDestroy();
                resolve();
              }, 5);
            });
            s.on("error", () => resolve());
          }),
      ),
    );
    expect((await roundTrip(Buffer.from("still alive"))).toString()).toBe("still alive");
  });

  it("keeps 3000 short connections apart while their buffers are reused (half of them reset)", async () => {
    let good = 0;
    for (let round = 0; round < 30; round++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const payload = crypto.randomBytes(64 + ((round * 100 + i) % 900));
          if (i % 2 === 1) {
            // an abrupt client: send, then reset without reading
            return new Promise<void>((resolve) => {
              const s = net.connect({ port, host: "127.0.0.1" }, () => {
                s.write(payload);
                setImmediate(() => {
                  s.resetAndDestroy();
                  resolve();
                });
              });
              s.on("error", () => resolve());
            });
          }
          return roundTrip(payload).then((back) => {
            if (back.equals(payload)) good++;
          });
        }),
      );
    }
    expect(good).toBe(1500);
  });

  it("serves interleaved request/response exchanges on a kept-open connection", async () => {
    const s = net.connect({ port, host: "127.0.0.1" });
    await new Promise((r) => s.once("connect", r));
    for (let i = 0; i < 50; i++) {
      const msg = `ping ${i}`;
      const got = await new Promise<string>((resolve) => {
        s.once("data", (d) => resolve(d.toString()));
        s.write(msg);
      });
      expect(got).toBe(msg);
    }
    s.destroy();
  });
});

describe("exit", () => {
  it("exits with the proc_exit code and closes its sockets", async () => {
    const wasm = await buildAs("echo-server");
    const m = start({ wasmPath: wasm, env: { HTTP_PORT: "0" } });
    const p = Number(await m.waitFor(/LISTENING (\d+)/));
    const s = net.connect({ port: p, host: "127.0.0.1" }, () => s.write("EXIT 7\n"));
    s.on("error", () => undefined);
    expect(await m.exited).toBe(7);
    const refused = await new Promise<string>((resolve) => {
      const c = net.connect({ port: p, host: "127.0.0.1" }, () => resolve("connected"));
      c.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });
});

describe("exit with data in flight", () => {
  it("CLI: everything sent before proc_exit reaches a slow reader, then the process exits 5", async () => {
    const host = hostCommand();
    const child = spawn(host.command, [...host.args, "--env", "HTTP_PORT=0", await buildAs("echo-server")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exitCode = new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    const p = await new Promise<number>((resolve) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = /LISTENING (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
    });
    const size = 8_000_000;
    const received = await new Promise<number>((resolve, reject) => {
      let n = 0;
      const s = net.connect({ port: p, host: "127.0.0.1" }, () => {
        s.write(`DUMP ${size}\n`);
        s.pause();
        setTimeout(() => s.resume(), 300); // the module exits while most bytes are still queued
      });
      s.on("data", (d) => (n += d.length));
      s.on("end", () => resolve(n));
      s.on("error", reject);
    });
    expect(received).toBe(size);
    expect(await exitCode).toBe(5);
  });
});

describe("bind", () => {
  it("reports EADDRINUSE (3) from sock_bind when the port is taken", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const busy = (taken.address() as net.AddressInfo).port;
    const m = start({ wasmPath: await buildAs("echo-server"), env: { HTTP_PORT: String(busy) } });
    expect(await m.exited).toBe(100 + 3);
    expect(m.stdout()).toContain("sock_bind failed: errno 3");
    taken.close();
  });
});

describe("kill", () => {
  it("stops a module blocked in poll_oneoff at once and frees its port (exit 128+9)", async () => {
    const wasm = await buildAs("echo-server");
    const m = start({ wasmPath: wasm, env: { HTTP_PORT: "0" } });
    const p = Number(await m.waitFor(/LISTENING (\d+)/));
    const c = net.connect({ port: p, host: "127.0.0.1" });
    await new Promise((r) => c.once("connect", r));
    const dropped = new Promise<void>((r) => c.on("close", () => r()));
    c.on("error", () => undefined);
    const t0 = Date.now();
    m.kill();
    expect(await m.exited).toBe(137);
    await dropped;
    expect(Date.now() - t0).toBeLessThan(1000);
    const refused = await new Promise<string>((resolve) => {
      const r = net.connect({ port: p, host: "127.0.0.1" }, () => resolve("connected"));
      r.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });
});
