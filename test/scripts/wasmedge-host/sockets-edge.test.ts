// Socket corner cases (fixtures/sockets-edge.ts) against a Node server: nonblocking connect,
// EAGAIN, MSG_PEEK, EPIPE after shutdown, peer reset, failed connect seen through poll + SO_ERROR,
// getaddrinfo flags and errors, refused families. Expected values are WasmEdge 0.14.1's.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAs } from "./fixtures/build";
import { start } from "./helpers";

let server: net.Server;
let port: number;
let deadPort: number;
let hold: net.Server;
let holdPort: number;

beforeAll(async () => {
  server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on("data", (d) => {
      const text = d.toString();
      if (text === "go") s.write("peekaboo");
      if (text === "reset") s.resetAndDestroy();
    });
    s.on("end", () => s.end());
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as net.AddressInfo).port;
  hold = net.createServer((s) => {
    s.pause();
    setTimeout(() => s.resume(), 300);
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => hold.listen(0, "127.0.0.1", r));
  holdPort = (hold.address() as net.AddressInfo).port;
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  deadPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
});
afterAll(() => {
  server?.close();
  hold?.close();
});

describe("socket corner cases", () => {
  it("match WasmEdge's errnos and poll flags", async () => {
    const m = start({ wasmPath: await buildAs("sockets-edge"), env: { PORT: String(port), DEAD_PORT: String(deadPort), HOLD_PORT: String(holdPort) } });
    const code = await m.exited;
    const out = Object.fromEntries(
      m
        .stdout()
        .trim()
        .split("\n")
        .map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)]),
    );
    expect(code, m.stdout() + m.stderr()).toBe(0);
    expect(out.CONNECT).toBe("26"); // EINPROGRESS
    expect(out.POLLW).toBe("type=2 err=0 hup=0");
    expect(out.SOERR).toBe("0");
    expect(out.EAGAIN).toBe("errno 6");
    expect(out.SEND).toBe("0");
    expect(out.POLLR).toBe("type=1 err=0 hup=0");
    expect(out.PEEK).toBe("peek");
    expect(out.RECV).toBe("peekaboo");
    expect(out.SENDAFTERSHUT).toBe("64"); // EPIPE
    expect(out.POLLHUP).toBe("type=1 err=0 hup=1");
    expect(out.EOF).toBe("0");
    const timeo = /^errno 6 after (\d+) ms$/.exec(out.RCVTIMEO);
    expect(timeo, out.RCVTIMEO).not.toBeNull();
    expect(Number(timeo![1])).toBeGreaterThanOrEqual(79);
    expect(out.RESETRECV).toBe("errno 15"); // ECONNRESET
    expect(out.RESETSEND).toBe("64"); // EPIPE once the reset was reported
    expect(out.DEADCONNECT).toBe("26");
    expect(out.DEADPOLL).toBe("type=2 err=0 hup=1"); // no errno in the event, HANGUP set
    expect(out.DEADSOERR).toBe("111"); // raw Linux ECONNREFUSED via getsockopt
    expect(out.DEADSOERR2).toBe("0");
    expect(out.SENDFULL).toBe("6 more-than-ring"); // EAGAIN once the ring and the kernel are full
    expect(out.POLLWFULL).toBe("type=2 err=0 hup=0"); // writable again once the peer reads
    expect(out.NUMERICHOST).toBe("84"); // AINONAME
    expect(out.SERVICE).toBe("0 port=80");
    expect(out.AIMEMORY).toBe("82");
    expect(out.AINONAME).toBe("84");
    expect(out.ACCEPTAGAIN).toBe("6");
    expect(out.UNIX).toBe("52");
    expect(out.ANYTYPE).toBe("28");
    expect(out.BIND128).toBe("28");
    expect(out.BADFD).toBe("8");
  });
});
