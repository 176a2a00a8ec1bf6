// Run once by the mongo-seed job: application user, indexes, reference data.
const fs = require('fs');

const adminPassword = fs.readFileSync('/run/secrets/mongo_root_password', 'utf8').trim();
const appPassword = fs.readFileSync('/run/secrets/mongo_app_password', 'utf8').trim();

db.getSiblingDB('admin').auth('root', adminPassword);
const orders = db.getSiblingDB('orders');

if (!orders.getUser('app')) {
  orders.createUser({ user: 'app', pwd: appPassword, roles: [{ role: 'readWrite', db: 'orders' }] });
}
orders.orders.createIndex({ customer: 1, createdAt: -1 });
orders.orders.createIndex({ status: 1 });
orders.statuses.updateOne({ _id: 'catalog' }, { $set: { values: ['new', 'paid', 'shipped', 'cancelled'] } }, { upsert: true });
print('seed done');
