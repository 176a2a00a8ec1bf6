'use strict';

const express = require('express');
const { ObjectId } = require('mongodb');
const { validateOrder, totalCents, canTransition } = require('./orders');

function createApp(db) {
  const app = express();
  app.use(express.json({ limit: '100kb' }));

  app.get('/health', async (req, res) => {
    try {
      await db.command({ ping: 1 });
      res.json({ status: 'ok' });
    } catch (err) {
      res.status(503).json({ status: 'mongo unavailable' });
    }
  });

  app.post('/orders', async (req, res) => {
    const { order, error } = validateOrder(req.body);
    if (error) return res.status(400).json({ error });
    const doc = { ...order, totalCents: totalCents(order), createdAt: new Date() };
    const { insertedId } = await db.collection('orders').insertOne(doc);
    return res.status(201).json({ id: insertedId.toString(), totalCents: doc.totalCents });
  });

  app.patch('/orders/:id/status', async (req, res) => {
    if (!ObjectId.isValid(req.params.id)) return res.status(404).json({ error: 'not found' });
    const _id = new ObjectId(req.params.id);
    const current = await db.collection('orders').findOne({ _id });
    if (!current) return res.status(404).json({ error: 'not found' });
    if (!canTransition(current.status, req.body.status)) {
      return res.status(409).json({ error: `cannot go from ${current.status} to ${req.body.status}` });
    }
    await db.collection('orders').updateOne({ _id }, { $set: { status: req.body.status } });
    return res.json({ id: req.params.id, status: req.body.status });
  });

  return app;
}

module.exports = { createApp };
