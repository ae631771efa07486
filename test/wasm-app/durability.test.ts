// Durability: the host process is SIGKILLed mid-stream (while PUBLISHes are in flight and
// the log is being compacted) and restarted on the same DATA_DIR; every event the service
// PUBACKed must be queryable afterwards. A second case uses a real Mosquitto to show that
// the persistent session delivers what was published while the service was down.
import { describe, it, expect, afterAll } from "vitest";
import { readdirSync, rmSync } from "node:fs";
import mqtt from "mqtt";
import { FakeBroker, Mosquitto, Service, get, publishPacket, eventJson, waitFor, tempDir, sleep } from "./harness";

const SITE = "fra-04";
const SHIPMENTS = 40;
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface Ev { shipmentId: string; deviceId: string; seq: number; ts: number }

function eventNo(i: number): Ev {
  return { shipmentId: `D-${i % SHIPMENTS}`, deviceId: `dev-${i % 7}`, seq: i, ts: 1_700_000_000_000 + i };
}

describe("durability", () => {
  it("loses no acknowledged event when the process is SIGKILLed mid-stream, three times over", async () => {
    const broker = new FakeBroker();
    await broker.listen();
    cleanups.push(() => broker.close());
    const dataDir = tempDir("tracking-crash-");
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = {
      SITE_ID: SITE, MQTT_PORT: String(broker.port), MQTT_RECONNECT_MAX_MS: "200",
      LOG_COMPACT_MIN_BYTES: "4096", // compact often, so kills also land around compactions
    };
    const acked = new Map<number, Ev>();
    let next = 1;
    const TOTAL = SHIPMENTS * 45; // at most 45 events per shipment: all stay within the 50-event history
    let logs = "";

    for (const [round, killAfterAcks] of [[1, 300], [2, 900], [3, 1500]] as const) {
      const svc = await Service.start({ env, dataDir, });
      cleanups.push(() => svc.kill());
      const c = await broker.connection(round);
      await c.handshake();
      const inflight = new Map<number, number>(); // packet id -> event number
      let pid = 0;
      // Pump: keep up to 64 QoS 1 PUBLISHes in flight, record PUBACKs, kill at the threshold.
      while (acked.size < killAfterAcks) {
        for (const id of c.pubackIds()) {
          const n = inflight.get(id);
          expect(n, `PUBACK for unknown packet id ${id}`).toBeDefined();
          inflight.delete(id);
          acked.set(n!, eventNo(n!));
        }
        while (inflight.size < 64 && next <= TOTAL) {
          pid = (pid % 65535) + 1;
          const e = eventNo(next);
          c.send(publishPacket(`tracking/${SITE}/${e.deviceId}/events`, eventJson({ ...e, status: "IN_TRANSIT" }), 1, pid));
          inflight.set(pid, next++);
        }
        await sleep(1);
      }
      await svc.kill(); // SIGKILL with PUBLISHes in flight
      logs += svc.stderr;
      expect(inflight.size).toBeGreaterThan(0);
      c.socket.destroy();
    }

    const svc = await Service.start({ env, dataDir, });
    cleanups.push(() => svc.kill());
    expect(svc.stderr).toMatch(/replayed the event log/);
    const byShipment = new Map<string, Ev[]>();
    for (const e of acked.values()) byShipment.set(e.shipmentId, [...(byShipment.get(e.shipmentId) ?? []), e]);
    for (const [id, evs] of byShipment) {
      const r = await get(svc.httpPort, `/v1/shipments/${id}`);
      expect(r.status, id).toBe(200);
      const got = JSON.parse(r.body).events as Array<{ deviceId: string; seq: number; ts: number }>;
      const seen = new Set(got.map((g) => `${g.deviceId}/${g.seq}`));
      expect(seen.size, `${id} has duplicate history entries`).toBe(got.length);
      for (const e of evs) expect(seen.has(`${e.deviceId}/${e.seq}`), `${id} lost acked ${e.deviceId}/${e.seq}`).toBe(true);
      expect(got.map((g) => g.ts)).toEqual([...got.map((g) => g.ts)].sort((a, b) => a - b));
    }
    expect(acked.size).toBeGreaterThanOrEqual(1500);
    // Compaction really ran during the stream, and no temp file is left behind.
    expect(logs).toMatch(/compacted the event log/);
    expect(readdirSync(dataDir)).toEqual(["events.log"]);
  }, 90_000);

  it("replays a large log after a SIGKILL: every acknowledged event back, in order, compacted state included", async () => {
    const broker = new FakeBroker();
    await broker.listen();
    cleanups.push(() => broker.close());
    const dataDir = tempDir("tracking-big-");
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = { SITE_ID: SITE, MQTT_PORT: String(broker.port), MQTT_RECONNECT_MAX_MS: "200", LOG_COMPACT_MIN_BYTES: String(1 << 20) };
    const TOTAL = 60_000;
    const SHIPS = 1_500; // 40 events each: all stay in the 50-event history
    const ev = (i: number) => ({ shipmentId: `B-${i % SHIPS}`, deviceId: `big-${i % 13}`, seq: Math.floor(i / 13) + 1, ts: 1_700_000_000_000 + i });
    const svc = await Service.start({ env, dataDir });
    cleanups.push(() => svc.kill());
    const c = await broker.connection(1);
    await c.handshake();
    let acked = 0;
    for (let i = 0, pid = 0; i < TOTAL;) {
      const chunk: Buffer[] = [];
      for (let k = 0; k < 500 && i < TOTAL; k++, i++) {
        pid = (pid % 65535) + 1;
        const e = ev(i);
        chunk.push(publishPacket(`tracking/${SITE}/${e.deviceId}/events`, eventJson(e), 1, pid));
      }
      c.send(Buffer.concat(chunk));
      await waitFor("PUBACKs", async () => { acked += c.pubackIds().length; return acked >= i; }, 30_000, 2);
    }
    await svc.kill();
    const again = await Service.start({ env, dataDir });
    cleanups.push(() => again.kill());
    const m = await again.metrics();
    expect(m.get("tracking_shipments_tracked")).toBe(SHIPS);
    expect(m.get("tracking_events_retained")).toBe(TOTAL);
    for (const id of [0, 1, 777, SHIPS - 1]) {
      const r = await get(again.httpPort, `/v1/shipments/B-${id}`);
      expect(r.status).toBe(200);
      const got = JSON.parse(r.body).events as Array<{ ts: number; deviceId: string; seq: number }>;
      const want = Array.from({ length: TOTAL / SHIPS }, (_, k) => ev(id + k * SHIPS));
      expect(got.map((g) => `${g.deviceId}/${g.seq}/${g.ts}`)).toEqual(want.map((w) => `${w.deviceId}/${w.seq}/${w.ts}`));
    }
    expect(svc.stderr + again.stderr).toMatch(/compacted the event log/);
  }, 120_000);

  it("gets events published while it was down from the broker's persistent session (real mosquitto)", async () => {
    const broker = await Mosquitto.start();
    cleanups.push(() => broker.dispose());
    const dataDir = tempDir("tracking-persist-");
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = { SITE_ID: SITE, MQTT_PORT: String(broker.port), MQTT_USERNAME: broker.user, MQTT_PASSWORD: broker.password, MQTT_RECONNECT_MAX_MS: "200" };
    const first = await Service.start({ env, dataDir });
    await first.waitReady();
    await first.kill();
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: broker.user, password: broker.password });
    cleanups.push(() => pub.endAsync());
    for (let i = 1; i <= 20; i++) {
      await pub.publishAsync(`tracking/${SITE}/offline/events`, eventJson({ shipmentId: "OFF-1", ts: 1000 + i, deviceId: "offline", seq: i }), { qos: 1 });
    }
    const second = await Service.start({ env, dataDir });
    cleanups.push(() => second.kill());
    const body = await waitFor("all 20 queued events", async () => {
      const r = await get(second.httpPort, "/v1/shipments/OFF-1");
      return r.status === 200 && JSON.parse(r.body).events.length === 20 ? JSON.parse(r.body) : undefined;
    });
    expect(body.updatedAt).toBe(1020);
  }, 30_000);
});
