'use strict';

const STATUSES = new Set(['new', 'paid', 'shipped', 'cancelled']);

function validateOrder(body) {
  if (!body || typeof body !== 'object') return { error: 'body must be a JSON object' };
  const { customer, items } = body;
  if (typeof customer !== 'string' || customer.trim() === '') return { error: 'customer is required' };
  if (!Array.isArray(items) || items.length === 0) return { error: 'items must be a non-empty array' };
  for (const item of items) {
    if (typeof item.sku !== 'string' || !Number.isInteger(item.qty) || item.qty < 1) {
      return { error: 'each item needs a sku and a positive integer qty' };
    }
    if (!Number.isInteger(item.priceCents) || item.priceCents < 0) {
      return { error: 'each item needs a non-negative integer priceCents' };
    }
  }
  return { order: { customer: customer.trim(), items, status: 'new' } };
}

function totalCents(order) {
  return order.items.reduce((sum, item) => sum + item.qty * item.priceCents, 0);
}

function canTransition(from, to) {
  if (!STATUSES.has(to)) return false;
  const allowed = { new: ['paid', 'cancelled'], paid: ['shipped', 'cancelled'], shipped: [], cancelled: [] };
  return (allowed[from] || []).includes(to);
}

module.exports = { validateOrder, totalCents, canTransition };
