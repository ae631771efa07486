/**
 * npm run devices -- <command> --dir CA_DIR ...
 *
 * The region's device CA and per-device client certificates (openssl). The CA's private key stays in CA_DIR on
 * the operator's machine (keep it offline or in a vault; it is deliberately not in the Pulumi state, so a leaked
 * state cannot mint devices). The stack carries only the CA certificate and its CRL (edge-estate:devices).
 *
 *   init   --dir D --region R            create the CA (ECDSA P-256, 10 years); prints the stack entry
 *   issue  --dir D --site S --device ID --out O [--days N]
 *                                        key + certificate for one device (CN=ID, OU=S, clientAuth only);
 *                                        writes O/ID.key (0600), O/ID.crt, O/ca.crt; verifies the chain
 *   revoke --dir D --device ID           revokes every certificate issued to ID, regenerates the CRL and prints
 *                                        the stack entry: commit it and `pulumi up` (the broker restarts with it)
 *   show   --dir D                       prints the stack entry (caCert + crl)
 *
 * Exit codes: 0 ok, 1 failure (openssl's message is shown), 2 usage.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEVICE_ID } from "../components/addons/broker/config";

class UsageError extends Error {}

const openssl = (args: string[], cwd?: string) => execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

function caConfig(dir: string): string {
    return [
        "[ ca ]",
        "default_ca = device_ca",
        "[ device_ca ]",
        `dir = ${dir}`,
        "database = $dir/index.txt",
        "serial = $dir/serial",
        "crlnumber = $dir/crlnumber",
        "certificate = $dir/ca.crt",
        "private_key = $dir/ca.key",
        "new_certs_dir = $dir/issued",
        "default_md = sha256",
        "default_crl_days = 3650",
        "policy = policy_device",
        "unique_subject = no",
        "copy_extensions = none",
        "[ policy_device ]",
        "commonName = supplied",
        "organizationalUnitName = supplied",
        "organizationName = optional",
        "[ device_cert ]",
        "basicConstraints = critical, CA:FALSE",
        "keyUsage = critical, digitalSignature",
        "extendedKeyUsage = clientAuth",
        "subjectKeyIdentifier = hash",
        "authorityKeyIdentifier = keyid",
        "",
    ].join("\n");
}

function stackEntry(dir: string): string {
    const indent = (pem: string) => pem.trimEnd().split("\n").map((l) => `      ${l}`).join("\n");
    const crl = path.join(dir, "crl.pem");
    return [
        "  edge-estate:devices:",
        "    caCert: |",
        indent(fs.readFileSync(path.join(dir, "ca.crt"), "utf8")),
        ...(fs.existsSync(crl) ? ["    crl: |", indent(fs.readFileSync(crl, "utf8"))] : []),
    ].join("\n");
}

function gencrl(dir: string) {
    openssl(["ca", "-config", path.join(dir, "openssl.cnf"), "-gencrl", "-out", path.join(dir, "crl.pem")]);
}

export function run(argv: string[]): string {
    const [cmd, ...rest] = argv;
    const opts: Record<string, string> = {};
    for (let i = 0; i < rest.length; i += 2) {
        if (!rest[i]?.startsWith("--") || rest[i + 1] === undefined) throw new UsageError(`bad argument ${rest[i]}`);
        opts[rest[i].slice(2)] = rest[i + 1];
    }
    const need = (k: string, re?: RegExp) => {
        const v = opts[k];
        if (v === undefined) throw new UsageError(`${cmd} needs --${k}`);
        if (re && !re.test(v)) throw new UsageError(`--${k} ${JSON.stringify(v)} is not valid`);
        return v;
    };
    const dir = path.resolve(need("dir"));
    switch (cmd) {
        case "init": {
            const region = need("region", /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/);
            if (fs.existsSync(path.join(dir, "ca.key"))) throw new Error(`${dir} already holds a CA; refusing to overwrite it`);
            fs.mkdirSync(path.join(dir, "issued"), { recursive: true, mode: 0o700 });
            fs.chmodSync(dir, 0o700);
            fs.writeFileSync(path.join(dir, "openssl.cnf"), caConfig(dir));
            fs.writeFileSync(path.join(dir, "index.txt"), "");
            fs.writeFileSync(path.join(dir, "serial"), "1000\n");
            fs.writeFileSync(path.join(dir, "crlnumber"), "1000\n");
            openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path.join(dir, "ca.key")]);
            fs.chmodSync(path.join(dir, "ca.key"), 0o600);
            openssl(["req", "-x509", "-new", "-key", path.join(dir, "ca.key"), "-sha256", "-days", "3650", "-subj", `/O=edge-estate/CN=edge-estate ${region} device CA`,
                "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", path.join(dir, "ca.crt")]);
            gencrl(dir);
            return `device CA for ${region} created in ${dir} (keep ca.key offline). Stack entry:\n${stackEntry(dir)}`;
        }
        case "issue": {
            const site = need("site", /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/);
            const device = need("device", DEVICE_ID);
            const out = path.resolve(need("out"));
            const days = opts.days ?? "825";
            if (!/^\d{1,4}$/.test(days)) throw new UsageError("--days must be a number of days");
            fs.mkdirSync(out, { recursive: true, mode: 0o700 });
            const key = path.join(out, `${device}.key`);
            const csr = path.join(out, `${device}.csr`);
            const crt = path.join(out, `${device}.crt`);
            openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
            fs.chmodSync(key, 0o600);
            openssl(["req", "-new", "-key", key, "-subj", `/O=edge-estate/OU=${site}/CN=${device}`, "-out", csr]);
            openssl(["ca", "-batch", "-config", path.join(dir, "openssl.cnf"), "-extensions", "device_cert", "-days", days, "-notext", "-in", csr, "-out", crt]);
            fs.rmSync(csr);
            fs.copyFileSync(path.join(dir, "ca.crt"), path.join(out, "ca.crt"));
            const verified = openssl(["verify", "-CAfile", path.join(dir, "ca.crt"), crt]).trim();
            return `issued ${device} (site ${site}): ${crt}, ${key}; ${verified}`;
        }
        case "revoke": {
            const device = need("device", DEVICE_ID);
            const index = fs.readFileSync(path.join(dir, "index.txt"), "utf8").split("\n").filter(Boolean);
            const serials = index.map((l) => l.split("\t")).filter((f) => f[0] === "V" && new RegExp(`/CN=${device}(/|$)`).test(f[5] ?? "")).map((f) => f[3]);
            if (serials.length === 0) throw new Error(`no valid certificate issued to ${device} in ${dir}`);
            for (const serial of serials) openssl(["ca", "-config", path.join(dir, "openssl.cnf"), "-revoke", path.join(dir, "issued", `${serial}.pem`), "-crl_reason", "keyCompromise"]);
            gencrl(dir);
            return `revoked ${serials.length} certificate(s) of ${device} (serial ${serials.join(", ")}). Commit this stack entry and run pulumi up:\n${stackEntry(dir)}`;
        }
        case "show":
            return stackEntry(dir);
        default:
            throw new UsageError(`unknown command ${JSON.stringify(cmd ?? "")}`);
    }
}

if (require.main === module) {
    try {
        console.log(run(process.argv.slice(2)));
    } catch (e) {
        if (e instanceof UsageError) {
            console.error(`devices: ${e.message}\nusage: npm run devices -- (init --dir D --region R | issue --dir D --site S --device ID --out O [--days N] | revoke --dir D --device ID | show --dir D)`);
            process.exit(2);
        }
        const err = e as { stderr?: string; message: string };
        console.error(`devices: ${err.stderr?.trim() || err.message}`);
        process.exit(1);
    }
}
