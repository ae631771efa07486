// components/naming.ts: every name format, built and parsed back; the formats are written out as literals here
// because they are part of the deployed state (a changed name is a replaced resource).
import { describe, expect, it } from "vitest";
import * as n from "../../components/naming";

describe("resource names", () => {
    it("build each documented format", () => {
        expect(n.hostResourceName("sh-pudong", "srv-a")).toBe("sh-pudong.srv-a");
        expect(n.stepResourceName("sh-pudong", "srv-a", n.stepOrder(3), "k3s-config")).toBe("sh-pudong.srv-a.03-k3s-config");
        expect(n.probeResourceName("sh-pudong", "srv-a")).toBe("sh-pudong.srv-a.probe");
        expect(n.artifactPushName("gz-tianhe", "srv-a", "k3s-v1.30.4-k3s1")).toBe("gz-tianhe.srv-a.push-k3s-v1.30.4-k3s1");
        expect(n.trackingImagePushName("hz-xihu", "srv-a")).toBe("hz-xihu.srv-a.push-tracking-image");
        expect(n.providerResourceName("hz-xihu")).toBe("hz-xihu-k8s");
        expect(n.objectResourceName("hz-xihu", { kind: "Deployment", metadata: { name: "tracking", namespace: "edge-system" } })).toBe("hz-xihu-deployment-edge-system-tracking");
        expect(n.objectResourceName("hz-xihu", { kind: "ClusterRole", metadata: { name: "prometheus-agent" } })).toBe("hz-xihu-clusterrole-prometheus-agent");
        expect(n.k3sTokenName("hz-xihu")).toBe("hz-xihu-k3s-token");
        expect(n.mqttPasswordName("hz-xihu", "device")).toBe("hz-xihu-mqtt-device");
        expect(n.remoteWritePasswordName("cn-east", "hz-xihu")).toBe("cn-east-hz-xihu-monitoring-remote-write");
        expect(n.hubReaderPasswordName("cn-east")).toBe("cn-east-monitoring-hub-reader");
        expect(n.grafanaAdminPasswordName("cn-east")).toBe("cn-east-grafana-admin");
        expect(n.gatekeeperChartName("hz-xihu")).toBe("hz-xihu-gatekeeper");
        expect(n.addonResourceName("hz-xihu", "monitoring-hub")).toBe("hz-xihu-monitoring-hub");
        expect(n.nodeName("hz-xihu", "srv-a")).toBe("hz-xihu-srv-a");
    });

    it("parse step, probe and provider names back, and refuse anything else", () => {
        expect(n.parseStepName("sh-pudong.srv-a.07-import-image")).toEqual({ site: "sh-pudong", host: "srv-a", order: "07", step: "import-image" });
        for (const other of ["sh-pudong.srv-a.probe", "sh-pudong.srv-a.push-tracking-image", "sh-pudong-k8s", "sh-pudong.srv-a.7-x", "a.b.07_x", "a.b.c.07-x", "A.b.07-x", "a.b.07-"])
            expect(n.parseStepName(other), other).toBeUndefined();
        expect(n.parseProbeName("sh-pudong.srv-a.probe")).toEqual({ site: "sh-pudong", host: "srv-a" });
        expect(n.parseProbeName("sh-pudong.srv-a.00-preflight")).toBeUndefined();
        expect(n.parseProviderName("sh-pudong-k8s")).toBe("sh-pudong");
        expect(n.parseProviderName("default")).toBeUndefined();
        expect(n.parseProviderName("-k8s")).toBeUndefined();
        expect(n.nameOfUrn("urn:pulumi:prod::edge-estate::edge-estate:index:Estate$edge-estate:index:Site::sh-pudong")).toBe("sh-pudong");
    });

    it("site URN globs for --exclude, and the sites a <site>-* glob would also catch", () => {
        expect(n.siteResourceGlobs("hz-xihu")).toEqual(["**::hz-xihu", "**::hz-xihu.*", "**::hz-xihu-*"]);
        expect(n.siteGlobOverlaps("hz-xihu", ["hz-xihu", "hz-xihu-2", "hz-xihuan", "sh-pudong"])).toEqual(["hz-xihu-2"]);
        expect(n.siteGlobOverlaps("sh-pudong", ["hz-xihu", "sh-pudong"])).toEqual([]);
    });
});
