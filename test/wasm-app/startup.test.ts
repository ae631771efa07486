// Start-up: configuration errors stop the service with a message naming the setting,
// the optional config file, and recovery of the event log (torn tail, foreign file).
import { describe, it, expect, afterAll } from "vitest";
import { appendFileSync, readFileSync, readdirSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { Service, FakeBroker, get, publishPacket, eventJson, tempDir, waitFor } from "./harness";

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
function dir(): string { const d = tempDir("tracking-start-"); dirs.push(d); return d; }

describe("start-up and configuration", () => {
  it.each([
    [{}, /SITE_ID is required/],
    [{ SITE_ID: "a/b" }, /SITE_ID must be 1-64 characters/],
    [{ SITE_ID: "s", HTTP_PORT: "80a" }, /HTTP_PORT must be an integer 0-65535, got '80a'/],
    [{ SITE_ID: "s", HTTP_BIND: "::1" }, /HTTP_BIND must be an IPv4 address/],
    [{ SITE_ID: "s", MQTT_PORT: "0" }, /MQTT_PORT must be an integer 1-65535/],
    [{ SITE_ID: "s", MQTT_HOST: "bad host" }, /MQTT_HOST must be an IPv4 address or a host name/],
    [{ SITE_ID: "s", MQTT_PASSWORD: "secret-value" }, /MQTT_PASSWORD is set but MQTT_USERNAME is not/],
    [{ SITE_ID: "s", DATA_DIR: "/elsewhere" }, /DATA_DIR \/elsewhere is not inside any preopened directory/],
    [{ SITE_ID: "s", CONFIG_FILE: "/data/missing.json" }, /cannot open config file \/data\/missing.json/],
  ])("exits 2 with a clear message for %j", async (env, msg) => {
    const r = await Service.runToExit(env as Record<string, string>);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr).not.toContain("secret-value");
    expect(r.stderr).not.toMatch(/abort|wasm-function|RuntimeError/);
  });

  it("reads settings from CONFIG_FILE, with the environment taking precedence", async () => {
    const d = dir();
    writeFileSync(path.join(d, "bad.json"), '{"HTTP_PORT": 1, "NOPE": 2}');
    const bad = await Service.runToExit({ SITE_ID: "s", CONFIG_FILE: "/data/bad.json" }, d);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid config file \/data\/bad.json: unknown setting 'NOPE'/);
    // The shipped default config is accepted as is.
    writeFileSync(path.join(d, "config.json"), readFileSync(path.resolve(__dirname, "../../wasm-app/config.json")));
    const svc = await Service.start({ env: { SITE_ID: "cfg-1", CONFIG_FILE: "/data/config.json", MQTT_PORT: "1" }, dataDir: d });
    expect(svc.stderr).toMatch(/msg="listening" bind=127\.0\.0\.1/); // env HTTP_BIND beat the file's 0.0.0.0
    await svc.kill();
  });

  it("cuts a torn tail off the log, keeps every complete record, and refuses a foreign file", async () => {
    const broker = new FakeBroker();
    await broker.listen();
    const d = dir();
    const env = { SITE_ID: "s", MQTT_PORT: String(broker.port) };
    const svc = await Service.start({ env, dataDir: d });
    const c = await broker.connection(1);
    await c.handshake();
    for (let i = 1; i <= 5; i++) c.send(publishPacket("tracking/s/d/events", eventJson({ shipmentId: "T-1", ts: i, deviceId: "d", seq: i }), 1, i));
    await waitFor("5 acks", async () => c.packets.filter((p) => p.type === 4).length === 5);
    await svc.kill();
    await broker.close();
    // A crash in the middle of an append leaves a partial record; one in the middle of a
    // compaction leaves a half-written temp file next to the intact log.
    appendFileSync(path.join(d, "events.log"), Buffer.from([60, 0, 0, 0, 1, 2, 3, 4, 1, 2]));
    writeFileSync(path.join(d, "events.log.tmp"), "TRKLOG1\n\x05\x00");
    const again = await Service.start({ env: { SITE_ID: "s", MQTT_PORT: "1" }, dataDir: d });
    expect(again.stderr).toMatch(/cut a torn or corrupt tail off the event log.*bytes=10/);
    const r = await get(again.httpPort, "/v1/shipments/T-1");
    expect(JSON.parse(r.body).events).toHaveLength(5);
    expect(readdirSync(d)).toEqual(["events.log"]);
    await again.kill();

    const foreign = dir();
    mkdirSync(foreign, { recursive: true });
    writeFileSync(path.join(foreign, "events.log"), "somebody else's file\n");
    const refused = await Service.runToExit({ SITE_ID: "s" }, foreign);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not a tracking log \(bad header\); refusing to overwrite it/);
    expect(readFileSync(path.join(foreign, "events.log"), "utf8")).toBe("somebody else's file\n");
    // Shorter than a header is no excuse: only the start of our own header (a crash while creating the log) is new.
    const tiny = dir();
    writeFileSync(path.join(tiny, "events.log"), "hi\n");
    const refusedTiny = await Service.runToExit({ SITE_ID: "s" }, tiny);
    expect(refusedTiny.code).toBe(1);
    expect(readFileSync(path.join(tiny, "events.log"), "utf8")).toBe("hi\n");
    const torn = dir();
    writeFileSync(path.join(torn, "events.log"), "TRKL");
    const fresh = await Service.start({ env: { SITE_ID: "s", MQTT_PORT: String(broker.port) }, dataDir: torn });
    await fresh.kill();
    expect(readFileSync(path.join(torn, "events.log"), "latin1")).toBe("TRKLOG1\n");
  });
});
