// End to end on this machine: the generated broker files run by the real mosquitto, the real tracking service
// (wasm-app/dist/logistics-system.wasm under the WasmEdge-compatible Node host) started with the environment our
// Deployment gives it (secretKeyRefs and service-link/downward-API variables resolved the way the kubelet does),
// and a device publishing with the device class credential: the event is ingested and served over HTTP; an event
// a device publishes under another device's id is refused by the broker and never reaches the service.
import * as path from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceEventsTopic } from "../../../../components/addons/broker/config";
import { buildTrackingObjects } from "../../../../components/addons/tracking/objects";
import { loadStackFile } from "../../../../components/config/load";
import { eventJson, get, Service, sleep, waitFor } from "../../../wasm-app/harness";
import { type GeneratedBroker, startGeneratedBroker } from "./generated-broker";
import { planSite } from "../../../../components/plan";

const root = path.join(__dirname, "..", "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
const site = config.sites.find((s) => s.id === "hz-xihu")!;
const PASSWORDS = { tracking: "tr-9fK2LwQ7xP4nB8vZ", device: "dv-3Hq8RmT1yC6uJ0sE", monitor: "mo-5Gd1VbN7kA2pW9cX" };
const SECRETS: Record<string, Record<string, string>> = { "mqtt-tracking-credentials": { username: "tracking", password: PASSWORDS.tracking } };
let broker: GeneratedBroker;
let service: Service;
let device: MqttClient;

/** The container env as the kubelet would resolve it on node hz-xihu-srv-a, with the broker at 127.0.0.1:<port>. */
function resolvedEnv(brokerPort: number): Record<string, string> {
    const deployment = buildTrackingObjects({
        site,
        schedulableHosts: planSite(config, site).schedulableHosts,
        namespace: "edge-system",
        image: "x",
        imagePullPolicy: "Never",
        replicas: 1,
        httpPort: config.tracking.httpPort,
        resources: config.budget.components.tracking,
        mqttCredentialsSecret: "mqtt-tracking-credentials",
    }).find((o) => o.kind === "Deployment") as any;
    const vars: Record<string, string> = { MQTT_BROKER_SERVICE_HOST: "127.0.0.1" };
    for (const e of deployment.spec.template.spec.containers[0].env as any[]) {
        if (e.valueFrom?.fieldRef?.fieldPath === "spec.nodeName") vars[e.name] = `${site.id}-${site.hosts[0].id}`;
        else if (e.valueFrom?.secretKeyRef) vars[e.name] = SECRETS[e.valueFrom.secretKeyRef.name][e.valueFrom.secretKeyRef.key];
        else vars[e.name] = String(e.value).replace(/\$\(([A-Z_]+)\)/g, (_, v) => vars[v] ?? `$(${v})`);
    }
    delete vars.MQTT_BROKER_SERVICE_HOST;
    delete vars.NODE_NAME;
    // Only the port differs from the cluster (the test broker listens on a free loopback port).
    return { ...vars, MQTT_PORT: String(brokerPort) };
}

beforeAll(async () => {
    broker = await startGeneratedBroker(site.id, PASSWORDS);
    const env = resolvedEnv(broker.port);
    expect(env.MQTT_HOST).toBe("127.0.0.1");
    expect(env.MQTT_CLIENT_ID).toBe("tracking-hz-xihu-srv-a");
    service = await Service.start({ env });
    await service.waitReady(20000);
    device = await new Promise<MqttClient>((resolve, reject) => {
        const c = mqtt.connect({ host: "127.0.0.1", port: broker.port, protocolVersion: 5, clientId: "dock-07", username: "device", password: PASSWORDS.device, reconnectPeriod: 0 });
        c.once("connect", () => resolve(c));
        c.once("error", reject);
    });
}, 60_000);

afterAll(async () => {
    device?.end(true);
    await service?.kill();
    broker?.stop();
});

describe("generated broker + real tracking service", () => {
    it("is ready: subscribed to tracking/<site>/+/events with the tracking class credential", async () => {
        expect((await get(service.httpPort, "/readyz")).status).toBe(200);
    });

    it("ingests a device's event published under its own id and serves it", async () => {
        const ev = eventJson({ shipmentId: "SHP-E2E-1", status: "PICKED_UP", ts: Date.now(), deviceId: "dock-07", seq: 1 });
        await device.publishAsync(deviceEventsTopic(site.id, "dock-07"), ev, { qos: 1 });
        const r = await waitFor("the shipment to be served", async () => {
            const x = await get(service.httpPort, "/v1/shipments/SHP-E2E-1");
            return x.status === 200 ? x : undefined;
        });
        expect(JSON.parse(r.body)).toMatchObject({ shipmentId: "SHP-E2E-1", status: "PICKED_UP" });
    });

    it("never sees an event a device publishes under another device's id", async () => {
        const ev = eventJson({ shipmentId: "SHP-E2E-FORGED", ts: Date.now(), deviceId: "dock-08", seq: 1 });
        await expect(device.publishAsync(deviceEventsTopic(site.id, "dock-08"), ev, { qos: 1 })).rejects.toMatchObject({ code: 135 });
        await sleep(500);
        expect((await get(service.httpPort, "/v1/shipments/SHP-E2E-FORGED")).status).toBe(404);
    });
});
