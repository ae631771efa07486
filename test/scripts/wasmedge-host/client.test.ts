// A real AssemblyScript TCP client (fixtures/client.ts) talking to a Node server through the host:
// sock_getaddrinfo("localhost"), sock_connect, sock_getpeeraddr (V2), half-close, read to EOF.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAs } from "./fixtures/build";
import { start } from "./helpers";

let wasm: string;
let server: net.Server;
let port: number;
const received: string[] = [];

beforeAll(async () => {
  wasm = await buildAs("client");
  server = net.createServer({ allowHalfOpen: true }, (s) => {
    const chunks: Buffer[] = [];
    s.on("data", (c) => chunks.push(c));
    s.on("end", () => {
      const text = Buffer.concat(chunks).toString();
      received.push(text);
      s.end(`reply to: ${text}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(() => server?.close());

describe("TCP client module", () => {
  it("resolves localhost, connects, sends, half-closes and reads the reply to EOF", async () => {
    const m = start({ wasmPath: wasm, env: { TARGET_HOST: "localhost", TARGET_PORT: String(port), MESSAGE: "ping 1" } });
    expect(await m.exited).toBe(0);
    const out = m.stdout();
    // sa_data = port (big-endian) + 127.0.0.1, 14 bytes as WasmEdge reports for IPv4
    expect(out).toContain("RESOLVED 127.0.0.1 family 1 salen 14");
    expect(out).toContain(`PEER ${port}`);
    expect(out).toContain("GOT reply to: ping 1");
    expect(received).toContain("ping 1");
    const fd = Number(/FD (\d+)/.exec(out)![1]);
    // WasmEdge hands out large random socket fds, not small integers
    expect(fd).toBeGreaterThan(65535);
    expect(fd).toBeLessThan(2 ** 31);
  });

  it("gets ECONNREFUSED (14) from sock_connect when nothing listens", async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const m = start({ wasmPath: wasm, env: { TARGET_HOST: "127.0.0.1", TARGET_PORT: String(deadPort) } });
    expect(await m.exited).toBe(100 + 14);
    expect(m.stdout()).toContain("sock_connect failed: errno 14");
  });

  it("gets AINONAME (84) from sock_getaddrinfo for a name that does not resolve", async () => {
    const m = start({ wasmPath: wasm, env: { TARGET_HOST: "no-such-host.invalid", TARGET_PORT: "1" } });
    expect(await m.exited).toBe(100 + 84);
  });

  it("serves IPv6: a listener on [::1] reports family 2 and the peer's port", async () => {
    const m = start({ wasmPath: await buildAs("ipv6") });
    const port = Number(await m.waitFor(/LISTENING (\d+) FAMILY 2/));
    const reply = await new Promise<{ text: string; local: number }>((resolve, reject) => {
      const s = net.connect({ port, host: "::1" });
      let text = "";
      let local = 0;
      s.on("connect", () => (local = s.localPort!));
      s.on("data", (d) => (text += d));
      s.on("end", () => resolve({ text, local }));
      s.on("error", reject);
    });
    expect(reply.text).toBe(`v6 from ${reply.local} last byte 1`);
    expect(await m.exited).toBe(0);
  });
});
