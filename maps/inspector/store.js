// What the app keeps on the phone (IndexedDB, through idb): the outbox (nothing is sent before it is written here),
// the receipts, and the data needed offline (assets with their due states, programs, who is signed in).
import { openDB } from 'idb';

const dbPromise = openDB('paju-inspector', 1, {
  upgrade(db) {
    db.createObjectStore('outbox', { keyPath: 'id' }).createIndex('created', 'created');
    db.createObjectStore('receipts', { keyPath: 'id' });
    db.createObjectStore('cache');
  },
});

export async function cached(key) {
  return (await dbPromise).get('cache', key);
}

export async function keep(key, value) {
  return (await dbPromise).put('cache', value, key);
}

export async function outboxItems() {
  return (await dbPromise).getAllFromIndex('outbox', 'created');
}

export async function outboxItem(id) {
  return (await dbPromise).get('outbox', id);
}

export async function saveItem(item) {
  return (await dbPromise).put('outbox', item);
}

/** Only after the person confirmed: an unsent item is never dropped silently. */
export async function deleteItem(id) {
  return (await dbPromise).delete('outbox', id);
}

export async function saveReceipt(receipt) {
  return (await dbPromise).put('receipts', receipt);
}

export async function receipts() {
  return (await dbPromise).getAll('receipts');
}
