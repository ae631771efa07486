/**
 * TLS for the broker's device listener. The region TLS CA (created once per region by the estate, @pulumi/tls,
 * key secret in the state) signs one server certificate per site broker whose names are every address a device
 * may use: each host's address (the device NodePort is on every node) and the in-cluster Service names.
 * Devices pin the region CA. Device identity is separate: client certificates from the region DEVICE CA, an
 * operator-held CA (`npm run devices`), whose certificate and CRL the stack config carries (edge-estate:devices).
 */
import { isIP } from "node:net";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { SitePlan } from "../../plan";

export interface RegionTlsCa {
    certPem: pulumi.Output<string>;
    keyPem: pulumi.Output<string>;
}

/** 10 years; the leaf certificates it signs are renewed by `pulumi up` (earlyRenewalHours). */
export const REGION_CA_VALIDITY_HOURS = 87600;
export const SERVER_CERT_VALIDITY_HOURS = 8760;
export const SERVER_CERT_EARLY_RENEWAL_HOURS = 720;

export const regionTlsCaName = (region: string) => `${region}-tls-ca`;
export const brokerCertName = (siteId: string) => `${siteId}-mqtt-broker-tls`;

export function regionTlsCa(region: string, parent: pulumi.Resource): RegionTlsCa {
    const key = new tls.PrivateKey(`${regionTlsCaName(region)}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent, additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"] });
    const cert = new tls.SelfSignedCert(
        regionTlsCaName(region),
        {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: `edge-estate ${region} TLS CA`, organization: "edge-estate" },
            isCaCertificate: true,
            validityPeriodHours: REGION_CA_VALIDITY_HOURS,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        },
        { parent },
    );
    return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
}

/** Every name a client may reach the site's broker by: host addresses (IP SANs or DNS SANs) and Service names. */
export function brokerServerNames(plan: SitePlan, serviceNames: string[]): { dnsNames: string[]; ipAddresses: string[] } {
    const addresses = plan.site.hosts.map((h) => h.address);
    return {
        dnsNames: [...new Set([...serviceNames, ...addresses.filter((a) => !isIP(a))])],
        ipAddresses: [...new Set(addresses.filter((a) => isIP(a)))],
    };
}

export function brokerServerCert(plan: SitePlan, ca: RegionTlsCa, serviceNames: string[], opts: pulumi.CustomResourceOptions) {
    const id = plan.site.id;
    const key = new tls.PrivateKey(`${brokerCertName(id)}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { ...opts, additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"] });
    const names = brokerServerNames(plan, serviceNames);
    const csr = new tls.CertRequest(`${brokerCertName(id)}-csr`, { privateKeyPem: key.privateKeyPem, subject: { commonName: `mqtt-broker.${id}`, organization: "edge-estate" }, ...names }, opts);
    const cert = new tls.LocallySignedCert(
        brokerCertName(id),
        {
            certRequestPem: csr.certRequestPem,
            caPrivateKeyPem: ca.keyPem,
            caCertPem: ca.certPem,
            validityPeriodHours: SERVER_CERT_VALIDITY_HOURS,
            earlyRenewalHours: SERVER_CERT_EARLY_RENEWAL_HOURS,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        },
        opts,
    );
    // The chain a client gets: the broker certificate, then the region CA.
    return { chainPem: pulumi.all([cert.certPem, ca.certPem]).apply(([c, r]) => `${c.trimEnd()}\n${r.trimEnd()}\n`), keyPem: pulumi.secret(key.privateKeyPem) };
}
