'use strict';

// Nightly clean-up of abandoned carts; scaled to 0 until the job scheduler lands.
const { connectWithRetry } = require('./db');

async function main() {
  const db = await connectWithRetry();
  const cutoff = new Date(Date.now() - 7 * 24 * 3600 * 1000);
  const { deletedCount } = await db.collection('orders').deleteMany({ status: 'new', createdAt: { $lt: cutoff } });
  console.log(`removed ${deletedCount} abandoned orders`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
