// The field app's local store: IndexedDB, every value encrypted at rest.
//
// One random AES-GCM data key encrypts every record, outbox entry and secret (the device
// token). The data key itself is kept only wrapped by a key derived from the worker's PIN
// (PBKDF2-SHA-256, many iterations, random salt): without the PIN nothing on the phone can be
// read. What stays in clear text is only what the lock screen needs before the PIN: the salt,
// the wrapped key, the count of wrong PINs and when the device was last unlocked (to wipe it
// after too long), never a personal value. Keys of rows are kinds and ids, never names.

const DB_NAME = "senda-field";
const DB_VERSION = 1;
const STORES = ["meta", "records", "outbox"];
export const PBKDF2_ITERATIONS = 310000;
export const MAX_PIN_FAILURES = 5;
const VAULT = "vault";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let database = null;
let dataKey = null;

function request(req) {
  return new Promise(function (resolve, reject) {
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { reject(req.error); };
  });
}

function open() {
  if (database) return Promise.resolve(database);
  const req = indexedDB.open(DB_NAME, DB_VERSION);
  req.onupgradeneeded = function () {
    STORES.forEach(function (name) {
      if (!req.result.objectStoreNames.contains(name)) req.result.createObjectStore(name);
    });
  };
  return request(req).then(function (db) {
    // Another tab wiping the device closes this connection instead of blocking the wipe.
    db.onversionchange = function () { db.close(); database = null; };
    database = db;
    return db;
  });
}

function tx(storeName, mode, work) {
  return open().then(function (db) {
    return new Promise(function (resolve, reject) {
      const transaction = db.transaction(storeName, mode);
      const result = work(transaction.objectStore(storeName));
      transaction.oncomplete = function () {
        Promise.resolve(result).then(function (value) {
          resolve(value instanceof IDBRequest ? value.result : value);
        });
      };
      transaction.onerror = function () { reject(transaction.error); };
      transaction.onabort = function () { reject(transaction.error); };
    });
  });
}

function getRaw(storeName, key) {
  return tx(storeName, "readonly", function (store) { return store.get(key); });
}

function putRaw(storeName, key, value) {
  return tx(storeName, "readwrite", function (store) { store.put(value, key); });
}

function bytes(length) { return crypto.getRandomValues(new Uint8Array(length)); }

function deriveWrappingKey(pin, salt, iterations) {
  return crypto.subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveKey"])
    .then(function (material) {
      return crypto.subtle.deriveKey(
        { name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations },
        material, { name: "AES-GCM", length: 256 }, false, ["wrapKey", "unwrapKey"]);
    });
}

function unwrap(pin, vault) {
  return deriveWrappingKey(pin, vault.salt, vault.iterations).then(function (wrapping) {
    return crypto.subtle.unwrapKey("raw", vault.wrapped, wrapping, { name: "AES-GCM", iv: vault.iv },
      { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  });
}

function encrypt(value) {
  if (!dataKey) return Promise.reject(new Error("locked"));
  const iv = bytes(12);
  return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, dataKey,
    encoder.encode(JSON.stringify(value))).then(function (data) {
    return { iv: iv, data: data };
  });
}

function decrypt(box) {
  if (!dataKey) return Promise.reject(new Error("locked"));
  return crypto.subtle.decrypt({ name: "AES-GCM", iv: box.iv }, dataKey, box.data)
    .then(function (plain) { return JSON.parse(decoder.decode(plain)); });
}

// --- The vault: is there a device, create it, unlock it, lock it, wipe it ------------------

export function vault() { return getRaw("meta", VAULT); }

export function isUnlocked() { return dataKey !== null; }

// A new data key, wrapped by the PIN; the secrets (device token...) stored encrypted.
export function createVault(pin, settings, secrets) {
  const salt = bytes(16);
  const iv = bytes(12);
  return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"])
    .then(function (key) {
      return deriveWrappingKey(pin, salt, PBKDF2_ITERATIONS).then(function (wrapping) {
        return crypto.subtle.wrapKey("raw", key, wrapping, { name: "AES-GCM", iv: iv });
      });
    }).then(function (wrapped) {
      const record = {
        salt: salt, iv: iv, wrapped: wrapped, iterations: PBKDF2_ITERATIONS, failures: 0,
        unlocked_at: Date.now(), lock_minutes: settings.lock_minutes,
        wipe_hours: settings.wipe_hours,
      };
      return putRaw("meta", VAULT, record).then(function () { return unwrap(pin, record); });
    }).then(function (key) {
      dataKey = key;
      return putSecret("secrets", secrets);
    });
}

// Resolves true when the PIN opens the vault; false when it is wrong; "wiped" when that was
// the last attempt allowed (everything on the phone is deleted).
export function unlock(pin) {
  return vault().then(function (record) {
    if (!record) return "wiped";
    return unwrap(pin, record).then(function (key) {
      dataKey = key;
      record.failures = 0;
      record.unlocked_at = Date.now();
      return putRaw("meta", VAULT, record).then(function () { return true; });
    }, function () {
      record.failures = (record.failures || 0) + 1;
      if (record.failures >= MAX_PIN_FAILURES) return wipe().then(function () { return "wiped"; });
      return putRaw("meta", VAULT, record).then(function () { return false; });
    });
  });
}

export function failuresLeft(record) {
  return MAX_PIN_FAILURES - ((record && record.failures) || 0);
}

// The device has not been unlocked for longer than the server allows: its data must go.
export function expired(record, now) {
  if (!record || !record.wipe_hours) return false;
  return (now || Date.now()) - record.unlocked_at > record.wipe_hours * 3600 * 1000;
}

export function lock() { dataKey = null; }

// Delete the database and everything in it; the key in memory goes too.
export function wipe() {
  dataKey = null;
  if (database) { database.close(); database = null; }
  return new Promise(function (resolve, reject) {
    const req = indexedDB.deleteDatabase(DB_NAME);
    req.onsuccess = function () { resolve(); };
    // Never report a wipe that did not happen.
    req.onerror = function () { reject(req.error || new Error("wipe failed")); };
    // Another tab holding the database open: it closes on versionchange, then this succeeds.
    req.onblocked = function () {};
  });
}

// --- Encrypted values ------------------------------------------------------------------------

export function putSecret(key, value) {
  return encrypt(value).then(function (box) { return putRaw("meta", "enc:" + key, box); });
}

export function getSecret(key) {
  return getRaw("meta", "enc:" + key).then(function (box) { return box ? decrypt(box) : null; });
}

export function put(storeName, key, value) {
  return encrypt(value).then(function (box) { return putRaw(storeName, key, box); });
}

// Several rows at once, in one transaction (a pulled page of records).
export function putMany(storeName, entries) {
  return Promise.all(entries.map(function (entry) { return encrypt(entry[1]); }))
    .then(function (boxes) {
      return tx(storeName, "readwrite", function (store) {
        entries.forEach(function (entry, index) { store.put(boxes[index], entry[0]); });
      });
    });
}

export function remove(storeName, keys) {
  return tx(storeName, "readwrite", function (store) {
    keys.forEach(function (key) { store.delete(key); });
  });
}

// Every row of a store, decrypted: [[key, value], ...].
export function all(storeName) {
  return tx(storeName, "readonly", function (store) {
    return Promise.all([request(store.getAllKeys()), request(store.getAll())]);
  }).then(function (pair) {
    const keys = pair[0];
    return Promise.all(pair[1].map(decrypt)).then(function (values) {
      return values.map(function (value, index) { return [keys[index], value]; });
    });
  });
}
