// The cluster trust each site gets, read from what the real program registers under mocks: three CAs generated
// with @pulumi/tls (ECDSA P-256, CA certificates, 10 years), a server token and a separate agent token in the
// secure K10 form carrying the server CA's hash, the CA files on the first server's stdin only, and
// secrets-encryption on every server. (The tls provider is not available here: under mocks each certificate is a
// stand-in PEM; run-steps.test.ts places a real openssl CA and checks the hash against sha256sum on disk.)
import { createHash } from "node:crypto";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import { isSecretEnvelope } from "../../../scripts/synth/secrets";
import { registerUnderMocks, type Registered } from "../host/probe-mocks";

const root = path.join(__dirname, "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
const unwrap = (v: unknown): any => (isSecretEnvelope(v) ? unwrap(v.value) : v);
const standInPem = (name: string) => `-----BEGIN CERTIFICATE-----\nsynth-stand-in-${Buffer.from(name).toString("base64")}\n-----END CERTIFICATE-----\n`;

let registered: Registered[];
beforeAll(async () => {
    registered = await registerUnderMocks(config);
}, 120_000);

describe("cluster trust per site", () => {
    it("three CA certificates per site from their own ECDSA P-256 keys", () => {
        for (const site of config.sites) {
            for (const ca of ["server-ca", "client-ca", "request-header-ca"]) {
                const cert = registered.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert" && r.name === `${site.id}-k3s-${ca}`);
                const key = registered.find((r) => r.type === "tls:index/privateKey:PrivateKey" && r.name === `${site.id}-k3s-${ca}-key`);
                expect(cert, `${site.id} ${ca}`).toBeDefined();
                expect(key!.inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
                expect(cert!.inputs).toMatchObject({ isCaCertificate: true, validityPeriodHours: 87600 });
                expect(cert!.inputs.allowedUses).toContain("cert_signing");
                expect(cert!.inputs.subject.commonName).toBe(`k3s-${ca}@${site.id}`);
            }
        }
    });

    it("servers join with the server token, agents with the agent token; only the first server gets the CA files", () => {
        let agents = 0;
        for (const site of config.sites) {
            const hash = createHash("sha256").update(standInPem(`${site.id}-k3s-server-ca`)).digest("hex");
            const first = site.hosts.find((h) => h.role === "server")!;
            for (const host of site.hosts) {
                const cmd = registered.find((r) => r.type === "command:remote:Command" && r.name === `${site.id}.${host.id}.03-k3s-config`)!;
                expect(isSecretEnvelope(cmd.inputs.stdin), "stdin is secret").toBe(true);
                const lines = String(unwrap(cmd.inputs.stdin)).split("\n");
                if (host.role === "agent") {
                    agents++;
                    expect(lines[0]).toBe(`K10${hash}::node:mock-${site.id}-k3s-agent-token`);
                    expect(lines[1]).toBe("");
                    expect(lines.join("\n")).not.toContain("::server:");
                } else {
                    expect(lines[0]).toBe(`K10${hash}::server:mock-${site.id}-k3s-token`);
                    expect(lines[1]).toBe(`K10${hash}::node:mock-${site.id}-k3s-agent-token`);
                }
                const caLines = lines.slice(2).filter(Boolean).map((l) => l.split(" ")[0]);
                expect(caLines).toEqual(host.id === first.id ? ["server-ca.crt", "server-ca.key", "client-ca.crt", "client-ca.key", "request-header-ca.crt", "request-header-ca.key"] : []);
                if (host.id === first.id) expect(Buffer.from(lines[2].split(" ")[1], "base64").toString()).toBe(standInPem(`${site.id}-k3s-server-ca`));
                const env = String(unwrap(cmd.inputs.create));
                if (host.role === "server") expect(env).toContain("secrets-encryption: true");
                else expect(env).not.toContain("secrets-encryption");
            }
        }
        expect(agents).toBeGreaterThan(0);
    });
});
