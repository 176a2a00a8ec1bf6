'use strict';

const express = require('express');
const morgan = require('morgan');
const Stripe = require('stripe');
const { products, findProduct } = require('./catalog');

const stripe = Stripe(process.env.STRIPE_API_KEY);
const app = express();
app.use(express.json());
app.use(morgan('combined'));

app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
app.get('/products', (_req, res) => res.json(products));

app.post('/checkout/:sku', async (req, res, next) => {
  try {
    const product = findProduct(req.params.sku);
    if (!product) return res.status(404).json({ error: 'unknown sku' });
    const intent = await stripe.paymentIntents.create({ amount: product.priceCents, currency: 'eur' });
    return res.status(201).json({ clientSecret: intent.client_secret });
  } catch (err) {
    return next(err);
  }
});

app.listen(Number(process.env.PORT || 3000), () => console.log('shop up'));
