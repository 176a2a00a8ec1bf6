'use strict';

const crypto = require('node:crypto');

class SessionStore {
  constructor(ttlSeconds, now = () => Date.now()) {
    this.ttlMs = ttlSeconds * 1000;
    this.now = now;
    this.sessions = new Map();
  }

  create(data) {
    const id = crypto.randomBytes(18).toString('base64url');
    this.sessions.set(id, { data, expires: this.now() + this.ttlMs });
    return id;
  }

  get(id) {
    const entry = this.sessions.get(id);
    if (!entry) return null;
    if (entry.expires <= this.now()) {
      this.sessions.delete(id);
      return null;
    }
    return entry.data;
  }
}

module.exports = { SessionStore };
