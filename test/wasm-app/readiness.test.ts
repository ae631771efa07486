// /readyz follows the broker: 200 while subscribed, 503 once mosquitto stops, 200 again
// after the reconnect back-off brings the session back.
import { describe, it, expect, afterAll } from "vitest";
import mqtt from "mqtt";
import { Mosquitto, Service, get, waitFor, eventJson } from "./harness";

let broker: Mosquitto;
let svc: Service;

afterAll(async () => {
  await svc?.kill();
  await broker?.dispose();
});

describe("readiness", () => {
  it("flips /readyz to 503 when the broker stops and back to 200 after it returns", async () => {
    broker = await Mosquitto.start();
    svc = await Service.start({
      env: { SITE_ID: "vie-05", MQTT_PORT: String(broker.port), MQTT_USERNAME: broker.user, MQTT_PASSWORD: broker.password, MQTT_RECONNECT_MAX_MS: "500" },
    });
    await svc.waitReady();
    await broker.stop();
    const down = await waitFor("/readyz 503", async () => { const r = await get(svc.httpPort, "/readyz"); return r.status === 503 ? r : undefined; }, 10000);
    expect(JSON.parse(down.body)).toEqual({ status: "not ready", reason: "not subscribed to the MQTT broker" });
    expect((await get(svc.httpPort, "/healthz")).status).toBe(200); // alive, just not ready
    expect((await svc.metrics()).get("tracking_mqtt_connected")).toBe(0);
    await new Promise((r) => setTimeout(r, 1500)); // several failed attempts while it is gone
    await broker.resume();
    await svc.waitReady(10000);
    const m = await svc.metrics();
    expect(m.get("tracking_mqtt_connected")).toBe(1);
    expect(m.get("tracking_mqtt_connects_total")).toBe(2);
    // And ingest works on the new session.
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: broker.user, password: broker.password });
    await pub.publishAsync("tracking/vie-05/d/events", eventJson({ shipmentId: "R-1", ts: 1, deviceId: "d", seq: 1 }), { qos: 1 });
    await pub.endAsync();
    await waitFor("R-1", async () => (await get(svc.httpPort, "/v1/shipments/R-1")).status === 200);
  }, 40_000);
});
