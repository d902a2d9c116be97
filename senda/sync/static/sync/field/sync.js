// What the phone holds (records pulled from the server and records made on it), the outbox of
// changes waiting to be sent, and the sync itself (senda sync protocol v1: push, then pull).
//
// Every record made on the phone gets its uuid here and every change an idempotency key, kept
// with the change until the server acknowledges it: a retry re-sends the same key and the
// server answers "duplicate", never a second record.

import * as store from "./store.js";
import { config } from "./i18n.js";

const MAX_BATCH = 200;
const PAGE_SIZE = 500;
// Sent changes stay visible ("sent") this long, then leave the phone.
const KEEP_SENT_MS = 3 * 24 * 3600 * 1000;
const BACKOFF_FIRST_MS = 15 * 1000;
const BACKOFF_MAX_MS = 15 * 60 * 1000;

export const data = {
  records: new Map(),   // "kind:id" -> {kind, id, uuid, data, local}
  aliases: new Map(),   // device uuid -> server id (a record made here, now on the server)
  outbox: [],           // changes in the order they were made
  secrets: null,        // device token, who, settings
  state: { cursor: null, last_sync_at: null, next_seq: 1, resolutions: [] },
};

export const status = {
  running: false,
  problem: null,        // null | "offline" | "server" | "unknown" | "invalid" | "revoked"
  detail: "",
  failures: 0,
  next_attempt_at: 0,
};

const listeners = [];
export function onChange(listener) { listeners.push(listener); }
function changed(what) { listeners.forEach(function (listener) { listener(what); }); }

export function uuid() { return crypto.randomUUID(); }

function keyOf(kind, id) { return kind + ":" + String(id); }

// --- Loading and reading ---------------------------------------------------------------------

export function load() {
  return Promise.all([
    store.getSecret("secrets"), store.getSecret("state"), store.all("records"), store.all("outbox"),
  ]).then(function (parts) {
    data.secrets = parts[0];
    data.state = Object.assign({ cursor: null, last_sync_at: null, next_seq: 1, resolutions: [] },
      parts[1] || {});
    data.records = new Map();
    data.aliases = new Map();
    parts[2].forEach(function (pair) {
      const record = pair[1];
      data.records.set(pair[0], record);
      if (record.uuid && !record.local) data.aliases.set(String(record.uuid), String(record.id));
    });
    data.outbox = parts[3].map(function (pair) { return pair[1]; })
      .sort(function (a, b) { return a.seq - b.seq; });
    // The state may be older than the outbox (a crash between the two writes): never reuse a
    // number an entry already has.
    data.outbox.forEach(function (entry) {
      if (entry.seq >= data.state.next_seq) data.state.next_seq = entry.seq + 1;
    });
  });
}

export function unload() {
  data.records = new Map();
  data.aliases = new Map();
  data.outbox = [];
  data.secrets = null;
}

// The record of this kind with this id: a server id, or the device uuid of a record made here
// (before or after it reached the server).
export function get(kind, id) {
  if (id === null || id === undefined || id === "") return null;
  const direct = data.records.get(keyOf(kind, id));
  if (direct) return direct;
  const alias = data.aliases.get(String(id));
  return alias ? data.records.get(keyOf(kind, alias)) || null : null;
}

export function sameRecord(kind, a, b) {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  if (String(a) === String(b)) return true;
  const first = get(kind, a);
  return first !== null && first === get(kind, b);
}

export function list(kind) {
  const found = [];
  data.records.forEach(function (record) { if (record.kind === kind) found.push(record); });
  return found;
}

// The changes of the outbox about a record (by its id or device uuid), oldest first.
export function changesOf(kind, record) {
  return data.outbox.filter(function (entry) {
    return entry.kind === kind && (String(entry.id) === String(record.id) ||
      (record.uuid && String(entry.id) === String(record.uuid)));
  });
}

// What the worker sees: the server's values with the changes not sent yet laid over them.
export function current(kind, record) {
  const values = Object.assign({}, record.data);
  changesOf(kind, record).forEach(function (entry) {
    if (entry.op === "update" && (entry.status === "waiting" || entry.status === "rejected")) {
      Object.assign(values, entry.data);
    }
  });
  return values;
}

export function counts() {
  const result = { waiting: 0, sent: 0, rejected: 0, conflict: 0 };
  data.outbox.forEach(function (entry) {
    if (entry.status === "conflict" && entry.resolved) return;
    result[entry.status] = (result[entry.status] || 0) + 1;
  });
  return result;
}

// --- Saving on the phone ---------------------------------------------------------------------

function saveState() { return store.putSecret("state", data.state); }

function saveEntry(entry) { return store.put("outbox", entry.seq, entry); }

function saveRecord(record) { return store.put("records", keyOf(record.kind, record.id), record); }

// Record a change: it is on the phone (encrypted) before this resolves, and waits to be sent.
export function record(kind, op, id, values, base, shown) {
  // The number orders the outbox and keys the entry on the phone. Another tab of the app
  // keeps its own count, so the number also carries the time (microseconds since 1970, with a
  // random tail): two tabs never write over each other's entry.
  const seq = Math.max(data.state.next_seq, Date.now() * 1000 + Math.floor(Math.random() * 1000));
  const entry = {
    seq: seq, key: uuid(), kind: kind, op: op, id: id, base: base || null,
    data: values, recorded_at: new Date().toISOString(), status: "waiting", errors: null,
    conflicts: null, merged: null,
  };
  data.state.next_seq = seq + 1;
  data.outbox.push(entry);
  const work = [saveState(), saveEntry(entry)];
  if (op === "create" && kind !== "consent") {
    // ``shown``: what the phone shows before the server answers (a service's name...).
    const local = { kind: kind, id: id, uuid: id, data: Object.assign({}, values, shown || {}), local: true };
    data.records.set(keyOf(kind, id), local);
    work.push(saveRecord(local));
  }
  return Promise.all(work).then(function () { changed("outbox"); return entry; });
}

// A rejected change corrected by the worker: sent again with a NEW key (the old key's answer
// stays "rejected" on the server).
export function resend(entry, values) {
  entry.data = values;
  entry.key = uuid();
  entry.status = "waiting";
  entry.errors = null;
  entry.recorded_at = new Date().toISOString();
  const work = [saveEntry(entry)];
  if (entry.op === "create") {
    const local = get(entry.kind, entry.id);
    if (local && local.local) { local.data = Object.assign({}, local.data, values); work.push(saveRecord(local)); }
  }
  return Promise.all(work).then(function () { changed("outbox"); return entry; });
}

export function discard(entry) {
  data.outbox = data.outbox.filter(function (other) { return other !== entry; });
  const work = [store.remove("outbox", [entry.seq])];
  if (entry.op === "create") {
    const local = data.records.get(keyOf(entry.kind, entry.id));
    if (local && local.local) {
      data.records.delete(keyOf(entry.kind, entry.id));
      work.push(store.remove("records", [keyOf(entry.kind, entry.id)]));
    }
  }
  return Promise.all(work).then(function () { changed("outbox"); });
}

// The worker's decision on a conflict the server keeps (it has an id): sent with the next
// sync; the server applies "device" through the same action as any change.
export function decide(entry, conflict, keep) {
  entry.decided = Object.assign({}, entry.decided || {});
  entry.decided[conflict.field] = keep;
  entry.resolved = (entry.conflicts || []).every(function (c) { return entry.decided[c.field]; });
  if (conflict.id !== undefined && conflict.id !== null) {
    data.state.resolutions.push({ conflict: conflict.id, keep: keep, seq: entry.seq, field: conflict.field });
  }
  return Promise.all([saveEntry(entry), saveState()]).then(function () { changed("outbox"); });
}

function sendResolutions() {
  const pending = data.state.resolutions.slice();
  return pending.reduce(function (chain, resolution) {
    return chain.then(function () {
      return call("POST", config.urls.conflicts + encodeURIComponent(resolution.conflict) + "/resolve",
        { keep: resolution.keep }).then(function () { return null; }, function (error) {
        // Refused (already decided, or the record moved on): said on the change, not retried.
        if (error.problem === "invalid" || error.problem === "not_found") return error.detail || "";
        throw error;
      }).then(function (refusal) {
        data.state.resolutions = data.state.resolutions.filter(function (r) { return r !== resolution; });
        const entry = data.outbox.filter(function (e) { return e.seq === resolution.seq; })[0];
        const work = [saveState()];
        if (entry && refusal !== null) {
          entry.decision_errors = Object.assign({}, entry.decision_errors || {});
          entry.decision_errors[resolution.field] = refusal;
          work.push(saveEntry(entry));
        }
        return Promise.all(work);
      });
    });
  }, Promise.resolve());
}

function pruneSent() {
  const now = Date.now();
  const old = data.outbox.filter(function (entry) {
    return (entry.status === "sent" || (entry.status === "conflict" && entry.resolved)) &&
      now - (entry.sent_at || 0) > KEEP_SENT_MS;
  });
  if (!old.length) return Promise.resolve();
  data.outbox = data.outbox.filter(function (entry) { return old.indexOf(entry) === -1; });
  return store.remove("outbox", old.map(function (entry) { return entry.seq; }));
}

// --- Talking to the server -------------------------------------------------------------------

function problemOf(response, body) {
  if (response.status === 403 && body && body.code === "device_revoked") return "revoked";
  if (response.status === 401) return "unknown";
  if (body && body.code === "bad_cursor") return "bad_cursor";
  if (response.status === 422 || response.status === 400) return "invalid";
  if (response.status === 404) return "not_found";
  return "server";
}

class SyncProblem extends Error {
  constructor(problem, detail) { super(problem); this.problem = problem; this.detail = detail || ""; }
}

function call(method, url, body) {
  const headers = {
    "Authorization": "Bearer " + data.secrets.token,
    "Accept": "application/json",
    "Accept-Language": config.language,
  };
  if (body) headers["Content-Type"] = "application/json";
  return fetch(url, {
    method: method, headers: headers, credentials: "omit", cache: "no-store",
    body: body ? JSON.stringify(body) : undefined,
  }).then(function (response) {
    return response.json().catch(function () { return null; }).then(function (json) {
      if (response.ok) return json;
      if (response.status === 413) throw new SyncProblem("too_large");
      throw new SyncProblem(problemOf(response, json), json && json.detail);
    });
  }, function () {
    throw new SyncProblem("offline");
  });
}

export function registerDevice(csrfToken, installationId, name) {
  return fetch(config.urls.devices, {
    method: "POST", credentials: "same-origin", cache: "no-store",
    headers: {
      "Content-Type": "application/json", "Accept": "application/json",
      "Accept-Language": config.language, "X-CSRFToken": csrfToken,
    },
    body: JSON.stringify({ name: name, installation_id: installationId }),
  }).then(function (response) {
    return response.json().catch(function () { return null; }).then(function (json) {
      if (response.ok && json && json.token) return json;
      throw new SyncProblem(response.status === 401 || response.status === 403 ? "login" : "server",
        json && json.detail);
    });
  }, function () { throw new SyncProblem("offline"); });
}

// "Sign out of this phone": the server stops accepting its token (best effort: offline, the
// phone's data is deleted all the same and a supervisor can revoke it later).
export function revokeSelf() {
  if (!data.secrets || !data.secrets.device_id) return Promise.resolve();
  const url = config.urls.devices + "/" + encodeURIComponent(data.secrets.device_id) + "/revoke";
  const timeout = new Promise(function (resolve) { setTimeout(resolve, 5000); });
  return Promise.race([call("POST", url, {}).catch(function () {}), timeout]);
}

export function session() {
  return fetch(config.urls.session, { credentials: "same-origin", cache: "no-store" })
    .then(function (response) {
      if (!response.ok) throw new SyncProblem("server");
      return response.json();
    }, function () { throw new SyncProblem("offline"); });
}

// --- Applying what the server says -----------------------------------------------------------

function applyRecords(records) {
  const puts = [];
  const removals = [];
  records.forEach(function (incoming) {
    const kind = incoming.kind;
    const id = String(incoming.id);
    if (incoming.uuid) {
      const localKey = keyOf(kind, incoming.uuid);
      if (localKey !== keyOf(kind, id) && data.records.has(localKey)) {
        data.records.delete(localKey);
        removals.push(localKey);
      }
      data.aliases.set(String(incoming.uuid), id);
    }
    if (incoming.deleted) {
      data.records.delete(keyOf(kind, id));
      removals.push(keyOf(kind, id));
      return;
    }
    const record = { kind: kind, id: incoming.id, uuid: incoming.uuid || null,
      data: incoming.data || {}, local: false };
    data.records.set(keyOf(kind, id), record);
    puts.push([keyOf(kind, id), record]);
  });
  return Promise.all([
    removals.length ? store.remove("records", removals) : null,
    puts.length ? store.putMany("records", puts) : null,
  ]);
}

function applyResult(entry, result) {
  // A "duplicate" repeats the first answer, conflicts included (that answer may have been lost).
  const settled = result.status === "duplicate" || result.status === "applied";
  entry.status = settled ? ((result.conflicts || []).length ? "conflict" : "sent") : result.status;
  entry.result_id = result.id === undefined ? null : result.id;
  entry.errors = result.errors || null;
  entry.conflicts = result.conflicts || null;
  entry.merged = result.merged || null;
  entry.sent_at = Date.now();
  const work = [saveEntry(entry)];
  if (result.record) {
    const pulled = Object.assign({ kind: entry.kind, id: result.id,
      uuid: entry.op === "create" ? entry.id : null }, result.record);
    if (!pulled.uuid && entry.op === "create") pulled.uuid = entry.id;
    work.push(applyRecords([pulled]));
  } else if (entry.op === "create" && entry.status === "sent" && result.id !== undefined &&
    result.id !== null) {
    // No state came back: the record made here now has its server id.
    const local = data.records.get(keyOf(entry.kind, entry.id));
    if (local) {
      work.push(applyRecords([{ kind: entry.kind, id: result.id, uuid: entry.id, data: local.data }]));
    }
  }
  return Promise.all(work);
}

// --- Push, then pull -------------------------------------------------------------------------

function push(batchSize) {
  const waiting = data.outbox.filter(function (entry) { return entry.status === "waiting"; })
    .slice(0, batchSize);
  if (!waiting.length) return Promise.resolve();
  const body = {
    device_time: new Date().toISOString(),
    records: waiting.map(function (entry) {
      const sent = { key: entry.key, kind: entry.kind, op: entry.op, id: entry.id,
        recorded_at: entry.recorded_at, data: entry.data };
      if (entry.op === "update") sent.base = entry.base || {};
      return sent;
    }),
  };
  return call("POST", config.urls.push, body).then(function (answer) {
    const byKey = {};
    (answer.results || []).forEach(function (result) { byKey[result.key] = result; });
    return waiting.reduce(function (chain, entry) {
      const result = byKey[entry.key];
      return result ? chain.then(function () { return applyResult(entry, result); }) : chain;
    }, Promise.resolve()).then(function () {
      changed("outbox");
      // Another batch when this one was full; a change the server did not answer waits for
      // the next sync (never the same batch again and again).
      const answered = waiting.some(function (entry) { return entry.status !== "waiting"; });
      if (waiting.length === batchSize && answered) return push(batchSize);
    });
  }, function (error) {
    if (error.problem === "too_large" && batchSize > 1) {
      return push(Math.max(1, Math.floor(batchSize / 2)));
    }
    throw error;
  });
}

function pull() {
  const cursor = data.state.cursor;
  const url = config.urls.pull + "?limit=" + PAGE_SIZE +
    (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
  return call("GET", url).then(function (page) {
    return applyRecords(page.records || []).then(function () {
      // Saved after each page: an interrupted first sync resumes after the last page kept.
      data.state.cursor = page.cursor || data.state.cursor;
      return saveState();
    }).then(function () {
      changed("records");
      if (page.more) return pull();
    });
  }, function (error) {
    if (error.problem === "bad_cursor" && cursor) {
      // The server no longer knows this cursor: start again from a snapshot.
      data.state.cursor = null;
      const stale = [];
      data.records.forEach(function (record, key) { if (!record.local) stale.push(key); });
      stale.forEach(function (key) { data.records.delete(key); });
      return store.remove("records", stale).then(saveState).then(pull);
    }
    throw error;
  });
}

let running = null;

function exclusive(work) {
  // Two tabs of the app never sync at the same moment (the server would cope; the phone's
  // outbox would be read twice).
  if (navigator.locks && navigator.locks.request) {
    return navigator.locks.request("senda-field-sync", work);
  }
  return work();
}

// Push every waiting change, then pull until the server has nothing more. Resolves with the
// status (problem null when all went well); never rejects.
export function sync() {
  if (running) return running;
  if (!data.secrets || !store.isUnlocked()) return Promise.resolve(status);
  status.running = true;
  changed("status");
  running = exclusive(function () {
    return push(MAX_BATCH).then(sendResolutions).then(pull).then(pruneSent).then(function () {
      data.state.last_sync_at = new Date().toISOString();
      status.problem = null;
      status.detail = "";
      status.failures = 0;
      status.next_attempt_at = 0;
      return saveState();
    });
  }).catch(function (error) {
    status.problem = error.problem || "server";
    status.detail = error.detail || "";
    status.failures += 1;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, status.failures - 1));
    status.next_attempt_at = Date.now() + delay;
  }).then(function () {
    running = null;
    status.running = false;
    changed("status");
    return status;
  });
  return running;
}
