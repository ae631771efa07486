// Entry point of the tracking service (WASI command): configuration, replay of the
// durable log, then the event loop serving HTTP and the MQTT session forever.
import { readEnviron, listPreopens, resolvePath, openFileForRead, readSome, fd_close, proc_exit, nowNs, ERRNO_NOENT } from "./abi/wasi";
import { Config, KNOWN_KEYS, parseConfigFile, buildConfig } from "./config";
import { ByteBuf } from "./util/bytes";
import { logInfo, logError } from "./util/logger";
import { DurableLog } from "./store/durable-log";
import { shipments } from "./app";
import { metrics } from "./metrics";
import { EventLoop, refreshClock } from "./net/loop";
import { HttpListener, HttpSettings } from "./http/server";
import { MqttSession, MqttSettings } from "./mqtt/session";

const EXIT_CONFIG = 2;
const EXIT_RUNTIME = 1;

function formatIPv4(ip: u32): string {
  return (ip >>> 24).toString() + "." + ((ip >>> 16) & 255).toString() + "." + ((ip >>> 8) & 255).toString() + "." + (ip & 255).toString();
}

/** Reads the optional JSON config file into settings. Returns "" or an error. */
function loadConfigFile(path: string, explicit: bool, settings: Map<string, string>): string {
  const preopens = listPreopens();
  const rp = resolvePath(preopens, path);
  if (rp === null) return explicit ? "CONFIG_FILE " + path + " is not inside any preopened directory" : "";
  const fd = openFileForRead(rp.dirfd, rp.rel);
  if (fd < 0) {
    if (!explicit && fd == -(<i64>ERRNO_NOENT)) return "";
    return "cannot open config file " + path + " (errno " + (-fd).toString() + ")";
  }
  const buf = new ByteBuf(4096);
  while (buf.length < 1 << 20) {
    buf.reserve(4096);
    const n = readSome(<u32>fd, buf.writePtr, <usize>buf.spare);
    if (n < 0) { fd_close(<u32>fd); return "cannot read config file " + path; }
    if (n == 0) break;
    buf.end += <i32>n;
  }
  fd_close(<u32>fd);
  const err = parseConfigFile(buf.readPtr, buf.length, settings);
  if (err.length > 0) return "invalid config file " + path + ": " + err;
  return "";
}

function main(): u32 {
  const startNs = nowNs();
  refreshClock();
  const env = readEnviron();
  const settings = new Map<string, string>();
  const explicit = env.has("CONFIG_FILE");
  const cfgErr = loadConfigFile(explicit ? env.get("CONFIG_FILE") : "/config.json", explicit, settings);
  if (cfgErr.length > 0) { logError(cfgErr); return EXIT_CONFIG; }
  for (let i = 0; i < KNOWN_KEYS.length; i++) {
    const k = KNOWN_KEYS[i];
    if (env.has(k)) settings.set(k, env.get(k));
  }
  const cfg: Config = buildConfig(settings);
  if (cfg.error.length > 0) { logError("invalid configuration: " + cfg.error); return EXIT_CONFIG; }

  shipments.maxShipments = cfg.maxShipments;
  shipments.maxEvents = cfg.maxEvents;
  const log = new DurableLog(cfg.compactMinBytes);
  const dirErr = log.openDir(listPreopens(), cfg.dataDir);
  if (dirErr.length > 0) { logError(dirErr); return EXIT_CONFIG; }
  const stats = log.replay(shipments);
  if (stats.error.length > 0) { logError(stats.error); return EXIT_RUNTIME; }
  logInfo("replayed the event log", "events=" + stats.events.toString() + " records=" + stats.records.toString() +
    " shipments=" + shipments.count.toString() + " bytes=" + log.size.toString());
  if (log.shouldCompact()) {
    const cerr = log.compact(shipments);
    if (cerr.length > 0) logError("event log compaction failed", "error=\"" + cerr + "\"");
  }
  metrics.logBytes = log.size;
  metrics.logCompactions = log.compactions;

  const loop = new EventLoop();
  const hs = new HttpSettings();
  hs.maxConnections = cfg.httpMaxConnections;
  hs.headerTimeoutMs = cfg.headerTimeoutMs;
  hs.idleTimeoutMs = cfg.idleTimeoutMs;
  const listener = new HttpListener(loop, hs);
  const lerr = listener.listen(cfg.httpBind, cfg.httpPort);
  if (lerr.length > 0) { logError(lerr); return EXIT_RUNTIME; }
  loop.add(listener);

  const ms = new MqttSettings();
  ms.host = cfg.mqttHost;
  ms.port = cfg.mqttPort;
  ms.clientId = cfg.mqttClientId;
  ms.username = cfg.mqttUsername;
  ms.password = cfg.mqttPassword;
  ms.keepaliveS = cfg.keepaliveS;
  ms.reconnectMaxMs = <i64>cfg.reconnectMaxMs;
  ms.topicFilter = "tracking/" + cfg.siteId + "/+/events";
  const session = new MqttSession(ms, log);
  loop.add(session);

  logInfo("listening", "bind=" + formatIPv4(cfg.httpBind) + " port=" + cfg.httpPort.toString() +
    " mqtt=" + cfg.mqttHost + ":" + cfg.mqttPort.toString() + " site=" + cfg.siteId +
    " startup_us=" + ((nowNs() - startNs) / 1000).toString());
  while (loop.runOnce()) {}
  logError("poll_oneoff failed; exiting");
  return EXIT_RUNTIME;
}

proc_exit(main());
