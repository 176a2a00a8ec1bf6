'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { SessionStore } = require('../src/store');

test('a session is readable until it expires', () => {
  let now = 0;
  const store = new SessionStore(10, () => now);
  const id = store.create({ user: 'ana' });
  assert.deepStrictEqual(store.get(id), { user: 'ana' });
  now = 10_000;
  assert.strictEqual(store.get(id), null);
});

test('an unknown id has no session', () => {
  assert.strictEqual(new SessionStore(10).get('nope'), null);
});
