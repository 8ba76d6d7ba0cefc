'use strict';
// A small intranet page on whoknows (issue 13): a "who knows" search box
// (Expertise.FindExperts) and a "write a question" box with live
// suggestions (Expertise.SuggestForPost). The browser talks only to this
// app's JSON endpoints; this app talks gRPC over TLS to whoknows with the
// intranet's service-account token.
//
// Configuration (environment):
//   WHOKNOWS_SERVER      host:port of `whoknows serve` (default 127.0.0.1:50051)
//   WHOKNOWS_CA          the CA of its TLS certificate (PEM)
//   WHOKNOWS_TOKEN_FILE  the service account's bearer token (`intranet` role)
//   WHOKNOWS_PROTO_DIR   the protos (default ../../proto)
//   INTRANET_USER        person id of the signed-in user (a real intranet
//                        takes it from its session; default u0222)
//   LISTEN               host:port of this page (default 127.0.0.1:8080;
//                        port 0 picks a free one)
// Prints "intranet page on http://HOST:PORT/" once it listens.

const fs = require('fs');
const http = require('http');
const path = require('path');
const api = require('./api');
const whoknows = require('./whoknows');

const MAX_REQUEST_BYTES = 32 * 1024;
const PUBLIC_DIR = path.join(__dirname, 'public');
const STATIC_FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};
// Nothing inline, nothing from elsewhere: even a rendering bug could not run
// a script planted in a post.
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

function send(res, httpStatus, body, headers = {}) {
  const json = JSON.stringify(body);
  res.writeHead(httpStatus, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(json);
}

// Reads a JSON body of at most MAX_REQUEST_BYTES; rejects with
// {httpStatus, error}.
function readJson(req) {
  return new Promise((resolve, reject) => {
    if (!/^application\/json\b/.test(req.headers['content-type'] || '')) {
      reject({ httpStatus: 415, error: 'request: Content-Type must be application/json' });
      return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        // The rest is discarded; the reply closes the connection.
        reject({ httpStatus: 413, error: `request: larger than ${MAX_REQUEST_BYTES} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_REQUEST_BYTES) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject({ httpStatus: 400, error: 'request: not valid JSON' });
      }
    });
    req.on('error', () => reject({ httpStatus: 400, error: 'request: could not be read' }));
  });
}

function makeHandlers(client, user) {
  return {
    async '/api/experts'(input) {
      const { query, tags } = api.parseFindRequest(input);
      const reply = await client.findExperts({ query, tags, asker_id: user, limit: 5 });
      return { experts: reply.experts.map(api.expertView), model: api.modelView(reply.model) };
    },
    async '/api/suggest'(input) {
      const draft = api.parseDraft(input);
      if (!client.hasMethod('SuggestForPost')) {
        // Before SuggestForPost: the draft as a FindExperts query.
        const query = `${draft.title}\n${draft.body}`.trim().slice(0, api.LIMITS.queryBytes);
        const reply = await client.findExperts({ query, tags: draft.tags, asker_id: user, limit: 3 });
        return {
          experts: reply.experts.map(api.expertView),
          threads: [],
          suggested_tags: [],
          model: api.modelView(reply.model),
        };
      }
      const reply = await client.suggestForPost({ ...draft, author_id: user });
      return {
        experts: reply.experts.map(api.expertView),
        threads: reply.threads.map(api.threadView),
        suggested_tags: reply.suggested_tags.map((t) => t.tag),
        withheld_experts: reply.withheld_experts,
        model: api.modelView(reply.model),
      };
    },
  };
}

async function handleApi(req, res, handler) {
  if (req.method !== 'POST') {
    send(res, 405, { error: 'request: use POST' }, { Allow: 'POST' });
    return;
  }
  let input;
  try {
    input = await readJson(req);
  } catch (e) {
    send(res, e.httpStatus, { error: e.error }, e.httpStatus === 413 ? { Connection: 'close' } : {});
    return;
  }
  try {
    send(res, 200, await handler(input));
  } catch (err) {
    if (err instanceof api.BadRequest) {
      send(res, 400, { error: err.message });
      return;
    }
    if (typeof err.code !== 'number') throw err;
    const reply = api.errorReply(err);
    console.error(`whoknows call failed: ${err.code} ${err.details}`);
    send(res, reply.httpStatus, reply.body, reply.headers);
  }
}

function serveStatic(req, res, [file, type], user) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, { error: 'request: use GET' }, { Allow: 'GET' });
    return;
  }
  let content = fs.readFileSync(path.join(PUBLIC_DIR, file), 'utf8');
  // The user id is configuration, not input, but is escaped all the same.
  if (file === 'index.html') content = content.replace('{{USER}}', escapeHtml(user));
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS });
  res.end(req.method === 'HEAD' ? undefined : content);
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function createServer(client, user) {
  const handlers = makeHandlers(client, user);
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (handlers[url.pathname]) {
      handleApi(req, res, handlers[url.pathname]).catch((err) => {
        console.error(err);
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
      });
    } else if (STATIC_FILES[url.pathname]) {
      serveStatic(req, res, STATIC_FILES[url.pathname], user);
    } else {
      send(res, 404, { error: 'not found' });
    }
  });
}

function main() {
  const env = process.env;
  const client = whoknows.connect({
    address: env.WHOKNOWS_SERVER || '127.0.0.1:50051',
    caFile: env.WHOKNOWS_CA || 'var/demo-pki/ca.pem',
    tokenFile: env.WHOKNOWS_TOKEN_FILE || 'var/demo-pki/intranet.token',
    protoDir: env.WHOKNOWS_PROTO_DIR,
  });
  const user = env.INTRANET_USER || 'u0222';
  const [host, port] = (env.LISTEN || '127.0.0.1:8080').split(/:(?=\d+$)/);
  const server = createServer(client, user);
  server.listen(Number(port), host, () => {
    const address = server.address();
    console.log(`intranet page on http://${address.address}:${address.port}/ (signed in as ${user})`);
  });
  const stop = () => server.close(() => { client.close(); process.exit(0); });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();

module.exports = { createServer };
