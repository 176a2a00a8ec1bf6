'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { validateOrder, totalCents, canTransition } = require('../src/orders');

test('accepts a valid order and trims the customer', () => {
  const { order, error } = validateOrder({ customer: ' ada ', items: [{ sku: 'MUG', qty: 2, priceCents: 750 }] });
  assert.equal(error, undefined);
  assert.equal(order.customer, 'ada');
  assert.equal(order.status, 'new');
});

test('rejects empty items and bad quantities', () => {
  assert.ok(validateOrder({ customer: 'ada', items: [] }).error);
  assert.ok(validateOrder({ customer: 'ada', items: [{ sku: 'MUG', qty: 0, priceCents: 1 }] }).error);
  assert.ok(validateOrder(null).error);
});

test('totals line items in cents', () => {
  const order = { items: [{ sku: 'MUG', qty: 2, priceCents: 750 }, { sku: 'TEE', qty: 1, priceCents: 1900 }] };
  assert.equal(totalCents(order), 3400);
});

test('only allows forward status transitions', () => {
  assert.equal(canTransition('new', 'paid'), true);
  assert.equal(canTransition('shipped', 'new'), false);
  assert.equal(canTransition('paid', 'refunded'), false);
});
