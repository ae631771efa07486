/**
 * The trust a site's K3s cluster is built on, owned by the program: the cluster CAs (generated with @pulumi/tls,
 * kept secret in the state), the server token in K3s' secure form and a separate agent token.
 *
 * The CA files are placed on the first server before K3s first starts (k3s-config step, from stdin), so K3s uses
 * them instead of generating its own, and the token can carry the CA hash from the very first start:
 *   server token  K10<sha256 of server-ca.crt>::server:<secret>   (servers; joins anything, keep it close)
 *   agent token   K10<sha256 of server-ca.crt>::node:<secret>     (agents; cannot join as a server)
 * A joining node downloads /cacerts, checks its hash against the token and only then sends its credentials.
 * K3s hashes a one-certificate CA bundle over the literal bytes of the file (pkg/clientaccess/token.go
 * hashCA), so the hash is taken over exactly the PEM text the step writes.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { k3sAgentTokenName, k3sCaKeyName, k3sCaName, k3sTokenName } from "../naming";

/** The CA files K3s reads from /var/lib/rancher/k3s/server/tls/ when they exist before its first start. */
export const K3S_CA_NAMES = ["server-ca", "client-ca", "request-header-ca"] as const;
export type K3sCaName = (typeof K3S_CA_NAMES)[number];

/** 10 years, as K3s' own CAs; they are not renewed automatically (see docs/day2.md for rotation). */
export const K3S_CA_VALIDITY_HOURS = 87600;

/** The CA hash of a secure K3s token: sha256 over the CA bundle file exactly as served at /cacerts. */
export function k3sCaHash(serverCaPem: string): string {
    return createHash("sha256").update(serverCaPem, "utf8").digest("hex");
}

export function secureToken(serverCaPem: string, user: "server" | "node", secret: string): string {
    // RandomPassword with special: false gives [A-Za-z0-9]; nothing that could end the line or the field.
    if (!/^[^\s:"']+$/.test(secret)) throw new Error("a K3s token secret must not contain whitespace, ':' or quotes");
    return `K10${k3sCaHash(serverCaPem)}::${user}:${secret}`;
}

/** stdin lines carrying the CA files to the first server: "<file> <base64 of its exact bytes>". */
export function caBundleLines(files: { name: string; pem: string }[]): string {
    return files.map((f) => `${f.name} ${Buffer.from(f.pem, "utf8").toString("base64")}\n`).join("");
}

export interface ClusterTrust {
    serverToken: pulumi.Output<string>;
    agentToken: pulumi.Output<string>;
    /** The CA certificates and keys as k3s-config.sh reads them from stdin (secret). */
    caBundle: pulumi.Output<string>;
    /** The server CA certificate (public; what kubeconfigs and joining nodes trust). */
    serverCaPem: pulumi.Output<string>;
}

export function siteClusterTrust(siteId: string, region: string, parent: pulumi.Resource): ClusterTrust {
    const files: pulumi.Output<{ name: string; pem: string }>[] = [];
    let serverCaPem: pulumi.Output<string> | undefined;
    for (const name of K3S_CA_NAMES) {
        const key = new tls.PrivateKey(k3sCaKeyName(siteId, name), { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent, additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"] });
        const cert = new tls.SelfSignedCert(
            k3sCaName(siteId, name),
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: `k3s-${name}@${siteId}`, organization: `edge-estate ${region}` },
                isCaCertificate: true,
                validityPeriodHours: K3S_CA_VALIDITY_HOURS,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
            },
            { parent },
        );
        if (name === "server-ca") serverCaPem = cert.certPem;
        files.push(cert.certPem.apply((pem) => ({ name: `${name}.crt`, pem })));
        files.push(pulumi.secret(key.privateKeyPem).apply((pem) => ({ name: `${name}.key`, pem })));
    }
    const serverSecret = new random.RandomPassword(k3sTokenName(siteId), { length: 48, special: false }, { parent });
    const agentSecret = new random.RandomPassword(k3sAgentTokenName(siteId), { length: 48, special: false }, { parent });
    const ca = serverCaPem!;
    return {
        serverToken: pulumi.secret(pulumi.all([ca, serverSecret.result]).apply(([pem, s]) => secureToken(pem, "server", s))),
        agentToken: pulumi.secret(pulumi.all([ca, agentSecret.result]).apply(([pem, s]) => secureToken(pem, "node", s))),
        caBundle: pulumi.secret(pulumi.all(files).apply(caBundleLines)),
        serverCaPem: ca,
    };
}
