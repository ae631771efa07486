// Contract with the tracking service: every tracking_* metric the alert rules and dashboards query is exposed
// by the real module (wasm-app/dist, run in the Node WasmEdge host) on GET /metrics, and that exposition passes
// `promtool check metrics`.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allDashboards } from "../../../../components/addons/monitoring/dashboards";
import { alertRulesFile } from "../../../../components/addons/monitoring/rules";
import { loadStackFile } from "../../../../components/config/load";
import { FakeBroker, get, Service } from "../../../wasm-app/harness";
import { requirePromtool } from "./promtool";

const root = path.join(__dirname, "..", "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
let svc: Service;
let broker: FakeBroker;
let exposition = "";

beforeAll(async () => {
    requirePromtool();
    broker = new FakeBroker();
    await broker.listen();
    svc = await Service.start({ env: { SITE_ID: "sz-gusu", MQTT_PORT: String(broker.port) } });
    for (let i = 0; i < 5; i++) await get(svc.httpPort, "/healthz");
    exposition = (await get(svc.httpPort, "/metrics")).body;
}, 60_000);

afterAll(async () => {
    await svc?.kill();
    await broker?.close();
});

describe("tracking service metrics used by monitoring", () => {
    it("the real /metrics output passes promtool check metrics", () => {
        const r = spawnSync("promtool", ["check", "metrics"], { input: exposition, encoding: "utf8" });
        expect(`${r.stdout}${r.stderr}`).toBe("");
        expect(r.status).toBe(0);
    });

    it("every tracking_* name in the rules and dashboards is exposed", () => {
        const exposed = new Set(exposition.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/[{ ]/)[0]));
        const exprs = [
            ...alertRulesFile(config.region, ["x"]).groups.flatMap((g) => g.rules.map((r) => r.expr)),
            ...allDashboards(config).flatMap((d) => d.panels.flatMap((p: any) => p.targets.map((t: any) => t.expr as string))),
        ];
        const used = new Set(exprs.join("\n").match(/tracking_[a-z_]+/g));
        expect(used.size).toBeGreaterThan(5);
        expect([...used].filter((n) => !exposed.has(n))).toEqual([]);
        // The histogram the latency SLO rests on has the bucket bounds the dashboards and alert depend on.
        for (const le of ["0.01", "0.025", "0.05", "+Inf"]) expect(exposition).toContain(`tracking_http_request_duration_seconds_bucket{le="${le}"}`);
    });
});
