// The MQTT side against a scripted broker speaking raw MQTT 3.1.1 over net: what the
// client sends (CONNECT, SUBSCRIBE, PUBACK), refusal handling and reconnects, and fuzzing
// of the packet parser and the event validator with malformed input.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { FakeBroker, Service, get, publishPacket, remainingLength, eventJson, waitFor, BrokerConn } from "./harness";

const SITE = "muc-02";
let broker: FakeBroker;
let svc: Service;
let connCount = 0;

/** Deterministic PRNG so a failing fuzz case can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 0x100000000;
  };
}

async function nextSession(): Promise<BrokerConn> {
  connCount++;
  const c = await broker.connection(connCount);
  await c.handshake();
  return c;
}

beforeAll(async () => {
  broker = new FakeBroker();
  await broker.listen();
  svc = await Service.start({
    env: {
      SITE_ID: SITE, MQTT_HOST: "127.0.0.1", MQTT_PORT: String(broker.port), MQTT_USERNAME: "edge", MQTT_PASSWORD: "pw-123",
      MQTT_RECONNECT_MAX_MS: "100", MQTT_KEEPALIVE_S: "5",
    },
  });
});

afterAll(async () => {
  await svc?.kill();
  await broker?.close();
});

describe("MQTT client session", () => {
  it("sends a 3.1.1 CONNECT with credentials and a persistent session, then subscribes QoS 1 to its site", async () => {
    connCount++;
    const c = await broker.connection(connCount);
    const { connect, filter, qos } = await c.handshake();
    expect(connect).toMatchObject({ protocol: "MQTT", level: 4, clientId: `tracking-${SITE}`, username: "edge", password: "pw-123", keepalive: 5 });
    expect(connect.flags & 0x02).toBe(0); // clean session off: the broker keeps QoS 1 messages for us
    expect(filter).toBe(`tracking/${SITE}/+/events`);
    expect(qos).toBe(1);
    await waitFor("readyz 200", async () => (await get(svc.httpPort, "/readyz")).status === 200);
    // Ingest one event and get the PUBACK for its packet id.
    c.send(publishPacket(`tracking/${SITE}/d1/events`, eventJson({ shipmentId: "M-1", ts: 5, deviceId: "d1", seq: 1 }), 1, 4242));
    const ack = await c.next((p) => p.type === 4);
    expect(ack.body.readUInt16BE(0)).toBe(4242);
    expect((await get(svc.httpPort, "/v1/shipments/M-1")).status).toBe(200);
    // Keepalive: with 5 s the client pings within 2.5 s of silence.
    const ping = await c.next((p) => p.type === 12, 6000);
    expect(ping.body.length).toBe(0);
    c.send(Buffer.from([0xd0, 0]));
    c.socket.destroy();
  });

  it("reports not ready and retries with back-off when the broker refuses the credentials", async () => {
    connCount++;
    const c = await broker.connection(connCount);
    await c.handshake(4); // bad user name or password
    await c.waitClosed();
    const r = await get(svc.httpPort, "/readyz");
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).status).toBe("not ready");
    const again = await nextSession(); // it comes back
    await waitFor("readyz 200", async () => (await get(svc.httpPort, "/readyz")).status === 200);
    again.socket.destroy();
  });

  it("survives fuzzed packets: every malformed packet drops the connection, never the service", async () => {
    const rand = rng(0xC0FFEE);
    const targeted: Buffer[] = [
      Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),                  // 5-byte remaining length
      Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80]),                        // ...noticed without waiting for a 5th byte
      Buffer.from([0x36, 0x04, 0x00, 0x01, 0x61, 0x00]),                  // PUBLISH QoS 3
      Buffer.from([0x32, 0x05, 0x00, 0x01, 0x61, 0x00, 0x00]),            // QoS 1 with packet id 0
      Buffer.from([0x32, 0x04, 0x00, 0x09, 0x61, 0x62]),                  // topic length overruns the packet
      Buffer.from([0x30, 0x02, 0x00, 0x00]),                              // empty topic
      Buffer.from([0x34, 0x05, 0x00, 0x01, 0x61, 0x00, 0x07]),            // QoS 2 on a QoS 1 subscription
      Buffer.from([0x20, 0x02, 0x00, 0x00]),                              // CONNACK again
      Buffer.from([0x90, 0x03, 0x00, 0x01, 0x01]),                        // SUBACK again
      Buffer.from([0x62, 0x02, 0x00, 0x01]),                              // PUBREL
      Buffer.from([0xd0, 0x01, 0x00]),                                    // PINGRESP with a body
      Buffer.from([0xf0, 0x00]),                                          // reserved type 15
      Buffer.from([0x00, 0x00]),                                          // reserved type 0
    ];
    const cases: Buffer[] = [...targeted];
    for (let i = 0; i < 40; i++) {
      const type = 1 + Math.floor(rand() * 15);
      if (type === 3 || type === 13) continue; // valid-looking PUBLISH/PINGRESP are covered below
      const body = Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)));
      cases.push(Buffer.concat([Buffer.from([(type << 4) | Math.floor(rand() * 16)]), remainingLength(body.length), body]));
    }
    for (const [i, pkt] of cases.entries()) {
      const c = await nextSession();
      c.send(pkt);
      await c.waitClosed(5000).catch(() => { throw new Error(`case ${i} (${pkt.toString("hex")}) did not drop the connection`); });
      expect((await get(svc.httpPort, "/healthz")).status).toBe(200);
    }
    const m = await svc.metrics();
    expect(m.get("tracking_mqtt_protocol_errors_total")).toBe(cases.length);
  }, 60_000);

  it("acks and accounts for every fuzzed payload: ingested + duplicate + rejected == published", async () => {
    const c = await nextSession();
    const rand = rng(42);
    const before = await svc.metrics();
    const sum = (m: Map<string, number>) => ["ingested", "duplicate", "rejected"].reduce((a, k) => a + m.get(`tracking_events_${k}_total`)!, 0);
    const valid = eventJson({ shipmentId: "FZ-1", status: "DELIVERED", ts: 1_700_000_000_123, deviceId: "fuzz-dev", seq: 1, lat: -33.9, lon: 151.2, note: "n\\u00e9" });
    const N = 300;
    for (let i = 1; i <= N; i++) {
      const bytes = Buffer.from(valid.replace('"seq":1', `"seq":${i}`), "utf8");
      const edits = 1 + Math.floor(rand() * 4);
      let b = bytes;
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(rand() * b.length);
        const op = Math.floor(rand() * 3);
        const byte = Math.floor(rand() * 256);
        if (op === 0) b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at + 1)]);
        else if (op === 1) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        else b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
      }
      c.send(publishPacket(`tracking/${SITE}/fuzz/events`, b, 1, i));
    }
    const acked = new Set<number>();
    await waitFor("all PUBACKs", async () => {
      for (const id of c.pubackIds()) acked.add(id);
      return acked.size === N;
    }, 15000, 20);
    const after = await svc.metrics();
    expect(sum(after) - sum(before)).toBe(N);
    expect(after.get("tracking_events_rejected_total")! - before.get("tracking_events_rejected_total")!).toBeGreaterThan(N / 3);
    expect(c.closed).toBe(false);
    c.socket.destroy();
  }, 30_000);

  it("rejects a 2 MiB PUBLISH without buffering it, acks it, and stays connected", async () => {
    const c = await nextSession();
    const before = (await svc.metrics()).get("tracking_events_rejected_total")!;
    c.send(publishPacket(`tracking/${SITE}/big/events`, Buffer.alloc(2 << 20, 0x41), 1, 777));
    c.send(publishPacket(`tracking/${SITE}/big/events`, eventJson({ shipmentId: "BIG-after", ts: 1, deviceId: "big", seq: 1 }), 1, 778));
    const ids: number[] = [];
    await waitFor("both PUBACKs", async () => { ids.push(...c.pubackIds()); return ids.length === 2; }, 15000, 20);
    expect(ids).toEqual([777, 778]);
    expect((await svc.metrics()).get("tracking_events_rejected_total")! - before).toBe(1);
    expect((await get(svc.httpPort, "/v1/shipments/BIG-after")).status).toBe(200);
    expect(c.closed).toBe(false);
    c.socket.destroy();
  }, 30_000);
});
