// The generated Mosquitto files (components/addons/broker/config.ts) run by the real Debian mosquitto; auth and
// ACL proven over MQTT v5 with mqtt.js. Only the paths, bind address and port differ from the cluster.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceEventsTopic, mosquittoPasswordLine, trackingSubscription } from "../../../../components/addons/broker/config";
import { freePort, type GeneratedBroker, startGeneratedBroker, writeBrokerFiles } from "./generated-broker";

const SITE = "hz-xihu";
const PASSWORDS = { tracking: "tr-Xw8s1LqZ0aN3pV7c", device: "dv-4Hk2mQ9rT6yB1uE5", monitor: "mo-7Fj3nS8dK2wC5xZ1" };
let broker: GeneratedBroker;
let port: number;
const clients: MqttClient[] = [];

function connect(opts: { username?: string; password?: string; clientId: string }): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
        const c = mqtt.connect({ host: "127.0.0.1", port, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 3000, ...opts });
        clients.push(c);
        c.once("connect", () => resolve(c));
        c.once("error", (e) => {
            c.end(true);
            reject(e);
        });
    });
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
    broker = await startGeneratedBroker(SITE, PASSWORDS);
    port = broker.port;
});

afterAll(async () => {
    for (const c of clients) c.end(true);
    broker?.stop();
});

describe("password file", () => {
    it("writes mosquitto 2.x $7$ PBKDF2-SHA512 lines, stable for the same input", () => {
        const line = mosquittoPasswordLine("device", "s3cret");
        expect(line).toMatch(/^device:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
        expect(mosquittoPasswordLine("device", "s3cret")).toBe(line);
        expect(mosquittoPasswordLine("tracking", "s3cret")).not.toBe(line);
    });

    it("rejects user names mosquitto cannot store", () => {
        expect(() => mosquittoPasswordLine("a:b", "x")).toThrow(/without ':'/);
        expect(() => mosquittoPasswordLine("a", "")).toThrow(/empty/);
    });

    it("is accepted by the real mosquitto config parser (a broken file is not)", async () => {
        const bad = fs.mkdtempSync(path.join(os.tmpdir(), "edge-mqtt-bad-"));
        try {
            const conf = writeBrokerFiles(bad, SITE, await freePort(), PASSWORDS);
            fs.appendFileSync(conf, "this_is_not_an_option 1\n");
            const r = spawnSync("mosquitto", ["-c", conf], { timeout: 5000 });
            expect(r.status).not.toBe(0);
        } finally {
            fs.rmSync(bad, { recursive: true, force: true });
        }
    });
});

describe("authentication", () => {
    it("refuses anonymous clients", async () => {
        await expect(connect({ clientId: "anon" })).rejects.toMatchObject({ code: 135 });
    });

    it("refuses a wrong password and an unknown user", async () => {
        await expect(connect({ clientId: "d1", username: "device", password: "wrong" })).rejects.toMatchObject({ code: 135 });
        await expect(connect({ clientId: "d1", username: "nobody", password: PASSWORDS.device })).rejects.toMatchObject({ code: 135 });
    });

    it("accepts every client class with its generated password", async () => {
        for (const [username, password] of Object.entries(PASSWORDS)) {
            const c = await connect({ clientId: `ok-${username}`, username, password });
            expect(c.connected).toBe(true);
            c.end(true);
        }
    });
});

describe("ACL", () => {
    it("lets a device publish only under its own id, and the tracking service receive it", async () => {
        const tracking = await connect({ clientId: `tracking-${SITE}-0`, username: "tracking", password: PASSWORDS.tracking });
        const received: string[] = [];
        tracking.on("message", (topic, payload) => received.push(`${topic} ${payload}`));
        await tracking.subscribeAsync(trackingSubscription(SITE), { qos: 1 });

        const dock7 = await connect({ clientId: "dock-07", username: "device", password: PASSWORDS.device });
        await dock7.publishAsync(deviceEventsTopic(SITE, "dock-07"), '{"n":1}', { qos: 1 });
        // Another device's topic, another site's topic, and a topic outside tracking/: PUBACK 135 each.
        await expect(dock7.publishAsync(deviceEventsTopic(SITE, "dock-08"), '{"n":2}', { qos: 1 })).rejects.toMatchObject({ code: 135 });
        await expect(dock7.publishAsync(deviceEventsTopic("sz-gusu", "dock-07"), '{"n":3}', { qos: 1 })).rejects.toMatchObject({ code: 135 });
        await expect(dock7.publishAsync("control/reboot", "x", { qos: 1 })).rejects.toMatchObject({ code: 135 });
        await settle(300);
        expect(received).toEqual([`${deviceEventsTopic(SITE, "dock-07")} {"n":1}`]);
    });

    it("does not let a device read other devices' events (no message arrives)", async () => {
        const spy = await connect({ clientId: "dock-09", username: "device", password: PASSWORDS.device });
        const got: string[] = [];
        spy.on("message", (t) => got.push(t));
        // mosquitto grants the SUBACK and filters at delivery; the proof is that nothing arrives.
        await spy.subscribeAsync(`tracking/${SITE}/#`, { qos: 1 });
        await spy.subscribeAsync("#", { qos: 1 });
        const dock7 = await connect({ clientId: "dock-07b", username: "device", password: PASSWORDS.device });
        await dock7.publishAsync(deviceEventsTopic(SITE, "dock-07b"), '{"n":4}', { qos: 1 });
        await settle(300);
        expect(got).toEqual([]);
    });

    it("queues events for the tracking service's persistent session while it is away (MQTT 3.1.1, as the app)", async () => {
        const opts = { host: "127.0.0.1", port, protocolVersion: 4 as const, clean: false, clientId: "tracking-hz-xihu-srv-a", username: "tracking", password: PASSWORDS.tracking, reconnectPeriod: 0 };
        const first = mqtt.connect(opts);
        clients.push(first);
        await new Promise((r) => first.once("connect", r));
        await first.subscribeAsync(trackingSubscription(SITE), { qos: 1 });
        await first.endAsync();
        const dev = await connect({ clientId: "dock-11", username: "device", password: PASSWORDS.device });
        await dev.publishAsync(deviceEventsTopic(SITE, "dock-11"), '{"n":7}', { qos: 1 });
        const again = mqtt.connect(opts);
        clients.push(again);
        const got = new Promise<string>((resolve) => again.on("message", (t, p) => resolve(`${t} ${p}`)));
        await new Promise((r) => again.once("connect", r));
        await expect(Promise.race([got, settle(2000).then(() => "nothing arrived")])).resolves.toBe(`${deviceEventsTopic(SITE, "dock-11")} {"n":7}`);
    });

    it("does not let the tracking service publish events", async () => {
        const tracking = await connect({ clientId: "tracking-pub", username: "tracking", password: PASSWORDS.tracking });
        await expect(tracking.publishAsync(deviceEventsTopic(SITE, "dock-07"), '{"n":5}', { qos: 1 })).rejects.toMatchObject({ code: 135 });
    });

    it("gives the monitor class the broker statistics and nothing else", async () => {
        const monitor = await connect({ clientId: "monitor-0", username: "monitor", password: PASSWORDS.monitor });
        const topics: string[] = [];
        monitor.on("message", (t) => topics.push(t));
        await monitor.subscribeAsync("$SYS/broker/version", { qos: 0 });
        await monitor.subscribeAsync(`tracking/${SITE}/#`, { qos: 1 });
        const dock = await connect({ clientId: "dock-10", username: "device", password: PASSWORDS.device });
        await dock.publishAsync(deviceEventsTopic(SITE, "dock-10"), '{"n":6}', { qos: 1 });
        await settle(300);
        expect(topics).toContain("$SYS/broker/version");
        expect(topics.filter((t) => t.startsWith("tracking/"))).toEqual([]);
    });
});
