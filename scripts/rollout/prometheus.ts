/**
 * A small client of the Prometheus HTTP API (`/api/v1/query`), enough for the rollout health gate. Basic auth
 * (the hub requires it) comes from the caller, never from the URL.
 */

export interface PromSample {
    metric: Record<string, string>;
    /** The sample value as Prometheus prints it ("0.012", "NaN", "+Inf"). */
    value: string;
}

export interface PrometheusClientOptions {
    /** e.g. https://10.20.1.11:30990 (no trailing slash needed; the hub's CA must be trusted, e.g. NODE_EXTRA_CA_CERTS). */
    url: string;
    user?: string;
    password?: string;
    timeoutSeconds: number;
}

export class PrometheusError extends Error {}

export class PrometheusClient {
    private readonly base: string;
    constructor(private readonly opts: PrometheusClientOptions) {
        this.base = opts.url.replace(/\/+$/, "");
    }

    get url(): string {
        return this.base;
    }

    /** Instant query at `time` (default: now). Returns the vector; a scalar/string result is an error. */
    async query(expr: string, time?: Date): Promise<PromSample[]> {
        const params = new URLSearchParams({ query: expr });
        if (time) params.set("time", (time.getTime() / 1000).toFixed(3));
        const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
        if (this.opts.user !== undefined) headers.Authorization = `Basic ${Buffer.from(`${this.opts.user}:${this.opts.password ?? ""}`).toString("base64")}`;
        let res: Response;
        try {
            res = await fetch(`${this.base}/api/v1/query`, { method: "POST", body: params.toString(), headers, signal: AbortSignal.timeout(this.opts.timeoutSeconds * 1000) });
        } catch (e) {
            const cause = (e as { cause?: { code?: string; message?: string } }).cause;
            throw new PrometheusError(`cannot reach Prometheus at ${this.base}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
        }
        const text = await res.text();
        let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
        try {
            body = JSON.parse(text);
        } catch {
            throw new PrometheusError(`Prometheus at ${this.base} answered HTTP ${res.status} without JSON${res.status === 401 ? " (check the reader user and password)" : ""}: ${text.slice(0, 120)}`);
        }
        if (res.status !== 200 || body.status !== "success") throw new PrometheusError(`Prometheus at ${this.base} rejected the query ${expr}: HTTP ${res.status}: ${body.error ?? text.slice(0, 200)}`);
        if (body.data?.resultType !== "vector") throw new PrometheusError(`query ${expr} returned a ${body.data?.resultType}, expected a vector`);
        return (body.data.result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({ metric: r.metric, value: r.value[1] }));
    }
}
