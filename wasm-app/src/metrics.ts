// Counters and the request-duration histogram, rendered in the Prometheus text format
// (version 0.0.4).
import { ByteBuf } from "./util/bytes";

// Upper bounds in seconds; +Inf is implicit.
const BUCKETS: f64[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
const BUCKET_LABELS: string[] = ["0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1"];
const CODES: i32[] = [200, 400, 404, 405, 408, 431, 503];

export class Metrics {
  ingested: i64 = 0;
  rejected: i64 = 0;
  duplicate: i64 = 0;
  mqttConnected: bool = false;
  mqttSubscribed: bool = false;
  mqttConnects: i64 = 0;
  mqttProtocolErrors: i64 = 0;
  logBytes: i64 = 0;
  logCompactions: i64 = 0;
  storageErrors: i64 = 0;
  httpConnections: i32 = 0;
  bucketCounts: StaticArray<i64> = new StaticArray<i64>(14);
  durationSumNs: i64 = 0;
  durationCount: i64 = 0;
  codeCounts: StaticArray<i64> = new StaticArray<i64>(8);

  observeRequest(durationNs: i64, code: i32): void {
    const sec = <f64>durationNs / 1e9;
    let i = 0;
    while (i < BUCKETS.length && sec > BUCKETS[i]) i++;
    this.bucketCounts[i]++;
    this.durationSumNs += durationNs;
    this.durationCount++;
    let k = 0;
    while (k < CODES.length && CODES[k] != code) k++;
    this.codeCounts[k]++;
  }

  render(out: ByteBuf, shipments: i32, events: i64, evicted: i64): void {
    counter(out, "tracking_events_ingested_total", "Events accepted and made durable.", this.ingested);
    counter(out, "tracking_events_rejected_total", "Malformed events dropped (invalid JSON or schema).", this.rejected);
    counter(out, "tracking_events_duplicate_total", "Events ignored because their (deviceId, seq) was already seen.", this.duplicate);
    gauge(out, "tracking_shipments_tracked", "Shipments with at least one event.", <i64>shipments);
    gauge(out, "tracking_events_retained", "Events held in shipment histories.", events);
    counter(out, "tracking_shipments_evicted_total", "Least recently updated shipments dropped to stay within MAX_SHIPMENTS / MAX_EVENTS.", evicted);
    gauge(out, "tracking_mqtt_connected", "1 while the MQTT session is connected, else 0.", this.mqttConnected ? 1 : 0);
    gauge(out, "tracking_mqtt_subscribed", "1 while subscribed to the tracking topic (readiness), else 0.", this.mqttSubscribed ? 1 : 0);
    counter(out, "tracking_mqtt_connects_total", "Successful MQTT connections (CONNACK accepted).", this.mqttConnects);
    counter(out, "tracking_mqtt_protocol_errors_total", "Connections dropped because the broker sent an invalid packet.", this.mqttProtocolErrors);
    gauge(out, "tracking_event_log_bytes", "Size of the durable event log.", this.logBytes);
    counter(out, "tracking_event_log_compactions_total", "Event log compactions.", this.logCompactions);
    counter(out, "tracking_storage_errors_total", "Failed event log writes (events were not acknowledged).", this.storageErrors);
    gauge(out, "tracking_http_connections", "Open HTTP connections.", <i64>this.httpConnections);
    gauge(out, "tracking_wasm_memory_bytes", "Size of the module's linear memory.", <i64>memory.size() << 16);

    out.writeAscii("# HELP tracking_http_requests_total HTTP responses by status code.\n# TYPE tracking_http_requests_total counter\n");
    for (let k = 0; k < CODES.length; k++) {
      out.writeAscii("tracking_http_requests_total{code=\"");
      out.writeDecimal(CODES[k]);
      out.writeAscii("\"} ");
      out.writeDecimal(this.codeCounts[k]);
      out.writeByte(10);
    }
    out.writeAscii("tracking_http_requests_total{code=\"other\"} ");
    out.writeDecimal(this.codeCounts[CODES.length]);
    out.writeByte(10);

    const name = "tracking_http_request_duration_seconds";
    out.writeAscii("# HELP " + name + " Time from the poll wake-up that delivered a request to its response being handed to the socket.\n");
    out.writeAscii("# TYPE " + name + " histogram\n");
    let cumulative: i64 = 0;
    for (let i = 0; i < BUCKETS.length; i++) {
      cumulative += this.bucketCounts[i];
      out.writeAscii(name + "_bucket{le=\"" + BUCKET_LABELS[i] + "\"} ");
      out.writeDecimal(cumulative);
      out.writeByte(10);
    }
    cumulative += this.bucketCounts[BUCKETS.length];
    out.writeAscii(name + "_bucket{le=\"+Inf\"} ");
    out.writeDecimal(cumulative);
    out.writeByte(10);
    out.writeAscii(name + "_sum ");
    out.writeNumber(<f64>this.durationSumNs / 1e9);
    out.writeByte(10);
    out.writeAscii(name + "_count ");
    out.writeDecimal(this.durationCount);
    out.writeByte(10);
  }
}

function counter(out: ByteBuf, name: string, help: string, v: i64): void {
  out.writeAscii("# HELP " + name + " " + help + "\n# TYPE " + name + " counter\n" + name + " ");
  out.writeDecimal(v);
  out.writeByte(10);
}

function gauge(out: ByteBuf, name: string, help: string, v: i64): void {
  out.writeAscii("# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n" + name + " ");
  out.writeDecimal(v);
  out.writeByte(10);
}

export const metrics = new Metrics();
