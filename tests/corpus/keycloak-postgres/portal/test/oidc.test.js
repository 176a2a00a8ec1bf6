'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');

process.env.OIDC_DISCOVERY_BACKOFF_MS = '1';
const { discover, bearerToken, hasRealmRole } = require('../src/oidc');

test('bearerToken extracts the token', () => {
  assert.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  assert.equal(bearerToken('Basic Zm9vOmJhcg=='), null);
  assert.equal(bearerToken(undefined), null);
});

test('hasRealmRole reads realm_access.roles', () => {
  assert.ok(hasRealmRole({ realm_access: { roles: ['portal-admin'] } }, 'portal-admin'));
  assert.ok(!hasRealmRole({}, 'portal-admin'));
});

test('discover retries until the issuer answers', async () => {
  let calls = 0;
  const fakeFetch = async () => {
    calls += 1;
    if (calls < 2) throw new Error('connection refused');
    return { ok: true, json: async () => ({ issuer: 'http://kc/realms/demo', jwks_uri: 'http://kc/certs' }) };
  };
  const config = await discover('http://kc/realms/demo/', fakeFetch);
  assert.equal(config.jwks_uri, 'http://kc/certs');
  assert.equal(calls, 2);
});
