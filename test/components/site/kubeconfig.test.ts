// components/site/kubeconfig.ts: the admin kubeconfig K3s writes points at 127.0.0.1; Pulumi needs the server's address.
import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { externalKubeconfig } from "../../../components/site/kubeconfig";

// Shape of /etc/rancher/k3s/k3s.yaml as K3s writes it (certificate data shortened).
const K3S_YAML = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTi
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: LS0tLS1CRUdJTi
    client-key-data: LS0tLS1CRUdJTi
`;


describe("externalKubeconfig", () => {
    it("points the cluster at the first server's IPv4 address and keeps everything else", () => {
        const out = yaml.load(externalKubeconfig(K3S_YAML, "https://10.20.1.11:6443")) as any;
        expect(out.clusters[0].cluster.server).toBe("https://10.20.1.11:6443");
        expect(out.users[0].user["client-key-data"]).toBe("LS0tLS1CRUdJTi");
        expect(out["current-context"]).toBe("default");
    });

    it("writes the URL it is given, an IPv6 one included", () => {
        expect((yaml.load(externalKubeconfig(K3S_YAML, "https://[fd00:30:3::11]:6443")) as any).clusters[0].cluster.server).toBe("https://[fd00:30:3::11]:6443");
    });

    it("passes an empty value through (unknown until the first up)", () => {
        expect(externalKubeconfig("", "https://10.0.0.1:6443")).toBe("");
    });
});
