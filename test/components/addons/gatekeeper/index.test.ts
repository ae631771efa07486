// The Gatekeeper add-on component under the one mock harness, on the prod stack file: what it registers, in
// which order, on which provider. Expected values are written out (chart version: Pulumi.yaml's default
// versions.gatekeeper; repository: the Gatekeeper project's chart repository).
import { beforeAll, describe, expect, it } from "vitest";
import { type Registered, type RegisteredStack, registerStackFile } from "../program-under-mocks";

const names = (urns: string[]) => urns.map((u) => byUrn.get(u)!.name).sort();

let rs: Registered[];
let byUrn: Map<string, Registered>;
let find: RegisteredStack["find"];

beforeAll(async () => {
    ({ rs, byUrn, find } = await registerStackFile("Pulumi.prod.yaml"));
}, 60_000);

describe("Gatekeeper component", () => {
    it("is one component per site under its Site, with the namespace, the chart, three templates and three constraints", () => {
        const components = rs.filter((r) => r.type === "edge-estate:addons:Gatekeeper");
        expect(components.map((c) => c.name).sort()).toEqual(["hf-shushan-gatekeeper", "hz-xihu-gatekeeper", "nb-yinzhou-gatekeeper", "nj-xuanwu-gatekeeper", "sh-pudong-gatekeeper", "sz-gusu-gatekeeper"]);
        const gk = find("edge-estate:addons:Gatekeeper", "hz-xihu-gatekeeper");
        expect(gk.parent).toBe(find("edge-estate:index:Site", "hz-xihu").urn);
        expect(gk.outputs).toEqual({});
        expect(rs.filter((r) => r.parent === gk.urn).map((r) => `${r.type}::${r.name}`).sort()).toEqual(
            [
                "kubernetes:core/v1:Namespace::hz-xihu-namespace-gatekeeper-system",
                "kubernetes:helm.sh/v4:Chart::hz-xihu-gatekeeper",
                "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate::hz-xihu-constrainttemplate-edgecontainerresources",
                "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate::hz-xihu-constrainttemplate-edgewasmruntimeclass",
                "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate::hz-xihu-constrainttemplate-edgeallowedregistries",
                "kubernetes:constraints.gatekeeper.sh/v1beta1:EdgeContainerResources::hz-xihu-edgecontainerresources-edge-container-resources",
                "kubernetes:constraints.gatekeeper.sh/v1beta1:EdgeWasmRuntimeClass::hz-xihu-edgewasmruntimeclass-edge-wasm-runtime-class",
                "kubernetes:constraints.gatekeeper.sh/v1beta1:EdgeAllowedRegistries::hz-xihu-edgeallowedregistries-edge-allowed-registries",
            ].sort(),
        );
    });

    it("installs the pinned chart from the Gatekeeper chart repository into gatekeeper-system, CRDs included", () => {
        const chart = find("kubernetes:helm.sh/v4:Chart", "hz-xihu-gatekeeper");
        expect(chart.inputs).toMatchObject({
            chart: "gatekeeper",
            version: "3.15.1",
            repositoryOpts: { repo: "https://open-policy-agent.github.io/gatekeeper/charts" },
            namespace: "gatekeeper-system",
            skipCrds: false,
        });
        expect(chart.provider).toBe(find("pulumi:providers:kubernetes", "hz-xihu-k8s").urn);
    });

    it("orders namespace -> chart -> templates -> constraints, the namespace after the site's foundation", () => {
        const ns = find("kubernetes:core/v1:Namespace", "hz-xihu-namespace-gatekeeper-system");
        expect(names(ns.dependencies)).toEqual(["hz-xihu-configmap-edge-system-edge-site-info", "hz-xihu-namespace-edge-system"]);
        expect(names(find("kubernetes:helm.sh/v4:Chart", "hz-xihu-gatekeeper").dependencies)).toEqual(["hz-xihu-namespace-gatekeeper-system"]);
        const templates = rs.filter((r) => r.type === "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate" && r.name.startsWith("hz-xihu-"));
        for (const t of templates) expect(names(t.dependencies), t.name).toEqual(["hz-xihu-gatekeeper"]);
        const constraints = rs.filter((r) => r.type.startsWith("kubernetes:constraints.gatekeeper.sh/") && r.name.startsWith("hz-xihu-"));
        expect(constraints).toHaveLength(3);
        for (const c of constraints) expect(names(c.dependencies), c.name).toEqual(templates.map((t) => t.name).sort());
    });
});
