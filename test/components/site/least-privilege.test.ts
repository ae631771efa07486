// Least privilege in what the real program applies (prod stack under mocks): every container we run has no
// privilege escalation, a read-only root file system and the runtime-default seccomp profile (pod or container
// level), runs as non-root where the image allows (the one documented exception: the tracking service, see
// components/addons/tracking/objects.ts); no ClusterRole of ours grants nodes/proxy or a wildcard.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import { registerUnderMocks, type Registered } from "../host/probe-mocks";

const root = path.join(__dirname, "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
let reg: Registered[];
beforeAll(async () => {
    reg = await registerUnderMocks(config);
}, 120_000);

const RUNS_AS_ROOT_BY_DECISION = new Set(["tracking"]);

describe("least privilege", () => {
    it("every container: no privilege escalation, read-only root, RuntimeDefault seccomp, non-root unless documented", () => {
        const workloads = reg.filter((r) => /apps\/v1:(Deployment|DaemonSet|StatefulSet)$/.test(r.type));
        expect(workloads.length).toBeGreaterThan(10);
        for (const w of workloads) {
            const spec = w.inputs.spec.template.spec;
            for (const c of spec.containers) {
                const at = `${w.name}/${c.name}`;
                expect(c.securityContext?.allowPrivilegeEscalation, at).toBe(false);
                expect(c.securityContext?.readOnlyRootFilesystem, at).toBe(true);
                expect(c.securityContext?.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type, at).toBe("RuntimeDefault");
                const nonRoot = c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot;
                if (RUNS_AS_ROOT_BY_DECISION.has(c.name)) expect(nonRoot, at).toBeUndefined();
                else expect(nonRoot, at).toBe(true);
            }
        }
    });

    it("no ClusterRole or Role of ours grants nodes/proxy, a wildcard, or secrets cluster-wide", () => {
        const roles = reg.filter((r) => /rbac.authorization.k8s.io\/v1:(ClusterRole|Role)$/.test(r.type));
        expect(roles.length).toBeGreaterThan(0);
        for (const r of roles)
            for (const rule of r.inputs.rules ?? []) {
                expect(rule.resources ?? [], r.name).not.toContain("nodes/proxy");
                expect([...(rule.resources ?? []), ...(rule.verbs ?? []), ...(rule.apiGroups ?? [])], r.name).not.toContain("*");
                if (r.type.endsWith("ClusterRole")) expect(rule.resources ?? [], r.name).not.toContain("secrets");
            }
    });

    it("kubelet metrics are scraped on the kubelet (nodes/metrics), not through the API server's node proxy", () => {
        const cm = reg.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name.endsWith("prometheus-agent-config"))!;
        const text = JSON.stringify(cm.inputs.data);
        expect(text).not.toContain("/proxy");
        expect(text).toContain("metrics_path: /metrics/cadvisor");
    });
});
