// Memory stays bounded: beyond MAX_SHIPMENTS / MAX_EVENTS the least recently updated
// shipments are evicted (and stay evicted across a restart), while their (deviceId, seq)
// pairs are still recognised as duplicates.
import { describe, it, expect, afterAll } from "vitest";
import { rmSync } from "node:fs";
import { FakeBroker, Service, get, publishPacket, eventJson, tempDir, waitFor } from "./harness";

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe("store limits", () => {
  it("evicts the least recently updated shipments beyond MAX_SHIPMENTS, durably", async () => {
    const broker = new FakeBroker();
    await broker.listen();
    const dataDir = tempDir("tracking-limits-");
    dirs.push(dataDir);
    const env = { SITE_ID: "lim", MQTT_PORT: String(broker.port), MAX_SHIPMENTS: "10", MAX_EVENTS: "1000", LOG_COMPACT_MIN_BYTES: "4096" };
    const svc = await Service.start({ env, dataDir });
    const c = await broker.connection(1);
    await c.handshake();
    // Shipment k's latest event has ts 1000 + k, published in a shuffled order.
    const order = [7, 2, 14, 0, 11, 5, 9, 1, 13, 3, 8, 12, 4, 10, 6];
    let id = 0;
    for (const k of order) c.send(publishPacket("tracking/lim/d/events", eventJson({ shipmentId: `L-${k}`, ts: 1000 + k, deviceId: "d", seq: k }), 1, ++id));
    await waitFor("15 acks", async () => c.packets.filter((p) => p.type === 4).length === 15);
    const m = await svc.metrics();
    expect(m.get("tracking_shipments_tracked")).toBeLessThanOrEqual(10);
    expect(m.get("tracking_shipments_evicted_total")).toBeGreaterThanOrEqual(5);
    expect((await get(svc.httpPort, "/v1/shipments/L-14")).status).toBe(200);
    expect((await get(svc.httpPort, "/v1/shipments/L-0")).status).toBe(404);
    const kept = new Set<number>();
    for (let k = 0; k < 15; k++) if ((await get(svc.httpPort, `/v1/shipments/L-${k}`)).status === 200) kept.add(k);
    // Whatever survived is exactly the newest ones.
    expect([...kept].sort((a, b) => a - b)).toEqual(Array.from({ length: kept.size }, (_, i) => 15 - kept.size + i));
    // A redelivery of an evicted event is a duplicate, not a resurrection.
    c.send(publishPacket("tracking/lim/d/events", eventJson({ shipmentId: "L-0", ts: 1000, deviceId: "d", seq: 0 }), 1, ++id));
    await waitFor("duplicate counted", async () => (await svc.metrics()).get("tracking_events_duplicate_total") === 1);
    expect((await get(svc.httpPort, "/v1/shipments/L-0")).status).toBe(404);
    await svc.kill();
    await broker.close();

    const again = await Service.start({ env: { ...env, MQTT_PORT: "1" }, dataDir });
    for (let k = 0; k < 15; k++) {
      expect((await get(again.httpPort, `/v1/shipments/L-${k}`)).status, `L-${k}`).toBe(kept.has(k) ? 200 : 404);
    }
    await again.kill();
  }, 30_000);
});
