'use strict';

// Polls the jobs table (SELECT ... FOR UPDATE SKIP LOCKED) and touches a
// heartbeat file after every poll; the compose healthcheck reads its age.
const fs = require('node:fs');
const { pool, connectWithRetry } = require('./db');

const HEARTBEAT = '/tmp/worker-heartbeat';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function processOne() {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      'SELECT id, kind, payload FROM jobs WHERE done_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED',
    );
    if (rows.length === 0) {
      await client.query('COMMIT');
      return false;
    }
    console.log(`job ${rows[0].id} ${rows[0].kind}`);
    await client.query('UPDATE jobs SET done_at = now() WHERE id = $1', [rows[0].id]);
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

async function main() {
  await connectWithRetry();
  for (;;) {
    const busy = await processOne();
    fs.writeFileSync(HEARTBEAT, String(Date.now()));
    if (!busy) await sleep(1000);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
