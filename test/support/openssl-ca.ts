/**
 * A real region TLS CA and server certificates made with openssl, shaped like the ones the program requests from
 * @pulumi/tls (components/addons/broker/tls.ts: ECDSA P-256 CA with cert/CRL signing; leaves for server auth with
 * the names the program puts on the CSR). The provider cannot run here, so tests that need a real chain make it
 * this way and check it with `openssl verify`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { isIP } from "node:net";
import * as path from "node:path";

export interface IssuedCert {
    /** Files: the leaf certificate, its key, and the chain a server presents (leaf, then the CA). */
    certFile: string;
    keyFile: string;
    chainFile: string;
    chainPem: string;
    keyPem: string;
}

export interface OpensslCa {
    dir: string;
    caFile: string;
    caPem: string;
    /** A server certificate for `names` (IP literals become IP SANs, everything else DNS SANs). */
    issue(name: string, commonName: string, names: string[]): IssuedCert;
}

const read = (p: string) => fs.readFileSync(p, "utf8");

export function makeOpensslCa(dir: string, commonName: string): OpensslCa {
    fs.mkdirSync(dir, { recursive: true });
    const o = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    o(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", `/O=edge-estate/CN=${commonName}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    const caFile = path.join(dir, "ca.crt");
    return {
        dir,
        caFile,
        caPem: read(caFile),
        issue(name, cn, names) {
            o(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/O=edge-estate/CN=${cn}`]);
            const sans = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
            fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
            o(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "365", "-extfile", `${name}.ext`, "-out", `${name}.crt`]);
            // What the server presents: its certificate, then the region CA (regionServerCert's chainPem).
            const chainPem = `${read(path.join(dir, `${name}.crt`)).trimEnd()}\n${read(caFile).trimEnd()}\n`;
            const chainFile = path.join(dir, `${name}.chain.crt`);
            fs.writeFileSync(chainFile, chainPem);
            const keyFile = path.join(dir, `${name}.key`);
            return { certFile: path.join(dir, `${name}.crt`), keyFile, chainFile, chainPem, keyPem: read(keyFile) };
        },
    };
}

/** `openssl verify -CAfile ca cert`, optionally also checking the certificate names `host` (DNS or IP). */
export function opensslVerify(caFile: string, certFile: string, host?: string): { ok: boolean; output: string } {
    const hostArgs = host === undefined ? [] : isIP(host) ? ["-verify_ip", host] : ["-verify_hostname", host];
    const r = spawnSync("openssl", ["verify", "-CAfile", caFile, ...hostArgs, certFile], { encoding: "utf8" });
    return { ok: r.status === 0 && r.stdout.includes(": OK"), output: `${r.stdout}${r.stderr}` };
}
