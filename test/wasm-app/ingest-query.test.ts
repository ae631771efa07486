// Ingest through a real Mosquitto broker (npm mqtt publisher, QoS 1) and query over HTTP:
// response shape, ordering and tie rules, duplicate suppression, malformed events,
// history limit, metrics validated by promtool.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import * as http from "node:http";
import mqtt from "mqtt";
import { Mosquitto, Service, get, waitFor, eventJson } from "./harness";

const SITE = "ber-01";
let broker: Mosquitto;
let svc: Service;
let client: mqtt.MqttClient;
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function publish(deviceId: string, payload: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(`tracking/${SITE}/${deviceId}/events`, payload, { qos: 1 }, (err) => (err ? reject(err) : resolve()));
  });
}

async function shipment(id: string) {
  const r = await get(svc.httpPort, `/v1/shipments/${id}`, agent);
  return { status: r.status, json: JSON.parse(r.body), headers: r.headers };
}

async function ingested(): Promise<number> {
  return (await svc.metrics()).get("tracking_events_ingested_total") ?? -1;
}

beforeAll(async () => {
  broker = await Mosquitto.start();
  svc = await Service.start({
    env: { SITE_ID: SITE, MQTT_HOST: "localhost", MQTT_PORT: String(broker.port), MQTT_USERNAME: broker.user, MQTT_PASSWORD: broker.password },
  });
  await svc.waitReady();
  client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: broker.user, password: broker.password, clientId: "test-publisher" });
});

afterAll(async () => {
  await client?.endAsync();
  await svc?.kill();
  await broker?.dispose();
  agent.destroy();
});

describe("tracking service: ingest and query", () => {
  it("resolves MQTT_HOST by name, subscribes and serves an ingested event with the documented shape", async () => {
    expect(svc.stderr).toContain(`topic=tracking/${SITE}/+/events qos=1`);
    await publish("dev-a", eventJson({ shipmentId: "SHP-1", status: "CREATED", ts: 1_700_000_000_000, deviceId: "dev-a", seq: 1, lat: 52.52, lon: 13.405 }));
    const s = await waitFor("SHP-1", async () => { const r = await shipment("SHP-1"); return r.status === 200 ? r : undefined; });
    expect(s.headers["content-type"]).toBe("application/json");
    expect(s.json).toEqual({
      shipmentId: "SHP-1",
      status: "CREATED",
      updatedAt: 1_700_000_000_000,
      location: { lat: 52.52, lon: 13.405 },
      events: [{ ts: 1_700_000_000_000, status: "CREATED", deviceId: "dev-a", seq: 1, lat: 52.52, lon: 13.405 }],
    });
  });

  it("keeps the greatest ts as the state, breaks ts ties by seq, and files late events into history", async () => {
    const base = 1_700_000_100_000;
    await publish("dev-b", eventJson({ shipmentId: "SHP-2", status: "IN_TRANSIT", ts: base + 3000, deviceId: "dev-b", seq: 30 }));
    await publish("dev-b", eventJson({ shipmentId: "SHP-2", status: "CREATED", ts: base, deviceId: "dev-b", seq: 10, note: "late, \"quoted\" \u00fcml" }));
    await publish("dev-b", eventJson({ shipmentId: "SHP-2", status: "PICKED_UP", ts: base + 1000, deviceId: "dev-b", seq: 20, lat: 48.1, lon: 11.5 }));
    // Same ts as the newest: the greater seq wins, whatever the arrival order.
    await publish("dev-c", eventJson({ shipmentId: "SHP-2", status: "EXCEPTION", ts: base + 3000, deviceId: "dev-c", seq: 31 }));
    await publish("dev-c", eventJson({ shipmentId: "SHP-2", status: "ARRIVED_AT_HUB", ts: base + 3000, deviceId: "dev-c", seq: 5 }));
    const s = await waitFor("5 events on SHP-2", async () => { const r = await shipment("SHP-2"); return r.json.events?.length === 5 ? r : undefined; });
    expect(s.json.status).toBe("EXCEPTION");
    expect(s.json.updatedAt).toBe(base + 3000);
    expect(s.json.events.map((e: { seq: number }) => e.seq)).toEqual([10, 20, 5, 30, 31]);
    expect(s.json.events[0].note).toBe("late, \"quoted\" \u00fcml");
    // The newest events carry no coordinates: location is the newest known fix.
    expect(s.json.location).toEqual({ lat: 48.1, lon: 11.5 });
  });

  it("ignores a repeated (deviceId, seq) even with different content, and counts it", async () => {
    const before = await svc.metrics();
    await publish("dev-d", eventJson({ shipmentId: "SHP-3", status: "CREATED", ts: 1000, deviceId: "dev-d", seq: 7 }));
    await publish("dev-d", eventJson({ shipmentId: "SHP-3", status: "CREATED", ts: 1000, deviceId: "dev-d", seq: 7 }));
    await publish("dev-d", eventJson({ shipmentId: "SHP-3", status: "DELIVERED", ts: 9000, deviceId: "dev-d", seq: 7 }));
    await publish("dev-d", eventJson({ shipmentId: "SHP-3", status: "IN_TRANSIT", ts: 2000, deviceId: "dev-d", seq: 8 }));
    await waitFor("all four processed", async () => {
      const m = await svc.metrics();
      return (m.get("tracking_events_ingested_total")! - before.get("tracking_events_ingested_total")!) === 2 &&
        (m.get("tracking_events_duplicate_total")! - before.get("tracking_events_duplicate_total")!) === 2;
    });
    const s = await shipment("SHP-3");
    expect(s.json.status).toBe("IN_TRANSIT");
    expect(s.json.events.map((e: { seq: number }) => e.seq)).toEqual([7, 8]);
  });

  it("counts malformed events in /metrics, drops them, and keeps ingesting", async () => {
    const before = (await svc.metrics()).get("tracking_events_rejected_total")!;
    const bad: Array<string | Buffer> = [
      "not json",
      "{}",
      "[1,2,3]",
      '{"shipmentId":"SHP-4","status":"LOST","ts":1,"deviceId":"d","seq":1}',
      '{"shipmentId":"bad id!","status":"CREATED","ts":1,"deviceId":"d","seq":1}',
      '{"shipmentId":"SHP-4","status":"CREATED","ts":1.5,"deviceId":"d","seq":1}',
      '{"shipmentId":"SHP-4","status":"CREATED","ts":-1,"deviceId":"d","seq":1}',
      '{"shipmentId":"SHP-4","status":"CREATED","ts":1,"deviceId":"","seq":1}',
      '{"shipmentId":"SHP-4","status":"CREATED","ts":1,"deviceId":"d","seq":"1"}',
      '{"shipmentId":"SHP-4","status":"CREATED","ts":1,"deviceId":"d","seq":1,"lat":91,"lon":0}',
      '{"shipmentId":"SHP-4","status":"CREATED","ts":1,"deviceId":"d","seq":1,"lat":1}',
      '{"shipmentId":"SHP-4","status":"CREATED","ts":1,"deviceId":"d","seq":1,"seq":2}',
      '{"shipmentId":"SHP-4","status":"CREATED","ts":1,"deviceId":"d","seq":1} trailing',
      '{"shipmentId":"SHP-4","status":"CREATED","ts":1,"deviceId":"d","seq":1',
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      "[".repeat(5000),
      JSON.stringify({ shipmentId: "SHP-4", status: "CREATED", ts: 1, deviceId: "d", seq: 1, note: "x".repeat(5000) }),
    ];
    for (const b of bad) await publish("dev-e", b);
    await publish("dev-e", eventJson({ shipmentId: "SHP-4", status: "CREATED", ts: 5, deviceId: "dev-e", seq: 1, extra: { nested: [1, 2] } } as never));
    const s = await waitFor("SHP-4 after the malformed burst", async () => { const r = await shipment("SHP-4"); return r.status === 200 ? r : undefined; });
    expect(s.json.events).toHaveLength(1);
    const after = (await svc.metrics()).get("tracking_events_rejected_total")!;
    expect(after - before).toBe(bad.length);
    expect((await get(svc.httpPort, "/healthz")).status).toBe(200);
  });

  it("returns at most 50 events, the newest ones, oldest first", async () => {
    for (let i = 1; i <= 60; i++) {
      await publish("dev-f", eventJson({ shipmentId: "SHP-5", status: "IN_TRANSIT", ts: 10_000 + i, deviceId: "dev-f", seq: i }));
    }
    const s = await waitFor("SHP-5 at seq 60", async () => { const r = await shipment("SHP-5"); return r.json.updatedAt === 10_060 ? r : undefined; });
    expect(s.json.events).toHaveLength(50);
    expect(s.json.events[0].seq).toBe(11);
    expect(s.json.events[49].seq).toBe(60);
  });

  it("answers 404 and 400 as JSON for unknown shipments and invalid ids", async () => {
    const nf = await get(svc.httpPort, "/v1/shipments/NOPE-404", agent);
    expect(nf.status).toBe(404);
    expect(JSON.parse(nf.body)).toEqual({ error: "shipment not found" });
    const bad = await get(svc.httpPort, "/v1/shipments/has%20space", agent);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/invalid shipment id/);
    expect((await get(svc.httpPort, "/v1/shipments/" + "a".repeat(65), agent)).status).toBe(400);
    expect((await get(svc.httpPort, "/v2/shipments/SHP-1", agent)).status).toBe(404);
  });

  it("serves /metrics that promtool accepts, with the documented series", async () => {
    const r = await get(svc.httpPort, "/metrics", agent);
    expect(r.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    const check = spawnSync("promtool", ["check", "metrics"], { input: r.body, encoding: "utf8" });
    expect(check.error, "promtool is required (Debian package prometheus)").toBeUndefined();
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const m = await svc.metrics();
    expect(m.get("tracking_shipments_tracked")).toBe(5);
    expect(m.get("tracking_mqtt_connected")).toBe(1);
    expect(await ingested()).toBe(1 + 5 + 2 + 1 + 60);
    expect(m.get('tracking_http_request_duration_seconds_bucket{le="+Inf"}')).toBe(m.get("tracking_http_request_duration_seconds_count"));
    expect(m.get("tracking_http_request_duration_seconds_count")).toBeGreaterThan(10);
  });
});
