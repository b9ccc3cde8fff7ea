#!/usr/bin/env node
// run.js: run SQL on chDB (ClickHouse in-process) for the analysis tests.
//
//   node run.js --db DIR [--exec FILE]... [--sql STATEMENT]... [--try STATEMENT]...
//               [--query FILE] [--param NAME=VALUE]... [--format CSVWithNames]
//
// --db      session directory; tables persist there between runs.
// --exec    a file of statements (schema.sql, say), run in order as one
//           multi-statement query: ClickHouse's own parser splits it, so
//           comments, quoted strings and ';' anywhere are handled as the
//           server handles them. The first failing statement stops the file.
// --sql     one statement, run after the --exec files.
// --try     one statement whose failure is ignored, run after the --exec files.
// --query   one SELECT with ClickHouse query parameters ({name:Type}); its
//           result goes to stdout in --format (default CSVWithNames).
// --param   a value for a query parameter of --query.
//
// chdb is found through NODE_PATH or the usual node_modules lookup. Errors go
// to stderr with the failing statement's first line and exit code 1.
'use strict';
const fs = require('fs');

function parseArgs(argv) {
  const o = { exec: [], steps: [], params: {}, format: 'CSVWithNames' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (v === undefined) throw new Error(`${a}: missing value`);
    i++;
    switch (a) {
      case '--db': o.db = v; break;
      case '--exec': o.exec.push(v); break;
      case '--sql': o.steps.push({ sql: v, mayFail: false }); break;
      case '--try': o.steps.push({ sql: v, mayFail: true }); break;
      case '--query': o.query = v; break;
      case '--format': o.format = v; break;
      case '--param': {
        const k = v.indexOf('=');
        if (k <= 0) throw new Error(`--param ${v}: want NAME=VALUE`);
        o.params[v.slice(0, k)] = v.slice(k + 1);
        break;
      }
      default: throw new Error(`unknown flag ${a}`);
    }
  }
  if (!o.db) throw new Error('--db is required');
  return o;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const { Session } = require('chdb');
  const s = new Session(o.db);
  const run = (sql, where) => {
    try {
      s.query(sql, 'CSV');
    } catch (e) {
      throw new Error(`${String(e.message || e).trim()}\n  in: ${where || sql.split('\n').find(l => l.trim() && !l.trim().startsWith('--'))}`);
    }
  };
  try {
    for (const f of o.exec) run(fs.readFileSync(f, 'utf8'), f);
    for (const st of o.steps) {
      try {
        run(st.sql);
      } catch (e) {
        if (!st.mayFail) throw e;
      }
    }
    if (o.query) {
      const q = fs.readFileSync(o.query, 'utf8').trim().replace(/;\s*$/, '');
      const out = Object.keys(o.params).length ? s.queryBind(q, o.params, o.format) : s.query(q, o.format);
      process.stdout.write(out);
    }
  } finally {
    s.close();
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`run.js: ${String(e.message || e).trim()}\n`);
  process.exit(1);
}
