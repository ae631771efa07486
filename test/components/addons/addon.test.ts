// What the SiteAddon base gives every add-on, checked on every add-on of the prod program under the one mock
// harness: a component under its Site named <site>-<addon>, outputs registered once, every child parented to
// the component, known by its earlier identity under the Site (alias), and Kubernetes children on the site's
// own provider.
import { beforeAll, describe, expect, it } from "vitest";
import { type Registered, registerStackFile } from "./program-under-mocks";


let rs: Registered[];
let byUrn: Map<string, Registered>;

beforeAll(async () => {
    ({ rs, byUrn } = await registerStackFile("Pulumi.prod.yaml"));
}, 60_000);

describe("SiteAddon", () => {
    it("every add-on is a component under its Site, named <site>-<addon>, with outputs registered", () => {
        const addons = rs.filter((r) => r.type.startsWith("edge-estate:addons:"));
        // 6 sites x (gatekeeper, broker, tracking, monitoring) + the hub on sh-pudong.
        expect(addons).toHaveLength(25);
        const suffix: Record<string, string> = { Gatekeeper: "gatekeeper", Broker: "broker", Tracking: "tracking", Monitoring: "monitoring", MonitoringHub: "monitoring-hub" };
        for (const a of addons) {
            const site = byUrn.get(a.parent!)!;
            expect(site.type, a.name).toBe("edge-estate:index:Site");
            expect(a.name).toBe(`${site.name}-${suffix[a.type.split(":")[2]]}`);
            expect(a.custom).toBe(false);
            expect(a.outputs, a.name).toBeDefined();
        }
    });

    it("every child of an add-on carries its old identity under the Site and uses the site's provider", () => {
        const addons = rs.filter((r) => r.type.startsWith("edge-estate:addons:"));
        let children = 0;
        for (const a of addons) {
            const site = byUrn.get(a.parent!)!;
            const provider = rs.find((r) => r.type === "pulumi:providers:kubernetes" && r.name === `${site.name}-k8s`)!;
            for (const c of rs.filter((r) => r.parent === a.urn)) {
                children++;
                expect(c.aliases, c.name).toContainEqual(expect.objectContaining({ parentUrn: site.urn, noParent: false }));
                if (c.type.startsWith("kubernetes:")) expect(c.provider, c.name).toBe(provider.urn);
            }
        }
        expect(children).toBeGreaterThan(100);
    });
});
