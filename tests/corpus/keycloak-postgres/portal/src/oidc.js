'use strict';

const retries = Number.parseInt(process.env.OIDC_DISCOVERY_RETRIES || '5', 10);
const backoffMs = Number.parseInt(process.env.OIDC_DISCOVERY_BACKOFF_MS || '2000', 10);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Fetch the issuer's discovery document, retrying while Keycloak starts.
async function discover(issuer, fetchImpl = fetch) {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const res = await fetchImpl(url);
      if (!res.ok) throw new Error(`discovery returned ${res.status}`);
      return await res.json();
    } catch (err) {
      if (attempt >= retries) throw err;
      console.warn(`OIDC discovery failed (attempt ${attempt}/${retries}): ${err.message}`);
      await sleep(backoffMs);
    }
  }
}

// "Bearer abc" -> "abc"; anything else -> null.
function bearerToken(header) {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/.exec(header.trim());
  return match ? match[1] : null;
}

function hasRealmRole(claims, role) {
  return Boolean(claims && claims.realm_access && Array.isArray(claims.realm_access.roles)
    && claims.realm_access.roles.includes(role));
}

module.exports = { discover, bearerToken, hasRealmRole };
