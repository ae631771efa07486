// Runtime configuration: built-in defaults, overridden by the JSON config file
// (CONFIG_FILE, default /config.json, shipped in the image), overridden by the
// environment. Invalid values stop the service with a message naming the setting.
import { parseIPv4 } from "./abi/sockets";
import { isValidShipmentId } from "./events/event";
import { JsonReader, T_STRING, T_NUMBER, T_BOOL } from "./util/json";

export const KNOWN_KEYS: string[] = [
  "SITE_ID", "HTTP_PORT", "HTTP_BIND", "MQTT_HOST", "MQTT_PORT", "MQTT_USERNAME", "MQTT_PASSWORD",
  "MQTT_CLIENT_ID", "DATA_DIR", "MQTT_KEEPALIVE_S", "MQTT_RECONNECT_MAX_MS", "HTTP_MAX_CONNECTIONS",
  "HTTP_HEADER_TIMEOUT_MS", "HTTP_IDLE_TIMEOUT_MS", "LOG_COMPACT_MIN_BYTES", "MAX_SHIPMENTS", "MAX_EVENTS",
];

export class Config {
  siteId: string = "";
  httpPort: i32 = 8080;
  httpBind: u32 = 0; // 0.0.0.0
  mqttHost: string = "127.0.0.1";
  mqttPort: i32 = 1883;
  mqttUsername: string | null = null;
  mqttPassword: string | null = null;
  mqttClientId: string = "";
  dataDir: string = "/data";
  keepaliveS: i32 = 30;
  reconnectMaxMs: i32 = 5000;
  httpMaxConnections: i32 = 1024;
  headerTimeoutMs: i32 = 10000;
  idleTimeoutMs: i32 = 60000;
  compactMinBytes: i64 = 8 << 20;
  maxShipments: i32 = 20000;
  maxEvents: i64 = 300000;
  /** Non-empty if the configuration is unusable. */
  error: string = "";
}

/** Parses a flat JSON object of settings into string values. Returns an error or "". */
export function parseConfigFile(ptr: usize, len: i32, into: Map<string, string>): string {
  const r = new JsonReader(ptr, len);
  if (!r.checkUtf8() || !r.beginObject()) return r.error;
  while (true) {
    const k = r.nextKey();
    if (k === null) break;
    const key = k;
    if (!KNOWN_KEYS.includes(key)) return "unknown setting '" + key + "'";
    const t = r.valueType();
    if (t == T_STRING) {
      into.set(key, r.readString());
    } else if (t == T_NUMBER) {
      const start = r.pos;
      r.readNumber();
      into.set(key, String.UTF8.decodeUnsafe(start, r.pos - start));
    } else if (t == T_BOOL) {
      into.set(key, r.readBool() ? "true" : "false");
    } else {
      return "setting '" + key + "' must be a string or a number";
    }
  }
  if (!r.finish()) return r.error;
  return "";
}

function parseIntStrict(s: string, min: i64, max: i64): i64 {
  if (s.length == 0 || s.length > 12) return i64.MIN_VALUE;
  let v: i64 = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return i64.MIN_VALUE;
    v = v * 10 + d;
  }
  if (v < min || v > max) return i64.MIN_VALUE;
  return v;
}

function isHostName(s: string): bool {
  if (s.length == 0 || s.length > 253) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 46 || c == 95;
    if (!ok) return false;
  }
  return true;
}

/** Builds the configuration from the merged settings (file values overridden by env). */
export function buildConfig(settings: Map<string, string>): Config {
  const c = new Config();
  const bad = (key: string, want: string, got: string): string => key + " must be " + want + ", got '" + got + "'";
  if (!settings.has("SITE_ID") || settings.get("SITE_ID").length == 0) {
    c.error = "SITE_ID is required (the site this instance serves, e.g. SITE_ID=berlin-01)";
    return c;
  }
  c.siteId = settings.get("SITE_ID");
  if (!isValidShipmentId(c.siteId)) { c.error = bad("SITE_ID", "1-64 characters of [A-Za-z0-9_-]", c.siteId); return c; }
  if (settings.has("HTTP_PORT")) {
    const v = parseIntStrict(settings.get("HTTP_PORT"), 0, 65535);
    if (v == i64.MIN_VALUE) { c.error = bad("HTTP_PORT", "an integer 0-65535", settings.get("HTTP_PORT")); return c; }
    c.httpPort = <i32>v;
  }
  if (settings.has("HTTP_BIND")) {
    const ip = parseIPv4(settings.get("HTTP_BIND"));
    if (ip < 0) { c.error = bad("HTTP_BIND", "an IPv4 address such as 0.0.0.0", settings.get("HTTP_BIND")); return c; }
    c.httpBind = <u32>ip;
  }
  if (settings.has("MQTT_HOST")) {
    const h = settings.get("MQTT_HOST");
    if (!isHostName(h)) { c.error = bad("MQTT_HOST", "an IPv4 address or a host name", h); return c; }
    c.mqttHost = h;
  }
  if (settings.has("MQTT_PORT")) {
    const v = parseIntStrict(settings.get("MQTT_PORT"), 1, 65535);
    if (v == i64.MIN_VALUE) { c.error = bad("MQTT_PORT", "an integer 1-65535", settings.get("MQTT_PORT")); return c; }
    c.mqttPort = <i32>v;
  }
  if (settings.has("MQTT_USERNAME") && settings.get("MQTT_USERNAME").length > 0) c.mqttUsername = settings.get("MQTT_USERNAME");
  if (settings.has("MQTT_PASSWORD") && settings.get("MQTT_PASSWORD").length > 0) {
    if (c.mqttUsername === null) { c.error = "MQTT_PASSWORD is set but MQTT_USERNAME is not (MQTT 3.1.1 needs both)"; return c; }
    c.mqttPassword = settings.get("MQTT_PASSWORD");
  }
  c.mqttClientId = settings.has("MQTT_CLIENT_ID") && settings.get("MQTT_CLIENT_ID").length > 0
    ? settings.get("MQTT_CLIENT_ID") : "tracking-" + c.siteId;
  if (String.UTF8.byteLength(c.mqttClientId) > 256) { c.error = bad("MQTT_CLIENT_ID", "at most 256 bytes", c.mqttClientId); return c; }
  if (settings.has("DATA_DIR")) {
    const d = settings.get("DATA_DIR");
    if (!d.startsWith("/")) { c.error = bad("DATA_DIR", "an absolute path", d); return c; }
    c.dataDir = d;
  }
  if (settings.has("MQTT_KEEPALIVE_S")) {
    const v = parseIntStrict(settings.get("MQTT_KEEPALIVE_S"), 5, 3600);
    if (v == i64.MIN_VALUE) { c.error = bad("MQTT_KEEPALIVE_S", "an integer 5-3600", settings.get("MQTT_KEEPALIVE_S")); return c; }
    c.keepaliveS = <i32>v;
  }
  if (settings.has("MQTT_RECONNECT_MAX_MS")) {
    const v = parseIntStrict(settings.get("MQTT_RECONNECT_MAX_MS"), 100, 600000);
    if (v == i64.MIN_VALUE) { c.error = bad("MQTT_RECONNECT_MAX_MS", "an integer 100-600000", settings.get("MQTT_RECONNECT_MAX_MS")); return c; }
    c.reconnectMaxMs = <i32>v;
  }
  if (settings.has("HTTP_MAX_CONNECTIONS")) {
    const v = parseIntStrict(settings.get("HTTP_MAX_CONNECTIONS"), 1, 65536);
    if (v == i64.MIN_VALUE) { c.error = bad("HTTP_MAX_CONNECTIONS", "an integer 1-65536", settings.get("HTTP_MAX_CONNECTIONS")); return c; }
    c.httpMaxConnections = <i32>v;
  }
  if (settings.has("HTTP_HEADER_TIMEOUT_MS")) {
    const v = parseIntStrict(settings.get("HTTP_HEADER_TIMEOUT_MS"), 100, 600000);
    if (v == i64.MIN_VALUE) { c.error = bad("HTTP_HEADER_TIMEOUT_MS", "an integer 100-600000", settings.get("HTTP_HEADER_TIMEOUT_MS")); return c; }
    c.headerTimeoutMs = <i32>v;
  }
  if (settings.has("HTTP_IDLE_TIMEOUT_MS")) {
    const v = parseIntStrict(settings.get("HTTP_IDLE_TIMEOUT_MS"), 100, 3600000);
    if (v == i64.MIN_VALUE) { c.error = bad("HTTP_IDLE_TIMEOUT_MS", "an integer 100-3600000", settings.get("HTTP_IDLE_TIMEOUT_MS")); return c; }
    c.idleTimeoutMs = <i32>v;
  }
  if (settings.has("LOG_COMPACT_MIN_BYTES")) {
    const v = parseIntStrict(settings.get("LOG_COMPACT_MIN_BYTES"), 4096, 1 << 36);
    if (v == i64.MIN_VALUE) { c.error = bad("LOG_COMPACT_MIN_BYTES", "an integer >= 4096", settings.get("LOG_COMPACT_MIN_BYTES")); return c; }
    c.compactMinBytes = v;
  }
  if (settings.has("MAX_SHIPMENTS")) {
    const v = parseIntStrict(settings.get("MAX_SHIPMENTS"), 1, 10000000);
    if (v == i64.MIN_VALUE) { c.error = bad("MAX_SHIPMENTS", "an integer 1-10000000", settings.get("MAX_SHIPMENTS")); return c; }
    c.maxShipments = <i32>v;
  }
  if (settings.has("MAX_EVENTS")) {
    const v = parseIntStrict(settings.get("MAX_EVENTS"), 50, 100000000);
    if (v == i64.MIN_VALUE) { c.error = bad("MAX_EVENTS", "an integer 50-100000000", settings.get("MAX_EVENTS")); return c; }
    c.maxEvents = v;
  }
  return c;
}
