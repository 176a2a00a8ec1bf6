'use strict';

const http = require('node:http');
const cookie = require('cookie');
const signature = require('cookie-signature');
const { SessionStore } = require('./store');

const secret = process.env.SESSION_SECRET;
const store = new SessionStore(Number(process.env.SESSION_TTL_SECONDS || 3600));

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.end('ok');
    return;
  }
  if (req.method === 'POST' && req.url === '/sessions') {
    const id = store.create({ createdAt: new Date().toISOString() });
    res.setHeader('Set-Cookie', cookie.serialize('sid', signature.sign(id, secret), { httpOnly: true, sameSite: 'lax' }));
    res.statusCode = 201;
    res.end();
    return;
  }
  if (req.url === '/sessions/me') {
    const signed = cookie.parse(req.headers.cookie || '').sid || '';
    const id = signature.unsign(signed, secret);
    const data = id && store.get(id);
    res.statusCode = data ? 200 : 401;
    res.end(JSON.stringify(data || { error: 'no session' }));
    return;
  }
  res.statusCode = 404;
  res.end();
});

server.listen(Number(process.env.PORT || 3000));
