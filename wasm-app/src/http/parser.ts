// Incremental HTTP/1.1 request-head parser (RFC 9112) over a connection's input bytes.
// It never copies the input; results are offsets into the buffer.
import { bytesEqualLower } from "../util/bytes";

export const MAX_HEADER_BYTES = 8192;
export const MAX_HEADER_COUNT = 100;
export const MAX_BODY_BYTES = 65536;

export const PARSE_INCOMPLETE: i32 = 0;
export const PARSE_OK: i32 = 1;

export const METHOD_GET: i32 = 1;
export const METHOD_HEAD: i32 = 2;
export const METHOD_OTHER: i32 = 3;

export class HttpRequest {
  /** PARSE_INCOMPLETE, PARSE_OK, or an HTTP status code for a bad request. */
  state: i32 = PARSE_INCOMPLETE;
  error: string = "";
  method: i32 = 0;
  targetStart: i32 = 0;
  targetLen: i32 = 0;
  http10: bool = false;
  keepAlive: bool = true;
  headEnd: i32 = 0;
  contentLength: i32 = 0;
  /** How far the search for the end of the head has got (resumes there). */
  scanned: i32 = 0;

  reset(): void {
    this.state = PARSE_INCOMPLETE;
    this.error = "";
    this.method = 0;
    this.targetStart = 0;
    this.targetLen = 0;
    this.http10 = false;
    this.keepAlive = true;
    this.headEnd = 0;
    this.contentLength = 0;
    this.scanned = 0;
  }

  fail(code: i32, msg: string): i32 {
    this.state = code;
    this.error = msg;
    return code;
  }
}

// RFC 9110 tchar
function isTchar(c: u32): bool {
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return true;
  return c == 33 || c == 35 || c == 36 || c == 37 || c == 38 || c == 39 || c == 42 || c == 43 ||
    c == 45 || c == 46 || c == 94 || c == 95 || c == 96 || c == 124 || c == 126;
}

/** End (exclusive, without CR) of the line starting at p, or -1 if there is no LF yet. */
function lineEnd(base: usize, p: i32, len: i32): i32 {
  for (let i = p; i < len; i++) {
    if (load<u8>(base + <usize>i) == 10) return i;
  }
  return -1;
}

function trimCR(base: usize, start: i32, lf: i32): i32 {
  return lf > start && load<u8>(base + <usize>(lf - 1)) == 13 ? lf - 1 : lf;
}

/**
 * Parses the request head in [base, base+len). On PARSE_INCOMPLETE call again when more
 * bytes have arrived (the same HttpRequest keeps the scan position).
 */
export function parseRequest(base: usize, len: i32, req: HttpRequest): i32 {
  // Skip empty lines before the request line (RFC 9112 §2.2 allows it).
  let p = 0;
  while (p < len) {
    const c = load<u8>(base + <usize>p);
    if (c == 13 || c == 10) p++; else break;
  }
  if (p > 64) return req.fail(400, "too many empty lines before the request");
  // Validate the request line as soon as it is complete, so garbage is rejected early.
  const rlEnd = lineEnd(base, p, len);
  if (rlEnd < 0) {
    if (len > MAX_HEADER_BYTES) return req.fail(431, "request line too long");
    if (!plausibleStart(base, p, len)) return req.fail(400, "malformed request line");
    return PARSE_INCOMPLETE;
  }
  // Find the blank line that ends the head.
  let i = req.scanned > rlEnd ? req.scanned : rlEnd;
  let headEnd = -1;
  while (i < len) {
    if (load<u8>(base + <usize>i) == 10) {
      // LF followed by LF or CRLF => end of head.
      if (i + 1 < len && load<u8>(base + <usize>(i + 1)) == 10) { headEnd = i + 2; break; }
      if (i + 2 < len && load<u8>(base + <usize>(i + 1)) == 13 && load<u8>(base + <usize>(i + 2)) == 10) { headEnd = i + 3; break; }
    }
    i++;
  }
  if (headEnd < 0) {
    req.scanned = len > 2 ? len - 2 : 0;
    if (len > MAX_HEADER_BYTES) return req.fail(431, "request header fields too large");
    const r = parseRequestLine(base, p, trimCR(base, p, rlEnd), req);
    if (r != PARSE_OK) return r;
    return PARSE_INCOMPLETE;
  }
  if (headEnd > MAX_HEADER_BYTES) return req.fail(431, "request header fields too large");
  const r = parseRequestLine(base, p, trimCR(base, p, rlEnd), req);
  if (r != PARSE_OK) return r;
  req.headEnd = headEnd;
  return parseHeaders(base, rlEnd + 1, headEnd, req);
}

function plausibleStart(base: usize, p: i32, len: i32): bool {
  // Before the line is complete: the method must be tchars followed by a space.
  for (let i = p; i < len; i++) {
    const c = <u32>load<u8>(base + <usize>i);
    if (c == 32) return i > p;
    if (!isTchar(c) || i - p > 16) return false;
  }
  return true;
}

function parseRequestLine(base: usize, start: i32, end: i32, req: HttpRequest): i32 {
  let i = start;
  while (i < end && isTchar(<u32>load<u8>(base + <usize>i))) i++;
  const mlen = i - start;
  if (mlen == 0 || mlen > 16 || i >= end || load<u8>(base + <usize>i) != 32) return req.fail(400, "malformed request line");
  const m = base + <usize>start;
  if (mlen == 3 && load<u8>(m) == 71 && load<u8>(m, 1) == 69 && load<u8>(m, 2) == 84) req.method = METHOD_GET;
  else if (mlen == 4 && load<u8>(m) == 72 && load<u8>(m, 1) == 69 && load<u8>(m, 2) == 65 && load<u8>(m, 3) == 68) req.method = METHOD_HEAD;
  else req.method = METHOD_OTHER;
  i++;
  const tStart = i;
  while (i < end) {
    const c = load<u8>(base + <usize>i);
    if (c == 32) break;
    if (c <= 32 || c >= 127) return req.fail(400, "invalid character in request target");
    i++;
  }
  if (i == tStart || i >= end) return req.fail(400, "malformed request line");
  req.targetStart = tStart;
  req.targetLen = i - tStart;
  i++;
  if (end - i != 8) return req.fail(400, "malformed HTTP version");
  const v = base + <usize>i;
  if (!(load<u8>(v) == 72 && load<u8>(v, 1) == 84 && load<u8>(v, 2) == 84 && load<u8>(v, 3) == 80 &&
    load<u8>(v, 4) == 47 && load<u8>(v, 6) == 46)) return req.fail(400, "malformed HTTP version");
  const major = load<u8>(v, 5);
  const minor = load<u8>(v, 7);
  if (major < 48 || major > 57 || minor < 48 || minor > 57) return req.fail(400, "malformed HTTP version");
  if (major != 49) return req.fail(505, "HTTP version not supported");
  req.http10 = minor == 48;
  req.keepAlive = !req.http10;
  return PARSE_OK;
}

function parseHeaders(base: usize, p: i32, headEnd: i32, req: HttpRequest): i32 {
  let count = 0;
  let hostCount = 0;
  let haveLength = false;
  let length: i64 = 0;
  let sawClose = false;
  let sawKeepAlive = false;
  while (p < headEnd) {
    const lf = lineEnd(base, p, headEnd);
    const end = trimCR(base, p, lf);
    if (end == p) break; // the blank line
    count++;
    if (count > MAX_HEADER_COUNT) return req.fail(431, "too many header fields");
    const first = load<u8>(base + <usize>p);
    if (first == 32 || first == 9) return req.fail(400, "obsolete line folding is not accepted");
    let c = p;
    while (c < end && isTchar(<u32>load<u8>(base + <usize>c))) c++;
    if (c == p || c >= end || load<u8>(base + <usize>c) != 58) return req.fail(400, "malformed header field");
    const nameStart = p;
    const nameLen = c - p;
    let vs = c + 1;
    let ve = end;
    for (let k = vs; k < ve; k++) {
      const b = load<u8>(base + <usize>k);
      if ((b < 32 && b != 9) || b == 127) return req.fail(400, "invalid character in header value");
    }
    while (vs < ve && (load<u8>(base + <usize>vs) == 32 || load<u8>(base + <usize>vs) == 9)) vs++;
    while (ve > vs && (load<u8>(base + <usize>(ve - 1)) == 32 || load<u8>(base + <usize>(ve - 1)) == 9)) ve--;
    const name = base + <usize>nameStart;
    if (bytesEqualLower(name, nameLen, "host")) {
      hostCount++;
    } else if (bytesEqualLower(name, nameLen, "content-length")) {
      if (ve == vs) return req.fail(400, "invalid Content-Length");
      let v: i64 = 0;
      for (let k = vs; k < ve; k++) {
        const d = <i32>load<u8>(base + <usize>k) - 48;
        if (d < 0 || d > 9) return req.fail(400, "invalid Content-Length");
        v = v * 10 + d;
        if (v > 1 << 40) return req.fail(400, "invalid Content-Length");
      }
      if (haveLength && v != length) return req.fail(400, "conflicting Content-Length");
      haveLength = true;
      length = v;
    } else if (bytesEqualLower(name, nameLen, "transfer-encoding")) {
      return req.fail(501, "Transfer-Encoding is not supported");
    } else if (bytesEqualLower(name, nameLen, "connection")) {
      // Comma-separated tokens.
      let t = vs;
      while (t < ve) {
        while (t < ve && (load<u8>(base + <usize>t) == 32 || load<u8>(base + <usize>t) == 44 || load<u8>(base + <usize>t) == 9)) t++;
        const ts = t;
        while (t < ve && load<u8>(base + <usize>t) != 44 && load<u8>(base + <usize>t) != 32) t++;
        if (bytesEqualLower(base + <usize>ts, t - ts, "close")) sawClose = true;
        else if (bytesEqualLower(base + <usize>ts, t - ts, "keep-alive")) sawKeepAlive = true;
      }
    }
    p = lf + 1;
  }
  if (!req.http10 && hostCount != 1) return req.fail(400, hostCount == 0 ? "missing Host header" : "multiple Host headers");
  if (hostCount > 1) return req.fail(400, "multiple Host headers");
  if (length > MAX_BODY_BYTES) return req.fail(413, "request body too large");
  req.contentLength = <i32>length;
  if (sawClose) req.keepAlive = false;
  else if (req.http10 && sawKeepAlive) req.keepAlive = true;
  req.state = PARSE_OK;
  return PARSE_OK;
}
