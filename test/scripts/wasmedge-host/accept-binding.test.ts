// WasmEdge binds sock_accept / sock_getlocaladdr to V1 or V2 by the import's declared signature.
// Two hand-written modules import the same names with the two shapes; both must work.
import net from "node:net";
import { describe, expect, it } from "vitest";
import { buildWat } from "./fixtures/build";
import { start } from "./helpers";
import { readFunctionImports } from "../../../scripts/wasmedge-host/wasm-imports";
import fs from "node:fs";

async function connectAndRead(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ port, host: "127.0.0.1" });
    s.on("data", (c) => chunks.push(c));
    s.on("end", () => resolve(Buffer.concat(chunks).toString()));
    s.on("error", reject);
  });
}

async function waitBytes(read: () => Buffer, n: number): Promise<Buffer> {
  for (let i = 0; i < 200; i++) {
    const b = read();
    if (b.length >= n) return b;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("module did not report its port");
}

describe("V1/V2 binding by declared signature", () => {
  it("reads the declared parameter counts from the binary", async () => {
    const v1 = readFunctionImports(fs.readFileSync(await buildWat("accept-v1")));
    const v2 = readFunctionImports(fs.readFileSync(await buildWat("accept-v2")));
    expect(v1.find((i) => i.name === "sock_accept")?.params).toBe(2);
    expect(v2.find((i) => i.name === "sock_accept")?.params).toBe(3);
    expect(v1.find((i) => i.name === "sock_getlocaladdr")?.params).toBe(4);
    expect(v2.find((i) => i.name === "sock_getlocaladdr")?.params).toBe(3);
  });

  it("2-parameter sock_accept and 4-parameter sock_getlocaladdr get V1 (address type 4)", async () => {
    const m = start({ wasmPath: await buildWat("accept-v1") });
    const head = await waitBytes(m.stdoutBytes, 8);
    expect(head.readUInt32LE(0)).toBe(4);
    const port = head.readUInt32LE(4);
    expect(port).toBeGreaterThan(0);
    expect(await connectAndRead(port)).toBe("V1");
    expect(await m.exited).toBe(0);
  });

  it("3-parameter sock_accept and sock_getlocaladdr get V2 (128-byte storage, family 1)", async () => {
    const m = start({ wasmPath: await buildWat("accept-v2") });
    const head = await waitBytes(m.stdoutBytes, 8);
    expect(head.readUInt16LE(0)).toBe(1);
    const port = head.readUInt32LE(4);
    expect(port).toBeGreaterThan(0);
    expect(await connectAndRead(port)).toBe("V2");
    expect(await m.exited).toBe(0);
  });

  it("the explicit _v2 names work, and sock_bind_v2 takes 128-byte address storage", async () => {
    const m = start({ wasmPath: await buildWat("explicit-v2") });
    const head = await waitBytes(m.stdoutBytes, 8);
    expect(head.readUInt16LE(0)).toBe(1);
    const port = head.readUInt32LE(4);
    expect(port).toBeGreaterThan(0);
    expect(await connectAndRead(port)).toBe("X2");
    expect(await m.exited).toBe(0);
  });
});
