// The bootstrap server is chosen by id or by an explicit, validated choice; never by list position.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackFile } from "../../../components/config/load";
import { bootstrapServer } from "../../../components/config/topology";
import { validateEstateConfig } from "../../../components/config/validate";
import { k3sConfigYaml } from "../../../components/host/steps";
import { planSite } from "../../../components/plan";
import * as fs from "node:fs";

const minimal = fs.readFileSync(path.join(__dirname, "..", "..", "fixtures", "stacks", "valid-minimal.yaml"), "utf8");

function load(hosts: string, extra = "") {
    const text = minimal.replace(/      hosts:\n[\s\S]*$/, `${extra}      hosts:\n${hosts}`);
    const stack = parseStackFile(text, "t.yaml");
    return validateEstateConfig(stack.raw, { sshPrivateKeyPresent: true, sshPrivateKeyPlaintext: stack.sshPrivateKeyPlaintext, requirePins: false });
}

const HOSTS = ["        - { id: wrk-a, address: 192.0.2.20, role: agent, hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIBtOkeAnt/Rw0+62Yb0SgoTrHs3URH9kOpldwi0Ef00' }", "        - { id: srv-c, address: 192.0.2.12, role: server, hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIBtOkeAnt/Rw0+62Yb0SgoTrHs3URH9kOpldwi0Ef00' }", "        - { id: srv-b, address: 192.0.2.11, role: server, hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIBtOkeAnt/Rw0+62Yb0SgoTrHs3URH9kOpldwi0Ef00' }", "        - { id: srv-a, address: 192.0.2.10, role: server, hostKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIBtOkeAnt/Rw0+62Yb0SgoTrHs3URH9kOpldwi0Ef00' }"];

describe("bootstrap server", () => {
    it("is the lowest server id, whatever the listing order", () => {
        for (const order of [HOSTS, [...HOSTS].reverse(), [HOSTS[1], HOSTS[3], HOSTS[0], HOSTS[2]]]) {
            const config = load(order.join("\n") + "\n");
            const site = config.sites[0];
            expect(bootstrapServer(site).id).toBe("srv-a");
            expect(site.hosts.map((h) => h.id)).toEqual(["srv-a", "srv-b", "srv-c", "wrk-a"]);
            expect(k3sConfigYaml(planSite(config, site), site.hosts[0])).toContain("cluster-init: true");
            for (const h of site.hosts.slice(1)) expect(k3sConfigYaml(planSite(config, site), h)).toContain("server: https://192.0.2.10:6443");
        }
    });

    it("an explicit bootstrapServer wins (a live site keeps the server it was initialised on)", () => {
        const config = load(HOSTS.join("\n") + "\n", "      bootstrapServer: srv-c\n");
        const site = config.sites[0];
        expect(bootstrapServer(site).id).toBe("srv-c");
        const c = site.hosts.find((h) => h.id === "srv-c")!;
        expect(k3sConfigYaml(planSite(config, site), c)).toContain("cluster-init: true");
        expect(k3sConfigYaml(planSite(config, site), c)).not.toMatch(/^server:/m);
        expect(k3sConfigYaml(planSite(config, site), site.hosts.find((h) => h.id === "srv-a")!)).toContain("server: https://192.0.2.12:6443");
    });
});
