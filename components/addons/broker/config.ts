/**
 * Pure builders for the Mosquitto files of one site: mosquitto.conf, the ACL file and the password file.
 * The tests run the real Debian mosquitto with exactly these files (only the paths and port differ).
 *
 * Client classes:
 *  - tracking: the tracking service; may only read `tracking/<site>/+/events`.
 *  - device:   scanners/trucks of the site; one class credential. A device may only publish under
 *              `tracking/<site>/<its client id>/...` (pattern ACL with %c) and reads nothing.
 *  - monitor:  metrics exporters; may only read `$SYS/#`.
 */
import { createHmac, pbkdf2Sync } from "node:crypto";

/** In-cluster listener (pod network only): the tracking service and monitoring, password auth. */
export const MQTT_PORT = 1883;
/** Device listener: TLS, a client certificate from the region device CA required, the certificate is the identity. */
export const MQTTS_DEVICE_PORT = 8883;
/** Device-facing NodePort of the TLS listener (servicelb is disabled on the sites, so no LoadBalancer). */
export const MQTT_DEVICE_NODE_PORT = 30883;

/** Events a disconnected tracking session may have queued before the broker drops the overflow. */
export const BROKER_MAX_QUEUED_MESSAGES = 100_000;
/** Unacknowledged QoS 1 deliveries per client: the tracking service's group-commit window. */
export const BROKER_MAX_INFLIGHT_MESSAGES = 100;
/** Seconds between mosquitto's saves of its in-memory state (queues, sessions) to its data volume. */
export const BROKER_AUTOSAVE_INTERVAL_S = 10;

export type ClientClass = "tracking" | "device" | "monitor";
export const CLIENT_CLASSES: ClientClass[] = ["tracking", "device", "monitor"];

/** The MQTT user name of a client class (the class name itself; fixed so devices can be provisioned). */
export function mqttUsername(cls: ClientClass): string {
    return cls;
}

export interface MosquittoPaths {
    /** Directory holding the ACL file (a ConfigMap in the cluster). */
    configDir: string;
    /** Directory holding the password file (a Secret in the cluster). */
    secretDir: string;
    /** Persistence directory (a volume in the cluster), with trailing slash added here. */
    dataDir: string;
    /** Directory holding the TLS material of the device listener (a Secret in the cluster). */
    tlsDir: string;
}

/** Where the files live inside the eclipse-mosquitto container. */
export const CONTAINER_PATHS: MosquittoPaths = {
    configDir: "/mosquitto/config",
    secretDir: "/mosquitto/secret",
    dataDir: "/mosquitto/data",
    tlsDir: "/mosquitto/tls",
};

/** File names under tlsDir: the broker's certificate chain and key, the device CA and its CRL. */
export const TLS_FILES = { cert: "server.crt", key: "server.key", deviceCa: "device-ca.crt", crl: "device-crl.pem" } as const;

export interface MosquittoConfOptions {
    siteId: string;
    paths: MosquittoPaths;
    port: number;
    /** Listen address; unset = all interfaces (the pod). Tests bind 127.0.0.1. */
    bindAddress?: string;
    /** The device TLS listener's port; unset = no device listener (no device CA configured). */
    devicePort?: number;
    /** The device CA has a CRL to enforce (revoked devices). */
    crl?: boolean;
}

export function buildMosquittoConf(o: MosquittoConfOptions): string {
    const dataDir = o.paths.dataDir.endsWith("/") ? o.paths.dataDir : `${o.paths.dataDir}/`;
    return [
        `# Mosquitto for edge-estate site ${o.siteId}. Generated; local edits are overwritten.`,
        "# Two listeners with their own auth: in-cluster clients by password, devices by client certificate.",
        "per_listener_settings true",
        "",
        "# Persistence: queued and in-flight QoS 1 messages, sessions and retained state survive a broker restart.",
        "# Mosquitto saves its in-memory state every autosave_interval seconds (it cannot fsync per message):",
        "# a crash of the broker process itself can lose what arrived since the last save (docs/addons.md).",
        "persistence true",
        `persistence_location ${dataDir}`,
        `autosave_interval ${BROKER_AUTOSAVE_INTERVAL_S}`,
        "# Persistent sessions (the tracking service keeps one per node) of clients gone for two weeks are dropped,",
        "# so a removed node's queue does not grow forever.",
        "persistent_client_expiration 14d",
        "",
        "# Tracking events are small JSON documents; anything larger is a misbehaving client.",
        "max_packet_size 65536",
        "max_keepalive 600",
        "# A device got its PUBACK as soon as the broker had its event, so the broker must keep every event until the",
        "# tracking service (a persistent session) has it, also while the service restarts. The default queue of",
        "# 1,000 messages per session drops the overflow silently; this bound holds minutes of a site's traffic",
        "# and stays inside the broker's memory limit (each queued event costs about 0.5 KiB).",
        `max_queued_messages ${BROKER_MAX_QUEUED_MESSAGES}`,
        "max_queued_bytes 0",
        "# Deliver a backlog to the service in large windows: it commits each read from the socket with one fsync.",
        `max_inflight_messages ${BROKER_MAX_INFLIGHT_MESSAGES}`,
        "set_tcp_nodelay true",
        "sys_interval 15",
        "",
        ...buildListeners(o),
        "log_dest stdout",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "connection_messages true",
        "",
    ].join("\n");
}

/**
 * The listeners and their auth (own function, separate from the persistence and queue settings above).
 * In-cluster: password file + class ACL. Devices: TLS 1.2+, a certificate from the device CA is required and
 * its CN becomes the user name (use_identity_as_username), revoked certificates are refused (crlfile), and the
 * device ACL lets a device publish only under its own identity.
 */
export function buildListeners(o: MosquittoConfOptions): string[] {
    const bind = o.bindAddress ? ` ${o.bindAddress}` : "";
    const lines = [
        `listener ${o.port}${bind}`,
        "protocol mqtt",
        "allow_anonymous false",
        `password_file ${o.paths.secretDir}/passwd`,
        `acl_file ${o.paths.configDir}/acl`,
        "",
    ];
    if (o.devicePort !== undefined) {
        const t = o.paths.tlsDir;
        lines.push(
            `listener ${o.devicePort}${bind}`,
            "protocol mqtt",
            "allow_anonymous false",
            "tls_version tlsv1.2",
            `certfile ${t}/${TLS_FILES.cert}`,
            `keyfile ${t}/${TLS_FILES.key}`,
            `cafile ${t}/${TLS_FILES.deviceCa}`,
            ...(o.crl ? [`crlfile ${t}/${TLS_FILES.crl}`] : []),
            "require_certificate true",
            "use_identity_as_username true",
            `acl_file ${o.paths.configDir}/acl-devices`,
            "",
        );
    }
    return lines;
}

/** Device ACL: a device (user name = its certificate's CN) publishes only its own events, reads nothing. */
export function buildDeviceAclFile(siteId: string): string {
    return [
        `# Mosquitto ACL for the device listener of edge-estate site ${siteId}. Generated; local edits are overwritten.`,
        "# The user name is the CN of the device's certificate (use_identity_as_username): a device can publish only",
        "# under its own identity, whatever client id it claims, and reads nothing.",
        `pattern write tracking/${siteId}/%u/#`,
        "",
    ].join("\n");
}

/** Device ids as certificates carry them (CN) and topics use them: DNS-label-like, at most 63 characters. */
export const DEVICE_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Topic every device of the site publishes its events under: tracking/<site>/<deviceId>/events. */
export function deviceEventsTopic(siteId: string, deviceId: string): string {
    return `tracking/${siteId}/${deviceId}/events`;
}

/** What the tracking service subscribes to. */
export function trackingSubscription(siteId: string): string {
    return `tracking/${siteId}/+/events`;
}

export function buildAclFile(siteId: string): string {
    return [
        `# Mosquitto ACL for edge-estate site ${siteId}. Generated; local edits are overwritten.`,
        "# Anything not granted here is denied. Anonymous clients are refused at connect (allow_anonymous false).",
        "#",
        "# Devices: publish only under their own client id; no read access at all.",
        `pattern write tracking/${siteId}/%c/#`,
        "",
        "# The tracking service: subscribe to the events of every device of this site, publish nothing.",
        `user ${mqttUsername("tracking")}`,
        `topic read ${trackingSubscription(siteId)}`,
        "",
        "# Monitoring: broker statistics only.",
        `user ${mqttUsername("monitor")}`,
        "topic read $SYS/#",
        "",
    ].join("\n");
}

/** mosquitto_passwd's default PBKDF2 iteration count for `$7$` hashes. */
export const PBKDF2_ITERATIONS = 101;

/**
 * One password-file line in mosquitto 2.x `$7$` format: PBKDF2-HMAC-SHA512, 64-byte key, base64 salt and hash.
 * The salt is derived from the (random, secret) password and the user name so the line is stable across runs
 * (no diff on every `pulumi up`) while still unique per user and per password.
 */
export function mosquittoPasswordLine(username: string, password: string, iterations = PBKDF2_ITERATIONS): string {
    if (!/^[^:\s]+$/.test(username)) throw new Error(`MQTT user name ${JSON.stringify(username)} must be non-empty without ':' or spaces`);
    if (password.length === 0) throw new Error(`MQTT password for ${username} is empty`);
    const salt = createHmac("sha256", password).update(`mosquitto-salt:${username}`).digest().subarray(0, 12);
    const hash = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 64, "sha512");
    return `${username}:$7$${iterations}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export function buildPasswordFile(credentials: Record<string, string>): string {
    return (
        Object.keys(credentials)
            .sort()
            .map((u) => mosquittoPasswordLine(u, credentials[u]))
            .join("\n") + "\n"
    );
}
