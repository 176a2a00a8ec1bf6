'use strict';

const { connectWithRetry, client } = require('./db');
const { createApp } = require('./app');

const port = Number.parseInt(process.env.PORT || '3000', 10);

async function main() {
  const db = await connectWithRetry();
  const server = createApp(db).listen(port, () => console.log(`orders-api listening on :${port}`));
  const stop = () => server.close(() => client.close().finally(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
