'use strict';

const products = [
  { sku: 'mug-001', name: 'Traefik mug', priceCents: 1200 },
  { sku: 'tee-002', name: 'Gopher tee', priceCents: 2500 },
];

function findProduct(sku) {
  return products.find((p) => p.sku === sku) || null;
}

module.exports = { products, findProduct };
