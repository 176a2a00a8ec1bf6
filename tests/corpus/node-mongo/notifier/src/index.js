'use strict';

const { MongoClient } = require('mongodb');
const nodemailer = require('nodemailer');

const mongo = new MongoClient(process.env.MONGO_URL);
const mailer = nodemailer.createTransport({
  host: process.env.SMTP_HOST,
  port: Number(process.env.SMTP_PORT || 587),
  auth: { user: process.env.SMTP_USER, pass: process.env.SMTP_PASSWORD },
});

const SUBJECTS = {
  paid: 'We received your payment',
  shipped: 'Your order is on its way',
  cancelled: 'Your order was cancelled',
};

async function main() {
  await mongo.connect();
  const orders = mongo.db().collection('orders');
  const stream = orders.watch([{ $match: { operationType: 'update', 'updateDescription.updatedFields.status': { $exists: true } } }], {
    fullDocument: 'updateLookup',
  });
  console.log('notifier watching orders');
  for await (const change of stream) {
    const order = change.fullDocument;
    const subject = SUBJECTS[order.status];
    if (!subject) continue;
    await mailer.sendMail({ from: 'orders@example.com', to: order.customer, subject, text: `Order ${order._id}: ${order.status}` });
    console.log(`mailed ${order._id} (${order.status})`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
