// Maps a parsed request to a response: /v1/shipments/{id}, /healthz, /readyz, /metrics.
import { ByteBuf, bytesEqual } from "../util/bytes";
import { HttpRequest, METHOD_GET, METHOD_HEAD } from "./parser";
import { shipments, readiness } from "../app";
import { metrics } from "../metrics";
import { isValidShipmentId } from "../events/event";
import { httpDate } from "./date";

const JSON_TYPE = "application/json";
const METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";
const SHIPMENTS_PREFIX = "/v1/shipments/";

const scratchBody = new ByteBuf(4096);
// "/" in static memory, for absolute-form targets without a path.
const ROOT_PATH = memory.data<u8>([47]);

export function reasonPhrase(code: i32): string {
  switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
  }
  return "Error";
}

/** Appends a full response to out. Returns the status code written. */
export function writeResponse(out: ByteBuf, code: i32, contentType: string, bodyPtr: usize, bodyLen: i32,
  keepAlive: bool, http10: bool, head: bool, extraHeaders: string = ""): i32 {
  out.writeAscii("HTTP/1.1 ");
  out.writeDecimal(code);
  out.writeByte(32);
  out.writeAscii(reasonPhrase(code));
  out.writeAscii("\r\nDate: ");
  out.writeAscii(httpDate());
  out.writeAscii("\r\nContent-Type: ");
  out.writeAscii(contentType);
  out.writeAscii("\r\nContent-Length: ");
  out.writeDecimal(bodyLen);
  out.writeAscii("\r\n");
  if (extraHeaders.length > 0) out.writeAscii(extraHeaders);
  if (!keepAlive) out.writeAscii("Connection: close\r\n");
  else if (http10) out.writeAscii("Connection: keep-alive\r\n");
  out.writeAscii("\r\n");
  if (!head) out.writeBytes(bodyPtr, bodyLen);
  return code;
}

export function writeError(out: ByteBuf, code: i32, message: string, keepAlive: bool, http10: bool, head: bool,
  extraHeaders: string = ""): i32 {
  const b = scratchBody;
  b.clear();
  b.writeAscii("{\"error\":");
  b.writeJsonString(message);
  b.writeAscii("}");
  return writeResponse(out, code, JSON_TYPE, b.readPtr, b.length, keepAlive, http10, head, extraHeaders);
}

function writeJsonText(out: ByteBuf, code: i32, text: string, req: HttpRequest, head: bool): i32 {
  const b = scratchBody;
  b.clear();
  b.writeAscii(text);
  return writeResponse(out, code, JSON_TYPE, b.readPtr, b.length, req.keepAlive, req.http10, head);
}

/** Routes one complete request whose head starts at base. Returns the status code. */
export function route(base: usize, req: HttpRequest, out: ByteBuf): i32 {
  const head = req.method == METHOD_HEAD;
  let p = base + <usize>req.targetStart;
  let n = req.targetLen;
  // Absolute-form (RFC 9112 §3.2.2): drop scheme and authority.
  if (n > 7 && (bytesEqual(p, 7, "http://") || (n > 8 && bytesEqual(p, 8, "https://")))) {
    let skip = bytesEqual(p, 7, "http://") ? 7 : 8;
    while (skip < n && load<u8>(p + <usize>skip) != 47) skip++;
    if (skip >= n) { p = ROOT_PATH; n = 1; }
    else { p += <usize>skip; n -= skip; }
  }
  if (n == 0 || load<u8>(p) != 47) return writeError(out, 400, "request target must be an absolute path", req.keepAlive, req.http10, head);
  // The query string is ignored.
  for (let i = 0; i < n; i++) {
    if (load<u8>(p + <usize>i) == 63) { n = i; break; }
  }
  const known = bytesEqual(p, n, "/healthz") || bytesEqual(p, n, "/readyz") || bytesEqual(p, n, "/metrics") ||
    (n > SHIPMENTS_PREFIX.length && bytesEqual(p, SHIPMENTS_PREFIX.length, SHIPMENTS_PREFIX));
  if (!known) return writeError(out, 404, "no such endpoint", req.keepAlive, req.http10, head);
  if (req.method != METHOD_GET && req.method != METHOD_HEAD) {
    return writeError(out, 405, "method not allowed", req.keepAlive, req.http10, false, "Allow: GET, HEAD\r\n");
  }
  if (bytesEqual(p, n, "/healthz")) return writeJsonText(out, 200, "{\"status\":\"ok\"}", req, head);
  if (bytesEqual(p, n, "/readyz")) {
    if (readiness.ready) return writeJsonText(out, 200, "{\"status\":\"ready\"}", req, head);
    const why = !readiness.storageOk ? "event log not writable" : "not subscribed to the MQTT broker";
    const b = scratchBody;
    b.clear();
    b.writeAscii("{\"status\":\"not ready\",\"reason\":");
    b.writeJsonString(why);
    b.writeAscii("}");
    return writeResponse(out, 503, JSON_TYPE, b.readPtr, b.length, req.keepAlive, req.http10, head);
  }
  if (bytesEqual(p, n, "/metrics")) {
    const b = scratchBody;
    b.clear();
    metrics.render(b, shipments.count, shipments.totalEvents, shipments.evicted);
    return writeResponse(out, 200, METRICS_TYPE, b.readPtr, b.length, req.keepAlive, req.http10, head);
  }
  const idPtr = p + <usize>SHIPMENTS_PREFIX.length;
  const idLen = n - SHIPMENTS_PREFIX.length;
  if (idLen > 64) return writeError(out, 400, "invalid shipment id: must match [A-Za-z0-9_-]{1,64}", req.keepAlive, req.http10, head);
  const id = String.UTF8.decodeUnsafe(idPtr, <usize>idLen);
  if (!isValidShipmentId(id)) return writeError(out, 400, "invalid shipment id: must match [A-Za-z0-9_-]{1,64}", req.keepAlive, req.http10, head);
  const s = shipments.find(id);
  if (s === null) return writeError(out, 404, "shipment not found", req.keepAlive, req.http10, head);
  const body = s.renderBody();
  return writeResponse(out, 200, JSON_TYPE, changetype<usize>(body), body.byteLength, req.keepAlive, req.http10, head);
}
