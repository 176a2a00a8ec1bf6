'use strict';

const { Pool } = require('pg');

const retries = Number.parseInt(process.env.DB_CONNECT_RETRIES || '5', 10);
const backoffMs = Number.parseInt(process.env.DB_CONNECT_BACKOFF_MS || '2000', 10);

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Wait for Postgres at boot: retry with a linear backoff, then give up and exit.
async function connectWithRetry() {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const client = await pool.connect();
      client.release();
      return pool;
    } catch (err) {
      if (attempt >= retries) throw err;
      console.warn(`postgres not ready (attempt ${attempt}/${retries}): ${err.message}`);
      await sleep(backoffMs * attempt);
    }
  }
}

module.exports = { pool, connectWithRetry };
