'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { parseOrder } = require('../src/routes');

test('accepts a valid order', () => {
  assert.deepEqual(parseOrder('{"sku":"A-1","quantity":2}'), { order: { sku: 'A-1', quantity: 2 } });
});

test('defaults quantity to 1', () => {
  assert.equal(parseOrder('{"sku":"A-1"}').order.quantity, 1);
});

test('rejects bad JSON and bad quantities', () => {
  assert.ok(parseOrder('nope').error);
  assert.ok(parseOrder('{"sku":"A-1","quantity":0}').error);
  assert.ok(parseOrder('{"quantity":3}').error);
});
