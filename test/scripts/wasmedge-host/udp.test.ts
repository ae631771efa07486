// UDP through the host: a real AssemblyScript module using sock_recv_from (V2) / sock_send_to and
// a connected datagram socket, talking to Node's dgram.
import dgram from "node:dgram";
import { describe, expect, it } from "vitest";
import { buildAs } from "./fixtures/build";
import { start } from "./helpers";

function ask(sock: dgram.Socket, port: number, payload: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    sock.once("message", (m) => resolve(m.toString()));
    sock.send(payload, port, "127.0.0.1");
  });
}

describe("UDP", () => {
  it("echoes datagrams to their source, flags truncation, and sends through a connected socket", async () => {
    const peer = dgram.createSocket("udp4");
    await new Promise<void>((r) => peer.bind(0, "127.0.0.1", r));
    const greeting = new Promise<string>((r) => peer.once("message", (m) => r(m.toString())));
    const m = start({ wasmPath: await buildAs("udp-echo"), env: { CONNECT_PORT: String(peer.address().port) } });
    const port = Number(await m.waitFor(/LISTENING (\d+)/));
    expect(await greeting).toBe("hello via connected udp");

    const client = dgram.createSocket("udp4");
    await new Promise<void>((r) => client.bind(0, "127.0.0.1", r));
    expect(await ask(client, port, "one")).toBe("echo:one");
    expect(await ask(client, port, "two")).toBe("echo:two");
    // datagram boundaries are kept: a 100-byte datagram into a 64-byte buffer is truncated
    expect(await ask(client, port, Buffer.alloc(100, 0x61))).toBe("truncated:64");
    expect(await ask(client, port, "three")).toBe("echo:three");
    client.send("quit", port, "127.0.0.1");
    expect(await m.exited).toBe(0);
    client.close();
    peer.close();
  });
});
