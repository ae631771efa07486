/**
 * The region TLS CA and the server certificates it signs. The CA is created once per region by the estate
 * (@pulumi/tls, key secret in the state); it signs the server certificate of every listener that leaves the pod
 * network (the broker's device port on every site; the monitoring hub's remote-write receiver and Grafana on the
 * hub site), whose names are every address a client may use: each host's address (a NodePort is on every node)
 * and the in-cluster Service names. Clients pin the region CA. Device identity is separate: client certificates
 * from the region DEVICE CA, an operator-held CA (`npm run devices`), whose certificate and CRL the stack config
 * carries (edge-estate:devices).
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
export const hubCertName = (siteId: string) => `${siteId}-prometheus-hub-tls`;
export const grafanaCertName = (siteId: string) => `${siteId}-grafana-tls`;

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

/** Every name a client may reach a site listener by: host addresses (IP SANs or DNS SANs) and Service names. */
export function siteServerNames(plan: SitePlan, serviceNames: string[]): { dnsNames: string[]; ipAddresses: string[] } {
    const addresses = plan.site.hosts.map((h) => h.address);
    return {
        dnsNames: [...new Set([...serviceNames, ...addresses.filter((a) => !isIP(a))])],
        ipAddresses: [...new Set(addresses.filter((a) => isIP(a)))],
    };
}

/** A Service's in-cluster names: `name`, `name.namespace`, `name.namespace.svc`. */
export const serviceDnsNames = (name: string, namespace: string) => [name, `${name}.${namespace}`, `${name}.${namespace}.svc`];

/** What a TLS listener serves: its certificate followed by the region CA, and its key (secret). */
export interface ServerCertificate {
    chainPem: pulumi.Output<string>;
    keyPem: pulumi.Output<string>;
}

/**
 * A server certificate signed by the region TLS CA for every name a client may use on the site (`siteServerNames`).
 * The one path every listener that leaves the pod network takes: the broker's device port, the monitoring hub's
 * remote-write receiver and Grafana.
 */
export function regionServerCert(
    resourceName: string,
    commonName: string,
    plan: SitePlan,
    ca: RegionTlsCa,
    serviceNames: string[],
    opts: pulumi.CustomResourceOptions,
): ServerCertificate {
    const key = new tls.PrivateKey(`${resourceName}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { ...opts, additionalSecretOutputs: ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"] });
    const names = siteServerNames(plan, serviceNames);
    const csr = new tls.CertRequest(`${resourceName}-csr`, { privateKeyPem: key.privateKeyPem, subject: { commonName, organization: "edge-estate" }, ...names }, opts);
    const cert = new tls.LocallySignedCert(
        resourceName,
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
    // The chain a client gets: the server certificate, then the region CA.
    return { chainPem: pulumi.all([cert.certPem, ca.certPem]).apply(([c, r]) => `${c.trimEnd()}\n${r.trimEnd()}\n`), keyPem: pulumi.secret(key.privateKeyPem) };
}

export function brokerServerCert(plan: SitePlan, ca: RegionTlsCa, serviceNames: string[], opts: pulumi.CustomResourceOptions): ServerCertificate {
    return regionServerCert(brokerCertName(plan.site.id), `mqtt-broker.${plan.site.id}`, plan, ca, serviceNames, opts);
}
