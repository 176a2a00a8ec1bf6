'use strict';

const { MongoClient } = require('mongodb');

const url = process.env.MONGO_URL || 'mongodb://localhost:27017/orders';
const attempts = Number.parseInt(process.env.MONGO_CONNECT_RETRIES || '10', 10);
const backoffMs = Number.parseInt(process.env.MONGO_RETRY_BACKOFF_MS || '500', 10);

const client = new MongoClient(url, {
  maxPoolSize: 20,
  serverSelectionTimeoutMS: 5000,
  retryWrites: true,
  retryReads: true,
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Connect at boot with exponential backoff (capped at 10s), then give up and let
// the restart policy take over.
async function connectWithRetry() {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.connect();
      return client.db();
    } catch (err) {
      if (attempt >= attempts) throw err;
      const wait = Math.min(backoffMs * 2 ** (attempt - 1), 10000);
      console.warn(`mongo not reachable (attempt ${attempt}/${attempts}), next try in ${wait}ms: ${err.message}`);
      await sleep(wait);
    }
  }
}

module.exports = { client, connectWithRetry };
