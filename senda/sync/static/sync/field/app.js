// Senda's field app: set up the phone once online, then work offline behind a PIN. This module
// starts the app (service worker, lock, setup), keeps the header and the sync going, and
// routes between the screens (screens.js).

import * as store from "./store.js";
import * as sync from "./sync.js";
import { config, t } from "./i18n.js";
import { h, form, addError } from "./ui.js";
import { route, refresh } from "./screens.js";

const main = document.getElementById("app");
const header = document.getElementById("app-header");
const nav = document.getElementById("app-nav");
const notice = document.getElementById("app-notice");
const PIN_PATTERN = /^[0-9]{6,12}$/;
// Retry sends while changes wait, with the sync's own backoff after a failure.
const TICK_MS = 15 * 1000;
const PERIODIC_SYNC_MS = 10 * 60 * 1000;

let lastActivity = Date.now();
let unlocked = false;

function show(title, children) {
  document.title = title + " · Senda";
  main.replaceChildren(h("h1", { tabindex: "-1", text: title }),
    ...children.filter(function (child) { return child !== null && child !== undefined && child !== false; }));
  main.querySelector("h1").focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

function say(message, kind) {
  notice.replaceChildren();
  if (!message) { notice.hidden = true; return; }
  notice.className = "notice " + (kind || "info");
  notice.appendChild(h("p", { text: message }));
  notice.hidden = false;
}

// --- Header: who, and what waits to be sent --------------------------------------------------

export function renderHeader() {
  header.replaceChildren();
  nav.hidden = !unlocked;
  if (!unlocked || !sync.data.secrets) return;
  const counts = sync.counts();
  let state;
  if (sync.status.running) state = t("syncing");
  else if (counts.waiting) state = t("waiting_count", { count: counts.waiting });
  else if (sync.data.state.last_sync_at) state = t("all_sent");
  else state = t("never_synced");
  const problem = problemMessage(sync.status.problem, sync.status.detail);
  header.appendChild(h("div", { class: "who" }, [
    h("span", { class: "name", text: sync.data.secrets.display_name || sync.data.secrets.username }),
    h("span", { class: "org", text: (sync.data.secrets.organisation || {}).name || "" }),
  ]));
  header.appendChild(h("div", { class: "sync" }, [
    h("p", { class: "state" + (counts.waiting ? " waiting" : ""), role: "status",
      "data-testid": "sync-state", text: state }),
    h("button", { type: "button", class: "small", "data-testid": "sync-now",
      disabled: sync.status.running, onclick: function () { runSync(true); },
      text: t("sync_now") }),
  ]));
  if (problem) header.appendChild(h("p", { class: "problem", role: "alert", "data-testid": "sync-problem", text: problem }));
  if (counts.rejected || counts.conflict) {
    header.appendChild(h("p", { class: "attention" }, [h("a", { href: "#/outbox", text:
      t("attention_count", { count: counts.rejected + counts.conflict }) })]));
  }
}

function problemMessage(problem, detail) {
  if (!problem) return "";
  if (problem === "offline") return t("problem_offline");
  if (problem === "unknown") return t("problem_unknown");
  if (problem === "invalid") return t("problem_invalid") + (detail ? " " + detail : "");
  return t("problem_server");
}

// --- Sync: on start, when the network returns, on demand, and retried with backoff ------------

export function runSync(byHand) {
  if (!unlocked) return Promise.resolve();
  if (byHand) say("");
  return sync.sync().then(function (status) {
    if (status.problem === "revoked") return wipeAndExplain(t("wiped_revoked"));
    if (byHand && !status.problem) say(t("sync_done"), "success");
    refresh();
  }).catch(storageFailed);
}

function tick() {
  if (!unlocked) return;
  if (Date.now() - lastActivity > lockMs()) { lockNow(); return; }
  const status = sync.status;
  if (status.running || !navigator.onLine) return;
  const waiting = sync.counts().waiting > 0;
  const due = status.problem ? Date.now() >= status.next_attempt_at
    : waiting || Date.now() - Date.parse(sync.data.state.last_sync_at || 0) > PERIODIC_SYNC_MS;
  if (due) runSync(false);
}

// --- Lock, wipe ------------------------------------------------------------------------------

let settings = { lock_minutes: 15, wipe_hours: 72 };

function lockMs() { return (settings.lock_minutes || 15) * 60 * 1000; }

function lockNow() {
  unlocked = false;
  store.lock();
  sync.unload();
  renderHeader();
  say("");
  showLock(t("locked_idle"));
}

function wipeAndExplain(message) {
  unlocked = false;
  sync.unload();
  renderHeader();
  return store.wipe().then(function () { showSetup(message); });
}

["pointerdown", "keydown", "touchstart"].forEach(function (name) {
  document.addEventListener(name, function () { lastActivity = Date.now(); }, { passive: true });
});
document.addEventListener("visibilitychange", function () {
  if (document.visibilityState === "visible") tick();
});

function showLock(message) {
  store.vault().then(function (vault) {
    if (!vault) { showSetup(t("wiped_pin")); return; }
    if (store.expired(vault)) {
      wipeAndExplain(t("wiped_inactive", { hours: vault.wipe_hours }));
      return;
    }
    settings = { lock_minutes: vault.lock_minutes, wipe_hours: vault.wipe_hours };
    const status = h("p", { class: "status", role: "status", "data-testid": "lock-message", text: message || "" });
    const unlockForm = form([
      { name: "pin", type: "password", label: t("pin"), inputmode: "numeric", autocomplete: "current-password" },
    ], null, {
      name: "unlock", submit: t("unlock"),
      onSubmit: function (values, handle) {
        const errors = {};
        if (!PIN_PATTERN.test(values.pin)) addError(errors, "pin", t("pin_format"));
        if (Object.keys(errors).length) { handle.showErrors(errors); return; }
        store.unlock(values.pin).then(function (result) {
          if (result === "wiped") { wipeAndExplain(t("wiped_pin")); return; }
          if (!result) {
            store.vault().then(function (again) {
              handle.element.querySelector("input").value = "";
              handle.showErrors({ pin: [t("pin_wrong", { count: store.failuresLeft(again) })] });
            });
            return;
          }
          return opened();
        }).catch(storageFailed);
      },
    });
    show(t("locked_title"), [status, h("p", { text: t("locked_intro") }), unlockForm.element,
      h("p", {}, [h("button", { type: "button", class: "link", onclick: function () { confirmSignOut(); },
        text: t("forgot_pin") })])]);
    unlockForm.element.querySelector("input").focus();
  }).catch(storageFailed);
}

// The phone's storage could not be read or written (full, or the browser refused it): say so
// rather than leave a blank screen; nothing is wiped.
function storageFailed() {
  say(t("storage_failed"), "warning");
}

function opened() {
  lastActivity = Date.now();
  return sync.load().then(function () {
    unlocked = true;
    const secrets = sync.data.secrets || {};
    settings = { lock_minutes: secrets.lock_minutes || settings.lock_minutes,
      wipe_hours: secrets.wipe_hours || settings.wipe_hours };
    renderHeader();
    route();
    runSync(false);
  });
}

export function confirmSignOut() {
  const counts = unlocked ? sync.counts() : { waiting: 0 };
  const warning = counts.waiting ? t("sign_out_unsent", { count: counts.waiting }) : t("sign_out_intro");
  show(t("sign_out_title"), [
    h("p", { text: warning }),
    h("div", { class: "actions" }, [
      h("button", { type: "button", class: "danger", "data-testid": "confirm-sign-out", text: t("sign_out_confirm"),
        onclick: function (event) {
          event.target.disabled = true;
          (unlocked ? sync.revokeSelf() : Promise.resolve()).then(function () {
            wipeAndExplain(t("wiped_signed_out"));
          });
        } }),
      h("button", { type: "button", class: "secondary", text: t("cancel"), onclick: function () {
        if (unlocked) route(); else showLock("");
      } }),
    ]),
  ]);
}

// --- Setting the phone up (online, after the normal login with the second factor) -------------

function showSetup(message) {
  unlocked = false;
  renderHeader();
  const intro = [
    message ? h("p", { class: "notice warning", role: "alert", "data-testid": "setup-message", text: message }) : null,
    h("p", { text: t("setup_intro") }),
  ];
  show(t("setup_title"), intro.concat([h("p", { class: "status", role: "status", text: t("checking") })]));
  sync.session().then(function (session) {
    if (!session.signed_in) {
      const next = encodeURIComponent(config.urls.app);
      show(t("setup_title"), intro.concat([
        h("p", { text: t("setup_login") }),
        h("p", {}, [h("a", { class: "button primary", "data-testid": "log-in", href: config.urls.login + "?next=" + next, text: t("log_in") })]),
      ]));
      return;
    }
    if (!session.may_register) {
      show(t("setup_title"), intro.concat([h("p", { class: "notice warning", text: t("setup_not_allowed") })]));
      return;
    }
    choosePin(session, intro);
  }, function () {
    show(t("setup_title"), intro.concat([
      h("p", { class: "notice warning", role: "alert", text: t("setup_offline") }),
      h("button", { type: "button", onclick: function () { showSetup(message); }, text: t("try_again") }),
    ]));
  });
}

function choosePin(session, intro) {
  const pinForm = form([
    { name: "device_name", label: t("device_name"), help: t("device_name_help"), max_length: 80,
      initial: t("device_default_name", { name: session.display_name || session.username }) },
    { name: "pin", type: "password", label: t("pin_choose"), help: t("pin_help"), inputmode: "numeric", autocomplete: "new-password" },
    { name: "pin_again", type: "password", label: t("pin_again"), inputmode: "numeric", autocomplete: "new-password" },
  ], null, {
    name: "setup", submit: t("setup_submit"),
    onSubmit: function (values, handle) {
      const errors = {};
      if (!PIN_PATTERN.test(values.pin)) addError(errors, "pin", t("pin_format"));
      else if (/^(\d)\1+$/.test(values.pin) || "0123456789012".indexOf(values.pin) !== -1) {
        addError(errors, "pin", t("pin_too_simple"));
      }
      if (values.pin !== values.pin_again) addError(errors, "pin_again", t("pin_mismatch"));
      if (!values.device_name) addError(errors, "device_name", t("device_name_required"));
      if (Object.keys(errors).length) { handle.showErrors(errors); return; }
      const button = handle.element.querySelector("button[type=submit]");
      button.disabled = true;
      say(t("setting_up"));
      const installation = sync.uuid();
      sync.registerDevice(session.csrf_token, installation, values.device_name).then(function (device) {
        const secrets = {
          token: device.token, device_id: device.device_id, installation_id: installation,
          username: device.username, display_name: device.display_name,
          organisation: device.organisation, lock_minutes: device.lock_minutes,
          wipe_hours: device.wipe_hours, country: session.country || "",
        };
        return store.wipe().then(function () {
          return store.createVault(values.pin, device, secrets);
        });
      }).then(function () {
        say(t("setup_done"), "success");
        window.location.hash = "#/";
        return opened();
      }).catch(function (error) {
        button.disabled = false;
        say("");
        handle.showErrors({ __all__: [error.problem === "offline" ? t("setup_offline")
          : error.problem === "login" ? t("setup_login") : (error.detail || t("problem_server"))] });
      });
    },
  });
  show(t("setup_title"), intro.concat([h("p", { text: t("setup_pin_intro") }), pinForm.element]));
}

// --- Start -----------------------------------------------------------------------------------

export function isUnlocked() { return unlocked; }

// A message for the next screen (after a save, the screen the worker goes to).
let flashed = null;
export function go(hash, message, kind) {
  if (window.location.hash === hash) {
    route();
    say(message, kind);
    return;
  }
  flashed = [message, kind];
  window.location.hash = hash;
}
export { show, say, wipeAndExplain };

function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.urls.sw, { scope: config.urls.app }).catch(function () {});
  }
  sync.onChange(function (what) { if (what !== "records") renderHeader(); });
  window.addEventListener("online", function () { if (unlocked) runSync(false); });
  // The skip link moves the focus without changing the address (the address is the screen).
  document.querySelector("a.skip").addEventListener("click", function (event) {
    event.preventDefault();
    main.focus();
  });
  window.addEventListener("hashchange", function () {
    if (!unlocked || (window.location.hash.indexOf("#/") !== 0 && window.location.hash !== "")) return;
    route();
    say(flashed ? flashed[0] : "", flashed ? flashed[1] : "");
    flashed = null;
  });
  setInterval(tick, TICK_MS);
  if (!window.crypto || !window.crypto.subtle || !window.indexedDB) {
    show(t("setup_title"), [h("p", { class: "notice warning", text: t("unsupported") })]);
    return;
  }
  store.vault().then(function (vault) {
    if (!vault) showSetup("");
    else showLock("");
  }, function () { showSetup(""); });
}

start();
