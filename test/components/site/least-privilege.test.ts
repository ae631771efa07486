// Least privilege in what the real program applies (prod stack under mocks): every container we run has no
// privilege escalation, a read-only root file system and the runtime-default seccomp profile (pod or container
// level), and runs as non-root with a non-zero uid (the tracking service too: its data directory is prepared for
// its uid by a host step); no ClusterRole of ours grants nodes/proxy or a wildcard.
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

describe("least privilege", () => {
    it("every container: no privilege escalation, read-only root, RuntimeDefault seccomp, non-root with a non-zero uid", () => {
        const workloads = reg.filter((r) => /apps\/v1:(Deployment|DaemonSet|StatefulSet)$/.test(r.type));
        expect(workloads.length).toBeGreaterThan(10);
        for (const w of workloads) {
            const spec = w.inputs.spec.template.spec;
            for (const c of spec.containers) {
                const at = `${w.name}/${c.name}`;
                expect(c.securityContext?.allowPrivilegeEscalation, at).toBe(false);
                expect(c.securityContext?.readOnlyRootFilesystem, at).toBe(true);
                expect(c.securityContext?.seccompProfile?.type ?? spec.securityContext?.seccompProfile?.type, at).toBe("RuntimeDefault");
                expect(c.securityContext?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot, at).toBe(true);
                // A uid the kubelet can check: images without a numeric USER need it set, and never 0.
                const uid = c.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
                expect(uid, at).toBeGreaterThan(0);
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

    it("the tracking pod runs as the uid its host step prepares the data directory for, and never gets a kubelet-made one", () => {
        const tracking = reg.filter((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata.name === "tracking");
        expect(tracking.length).toBe(config.sites.length);
        const steps = reg.filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-tracking-data-dir"));
        expect(steps.length).toBe(config.sites.reduce((n, s) => n + s.hosts.length, 0));
        for (const d of tracking) {
            const spec = d.inputs.spec.template.spec;
            const volume = spec.volumes.find((v: any) => v.name === "data");
            expect(volume.hostPath.type, d.name).toBe("Directory");
            // The command is `bash -c '<script>'`: drop that layer's quoting to read the script's variables.
            const script = (s: Registered) => String(s.inputs.create).split("'\\''").join("");
            const step = steps.find((s) => script(s).includes(`TRACKING_DATA_DIR=${volume.hostPath.path}\n`));
            expect(step, d.name).toBeDefined();
            expect(script(step!)).toContain(`TRACKING_UID=${spec.securityContext.runAsUser}\n`);
            expect(script(step!)).toContain(`TRACKING_GID=${spec.securityContext.runAsGroup}\n`);
            expect(spec.securityContext.fsGroup).toBe(spec.securityContext.runAsUser);
            // The Deployment waits for the host steps.
            for (const s of steps.filter((x) => x.name.startsWith(`${d.name.split("-deployment-")[0]}.`))) expect(d.dependencies, `${d.name} -> ${s.name}`).toContain(s.urn);
        }
    });
});
