// The screens of the field app, one per address after "#": home, people (search, register,
// a person, edit), orientation, referral (with the directory kept on the phone), outreach,
// vaccination, tasks, referrals made, and what waits to be sent or needs a decision.

import * as sync from "./sync.js";
import { config, t, choices, label, formatDate, formatDateTime } from "./i18n.js";
import { h, form, addError, matches } from "./ui.js";
import { show, say, go, runSync, renderHeader, confirmSignOut, isUnlocked } from "./app.js";

const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const PHONE_PATTERN = /^\+?[0-9][0-9 ()./-]*$/;
const MAX_NAME = 100;
const MAX_NOTE = 2000;
const MAX_COUNT = 100000;
const LIST_LIMIT = 50;
const OPEN_REFERRALS = ["sent", "received", "accepted"];
// What was typed in a form, per address, until it is saved: leaving a form keeps it.
const drafts = {};

// --- Helpers -----------------------------------------------------------------------------------

function today() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

function nowLocal() {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

function cardCode() {
  const random = crypto.getRandomValues(new Uint8Array(8));
  const body = Array.prototype.map.call(random, function (b) { return CODE_ALPHABET[b % 32]; }).join("");
  const prefix = ((sync.data.secrets && sync.data.secrets.country) || "SE").toUpperCase().slice(0, 2);
  return prefix + "-" + body.slice(0, 4) + "-" + body.slice(4);
}

function personName(values) {
  if (!values) return t("unknown_person");
  const name = [values.given_name, values.family_name].filter(Boolean).join(" ");
  return name || values.code || t("unknown_person");
}

function personLabel(id) {
  const person = sync.get("person", id);
  return person ? personName(sync.current("person", person)) : t("unknown_person");
}

function serviceLabel(values) {
  return values.name || values.service_name || t("unknown_service");
}

function serviceOf(id) {
  const service = sync.get("service", id);
  return service ? service.data : null;
}

function areaChoices() {
  return sync.list("area").map(function (area) {
    return [area.id, area.data.name || String(area.id)];
  }).sort(function (a, b) { return a[1].localeCompare(b[1]); });
}

function topicChoices() {
  return sync.list("topic").slice().sort(function (a, b) {
    return (a.data.position || 0) - (b.data.position || 0) || String(a.data.name).localeCompare(b.data.name);
  }).map(function (topic) { return [topic.data.slug || String(topic.id), topic.data.name || topic.data.slug]; });
}

function countryChoices() { return config.countries || []; }

function checkText(errors, name, value, limit) {
  if (value.length > limit) addError(errors, name, t("too_long", { count: limit }));
}

function hasErrors(errors) { return Object.keys(errors).length > 0; }

function entryState(entry) {
  if (!entry) return null;
  if (entry.status === "waiting") return ["waiting", t("state_waiting")];
  if (entry.status === "sent") return ["sent", t("state_sent")];
  if (entry.status === "rejected") return ["rejected", t("state_rejected")];
  return ["conflict", entry.resolved ? t("state_sent") : t("state_conflict")];
}

function badge(entry) {
  const state = entryState(entry);
  return state ? h("span", { class: "badge " + state[0], "data-testid": "state", text: state[1] }) : null;
}

function createEntryOf(kind, record) {
  return sync.changesOf(kind, record).filter(function (entry) { return entry.op === "create"; })[0] || null;
}

function latestEntryOf(kind, record) {
  const changes = sync.changesOf(kind, record);
  return changes.length ? changes[changes.length - 1] : null;
}

function linkList(items, empty) {
  if (!items.length) return h("p", { class: "empty", text: empty });
  return h("ul", { class: "cards" }, items);
}

function card(href, title, lines, entry) {
  return h("li", {}, [h("a", { href: href, class: "card" }, [
    h("span", { class: "title", text: title }),
  ].concat(lines.filter(Boolean).map(function (line) { return h("span", { class: "line", text: line }); }))
    .concat([badge(entry)]))]);
}

function back(href, text) {
  return h("p", { class: "back" }, [h("a", { href: href, text: text || t("back_home") })]);
}

function remember(address, handle) {
  handle.element.addEventListener("input", function () { drafts[address] = handle.read(); });
  handle.element.addEventListener("change", function () { drafts[address] = handle.read(); });
}

function saved(address, message, next) {
  delete drafts[address];
  go(next, message, "success");
  renderHeader();
  if (navigator.onLine) runSync(false);
}

// --- Routing -----------------------------------------------------------------------------------

const ROUTES = [
  [/^$/, home],
  [/^people$/, people],
  [/^people\/new$/, registerPerson],
  [/^person\/([^/]+)$/, personDetail],
  [/^person\/([^/]+)\/edit$/, editPerson],
  [/^person\/([^/]+)\/orientation$/, orientation],
  [/^person\/([^/]+)\/referral$/, referral],
  [/^outreach$/, outreach],
  [/^vaccination$/, vaccination],
  [/^tasks$/, tasks],
  [/^task\/([^/]+)$/, task],
  [/^referrals$/, referrals],
  [/^referral\/([^/]+)$/, referralDetail],
  [/^outbox$/, outbox],
  [/^outbox\/(\d+)$/, fixEntry],
  [/^device$/, device],
];

function address() { return decodeURIComponent(window.location.hash.replace(/^#\/?/, "")); }

export function route() {
  const path = address();
  for (let index = 0; index < ROUTES.length; index += 1) {
    const found = ROUTES[index][0].exec(path);
    if (found) { ROUTES[index][1].apply(null, found.slice(1)); markNav(path); return; }
  }
  home();
}

// After a sync, the screen shows what the phone now holds (unless a form is being typed in).
export function refresh() {
  if (!isUnlocked()) return;
  const path = address();
  if (document.querySelector("main form.record") && drafts[path]) return;
  if (document.activeElement && document.activeElement.matches("main input, main textarea, main select")) return;
  route();
}

function markNav(path) {
  const section = path.split("/")[0] || "home";
  document.querySelectorAll("#app-nav a").forEach(function (link) {
    const target = link.getAttribute("data-section");
    if (target === section || (target === "people" && section === "person") ||
      (target === "tasks" && section === "task") || (target === "outbox" && section === "outbox")) {
      link.setAttribute("aria-current", "page");
    } else {
      link.removeAttribute("aria-current");
    }
  });
}

// --- Home --------------------------------------------------------------------------------------

function dueTasks() {
  const day = today();
  return sync.list("follow_up").filter(function (taskRecord) {
    const values = sync.current("follow_up", taskRecord);
    return values.status === "open" && values.due_on && values.due_on <= day;
  });
}

function home() {
  const counts = sync.counts();
  const due = dueTasks().length;
  const tiles = [
    ["#/people/new", t("register_person"), "register"],
    ["#/people", t("people"), "people"],
    ["#/tasks", due ? t("tasks_due_count", { count: due }) : t("my_tasks"), "tasks"],
    ["#/referrals", t("my_referrals"), "referrals"],
    ["#/outreach", t("record_outreach"), "outreach"],
    ["#/vaccination", t("record_vaccination"), "vaccination"],
    ["#/outbox", counts.conflict ? t("decisions_count", { count: counts.conflict }) : t("outbox"), "outbox"],
  ];
  show(t("home_title"), [
    h("ul", { class: "tiles" }, tiles.map(function (tile) {
      return h("li", {}, [h("a", { href: tile[0], class: "tile " + tile[2], "data-testid": "tile-" + tile[2], text: tile[1] })]);
    })),
    sync.list("area").length ? null : h("p", { class: "notice info", text: t("no_reference_data") }),
    h("p", { class: "device-link" }, [h("a", { href: "#/device", text: t("this_device") })]),
  ]);
}

// --- People ------------------------------------------------------------------------------------

function people() {
  const search = h("input", { type: "search", id: "people-search", name: "q", autocomplete: "off",
    value: drafts.people_query || "" });
  const results = h("div", { class: "results" });
  function render() {
    drafts.people_query = search.value;
    const query = search.value.trim();
    const found = sync.list("person").map(function (person) {
      return [person, sync.current("person", person)];
    }).filter(function (pair) {
      const values = pair[1];
      return !query || matches(query, [values.given_name, values.family_name, values.code, values.phone].join(" "));
    }).sort(function (a, b) { return personName(a[1]).localeCompare(personName(b[1])); });
    results.replaceChildren(
      h("p", { class: "count", role: "status", text: t("people_count", { count: found.length }) }),
      linkList(found.slice(0, LIST_LIMIT).map(function (pair) {
        const entry = createEntryOf("person", pair[0]) || latestEntryOf("person", pair[0]);
        return card("#/person/" + encodeURIComponent(pair[0].id), personName(pair[1]),
          [pair[1].code, pair[1].phone], entry && entry.status !== "sent" ? entry : null);
      }), query ? t("no_people_found") : t("no_people")));
  }
  search.addEventListener("input", render);
  show(t("people"), [
    h("p", {}, [h("a", { class: "button primary", href: "#/people/new", text: t("register_person") })]),
    h("label", { for: "people-search", text: t("search_people") }),
    search, results,
  ]);
  render();
}

function personFields(withConsent) {
  const fields = [];
  if (withConsent) {
    fields.push(
      { type: "section", label: t("consent_first") },
      { type: "note", label: t("consent_note") },
      { name: "consent_record", type: "checkbox", label: t("consent_record") },
      { name: "consent_contact", type: "checkbox", label: t("consent_contact") },
      { name: "consent_share", type: "checkbox", label: t("consent_share") },
      { type: "section", label: t("about_person") });
  }
  return fields.concat([
    { name: "given_name", label: t("given_name"), max_length: MAX_NAME, autocomplete: "off" },
    { name: "family_name", label: t("family_name"), max_length: MAX_NAME },
    { name: "phone", type: "tel", label: t("phone"), inputmode: "tel", max_length: 30 },
    { name: "whatsapp", type: "checkbox", label: t("whatsapp") },
    { name: "sex", type: "radio", label: t("sex"), choices: "sex", inline: true },
    { name: "year_of_birth", label: t("year_of_birth"), inputmode: "numeric", max_length: 4 },
    { name: "age_group", type: "select", label: t("age_group_alt"), choices: "age_group" },
    { name: "nationality", type: "select", label: t("nationality"), choices: countryChoices() },
    { name: "area", type: "select", label: t("area_lives"), choices: areaChoices() },
    { name: "community", type: "radio", label: t("community"), choices: "community" },
    { name: "notes", type: "textarea", label: t("notes"), help: t("notes_help"), max_length: MAX_NOTE },
  ]);
}

// The same checks as the server's (senda/casework/actions/people.py), in the worker's words.
function checkPerson(values, errors) {
  if (!values.given_name) addError(errors, "given_name", t("given_name_required"));
  checkText(errors, "given_name", values.given_name, MAX_NAME);
  checkText(errors, "family_name", values.family_name, MAX_NAME);
  checkText(errors, "notes", values.notes, MAX_NOTE);
  const digits = (values.phone.match(/[0-9]/g) || []).length;
  if (values.phone && (!PHONE_PATTERN.test(values.phone) || digits < 7 || digits > 15)) {
    addError(errors, "phone", t("phone_invalid"));
  }
  if (!values.sex) addError(errors, "sex", t("sex_required"));
  if (!values.community) addError(errors, "community", t("community_required"));
  const thisYear = new Date().getFullYear();
  if (values.year_of_birth) {
    const year = Number(values.year_of_birth);
    if (!/^[0-9]{4}$/.test(values.year_of_birth) || year < thisYear - 120 || year > thisYear) {
      addError(errors, "year_of_birth", t("year_invalid", { first: thisYear - 120, last: thisYear }));
    }
  } else if (!values.age_group) {
    addError(errors, "year_of_birth", t("age_required"));
  }
}

function personData(values) {
  return {
    given_name: values.given_name, family_name: values.family_name, phone: values.phone,
    whatsapp: Boolean(values.whatsapp), sex: values.sex,
    year_of_birth: values.year_of_birth ? Number(values.year_of_birth) : null,
    age_group: values.year_of_birth ? "" : values.age_group,
    nationality: values.nationality || null, area: values.area || null,
    community: values.community, notes: values.notes,
  };
}

function personValues(data) {
  return Object.assign({}, data, {
    year_of_birth: data.year_of_birth ? String(data.year_of_birth) : "",
    whatsapp: Boolean(data.whatsapp || data.phone_has_whatsapp),
  });
}

function registerPerson() {
  const path = "people/new";
  const handle = form(personFields(true), drafts[path], {
    name: "person", submit: t("register"),
    onSubmit: function (values, formHandle) {
      if (!values.consent_record) {
        formHandle.showErrors({ consent_record: [t("consent_required")] });
        noConsent.hidden = false;
        return;
      }
      const errors = {};
      checkPerson(values, errors);
      if (hasErrors(errors)) { formHandle.showErrors(errors); return; }
      const id = sync.uuid();
      const data = Object.assign({ code: cardCode(), consent_record: true,
        consent_contact: Boolean(values.consent_contact), consent_share: Boolean(values.consent_share) },
      personData(values));
      return sync.record("person", "create", id, data).then(function () {
        saved(path, t("saved_person", { code: data.code }), "#/person/" + id);
      });
    },
  });
  const noConsent = h("div", { class: "notice warning", hidden: true, "data-testid": "no-consent" }, [
    h("p", { text: t("no_consent") }),
    h("a", { class: "button", href: "#/outreach", text: t("count_in_tally") }),
  ]);
  remember(path, handle);
  show(t("register_person"), [back("#/people", t("back_people")), noConsent, handle.element]);
}

function personDetail(id) {
  const person = sync.get("person", id);
  if (!person) { missing(); return; }
  const values = sync.current("person", person);
  const entry = createEntryOf("person", person);
  const rows = [
    [t("card_code"), values.code],
    [t("phone"), values.phone ? values.phone + (values.whatsapp || values.phone_has_whatsapp ? " · WhatsApp" : "") : ""],
    [t("sex"), label("sex", values.sex)],
    [t("age"), values.year_of_birth ? String(values.year_of_birth) : label("age_group", values.age_group)],
    [t("nationality"), label("country", values.nationality)],
    [t("area_lives"), (sync.get("area", values.area) || { data: {} }).data.name || values.area],
    [t("community"), label("community", values.community)],
    [t("notes"), values.notes],
  ].filter(function (row) { return row[1]; });
  const theirReferrals = sync.list("referral").filter(function (r) {
    return sync.sameRecord("person", r.data.person, person.id) || sync.sameRecord("person", r.data.person, person.uuid);
  });
  show(personName(values), [
    back("#/people", t("back_people")),
    badge(entry && entry.status !== "sent" ? entry : null),
    h("dl", { class: "facts" }, rows.flatMap(function (row) {
      return [h("dt", { text: row[0] }), h("dd", { text: row[1] })];
    })),
    h("div", { class: "actions stack" }, [
      h("a", { class: "button primary", href: "#/person/" + encodeURIComponent(person.id) + "/orientation", text: t("record_orientation") }),
      h("a", { class: "button primary", href: "#/person/" + encodeURIComponent(person.id) + "/referral", text: t("refer") }),
      person.local ? null : h("a", { class: "button secondary", href: "#/person/" + encodeURIComponent(person.id) + "/edit", text: t("edit_person") }),
    ]),
    h("h2", { text: t("referrals") }),
    referralList(theirReferrals),
    consentSection(person, values),
  ]);
}

// A withdrawal always wins on the server; withdrawing consent to record erases the person's
// data there and, with the next sync, on this phone.
function consentSection(person, values) {
  const path = "person/" + person.id + "/consent";
  const withdrawal = form([
    { name: "scope", type: "radio", label: t("consent_scope"), choices: "consent_scope" },
  ], drafts[path], {
    name: "consent", submit: t("consent_withdraw"),
    onSubmit: function (typed, formHandle) {
      if (!typed.scope) { formHandle.showErrors({ scope: [t("consent_scope_required")] }); return; }
      return sync.record("consent", "create", sync.uuid(), { person: person.id, scope: typed.scope, granted: false })
        .then(function () { saved(path, t("saved_consent"), "#/person/" + person.id); });
    },
  });
  return h("details", { class: "cancel", "data-testid": "consent" }, [
    h("summary", { text: t("consent_title") }),
    h("dl", { class: "facts" }, [
      h("dt", { text: t("consent_contact_short") }), h("dd", { text: values.consent_contact ? t("yes") : t("no") }),
      h("dt", { text: t("consent_share_short") }), h("dd", { text: values.consent_share ? t("yes") : t("no") }),
    ]),
    h("p", { class: "help", text: t("consent_withdraw_help") }),
    withdrawal.element,
  ]);
}

function editPerson(id) {
  const person = sync.get("person", id);
  if (!person || person.local) { missing(); return; }
  const path = "person/" + id + "/edit";
  const handle = form(personFields(false), drafts[path] || personValues(sync.current("person", person)), {
    name: "person-edit", submit: t("save"),
    onSubmit: function (values, formHandle) {
      const errors = {};
      checkPerson(values, errors);
      if (hasErrors(errors)) { formHandle.showErrors(errors); return; }
      const wanted = personData(values);
      const shown = sync.current("person", person);
      const changes = {};
      const base = {};
      // The year of birth decides the age group: the group is sent only without a year.
      if (wanted.year_of_birth !== null) delete wanted.age_group;
      Object.keys(wanted).forEach(function (field) {
        const before = shown[field] === undefined ? (field === "whatsapp" ? Boolean(shown.phone_has_whatsapp) : null) : shown[field];
        if (String(before === null ? "" : before) !== String(wanted[field] === null ? "" : wanted[field])) {
          changes[field] = wanted[field];
          // The base is what the server last said, for its three-way merge.
          base[field] = person.data[field] === undefined ? null : person.data[field];
        }
      });
      if ("age_group" in changes && !("year_of_birth" in changes)) {
        changes.year_of_birth = null;
        base.year_of_birth = person.data.year_of_birth === undefined ? null : person.data.year_of_birth;
      }
      if (!Object.keys(changes).length) { saved(path, t("nothing_changed"), "#/person/" + id); return; }
      return sync.record("person", "update", person.id, changes, base).then(function () {
        saved(path, t("saved_change"), "#/person/" + id);
      });
    },
  });
  remember(path, handle);
  show(t("edit_person"), [back("#/person/" + encodeURIComponent(id), personName(sync.current("person", person))), handle.element]);
}

// --- Orientation -------------------------------------------------------------------------------

function orientationFields(initial) {
  return [
    { name: "occurred_at", type: "datetime-local", label: t("when"), initial: nowLocal() },
    { name: "topics", type: "checkboxes", label: t("topics"), choices: topicChoices() },
    { name: "channel", type: "select", label: t("channel"), choices: "channel", initial: "in_person" },
    { name: "place_type", type: "select", label: t("place_type"), choices: "place_type" },
    { name: "outcome", type: "select", label: t("outcome"), choices: "orientation_outcome" },
    { name: "note", type: "textarea", label: t("note"), max_length: MAX_NOTE },
  ];
}

function checkOrientation(values, person) {
  const errors = {};
  const when = values.occurred_at ? new Date(values.occurred_at) : null;
  if (!when || isNaN(when.getTime())) addError(errors, "occurred_at", t("when_required"));
  else if (when.getTime() > Date.now() + 5 * 60 * 1000) addError(errors, "occurred_at", t("not_future"));
  if (!values.topics.length) addError(errors, "topics", t("topics_required"));
  if (!values.channel) addError(errors, "channel", t("channel_required"));
  if (!values.place_type) addError(errors, "place_type", t("place_required"));
  if (!values.outcome) addError(errors, "outcome", t("outcome_required"));
  checkText(errors, "note", values.note, MAX_NOTE);
  return { errors: errors, data: hasErrors(errors) ? null : {
    person: person, occurred_at: when.toISOString(), topics: values.topics, channel: values.channel,
    place_type: values.place_type, outcome: values.outcome, note: values.note,
  } };
}

// The form shows local time; what was sent is an ISO moment.
function orientationValues(data) {
  const when = new Date(data.occurred_at);
  return Object.assign({}, data, { occurred_at: isNaN(when.getTime()) ? "" :
    new Date(when.getTime() - when.getTimezoneOffset() * 60000).toISOString().slice(0, 16) });
}

function orientation(id) {
  const person = sync.get("person", id);
  if (!person) { missing(); return; }
  const path = "person/" + id + "/orientation";
  const handle = form(orientationFields(), drafts[path], {
    name: "orientation", submit: t("save"),
    onSubmit: function (values, formHandle) {
      const checked = checkOrientation(values, person.id);
      if (hasErrors(checked.errors)) { formHandle.showErrors(checked.errors); return; }
      return sync.record("orientation", "create", sync.uuid(), checked.data)
        .then(function () { saved(path, t("saved_orientation"), "#/person/" + id); });
    },
  });
  remember(path, handle);
  show(t("record_orientation"), [back("#/person/" + encodeURIComponent(id), personName(sync.current("person", person))), handle.element]);
}

// --- Referral, with the directory on the phone -----------------------------------------------

function servicePicker(initial) {
  let chosen = initial || "";
  const search = h("input", { type: "search", id: "service-search", autocomplete: "off" });
  const results = h("div", { class: "service-results", role: "radiogroup", "aria-labelledby": "service-legend" });
  const error = h("p", { class: "error", id: "service-picker-error", hidden: true });
  const element = h("fieldset", { class: "field group", id: "service-picker" }, [
    h("legend", { id: "service-legend", text: t("service") }),
    h("label", { for: "service-search", text: t("search_services") }),
    search, error, results,
  ]);
  function render() {
    const query = search.value.trim();
    const found = sync.list("service").filter(function (service) {
      const values = service.data;
      return String(service.id) === String(chosen) || !query || matches(query, [serviceLabel(values),
        values.location_name, values.organisation, values.address, values.area_name,
        (values.reasons || []).map(function (reason) { return label("reason", reason); }).join(" "),
        (values.categories || []).join(" ")].join(" "));
    }).sort(function (a, b) { return serviceLabel(a.data).localeCompare(serviceLabel(b.data)); });
    results.replaceChildren(h("p", { class: "count", role: "status", text: t("services_count", { count: found.length }) }));
    found.slice(0, 30).forEach(function (service) {
      const values = service.data;
      const inputId = "service-" + String(service.id).replace(/[^A-Za-z0-9_-]/g, "");
      const input = h("input", { type: "radio", name: "service_at_location", value: String(service.id), id: inputId });
      input.checked = String(service.id) === String(chosen);
      input.addEventListener("change", function () { chosen = String(service.id); });
      results.appendChild(h("label", { class: "choice service", for: inputId }, [input, h("span", {}, [
        h("strong", { text: serviceLabel(values) }),
        values.location_name ? h("span", { class: "line", text: values.location_name }) : null,
        values.address ? h("span", { class: "line", text: values.address }) : null,
        values.phone ? h("span", { class: "line", text: values.phone }) : null,
      ])]));
    });
    if (!sync.list("service").length) results.appendChild(h("p", { class: "empty", text: t("no_services") }));
  }
  search.addEventListener("input", render);
  render();
  return {
    type: "custom", name: "service_at_location", id: "service-picker", element: element,
    read: function () {
      const service = sync.get("service", chosen);
      return service ? service.id : "";
    },
  };
}

function referralFields(chosen) {
  return [
    { name: "reason", type: "select", label: t("reason"), choices: "reason" },
    servicePicker(chosen),
    { name: "urgency", type: "radio", label: t("urgency"), choices: "urgency", initial: "routine" },
    { name: "note", type: "textarea", label: t("referral_note"), help: t("referral_note_help"), max_length: MAX_NOTE },
  ];
}

function checkReferral(values, person) {
  const errors = {};
  if (!values.reason) addError(errors, "reason", t("reason_required"));
  if (values.service_at_location === "") addError(errors, "service_at_location", t("service_required"));
  if (!values.urgency) addError(errors, "urgency", t("urgency_required"));
  checkText(errors, "note", values.note, MAX_NOTE);
  return { errors: errors, data: { person: person, service_at_location: values.service_at_location,
    reason: values.reason, urgency: values.urgency, note: values.note } };
}

function referral(id) {
  const person = sync.get("person", id);
  if (!person) { missing(); return; }
  const path = "person/" + id + "/referral";
  const draft = drafts[path];
  const handle = form(referralFields(draft && draft.service_at_location), draft, {
    name: "referral", submit: t("send_referral"),
    onSubmit: function (values, formHandle) {
      const checked = checkReferral(values, person.id);
      if (hasErrors(checked.errors)) { formHandle.showErrors(checked.errors); return; }
      const service = serviceOf(values.service_at_location) || {};
      const referralId = sync.uuid();
      // Shown in "my referrals" at once, with the service's name, before the server has it.
      return sync.record("referral", "create", referralId, checked.data, null,
        { status: "", service_name: serviceLabel(service), location_name: service.location_name || "" }).then(function () {
        saved(path, t("saved_referral"), "#/person/" + id);
      });
    },
  });
  remember(path, handle);
  show(t("refer"), [back("#/person/" + encodeURIComponent(id), personName(sync.current("person", person))), handle.element]);
}

function referralList(records) {
  const sorted = records.slice().sort(function (a, b) {
    return String(b.data.sent_at || "~").localeCompare(String(a.data.sent_at || "~"));
  });
  return linkList(sorted.map(function (record) {
    const values = sync.current("referral", record);
    const entry = latestEntryOf("referral", record);
    return card("#/referral/" + encodeURIComponent(record.id), personLabel(values.person) + " → " + serviceLabel(values),
      [values.status ? label("referral_status", values.status) : "", formatDate(values.sent_at)],
      entry && entry.status !== "sent" ? entry : null);
  }), t("no_referrals"));
}

function referrals() {
  const mine = sync.list("referral");
  show(t("my_referrals"), [back("#/"), referralList(mine)]);
}

function referralDetail(id) {
  const record = sync.get("referral", id);
  if (!record) { missing(); return; }
  const values = sync.current("referral", record);
  const entry = latestEntryOf("referral", record);
  const rows = [
    [t("person"), personLabel(values.person)],
    [t("service"), [serviceLabel(values), values.location_name].filter(Boolean).join(" · ")],
    [t("reason"), label("reason", values.reason)],
    [t("urgency"), label("urgency", values.urgency)],
    [t("status"), values.status ? label("referral_status", values.status) : ""],
    [t("outcome"), label("referral_outcome", values.outcome)],
    [t("feedback"), values.feedback || values.outcome_note || values.decline_reason || ""],
    [t("sent_at"), formatDateTime(values.sent_at)],
    [t("referral_note"), values.note],
  ].filter(function (row) { return row[1]; });
  const history = (values.history || values.events || []).map(function (event) {
    const to = event.to || event.to_status || event.status;
    return h("li", {}, [
      h("span", { class: "when", text: formatDateTime(event.at) }), " ",
      h("strong", { text: label("referral_status", to) }),
      event.note ? h("span", { class: "line", text: event.note }) : null,
    ]);
  });
  const children = [back("#/referrals", t("back_referrals")), badge(entry && entry.status !== "sent" ? entry : null),
    h("dl", { class: "facts" }, rows.flatMap(function (row) { return [h("dt", { text: row[0] }), h("dd", { text: row[1] })]; }))];
  if (history.length) children.push(h("h2", { text: t("history") }), h("ol", { class: "history" }, history));
  if (OPEN_REFERRALS.indexOf(values.status) !== -1 && !record.local) {
    const path = "referral/" + id;
    const cancel = form([
      { name: "reason", type: "textarea", label: t("cancel_reason"), max_length: MAX_NOTE },
    ], drafts[path], {
      name: "referral-cancel", submit: t("cancel_referral"),
      onSubmit: function (formValues, formHandle) {
        if (!formValues.reason) { formHandle.showErrors({ reason: [t("cancel_reason_required")] }); return; }
        return sync.record("referral", "update", record.id, { status: "cancelled", reason: formValues.reason },
          { status: record.data.status }).then(function () { saved(path, t("saved_change"), "#/referral/" + id); });
      },
    });
    children.push(h("details", { class: "cancel" }, [h("summary", { text: t("cancel_referral") }), cancel.element]));
  }
  show(t("referral"), children);
}

// --- Tasks -------------------------------------------------------------------------------------

function tasks() {
  const day = today();
  const groups = { overdue: [], today: [], coming: [], done: [] };
  sync.list("follow_up").forEach(function (record) {
    const values = sync.current("follow_up", record);
    if (values.status !== "open") { if (values.status === "done") groups.done.push([record, values]); return; }
    if (!values.due_on || values.due_on > day) groups.coming.push([record, values]);
    else if (values.due_on < day) groups.overdue.push([record, values]);
    else groups.today.push([record, values]);
  });
  function section(key, title) {
    const items = groups[key].sort(function (a, b) { return String(a[1].due_on).localeCompare(String(b[1].due_on)); })
      .map(function (pair) {
        const entry = latestEntryOf("follow_up", pair[0]);
        return card("#/task/" + encodeURIComponent(pair[0].id), pair[1].title || t("task"),
          [personLabel(pair[1].person), t("due_on", { date: formatDate(pair[1].due_on) })],
          entry && entry.status !== "sent" ? entry : null);
      });
    return h("section", { class: "tasks " + key, "data-testid": "tasks-" + key }, [h("h2", { text: title }), linkList(items, t("no_tasks"))]);
  }
  show(t("my_tasks"), [back("#/"), section("overdue", t("overdue")), section("today", t("today")),
    section("coming", t("coming")), groups.done.length ? section("done", t("done_recently")) : null]);
}

function task(id) {
  const record = sync.get("follow_up", id);
  if (!record) { missing(); return; }
  const values = sync.current("follow_up", record);
  const entry = latestEntryOf("follow_up", record);
  const children = [back("#/tasks", t("back_tasks")), badge(entry && entry.status !== "sent" ? entry : null),
    h("dl", { class: "facts" }, [
      h("dt", { text: t("person") }), h("dd", {}, [h("a", { href: "#/person/" + encodeURIComponent(values.person), text: personLabel(values.person) })]),
      h("dt", { text: t("due") }), h("dd", { text: formatDate(values.due_on) }),
      h("dt", { text: t("status") }), h("dd", { text: label("follow_up_status", values.status) }),
    ].concat(values.note ? [h("dt", { text: t("note") }), h("dd", { text: values.note })] : []))];
  if (values.status === "open") {
    const path = "task/" + id;
    const done = form([{ name: "note", type: "textarea", label: t("task_note"), max_length: MAX_NOTE }], drafts[path], {
      name: "task-done", submit: t("mark_done"),
      onSubmit: function (formValues, formHandle) {
        const errors = {};
        checkText(errors, "note", formValues.note, MAX_NOTE);
        if (hasErrors(errors)) { formHandle.showErrors(errors); return; }
        return sync.record("follow_up", "update", record.id, { status: "done", note: formValues.note },
          { status: record.data.status, note: record.data.note || "" })
          .then(function () { saved(path, t("saved_task"), "#/tasks"); });
      },
    });
    remember(path, done);
    children.push(done.element);
  }
  show(values.title || t("task"), children);
}

// --- Outreach and vaccination (counts, never names) ------------------------------------------

function countInput(name, labelText, value) {
  const input = h("input", { type: "number", min: "0", max: String(MAX_COUNT), inputmode: "numeric",
    class: "count", name: name, "aria-label": labelText });
  input.value = value ? String(value) : "";
  return input;
}

function readCount(input, errors, field) {
  const text = input.value.trim();
  if (!text) return 0;
  if (!/^[0-9]+$/.test(text) || Number(text) > MAX_COUNT) {
    addError(errors, field, t("count_invalid", { limit: MAX_COUNT }));
    input.setAttribute("aria-invalid", "true");
    return 0;
  }
  return Number(text);
}

function tallyGrid(initial) {
  const cells = {};
  (initial || []).forEach(function (cell) { cells[[cell.sex, cell.age_group, cell.community].join("|")] = cell.count; });
  const inputs = [];
  const sexes = choices("sex");
  const element = h("div", { class: "field", id: "tallies" }, [h("h2", { text: t("people_reached") }),
    h("p", { class: "help", text: t("tally_help") }),
    h("p", { class: "error", id: "tallies-error", hidden: true })].concat(choices("community").map(function (community) {
    return h("fieldset", { class: "tally" }, [h("legend", { text: community[1] }), h("table", {}, [
      h("thead", {}, [h("tr", {}, [h("th", { scope: "col" }, [h("span", { class: "visually-hidden", text: t("age_group") })])]
        .concat(sexes.map(function (sex) { return h("th", { scope: "col", text: sex[1] }); })))]),
      h("tbody", {}, choices("age_group").map(function (age) {
        return h("tr", {}, [h("th", { scope: "row", text: age[1] })].concat(sexes.map(function (sex) {
          const key = [sex[0], age[0], community[0]].join("|");
          const input = countInput("tally-" + key, community[1] + ", " + age[1] + ", " + sex[1], cells[key]);
          inputs.push([key, input]);
          return h("td", {}, [input]);
        })));
      })),
    ])]);
  })));
  return {
    type: "custom", name: "tallies", id: "tallies", element: element,
    read: function () {
      return inputs.map(function (pair) {
        const parts = pair[0].split("|");
        return { sex: parts[0], age_group: parts[1], community: parts[2], count: pair[1].value.trim(), input: pair[1] };
      });
    },
  };
}

function materialCounts(initial) {
  const inputs = choices("material").map(function (kind) {
    const id = "material-" + kind[0];
    const input = countInput("material-" + kind[0], kind[1], (initial || {})[kind[0]]);
    input.id = id;
    return [kind[0], input, h("div", { class: "count-field" }, [h("label", { for: id, text: kind[1] }), input])];
  });
  return {
    type: "custom", name: "materials", id: "materials",
    element: h("fieldset", { class: "field materials", id: "materials" }, [h("legend", { text: t("materials") }),
      h("p", { class: "error", id: "materials-error", hidden: true }),
      h("div", { class: "count-grid" }, inputs.map(function (row) { return row[2]; }))]),
    read: function () {
      const result = {};
      inputs.forEach(function (row) { result[row[0]] = { count: row[1].value.trim(), input: row[1] }; });
      return result;
    },
  };
}

function checkDate(errors, value) {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) addError(errors, "date", t("date_required"));
  else if (value > today()) addError(errors, "date", t("not_future"));
}

function outreachDraft(values) {
  // Drafts keep the numbers as typed, not the inputs.
  return Object.assign({}, values, {
    tallies: (values.tallies || []).map(function (cell) { return { sex: cell.sex, age_group: cell.age_group, community: cell.community, count: cell.count }; }),
    materials: Object.keys(values.materials || {}).reduce(function (result, kind) {
      const value = values.materials[kind];
      result[kind] = value && value.count !== undefined ? value.count : value;
      return result;
    }, {}),
  });
}

export function outreachFields(initial) {
  return [
    { name: "date", type: "date", label: t("date"), initial: today(), max: today() },
    { name: "place_type", type: "select", label: t("place_type"), choices: "place_type" },
    { name: "place_name", label: t("place_name"), max_length: 200 },
    { name: "area", type: "select", label: t("area"), choices: areaChoices() },
    tallyGrid(initial && initial.tallies),
    materialCounts(initial && initial.materials),
    { name: "note", type: "textarea", label: t("note"), help: t("no_names"), max_length: MAX_NOTE },
  ];
}

export function checkOutreach(values) {
  const errors = {};
  checkDate(errors, values.date);
  if (!values.place_type) addError(errors, "place_type", t("place_required"));
  if (!values.area) addError(errors, "area", t("area_required"));
  checkText(errors, "place_name", values.place_name, 200);
  checkText(errors, "note", values.note, MAX_NOTE);
  const tallies = [];
  values.tallies.forEach(function (cell) {
    cell.input.removeAttribute("aria-invalid");
    const count = readCount(cell.input, errors, "tallies");
    if (count) tallies.push({ sex: cell.sex, age_group: cell.age_group, community: cell.community, count: count });
  });
  if (!errors.tallies && !tallies.length) addError(errors, "tallies", t("tally_required"));
  const materials = {};
  Object.keys(values.materials).forEach(function (kind) {
    const count = readCount(values.materials[kind].input, errors, "materials");
    if (count) materials[kind] = count;
  });
  return { errors: errors, data: { date: values.date, place_type: values.place_type,
    place_name: values.place_name, area: values.area, tallies: tallies, materials: materials, note: values.note } };
}

function outreach() {
  const path = "outreach";
  const draft = drafts[path];
  const handle = form(outreachFields(draft), draft, {
    name: "outreach", submit: t("save"),
    onSubmit: function (values, formHandle) {
      const checked = checkOutreach(values);
      if (hasErrors(checked.errors)) { formHandle.showErrors(checked.errors); return; }
      return sync.record("outreach", "create", sync.uuid(), checked.data).then(function () {
        saved(path, t("saved_outreach"), "#/");
      });
    },
  });
  handle.element.addEventListener("input", function () { drafts[path] = outreachDraft(handle.read()); });
  show(t("record_outreach"), [back("#/"), handle.element]);
}

function doseGrid(initial) {
  const cells = {};
  (initial || []).forEach(function (cell) { cells[cell.vaccine + "|" + cell.age_group] = cell.count; });
  const inputs = [];
  const element = h("div", { class: "field", id: "doses" }, [h("h2", { text: t("doses_given") }),
    h("p", { class: "help", text: t("doses_help") }),
    h("p", { class: "error", id: "doses-error", hidden: true })].concat(choices("vaccine").map(function (vaccine) {
    const rows = choices("age_group").map(function (age) {
      const key = vaccine[0] + "|" + age[0];
      const id = "dose-" + vaccine[0] + "-" + age[0].replace("+", "plus");
      const input = countInput("dose-" + key, vaccine[1] + ", " + age[1], cells[key]);
      input.id = id;
      inputs.push([key, input]);
      return h("div", { class: "count-field" }, [h("label", { for: id, text: age[1] }), input]);
    });
    const open = Object.keys(cells).some(function (key) { return key.indexOf(vaccine[0] + "|") === 0; });
    return h("details", { class: "doses", open: open }, [h("summary", { text: vaccine[1] }), h("div", { class: "count-grid" }, rows)]);
  })));
  return {
    type: "custom", name: "doses", id: "doses", element: element,
    read: function () {
      return inputs.map(function (pair) {
        const parts = pair[0].split("|");
        return { vaccine: parts[0], age_group: parts[1], count: pair[1].value.trim(), input: pair[1] };
      });
    },
  };
}

export function vaccinationFields(initial) {
  return [
    { name: "date", type: "date", label: t("date"), initial: today(), max: today() },
    { name: "place_name", label: t("place_name"), max_length: 200 },
    { name: "area", type: "select", label: t("area"), choices: areaChoices() },
    doseGrid(initial && initial.doses),
    { name: "people_referred", type: "number", label: t("people_referred"), inputmode: "numeric", min: "0", initial: "0" },
    { name: "note", type: "textarea", label: t("note"), help: t("no_names"), max_length: MAX_NOTE },
  ];
}

export function checkVaccination(values) {
  const errors = {};
  checkDate(errors, values.date);
  if (!values.area) addError(errors, "area", t("area_required"));
  if (!values.place_name) addError(errors, "place_name", t("place_name_required"));
  checkText(errors, "place_name", values.place_name, 200);
  checkText(errors, "note", values.note, MAX_NOTE);
  const doses = [];
  values.doses.forEach(function (cell) {
    cell.input.removeAttribute("aria-invalid");
    const count = readCount(cell.input, errors, "doses");
    if (count) doses.push({ vaccine: cell.vaccine, age_group: cell.age_group, count: count });
  });
  if (!errors.doses && !doses.length) addError(errors, "doses", t("doses_required"));
  let referred = 0;
  if (values.people_referred && (!/^[0-9]+$/.test(values.people_referred) || Number(values.people_referred) > MAX_COUNT)) {
    addError(errors, "people_referred", t("count_invalid", { limit: MAX_COUNT }));
  } else {
    referred = Number(values.people_referred || 0);
  }
  return { errors: errors, data: { date: values.date, place_name: values.place_name, area: values.area,
    doses: doses, people_referred: referred, note: values.note } };
}

function vaccination() {
  const path = "vaccination";
  const draft = drafts[path];
  const handle = form(vaccinationFields(draft), draft, {
    name: "vaccination", submit: t("save"),
    onSubmit: function (values, formHandle) {
      const checked = checkVaccination(values);
      if (hasErrors(checked.errors)) { formHandle.showErrors(checked.errors); return; }
      return sync.record("vaccination", "create", sync.uuid(), checked.data).then(function () {
        saved(path, t("saved_vaccination"), "#/");
      });
    },
  });
  handle.element.addEventListener("input", function () {
    const values = handle.read();
    drafts[path] = Object.assign({}, values, { doses: values.doses.map(function (cell) {
      return { vaccine: cell.vaccine, age_group: cell.age_group, count: cell.count };
    }) });
  });
  show(t("record_vaccination"), [back("#/"), handle.element]);
}

// --- What waits, what was refused, what needs a decision ----------------------------------------

const KIND_LABELS = {
  person: "kind_person", orientation: "kind_orientation", referral: "kind_referral",
  outreach: "kind_outreach", vaccination: "kind_vaccination", follow_up: "kind_follow_up",
  consent: "kind_consent",
};

function describe(entry) {
  const kind = t(KIND_LABELS[entry.kind] || entry.kind);
  let what = "";
  if (entry.kind === "person") what = personName(entry.op === "create" ? entry.data : sync.current("person", sync.get("person", entry.id) || { data: {} }));
  else if (entry.data && entry.data.person) what = personLabel(entry.data.person);
  else if (entry.kind === "follow_up") {
    const taskRecord = sync.get("follow_up", entry.id);
    what = taskRecord ? (taskRecord.data.title || "") : "";
  } else if (entry.data && entry.data.date) what = formatDate(entry.data.date);
  return kind + (what ? ": " + what : "");
}

// A field's name as the worker knows it: its own "field_" label, else the form's label.
function fieldLabel(kind, field) {
  const key = "field_" + field;
  const text = t(key);
  if (text !== key) return text;
  const formLabel = t(field);
  return formLabel === field ? field : formLabel;
}

function shownValue(field, value) {
  if (value === null || value === undefined || value === "") return t("empty_value");
  if (typeof value === "boolean") return value ? t("yes") : t("no");
  const lists = { sex: "sex", age_group: "age_group", community: "community", nationality: "country",
    status: "referral_status" };
  if (lists[field]) return label(lists[field], value);
  if (field === "area") { const area = sync.get("area", value); return area ? area.data.name : String(value); }
  return String(value);
}

function decision(entry) {
  const decided = entry.decided || {};
  const open = (entry.conflicts || []).filter(function (conflict) { return !decided[conflict.field]; });
  return h("li", { class: "decision", "data-testid": "decision" }, [
    h("p", { class: "title", text: describe(entry) }),
  ].concat(open.map(function (conflict) {
    return h("div", { class: "conflict" }, [
      h("p", { text: conflict.message || t("conflict_message", { field: fieldLabel(entry.kind, conflict.field) }) }),
      h("dl", { class: "facts" }, [
        h("dt", { text: t("on_this_phone") }), h("dd", { "data-testid": "device-value", text: shownValue(conflict.field, conflict.device) }),
        h("dt", { text: t("on_the_server") }), h("dd", { "data-testid": "server-value", text: shownValue(conflict.field, conflict.server) }),
      ]),
      h("div", { class: "actions" }, [
        h("button", { type: "button", "data-testid": "keep-mine", text: t("keep_mine"), onclick: function () {
          keepMine(entry, conflict).then(function () { say(t("saved_change"), "success"); outbox(); if (navigator.onLine) runSync(false); });
        } }),
        h("button", { type: "button", class: "secondary", "data-testid": "keep-server", text: t("keep_server"), onclick: function () {
          sync.decide(entry, conflict, "server").then(function () { outbox(); if (navigator.onLine) runSync(false); });
        } }),
      ]),
    ]);
  })));
}

function keepMine(entry, conflict) {
  if (conflict.id !== undefined && conflict.id !== null) return sync.decide(entry, conflict, "device");
  // A conflict the server did not keep: a new change whose base is the server's value.
  const changes = {};
  const base = {};
  changes[conflict.field] = conflict.device;
  base[conflict.field] = conflict.server;
  return sync.record(entry.kind, "update", entry.result_id || entry.id, changes, base).then(function () {
    return sync.decide(entry, conflict, "device");
  });
}

function outbox() {
  const entries = sync.data.outbox.slice().reverse();
  const conflicts = entries.filter(function (entry) { return entry.status === "conflict" && !entry.resolved; });
  const rejected = entries.filter(function (entry) { return entry.status === "rejected"; });
  const rest = entries.filter(function (entry) { return conflicts.indexOf(entry) === -1 && rejected.indexOf(entry) === -1; });
  const children = [back("#/")];
  if (conflicts.length) {
    children.push(h("section", { "data-testid": "decisions" }, [h("h2", { text: t("needs_decision") }),
      h("p", { class: "help", text: t("needs_decision_help") }), h("ul", { class: "decisions" }, conflicts.map(decision))]));
  }
  if (rejected.length) {
    children.push(h("section", { "data-testid": "rejected" }, [h("h2", { text: t("not_accepted") }),
      h("p", { class: "help", text: t("not_accepted_help") }),
      h("ul", { class: "cards" }, rejected.map(function (entry) {
        const reasons = Object.keys(entry.errors || {}).map(function (field) {
          return (field === "__all__" ? "" : fieldLabel(entry.kind, field) + ": ") + [].concat(entry.errors[field]).join(" ");
        });
        return card("#/outbox/" + entry.seq, describe(entry), reasons, entry);
      }))]));
  }
  children.push(h("section", { "data-testid": "outbox-list" }, [h("h2", { text: t("changes") }),
    linkList(rest.map(function (entry) {
      const lines = [formatDateTime(entry.recorded_at)];
      if (entry.merged && entry.merged.length) lines.push(t("merged_notes"));
      Object.keys(entry.decision_errors || {}).forEach(function (field) {
        lines.push(fieldLabel(entry.kind, field) + ": " + (entry.decision_errors[field] || t("decision_refused")));
      });
      return h("li", { class: "card static" }, [h("span", { class: "title", text: describe(entry) })]
        .concat(lines.map(function (line) { return h("span", { class: "line", text: line }); })).concat([badge(entry)]));
    }), t("nothing_to_send"))]));
  show(t("outbox"), children);
}

// A change the server refused: the same form, filled with what was sent, and the reasons.
function fixEntry(seq) {
  const entry = sync.data.outbox.filter(function (e) { return String(e.seq) === String(seq); })[0];
  if (!entry || entry.status !== "rejected") { outbox(); return; }
  let fields;
  let values = entry.data;
  let check;
  if (entry.kind === "person" && entry.op === "create") {
    fields = personFields(false);
    values = personValues(entry.data);
    check = function (typed) {
      const errors = {};
      checkPerson(typed, errors);
      return { errors: errors, data: Object.assign({}, entry.data, personData(typed)) };
    };
  } else if (entry.kind === "orientation") {
    fields = orientationFields();
    values = orientationValues(entry.data);
    check = function (typed) { return checkOrientation(typed, entry.data.person); };
  } else if (entry.kind === "referral" && entry.op === "create") {
    fields = referralFields(entry.data.service_at_location);
    check = function (typed) { return checkReferral(typed, entry.data.person); };
  } else if (entry.kind === "outreach") {
    fields = outreachFields(entry.data);
    check = checkOutreach;
  } else if (entry.kind === "vaccination") {
    fields = vaccinationFields(entry.data);
    check = checkVaccination;
  } else {
    // Other changes are sent again as they are, or removed.
    fields = [{ type: "note", label: describe(entry) }];
    check = function () { return { errors: {}, data: entry.data }; };
  }
  const handle = form(fields, values, {
    name: "fix", submit: t("send_again"),
    extra: [h("button", { type: "button", class: "danger", "data-testid": "discard", text: t("discard"), onclick: function () {
      if (window.confirm(t("discard_confirm"))) sync.discard(entry).then(function () { window.location.hash = "#/outbox"; });
    } })],
    onSubmit: function (typed, formHandle) {
      const checked = check(typed);
      if (hasErrors(checked.errors)) { formHandle.showErrors(checked.errors); return; }
      return sync.resend(entry, checked.data).then(function () { saved("outbox/" + seq, t("saved_resend"), "#/outbox"); });
    },
  });
  show(t("fix_title"), [back("#/outbox", t("back_outbox")), h("p", { text: t("fix_intro") }), handle.element]);
  handle.showErrors(entry.errors || {});
}

// --- This device -------------------------------------------------------------------------------

function device() {
  const secrets = sync.data.secrets || {};
  show(t("this_device"), [back("#/"),
    h("dl", { class: "facts" }, [
      h("dt", { text: t("signed_in_as") }), h("dd", { text: secrets.display_name || secrets.username || "" }),
      h("dt", { text: t("organisation") }), h("dd", { text: (secrets.organisation || {}).name || "" }),
      h("dt", { text: t("last_sync") }), h("dd", { text: sync.data.state.last_sync_at ? formatDateTime(sync.data.state.last_sync_at) : t("never") }),
    ]),
    h("p", { class: "help", text: t("device_protection", { minutes: secrets.lock_minutes || 15, hours: secrets.wipe_hours || 72 }) }),
    h("div", { class: "actions stack" }, [
      h("button", { type: "button", class: "danger", "data-testid": "sign-out", text: t("sign_out_title"), onclick: confirmSignOut }),
    ]),
  ]);
}

function missing() {
  show(t("not_found"), [h("p", { text: t("not_found_help") }), back("#/")]);
}
