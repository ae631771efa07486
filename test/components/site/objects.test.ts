// The foundation objects of a site, on the prod stack file; expected values written out from Pulumi.prod.yaml
// and Pulumi.yaml's default versions.
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import { planEstate } from "../../../components/plan";
import { siteFoundationObjects } from "../../../components/site/objects";

const plans = planEstate(loadStackFile("Pulumi.prod.yaml").config).sites;
const objectsOf = (id: string) => siteFoundationObjects(plans.find((p) => p.site.id === id)!);

describe("siteFoundationObjects", () => {
    it("the edge-system namespace and the site-info ConfigMap, labelled with the site", () => {
        const [ns, cm] = objectsOf("sh-pudong");
        const labels = { "app.kubernetes.io/managed-by": "edge-estate", "edge-estate/site": "sh-pudong" };
        expect(ns).toEqual({ apiVersion: "v1", kind: "Namespace", metadata: { name: "edge-system", labels } });
        expect(cm).toEqual({
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "edge-site-info", namespace: "edge-system", labels },
            data: {
                region: "cn-east",
                site: "sh-pudong",
                city: "上海浦东",
                wave: "0",
                hosts: "srv-a:server,srv-b:server,srv-c:server,wrk-a:agent",
                k3sVersion: "v1.30.4+k3s1",
                wasmedgeShimVersion: "v0.6.0",
            },
        });
        expect(objectsOf("hz-xihu")).toHaveLength(2);
    });

    it("a custom SSH port or user does not show up (the ConfigMap holds what runs where, no access details)", () => {
        const cm = objectsOf("nj-xuanwu")[1] as unknown as { data: Record<string, string> };
        expect(cm.data.hosts).toBe("srv-a:server");
        expect(JSON.stringify(cm)).not.toContain("2222");
        expect(JSON.stringify(cm)).not.toContain("edgeops");
    });
});
