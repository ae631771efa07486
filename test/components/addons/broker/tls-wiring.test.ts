// The broker's TLS wiring in the real program under mocks: one region TLS CA under the estate, one server
// certificate per site naming every host address (the device NodePort is on every node) and the Service names,
// the TLS Secret only when a device CA is configured.
import { isIP } from "node:net";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../../../components/config/load";
import { validateEstateConfig } from "../../../../components/config/validate";
import { parseStackFile } from "../../../../components/config/load";
import * as fs from "node:fs";
import { registerUnderMocks } from "../../host/probe-mocks";

const root = path.join(__dirname, "..", "..", "..", "..");
const CA = "-----BEGIN CERTIFICATE-----\nMIIBdevicecastandin\n-----END CERTIFICATE-----\n";

describe("broker TLS wiring under mocks", () => {
    it("signs one server certificate per site from the region CA, with every host address as a SAN", async () => {
        const stack = parseStackFile(fs.readFileSync(path.join(root, "Pulumi.prod.yaml"), "utf8"), "Pulumi.prod.yaml");
        const config = validateEstateConfig({ ...stack.raw, devices: { caCert: CA } }, { sshPrivateKeyPresent: true, requirePins: false });
        const reg = await registerUnderMocks(config);
        const estate = reg.find((r) => r.type === "edge-estate:index:Estate")!;
        const ca = reg.filter((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert" && r.name === "cn-east-tls-ca");
        expect(ca).toHaveLength(1);
        expect(ca[0].parent).toBe(estate.urn);
        for (const site of config.sites) {
            const csr = reg.find((r) => r.type === "tls:index/certRequest:CertRequest" && r.name === `${site.id}-mqtt-broker-tls-csr`)!;
            for (const h of site.hosts) expect(isIP(h.address) ? csr.inputs.ipAddresses : csr.inputs.dnsNames, `${site.id}/${h.id}`).toContain(h.address);
            expect(csr.inputs.dnsNames).toContain("mqtt-broker-devices.edge-system.svc");
            const cert = reg.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert" && r.name === `${site.id}-mqtt-broker-tls`)!;
            expect(cert.inputs.allowedUses).toEqual(["digital_signature", "key_encipherment", "server_auth"]);
            expect(reg.some((r) => r.name === `${site.id}-secret-edge-system-mqtt-broker-tls`)).toBe(true);
            expect(reg.some((r) => r.name === `${site.id}-service-edge-system-mqtt-broker-devices`)).toBe(true);
        }
        const plain = await registerUnderMocks(loadStackFile(path.join(root, "Pulumi.prod.yaml")).config);
        // Without a device CA no broker certificate; the hub's receiver and Grafana certificates exist either way.
        const signed = plain.filter((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert").map((r) => r.name).sort();
        expect(signed).toEqual([`${config.monitoring.hubSite}-grafana-tls`, `${config.monitoring.hubSite}-prometheus-hub-tls`]);
        expect(plain.some((r) => r.name.endsWith("-mqtt-broker-devices"))).toBe(false);
    }, 120_000);
});
