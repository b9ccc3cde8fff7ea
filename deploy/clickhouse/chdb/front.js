#!/usr/bin/env node
// front.js: a test-only HTTP front for chDB (ClickHouse in-process). It
// speaks enough of ClickHouse's HTTP interface for clickhouse-go v2 over
// http://, so the sink can be tested against a real, modern ClickHouse
// engine where no server can be installed. Not for production.
//
//   node front.js --db DIR [--listen 127.0.0.1:0]
//
// Prints "listening HOST:PORT" on stdout once it accepts connections, and
// one line per failed query on stderr. SIGTERM or SIGINT close the session.
//
// What it serves, as ClickHouse does:
//   GET /ping, GET / without a query           "Ok."
//   POST/GET with ?query=... or the query as the body; ?database=...
//   INSERT ... FORMAT <fmt> with the data as the body (clickhouse-go sends
//     FORMAT Native); a Content-Encoding of gzip, deflate or br is undone
//   other statements: the result in ?default_format (TabSeparated if none);
//     Native is written for the ?client_protocol_version the client sent
//     (block info, custom-serialization flags), which chDB itself cannot do
//   param_<name>=value                         query parameters
//   every other URL parameter                  a setting for this query
//                                              (insert_deduplication_token, ...)
//   errors: HTTP 500 (400 for syntax errors), X-ClickHouse-Exception-Code,
//     the exception text as the body
// Not served: sessions, external tables, ClickHouse's own block compression
// over HTTP (compress=1/decompress=1; the client must use gzip or nothing),
// and Native results of Dynamic, Variant, JSON or AggregateFunction columns.
//
// Statements run one at a time on one chDB Session over DIR, where the
// tables persist; only one process may hold DIR.
'use strict';
const http = require('http');
const zlib = require('zlib');
const fs = require('fs');
const os = require('os');
const path = require('path');

function parseArgs(argv) {
  const o = { listen: '127.0.0.1:0' };
  for (let i = 0; i < argv.length; i += 2) {
    const a = argv[i], v = argv[i + 1];
    if (v === undefined) throw new Error(`${a}: missing value`);
    switch (a) {
      case '--db': o.db = v; break;
      case '--listen': o.listen = v; break;
      default: throw new Error(`unknown flag ${a}`);
    }
  }
  if (!o.db) throw new Error('--db is required');
  const k = o.listen.lastIndexOf(':');
  if (k < 0) throw new Error(`--listen ${o.listen}: want HOST:PORT`);
  o.host = o.listen.slice(0, k);
  o.port = Number(o.listen.slice(k + 1));
  return o;
}

// URL parameters of the HTTP interface itself; all others are settings.
const protocolParams = new Set(['query', 'database', 'default_format', 'client_protocol_version', 'query_id',
  'quota_key', 'session_id', 'session_timeout', 'session_check', 'user', 'password', 'compress', 'decompress',
  'enable_http_compression', 'http_zlib_compression_level', 'wait_end_of_query', 'buffer_size', 'add_http_cors_header']);

class HTTPError extends Error {
  constructor(status, code, msg) { super(msg); this.status = status; this.code = code; }
}

// ---- Native format for a client protocol version ----------------------
//
// chDB writes Native as for revision 0: per block, varuint columns and rows,
// then per column its name, type and data. A client that sent
// client_protocol_version > 0 also expects block info before each block and,
// from revision 54454, a custom-serialization flag after each type. Adding
// them needs each column's end, so this walks the data by type.

const CUSTOM_SERIALIZATION_REVISION = 54454;

class Reader {
  constructor(buf) { this.b = buf; this.p = 0; }
  need(n) { if (this.p + n > this.b.length) throw new Error('Native: truncated'); }
  skip(n) { this.need(n); this.p += n; }
  u64() { this.need(8); const v = this.b.readBigUInt64LE(this.p); this.p += 8; return v; }
  varuint() {
    let v = 0n, s = 0n;
    for (;;) {
      this.need(1);
      const c = this.b[this.p++];
      v |= BigInt(c & 0x7f) << s;
      if (c < 0x80) return v;
      s += 7n;
      if (s > 63n) throw new Error('Native: bad varuint');
    }
  }
  num(v) { if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('Native: length too large'); return Number(v); }
  str() { const n = this.num(this.varuint()); this.need(n); const s = this.b.toString('utf8', this.p, this.p + n); this.p += n; return s; }
}

// parseType turns "Array(LowCardinality(String))" into {name, args}; a
// named tuple element "a String" keeps only its type.
function parseType(s) {
  s = s.trim();
  const top = splitTop(s, ' ');
  if (top.length > 1 && !/^[A-Za-z0-9_]+\(/.test(s)) s = top.slice(1).join(' ').trim();
  const i = s.indexOf('(');
  if (i < 0) return { name: s, args: [] };
  if (!s.endsWith(')')) throw new Error(`Native: cannot parse type ${s}`);
  return { name: s.slice(0, i), args: splitTop(s.slice(i + 1, -1), ',').map(a => a.trim()) };
}

// splitTop splits at sep outside parentheses and quotes.
function splitTop(s, sep) {
  const out = [];
  let depth = 0, quote = '', start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '`' || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === sep && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out.filter(x => x.trim() !== '');
}

const fixedSize = {
  UInt8: 1, Int8: 1, Bool: 1, Enum8: 1, Nothing: 1,
  UInt16: 2, Int16: 2, Date: 2, Enum16: 2, BFloat16: 2,
  UInt32: 4, Int32: 4, Float32: 4, Date32: 4, DateTime: 4, IPv4: 4, Decimal32: 4, Time: 4,
  UInt64: 8, Int64: 8, Float64: 8, DateTime64: 8, Decimal64: 8, Time64: 8,
  UInt128: 16, Int128: 16, UUID: 16, IPv6: 16, Decimal128: 16,
  UInt256: 32, Int256: 32, Decimal256: 32,
};

function elementSize(t) {
  if (t.name in fixedSize) return fixedSize[t.name];
  if (t.name.startsWith('Interval')) return 8;
  if (t.name === 'FixedString') return Number(t.args[0]);
  if (t.name === 'Decimal') {
    const p = Number(t.args[0]);
    return p <= 9 ? 4 : p <= 18 ? 8 : p <= 38 ? 16 : 32;
  }
  return 0;
}

// skipPrefix skips the serialization state a type writes before its data
// (LowCardinality's key version, also when nested).
function skipPrefix(r, type) {
  const t = parseType(type);
  switch (t.name) {
    case 'LowCardinality': r.skip(8); return;
    case 'Array': case 'Nullable': case 'SimpleAggregateFunction':
      return skipPrefix(r, t.args[t.args.length - 1]);
    case 'Map': skipPrefix(r, t.args[0]); skipPrefix(r, t.args[1]); return;
    case 'Tuple': for (const a of t.args) skipPrefix(r, a); return;
  }
}

// skipData skips n values of type.
function skipData(r, type, n) {
  const t = parseType(type);
  const size = elementSize(t);
  if (size > 0) return r.skip(size * n);
  switch (t.name) {
    case 'String':
      for (let i = 0; i < n; i++) r.skip(r.num(r.varuint()));
      return;
    case 'Nullable':
      r.skip(n);
      return skipData(r, t.args[0], n);
    case 'SimpleAggregateFunction':
      return skipData(r, t.args[t.args.length - 1], n);
    case 'Array': case 'Map': {
      let total = 0;
      for (let i = 0; i < n; i++) total = r.num(r.u64());
      if (t.name === 'Array') return skipData(r, t.args[0], total);
      skipData(r, t.args[0], total);
      return skipData(r, t.args[1], total);
    }
    case 'Tuple':
      for (const a of t.args) skipData(r, a, n);
      return;
    case 'LowCardinality': {
      if (n === 0) return;
      const flags = r.u64();
      if (flags & (1n << 9n)) { // additional keys: the dictionary of this granule
        const dict = parseType(t.args[0]);
        skipData(r, dict.name === 'Nullable' ? dict.args[0] : t.args[0], r.num(r.u64()));
      }
      const rows = r.num(r.u64());
      return r.skip(rows * (1 << Number(flags & 0xffn)));
    }
  }
  throw new HTTPError(500, 48, `Code: 48. front.js: Native result column of type ${type} is not supported by the test front (NOT_IMPLEMENTED)`);
}

// nativeForRevision rewrites revision-0 Native output for a client revision.
function nativeForRevision(buf, revision) {
  if (revision <= 0) return buf;
  const r = new Reader(buf);
  const out = [];
  const blockInfo = Buffer.from([0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00]);
  while (r.p < buf.length) {
    out.push(blockInfo);
    const start = r.p;
    const cols = r.num(r.varuint());
    const rows = r.num(r.varuint());
    out.push(buf.subarray(start, r.p));
    for (let c = 0; c < cols; c++) {
      const from = r.p;
      r.str();
      const type = r.str();
      out.push(buf.subarray(from, r.p));
      if (revision >= CUSTOM_SERIALIZATION_REVISION) out.push(Buffer.from([0]));
      const data = r.p;
      if (rows > 0) {
        skipPrefix(r, type);
        skipData(r, type, rows);
      }
      out.push(buf.subarray(data, r.p));
    }
  }
  return Buffer.concat(out);
}

// ---- requests ----------------------------------------------------------

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function decodeBody(body, encoding) {
  switch ((encoding || 'identity').toLowerCase()) {
    case 'identity': return body;
    case 'gzip': return zlib.gunzipSync(body);
    case 'deflate': return zlib.inflateSync(body);
    case 'br': return zlib.brotliDecompressSync(body);
  }
  throw new HTTPError(400, 0, `front.js: Content-Encoding ${encoding} is not supported`);
}

const quoteIdent = s => '`' + s.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
const quoteValue = v => /^-?\d+(\.\d+)?$/.test(v) ? v : "'" + v.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";

let chain = Promise.resolve();
// serial runs the requests' statements one at a time on the session.
function serial(fn) {
  const p = chain.then(fn);
  chain = p.catch(() => {});
  return p;
}

let tmpSeq = 0;

async function handle(session, tmpDir, req, res) {
  const u = new URL(req.url, 'http://front');
  if ((req.method === 'GET' || req.method === 'HEAD') && (u.pathname === '/ping' || (u.pathname === '/' && !u.searchParams.has('query')))) {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' });
    return res.end('Ok.\n');
  }
  const p = u.searchParams;
  if (p.get('compress') === '1' || p.get('decompress') === '1') {
    throw new HTTPError(400, 0, 'front.js: ClickHouse block compression over HTTP (compress/decompress=1) is not supported: send gzip or nothing');
  }
  if ((req.headers['content-type'] || '').startsWith('multipart/')) {
    throw new HTTPError(400, 0, 'front.js: external tables (multipart bodies) are not supported');
  }
  const body = decodeBody(await readBody(req), req.headers['content-encoding']);
  let sql = p.get('query'), data = null;
  if (sql === null) sql = body.toString('utf8');
  else if (body.length > 0) data = body;
  const insert = data && /^\s*INSERT\s+INTO\s+([\s\S]+?)\s+FORMAT\s+(\w+)\s*$/i.exec(sql);
  if (data && !insert) sql += '\n' + data.toString('utf8'); // the body continues the query
  const settings = [], params = {};
  for (const [k, v] of p) {
    if (k.startsWith('param_')) params[k.slice(6)] = v;
    else if (!protocolParams.has(k)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new HTTPError(400, 115, `Code: 115. front.js: bad setting name ${k} (UNKNOWN_SETTING)`);
      settings.push([k, v]);
    }
  }
  const format = p.get('default_format') || 'TabSeparated';
  const revision = Number(p.get('client_protocol_version') || 0);

  const out = await serial(async () => {
    session.query(`USE ${quoteIdent(p.get('database') || 'default')}`);
    if (settings.length) session.query('SET ' + settings.map(([k, v]) => `${k} = ${quoteValue(v)}`).join(', '));
    let file;
    try {
      if (insert) {
        // The engine parses the data itself: written to a file, read with
        // FROM INFILE, as one INSERT (so insert_deduplication_token applies).
        file = path.join(tmpDir, `insert-${process.pid}-${++tmpSeq}`);
        fs.writeFileSync(file, data);
        const m = /^([\s\S]*?)\s+SETTINGS\s+([\s\S]*)$/i.exec(insert[1]);
        const target = m ? m[1] : insert[1], clause = m ? ` SETTINGS ${m[2]}` : '';
        await session.queryAsync(`INSERT INTO ${target} FROM INFILE '${file}'${clause} FORMAT ${insert[2]}`);
        return { body: Buffer.alloc(0), format: '' };
      }
      const r = Object.keys(params).length
        ? await session.queryBindAsync(sql, params, { format })
        : await session.queryAsync(sql, { format });
      let b = Buffer.from(r.bytes());
      const ownFormat = /\bFORMAT\s+\w+\s*;?\s*$/i.test(sql);
      if (format === 'Native' && !ownFormat) b = nativeForRevision(b, revision);
      return { body: b, format: ownFormat ? '' : format };
    } finally {
      if (file) fs.rmSync(file, { force: true });
      if (settings.length) {
        try { session.query('SET ' + settings.map(([k]) => `${k} = DEFAULT`).join(', ')); } catch (e) { /* reported by the query */ }
      }
    }
  });
  const headers = { 'Content-Type': out.format === 'Native' ? 'application/octet-stream' : 'text/plain; charset=UTF-8' };
  if (out.format) headers['X-ClickHouse-Format'] = out.format;
  res.writeHead(200, headers);
  res.end(out.body);
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const { Session } = require('chdb');
  const session = new Session(o.db);
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chdb-front-'));
  const server = http.createServer((req, res) => {
    handle(session, tmpDir, req, res).catch(e => {
      const msg = String(e.message || e).trim();
      let code = e.code && typeof e.code === 'number' ? e.code : (e.clickhouseCode || 0);
      const m = /^Code: (\d+)\./.exec(msg);
      if (m) code = Number(m[1]);
      const status = e.status || (code === 62 ? 400 : 500);
      process.stderr.write(`front.js: ${status}: ${msg.split('\n')[0]}\n`);
      if (res.headersSent) return res.destroy();
      const headers = { 'Content-Type': 'text/plain; charset=UTF-8' };
      if (code) headers['X-ClickHouse-Exception-Code'] = String(code);
      res.writeHead(status, headers);
      res.end(msg + '\n');
    });
  });
  const stop = () => {
    server.close();
    session.close();
    fs.rmSync(tmpDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  server.listen(o.port, o.host, () => {
    const a = server.address();
    process.stdout.write(`listening ${a.address}:${a.port}\n`);
  });
}

try {
  main();
} catch (e) {
  process.stderr.write(`front.js: ${String(e.message || e).trim()}\n`);
  process.exit(1);
}
