// Dashboards as code (components/addons/monitoring/dashboards.ts) against the strict schema generated from
// @grafana/schema 11.2.0, plus the promises the dashboards make (SLO lines, budget thresholds, datasource).
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../../../components/config/load";
import { allDashboards, trackingLatencyDashboard } from "../../../../components/addons/monitoring/dashboards";
import { HUB_DATASOURCE_UID } from "../../../../components/addons/monitoring/names";
import { grafanaDashboardValidator } from "./grafana-schema";
import { promtool, requirePromtool, scratchDir, writeYaml } from "./promtool";

const root = path.join(__dirname, "..", "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
let validate: ReturnType<typeof grafanaDashboardValidator>;

beforeAll(() => {
    validate = grafanaDashboardValidator();
});

const panelsOf = (d: { panels: Record<string, any>[] }) => d.panels;
const exprsOf = (d: { panels: Record<string, any>[] }) => panelsOf(d).flatMap((p) => (p.targets ?? []).map((t: any) => t.expr as string));

describe("Grafana dashboards", () => {
    it("are the five dashboards the region needs, with unique uids", () => {
        const ds = allDashboards(config);
        expect(ds.map((d) => d.uid)).toEqual(["edge-estate-overview", "edge-site-detail", "edge-tracking-latency", "edge-mqtt-throughput", "edge-budget"]);
    });

    for (const d of allDashboards(config)) {
        it(`${d.uid} validates against the strict @grafana/schema 11.2.0 Dashboard schema`, () => {
            expect(validate(JSON.parse(JSON.stringify(d)))).toEqual([]);
        });
    }

    it("the schema rejects a typo, a wrong type and an unknown panel field", () => {
        const base = JSON.parse(JSON.stringify(allDashboards(config)[0]));
        const typo = { ...base, refersh: "1m" };
        expect(validate(typo).join("\n")).toMatch(/must NOT have additional properties \(refersh\)/);
        const wrongType = JSON.parse(JSON.stringify(base));
        wrongType.panels[0].gridPos.h = "8";
        expect(validate(wrongType).length).toBeGreaterThan(0);
        const unknownPanelField = JSON.parse(JSON.stringify(base));
        unknownPanelField.panels[0].tittle = "x";
        expect(validate(unknownPanelField).join("\n")).toMatch(/tittle/);
        const noSchemaVersion = JSON.parse(JSON.stringify(base));
        delete noSchemaVersion.schemaVersion;
        expect(validate(noSchemaVersion).join("\n")).toMatch(/schemaVersion/);
    });

    it("every panel queries the provisioned hub datasource and has a place on the grid", () => {
        for (const d of allDashboards(config)) {
            const ids = new Set<number>();
            for (const p of panelsOf(d)) {
                expect(p.datasource, `${d.uid}/${p.title}`).toEqual({ type: "prometheus", uid: HUB_DATASOURCE_UID });
                expect(p.gridPos.x + p.gridPos.w, `${d.uid}/${p.title}`).toBeLessThanOrEqual(24);
                expect(ids.has(p.id)).toBe(false);
                ids.add(p.id);
                expect(p.targets.length).toBeGreaterThan(0);
            }
        }
    });

    it("tracking latency shows p50/p99/p999 of the tracking histogram with 15/30/50 ms threshold lines", () => {
        const d = trackingLatencyDashboard();
        const main = panelsOf(d).find((p) => p.title === "Tracking request latency vs SLO")!;
        expect(main.targets.map((t: any) => t.legendFormat)).toEqual(["p50", "p99", "p99.9"]);
        expect(main.targets.map((t: any) => /^histogram_quantile\(([\d.]+),/.exec(t.expr)![1])).toEqual(["0.5", "0.99", "0.999"]);
        for (const t of main.targets) expect(t.expr).toContain("tracking_http_request_duration_seconds_bucket");
        expect(main.fieldConfig.defaults.thresholds.steps.map((s: any) => s.value)).toEqual([null, 0.015, 0.03, 0.05]);
        expect(main.fieldConfig.defaults.custom.thresholdsStyle.mode).toBe("line");
    });

    it("every dashboard query is valid PromQL (checked by promtool as recording rules)", () => {
        requirePromtool();
        const exprs = allDashboards(config).flatMap((d) => exprsOf(d).map((e) => e.replace(/\$site/g, "x")));
        const dir = scratchDir("dash-promql");
        writeYaml(path.join(dir, "queries.yml"), { groups: [{ name: "dashboards", rules: exprs.map((expr, i) => ({ record: `dashboard:query:${i}`, expr })) }] });
        const r = promtool(["check", "rules", "queries.yml"], dir);
        expect(r.code, r.output).toBe(0);
        expect(r.output).toContain(`SUCCESS: ${exprs.length} rules found`);
    });
});
