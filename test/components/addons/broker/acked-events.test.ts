// No acknowledged event is lost, end to end: the real mosquitto runs the broker config we render for a
// site, devices (mqtt.js, QoS 1) publish without pause, and the tracking service on the real WasmEdge is
// SIGKILLed five times while they do, staying down long enough each time for the broker to queue more
// events for it than mosquitto's default queue (1,000 per session) would keep. Every event a device got a
// PUBACK for must be served by the service at the end.
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, expect, it } from "vitest";
import { deviceEventsTopic, mqttUsername } from "../../../../components/addons/broker/config";
import { describeOnWasmEdge } from "../../../support/wasmedge";
import { eventJson, get, Service, sleep, tempDir } from "../../../wasm-app/harness";
import { type GeneratedBroker, startGeneratedBroker } from "./generated-broker";
import { rmSync } from "node:fs";

const SITE = "hz-xihu";
const PASSWORDS = { tracking: "tr-Qm4v8XcL2pZr7WnE", device: "dv-Lk3s9BfT6yH1uJ0q", monitor: "mo-Pz5d2VbN8kA4wR7c" };
const DEVICES = 8;
const EVENTS_PER_SHIPMENT = 40; // within the 50-event history, so every event stays visible
const KILLS = 5;
const DOWN_BURST = 2_500; // events published while the service is down, per kill
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
});

interface Sent { shipmentId: string; deviceId: string; seq: number }

describeOnWasmEdge("site broker + tracking service on real WasmEdge", () => {
    it(`loses no acknowledged event across ${KILLS} SIGKILLs during sustained ingest`, async () => {
        const broker: GeneratedBroker = await startGeneratedBroker(SITE, PASSWORDS);
        cleanups.push(() => broker.stop());
        const dataDir = tempDir("tracking-acked-");
        cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
        const env = {
            SITE_ID: SITE, MQTT_PORT: String(broker.port), MQTT_USERNAME: mqttUsername("tracking"),
            MQTT_PASSWORD: PASSWORDS.tracking, MQTT_CLIENT_ID: `tracking-${SITE}-srv-a`, MQTT_RECONNECT_MAX_MS: "200",
            LOG_COMPACT_MIN_BYTES: "16384", // compactions happen during the run too
        };

        const devices: MqttClient[] = [];
        for (let d = 0; d < DEVICES; d++) {
            const c = await mqtt.connectAsync({
                host: "127.0.0.1", port: broker.port, protocolVersion: 5, clientId: `dock-${d}`,
                username: mqttUsername("device"), password: PASSWORDS.device, reconnectPeriod: 0,
            });
            devices.push(c);
            cleanups.push(() => c.endAsync(true));
        }
        const acked: Sent[] = [];
        const seqs = new Array<number>(DEVICES).fill(0);
        let n = 0;
        /** Publishes `count` events (64 in flight per device) and records those the broker acknowledged. */
        const publish = async (count: number): Promise<void> => {
            const work: Array<Promise<void>> = [];
            for (let d = 0; d < DEVICES; d++) {
                work.push((async () => {
                    const per = Math.ceil(count / DEVICES);
                    for (let done = 0; done < per;) {
                        const batch: Array<Promise<void>> = [];
                        for (let k = 0; k < 64 && done < per; k++, done++) {
                            const e: Sent = { shipmentId: `S-${Math.floor(n++ / EVENTS_PER_SHIPMENT)}`, deviceId: `dock-${d}`, seq: ++seqs[d] };
                            const payload = eventJson({ ...e, ts: 1_800_000_000_000 + e.seq * DEVICES + d });
                            batch.push(devices[d].publishAsync(deviceEventsTopic(SITE, e.deviceId), payload, { qos: 1 }).then((p) => {
                                // mqtt.js rejects a PUBACK with an error reason code; a resolved publish is an accepted one.
                                expect((p as { reasonCode?: number } | undefined)?.reasonCode ?? 0).toBe(0);
                                acked.push(e);
                            }));
                        }
                        await Promise.all(batch);
                    }
                })());
            }
            await Promise.all(work);
        };

        let logs = "";
        for (let round = 1; round <= KILLS; round++) {
            const svc = await Service.start({ env, dataDir });
            cleanups.push(() => svc.kill());
            // Sustained ingest while it runs (it drains the previous backlog at the same time), then a SIGKILL
            // in the middle of that stream, then a burst the broker must queue while the service is down.
            const stream = publish(1_500);
            await sleep(150 + round * 40);
            await svc.kill();
            logs += svc.stderr;
            await stream;
            await publish(DOWN_BURST);
        }
        expect(acked.length).toBeGreaterThanOrEqual(KILLS * (1_500 + DOWN_BURST) - DEVICES * 2 * KILLS);

        const svc = await Service.start({ env, dataDir });
        cleanups.push(() => svc.kill());
        const expected = new Map<string, Set<string>>();
        for (const e of acked) {
            if (!expected.has(e.shipmentId)) expected.set(e.shipmentId, new Set());
            expected.get(e.shipmentId)!.add(`${e.deviceId}/${e.seq}`);
        }
        const missing = async (): Promise<string[]> => {
            const lost: string[] = [];
            for (const [id, want] of expected) {
                const r = await get(svc.httpPort, `/v1/shipments/${id}`);
                const have = r.status === 200 ? new Set((JSON.parse(r.body).events as Sent[]).map((g) => `${g.deviceId}/${g.seq}`)) : new Set<string>();
                for (const w of want) if (!have.has(w)) lost.push(`${id}:${w}`);
            }
            return lost;
        };
        // The broker delivers the last backlog now; wait until the service has taken it (or give up and report).
        let lost = await missing();
        for (let i = 0; i < 60 && lost.length > 0; i++) {
            await sleep(500);
            lost = await missing();
        }
        expect(lost.length, `acknowledged events lost: ${lost.slice(0, 10).join(", ")}${lost.length > 10 ? " ..." : ""}`).toBe(0);
        expect(broker.log()).not.toMatch(/Outgoing messages are being dropped/);
        expect(logs).toMatch(/compacted the event log/);
    }, 240_000);
});
