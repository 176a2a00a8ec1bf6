'use strict';

function parseOrder(body) {
  let data;
  try {
    data = JSON.parse(body);
  } catch {
    return { error: 'body must be JSON' };
  }
  if (typeof data.sku !== 'string' || data.sku.length === 0) return { error: 'sku is required' };
  const quantity = Number(data.quantity ?? 1);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > 100) {
    return { error: 'quantity must be an integer between 1 and 100' };
  }
  return { order: { sku: data.sku, quantity } };
}

module.exports = { parseOrder };
