'use strict';

const http = require('node:http');
const { createClient } = require('redis');
const { pool, connectWithRetry } = require('./db');
const { parseOrder } = require('./routes');

const port = Number.parseInt(process.env.PORT || '3000', 10);
const cache = createClient({ url: process.env.REDIS_URL });

function send(res, status, payload) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

async function handle(req, res) {
  if (req.method === 'GET' && req.url === '/healthz') {
    await pool.query('SELECT 1');
    return send(res, 200, { status: 'ok' });
  }
  if (req.method === 'POST' && req.url === '/orders') {
    let body = '';
    for await (const chunk of req) body += chunk;
    const { order, error } = parseOrder(body);
    if (error) return send(res, 400, { error });
    const { rows } = await pool.query(
      "INSERT INTO jobs (kind, payload) VALUES ('order.created', $1) RETURNING id",
      [order],
    );
    await cache.del('orders:recent');
    return send(res, 202, { id: rows[0].id });
  }
  return send(res, 404, { error: 'not found' });
}

async function main() {
  await connectWithRetry();
  await cache.connect();
  http
    .createServer((req, res) => handle(req, res).catch((err) => send(res, 500, { error: err.message })))
    .listen(port, () => console.log(`api listening on :${port}`));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
