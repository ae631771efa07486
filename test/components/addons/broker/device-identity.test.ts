// Per-device identity on the broker's device listener, with the real Debian mosquitto running exactly the
// generated files (components/addons/broker/config.ts) and mqtt.js over TLS. The device CA and the device
// certificates come from the operator CLI (`npm run devices`, scripts/devices.ts); the broker's server
// certificate is signed by a region TLS CA made here with openssl with the names the program requests
// (tls.ts; the @pulumi/tls provider is not available here). Every chain is checked with `openssl verify`.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceEventsTopic, TLS_FILES, trackingSubscription } from "../../../../components/addons/broker/config";
import { run as devices } from "../../../../scripts/devices";
import { type GeneratedBroker, startGeneratedBroker } from "./generated-broker";
import { type IssuedCert, makeOpensslCa, type OpensslCa, opensslVerify } from "../../../support/openssl-ca";

const haveMosquitto = !spawnSync("mosquitto", ["-h"]).error;
if (!haveMosquitto && process.env.CI) throw new Error("device identity tests must run in CI: install mosquitto");
const SITE = "hz-xihu";
const PASSWORDS = { tracking: "tr-Xw8s1LqZ0aN3pV7c", device: "dv-4Hk2mQ9rT6yB1uE5", monitor: "mo-7Fj3nS8dK2wC5xZ1" };
const work = fs.mkdtempSync(path.join(os.tmpdir(), "edge-devices-"));
const caDir = path.join(work, "device-ca");
const issued = path.join(work, "issued");
let broker: GeneratedBroker & { tlsPort?: number };
const clients: MqttClient[] = [];
const read = (p: string) => fs.readFileSync(p, "utf8");
const verify = (ca: string, cert: string) => spawnSync("openssl", ["verify", "-CAfile", ca, cert], { encoding: "utf8" });

let region: OpensslCa;
let server: IssuedCert;

function connectTls(o: { device?: string; certDir?: string; clientId: string; username?: string; password?: string; noCert?: boolean }): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
        const dir = o.certDir ?? issued;
        const c = mqtt.connect({
            protocol: "mqtts",
            host: "127.0.0.1",
            port: broker.tlsPort!,
            protocolVersion: 5,
            reconnectPeriod: 0,
            connectTimeout: 3000,
            clientId: o.clientId,
            ca: region.caPem,
            ...(o.device && !o.noCert ? { cert: read(path.join(dir, `${o.device}.crt`)), key: read(path.join(dir, `${o.device}.key`)) } : {}),
            ...(o.username ? { username: o.username, password: o.password } : {}),
        });
        clients.push(c);
        c.once("connect", () => resolve(c));
        c.once("error", (e) => {
            c.end(true);
            reject(e);
        });
        c.once("close", () => reject(new Error("connection closed before CONNACK")));
    });
}

function connectPlain(port: number, o: { clientId: string; username?: string; password?: string }): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
        const c = mqtt.connect({ host: "127.0.0.1", port, protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 2000, ...o });
        clients.push(c);
        c.once("connect", () => resolve(c));
        c.once("error", (e) => {
            c.end(true);
            reject(e);
        });
        c.once("close", () => reject(new Error("connection closed before CONNACK")));
    });
}

const publish = (c: MqttClient, topic: string, body: string) =>
    new Promise<number>((resolve) => c.publish(topic, body, { qos: 1 }, (err) => resolve(err ? Number((err as { code?: number }).code ?? -1) : 0)));

describe.runIf(haveMosquitto)("device identity on the TLS device listener (real mosquitto)", () => {
    const received: string[] = [];
    let tracking: MqttClient;

    beforeAll(async () => {
        devices(["init", "--dir", caDir, "--region", "cn-east"]);
        for (const d of ["dock-07", "dock-08"]) devices(["issue", "--dir", caDir, "--site", SITE, "--device", d, "--out", issued]);
        // A certificate for a device id from a CA that is not the region's device CA.
        const rogue = path.join(work, "rogue-ca");
        devices(["init", "--dir", rogue, "--region", "elsewhere"]);
        devices(["issue", "--dir", rogue, "--site", SITE, "--device", "dock-09", "--out", path.join(work, "rogue")]);
        devices(["revoke", "--dir", caDir, "--device", "dock-08"]);
        region = makeOpensslCa(path.join(work, "region"), "edge-estate cn-east TLS CA");
        server = region.issue("server", `mqtt-broker.${SITE}`, ["127.0.0.1", "mqtt-broker-devices.edge-system.svc"]);
        broker = await startGeneratedBroker(SITE, PASSWORDS, {
            files: { [TLS_FILES.cert]: server.chainPem, [TLS_FILES.key]: server.keyPem, [TLS_FILES.deviceCa]: read(path.join(caDir, "ca.crt")), [TLS_FILES.crl]: read(path.join(caDir, "crl.pem")) },
        });
        tracking = await connectPlain(broker.port, { clientId: "tracking-0", username: "tracking", password: PASSWORDS.tracking });
        tracking.on("message", (topic, payload) => received.push(`${topic} ${payload}`));
        await new Promise<void>((r) => tracking.subscribe(trackingSubscription(SITE), { qos: 1 }, () => r()));
    }, 60_000);

    afterAll(() => {
        for (const c of clients) c.end(true);
        broker?.stop();
        fs.rmSync(work, { recursive: true, force: true });
    });

    it("every certificate chain verifies with openssl (and the revoked one fails against the CRL)", () => {
        expect(opensslVerify(region.caFile, server.certFile, "127.0.0.1").ok).toBe(true);
        for (const d of ["dock-07", "dock-08"]) expect(verify(path.join(caDir, "ca.crt"), path.join(issued, `${d}.crt`)).stdout).toContain(": OK");
        const withCrl = spawnSync("openssl", ["verify", "-crl_check", "-CAfile", path.join(caDir, "ca.crt"), "-CRLfile", path.join(caDir, "crl.pem"), path.join(issued, "dock-08.crt")], { encoding: "utf8" });
        expect(withCrl.status).not.toBe(0);
        expect(withCrl.stdout + withCrl.stderr).toContain("certificate revoked");
        expect(verify(path.join(caDir, "ca.crt"), path.join(work, "rogue", "dock-09.crt")).status).not.toBe(0);
    });

    it("a device publishes its own events over TLS with its certificate; the tracking service receives them", async () => {
        const dock = await connectTls({ device: "dock-07", clientId: "dock-07" });
        expect(await publish(dock, deviceEventsTopic(SITE, "dock-07"), "scan-1")).toBe(0);
        await new Promise((r) => setTimeout(r, 300));
        expect(received).toContain(`${deviceEventsTopic(SITE, "dock-07")} scan-1`);
    });

    it("a device cannot publish as another device, whatever client id it claims", async () => {
        const dock = await connectTls({ device: "dock-07", clientId: "dock-08" });
        expect(await publish(dock, deviceEventsTopic(SITE, "dock-08"), "forged")).toBe(135);
        await new Promise((r) => setTimeout(r, 300));
        expect(received.some((m) => m.includes("forged"))).toBe(false);
    });

    it("a revoked device is refused", async () => {
        await expect(connectTls({ device: "dock-08", clientId: "dock-08" })).rejects.toThrow();
    });

    it("a client without a certificate, with a password, or with another CA's certificate is refused", async () => {
        await expect(connectTls({ clientId: "anon", noCert: true })).rejects.toThrow();
        await expect(connectTls({ clientId: "pw", username: "device", password: PASSWORDS.device, noCert: true })).rejects.toThrow();
        await expect(connectTls({ device: "dock-09", certDir: path.join(work, "rogue"), clientId: "dock-09" })).rejects.toThrow();
    });

    it("plain-text MQTT on the device port gets no CONNACK", async () => {
        await expect(connectPlain(broker.tlsPort!, { clientId: "plain" })).rejects.toThrow();
        await expect(connectPlain(broker.tlsPort!, { clientId: "plain-pw", username: "device", password: PASSWORDS.device })).rejects.toThrow();
        // And the raw bytes of a CONNECT are answered with a TLS alert or a close, never an MQTT CONNACK (0x20).
        const first = await new Promise<number | undefined>((resolve) => {
            const s = net.connect(broker.tlsPort!, "127.0.0.1", () => s.write(Buffer.from("101000044d5154540502003c000004706c61696e", "hex")));
            s.once("data", (d) => (s.destroy(), resolve(d[0])));
            s.once("close", () => resolve(undefined));
            s.once("error", () => resolve(undefined));
        });
        expect(first).not.toBe(0x20);
    });
});
