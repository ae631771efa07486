// Every built-in Kubernetes object the tracking, broker and Gatekeeper builders produce validates against the
// strict Kubernetes 1.30 schema (unknown fields rejected; test/support/k8s-schema.ts).
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildBrokerObjects } from "../../../components/addons/broker/objects";
import { gatekeeperNamespace } from "../../../components/addons/gatekeeper/chart";
import { buildTrackingObjects } from "../../../components/addons/tracking/objects";
import { loadStackFile } from "../../../components/config/load";
import { K8sValidator } from "../../support/k8s-schema";
import { planSite } from "../../../components/plan";

const root = path.join(__dirname, "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));

describe("add-on objects against the Kubernetes 1.30 schema", () => {
    it("tracking, broker and the gatekeeper namespace are valid (and a typo is caught)", () => {
        const validator = new K8sValidator();
        const site = config.sites.find((s) => s.id === "sh-pudong")!;
        const objects = [
            ...buildTrackingObjects({
                site,
                schedulableHosts: planSite(config, site).schedulableHosts,
                namespace: "edge-system",
                image: `edge-estate.local/logistics-system@sha256:${"a".repeat(64)}`,
                imagePullPolicy: "Never",
                replicas: 2,
                httpPort: 8080,
                resources: config.budget.components.tracking,
                mqttCredentialsSecret: "mqtt-tracking-credentials",
            }),
            ...buildBrokerObjects({
                site,
                namespace: "edge-system",
                mosquittoVersion: "2.0.18",
                resources: config.budget.components.broker,
                pinnedHostId: "srv-a",
                passwordFile: "hashes",
                credentials: { tracking: { username: "tracking", password: "pw" } },
            }),
            gatekeeperNamespace(),
        ];
        expect(objects.length).toBeGreaterThanOrEqual(10);
        const failures = objects.map((o) => ({ o, r: validator.validate(o) })).filter(({ r }) => !r.ok);
        expect(failures.map(({ o, r }) => `${o.kind}/${o.metadata.name}: ${r.errors.join("; ")}`)).toEqual([]);
        const typo = JSON.parse(JSON.stringify(objects[0]));
        typo.spec.template.spec.containers[0].imagee = "x";
        expect(validator.validate(typo).ok).toBe(false);
    });
});
