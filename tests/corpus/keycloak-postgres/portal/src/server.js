'use strict';

const http = require('node:http');
const { createRemoteJWKSet, jwtVerify } = require('jose');
const { discover, bearerToken, hasRealmRole } = require('./oidc');

const port = Number.parseInt(process.env.PORT || '3000', 10);

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function main() {
  const config = await discover(process.env.OIDC_ISSUER);
  const jwks = createRemoteJWKSet(new URL(config.jwks_uri));

  http.createServer(async (req, res) => {
    if (req.url === '/healthz') return send(res, 200, { status: 'ok' });
    const token = bearerToken(req.headers.authorization);
    if (!token) return send(res, 401, { error: 'missing bearer token' });
    try {
      const { payload } = await jwtVerify(token, jwks, { issuer: config.issuer, audience: process.env.OIDC_CLIENT_ID });
      if (req.url === '/admin' && !hasRealmRole(payload, 'portal-admin')) return send(res, 403, { error: 'forbidden' });
      return send(res, 200, { user: payload.preferred_username, roles: payload.realm_access?.roles ?? [] });
    } catch (err) {
      return send(res, 401, { error: err.code || 'invalid token' });
    }
  }).listen(port, () => console.log(`portal listening on :${port}`));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
