// The config grammars, case by case with written-out answers. Host keys come from the real ssh-keygen and PEM
// blocks from the real openssl, so what the grammar accepts is what those tools write.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as g from "../../../components/config/grammar";

const ok = <T>(value: T) => ({ ok: true, value });
const reason = (p: g.Parsed<unknown>) => (p.ok ? "accepted" : p.reason);

describe("control characters", () => {
    it("are escaped to one visible line, found anywhere in the raw config (keys too)", () => {
        expect(g.escapeControls("a\nb\u0000c\u2028d\te")).toBe("a\\nb\\u0000c\\u2028d\\te");
        expect(g.hasControlCharacters("plain 上海")).toBe(false);
        expect(g.hasControlCharacters("x\u001b[31m")).toBe(true);
        expect(g.findControlCharacters({ sites: [{ id: "a\nb" }], "bad\rkey": 1 }).map((f) => f.key)).toEqual(["sites[0].id", '"bad\\rkey"']);
    });
});

describe("parseBaseUrl", () => {
    it("returns the re-serialised URL, and refuses user info, queries, dot segments, trailing slashes and odd hosts", () => {
        expect(g.parseBaseUrl("https://mirror.example.com:8443/k3s/releases")).toEqual(ok("https://mirror.example.com:8443/k3s/releases"));
        expect(g.parseBaseUrl("HTTPS://Mirror.Example.com/x")).toEqual(ok("https://mirror.example.com/x"));
        expect(g.parseBaseUrl("http://[fd00::1]:8080")).toEqual(ok("http://[fd00::1]:8080"));
        expect(reason(g.parseBaseUrl("https://user:pw@mirror.example.com/x"))).toBe("carries user info; credentials never belong in a URL in config");
        expect(reason(g.parseBaseUrl("https://mirror.example.com/x?token=1"))).toBe("has a query or fragment; a base URL is scheme, host and path only");
        expect(reason(g.parseBaseUrl("https://mirror.example.com/a/../b"))).toBe("has '.' or '..' path segments");
        expect(reason(g.parseBaseUrl("https://mirror.example.com/a/%2E%2E/b"))).toBe("has '.' or '..' path segments");
        expect(reason(g.parseBaseUrl("https://mirror.example.com/x/"))).toBe("ends with a slash");
        expect(reason(g.parseBaseUrl("https://-bad-.example.com/x"))).toBe("has a host name that is not made of DNS labels");
        expect(reason(g.parseBaseUrl("ftp://mirror.example.com/x"))).toBe("is not scheme://host[:port]/path with a plain host and path (letters, digits, . _ ~ % + -)");
        expect(reason(g.parseBaseUrl("https://mirror.example.com/a b"))).toBe("contains whitespace or control characters");
    });
});

describe("parseDirectory", () => {
    it("takes normalised relative or absolute directories only", () => {
        expect(g.parseDirectory(".cache/artifacts")).toEqual(ok(".cache/artifacts"));
        expect(g.parseDirectory("/srv/edge-estate/cache")).toEqual(ok("/srv/edge-estate/cache"));
        expect(reason(g.parseDirectory("/"))).toBe("is the file system root or the project root; use a dedicated directory");
        expect(reason(g.parseDirectory("."))).toBe("is the file system root or the project root; use a dedicated directory");
        expect(reason(g.parseDirectory("cache/../../etc"))).toBe("is not normalised (no '.', '..', '//' or trailing '/')");
        expect(reason(g.parseDirectory("cache/"))).toBe("is not normalised (no '.', '..', '//' or trailing '/')");
        expect(reason(g.parseDirectory("-rf"))).toBe("starts with '-'");
        expect(reason(g.parseDirectory("cache dir"))).toBe("may contain only letters, digits, '.', '_', '-' and '/'");
    });
});

describe("Kubernetes names and taints", () => {
    it("qualified names and label values follow Kubernetes' rules", () => {
        for (const k of ["dedicated", "example.com/role", "a.b-c_d"]) expect(g.isQualifiedName(k), k).toBe(true);
        for (const k of ["", "-x", "Example.com/role", "a/b/c", "x".repeat(64)]) expect(g.isQualifiedName(k), k).toBe(false);
        for (const v of ["", "edge", "a-b.c_d", "x".repeat(63)]) expect(g.isLabelValue(v), v).toBe(true);
        for (const v of ["-edge", "a b", "x".repeat(64)]) expect(g.isLabelValue(v), v).toBe(false);
    });

    it("parseTaint splits key, optional value and effect", () => {
        expect(g.parseTaint("dedicated=edge:NoSchedule")).toEqual(ok({ key: "dedicated", value: "edge", effect: "NoSchedule" }));
        expect(g.parseTaint("example.com/maintenance:NoExecute")).toEqual(ok({ key: "example.com/maintenance", effect: "NoExecute" }));
        expect(reason(g.parseTaint("dedicated=edge:Sometimes"))).toBe("is not a taint of the form key[=value]:NoSchedule|PreferNoSchedule|NoExecute");
        expect(reason(g.parseTaint("-bad=edge:NoSchedule"))).toMatch(/^is not a taint of the form key\[=value\]:Effect with a valid key/);
        expect(reason(g.parseTaint("dedicated=-edge:NoSchedule"))).toMatch(/^is not a taint of the form key\[=value\]:Effect with a valid value/);
    });
});

describe("parseHostKey", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "grammar-keys-"));
    let n = 0;
    const keyOf = (type: string, bits?: string) => {
        const f = path.join(tmp, `${type}${bits ?? ""}-${n++}`);
        execFileSync("ssh-keygen", ["-q", "-t", type, ...(bits ? ["-b", bits] : []), "-N", "", "-C", "root@srv-a", "-f", f]);
        return fs.readFileSync(`${f}.pub`, "utf8").trim();
    };

    it("accepts what ssh-keygen writes for every supported type and returns `<type> <base64>` without the comment", () => {
        const lines = [keyOf("ed25519"), keyOf("ecdsa", "256"), keyOf("ecdsa", "384"), keyOf("ecdsa", "521"), keyOf("rsa", "2048")];
        expect(lines.map((l) => l.split(" ")[0])).toEqual([...g.HOST_KEY_TYPES]);
        for (const line of lines) expect(g.parseHostKey(line)).toEqual(ok(line.split(" ").slice(0, 2).join(" ")));
    });

    it("refuses other types, broken base64, a blob of another type and a short ed25519 key", () => {
        const ed = keyOf("ed25519").split(" ")[1];
        const ec = keyOf("ecdsa", "256").split(" ")[1];
        expect(reason(g.parseHostKey("ssh-dss AAAAB3NzaC1kc3M="))).toBe('is not an OpenSSH public key: type "ssh-dss" is not one of ssh-ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, ssh-rsa');
        expect(reason(g.parseHostKey(`ssh-ed25519 ${ed.slice(0, -1)}`))).toBe("is not an OpenSSH public key: the key data is not base64");
        expect(reason(g.parseHostKey(`ssh-ed25519 ${ec}`))).toBe('is not an OpenSSH public key: the key data is a "ecdsa-sha2-nistp256" key, not ssh-ed25519');
        expect(reason(g.parseHostKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"))).toBe("is not an OpenSSH public key: an ed25519 key is 32 bytes");
        expect(reason(g.parseHostKey("ssh-ed25519"))).toBe('is not an OpenSSH public key ("ssh-ed25519 AAAA... [comment]")');
        fs.rmSync(tmp, { recursive: true, force: true });
    });
});

describe("artifact names and PEM blocks", () => {
    it("artifact names are plain file names", () => {
        for (const n of ["k3s-v1.30.4-k3s1", "containerd-shim-wasmedge-v0.6.0.tar.gz", "a+b"]) expect(g.isArtifactName(n), n).toBe(true);
        for (const n of ["../k3s", "a/b", ".hidden", "a..b", "x".repeat(201), ""]) expect(g.isArtifactName(n), n).toBe(false);
    });

    it("a PEM block is exactly one block of the label, as openssl writes it", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "grammar-pem-"));
        try {
            const key = path.join(dir, "ca.key");
            const crt = path.join(dir, "ca.crt");
            execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", crt, "-days", "1", "-subj", "/CN=test-ca"], { stdio: "ignore" });
            const pem = fs.readFileSync(crt, "utf8");
            expect(g.isPemBlock(pem, "CERTIFICATE")).toBe(true);
            expect(g.isPemBlock(pem, "X509 CRL")).toBe(false);
            expect(g.isPemBlock(pem + pem, "CERTIFICATE")).toBe(false);
            expect(g.isPemBlock(pem.replace("\n", "\n$(id)\n"), "CERTIFICATE")).toBe(false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
