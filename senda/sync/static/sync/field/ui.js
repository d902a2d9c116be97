// Building the screens: elements, forms that validate on the phone and keep what was typed,
// and their error messages. Text is always set as text (never parsed as HTML).

import { t, choices } from "./i18n.js";

export function h(tag, attributes, children) {
  const element = document.createElement(tag);
  Object.keys(attributes || {}).forEach(function (name) {
    const value = attributes[name];
    if (value === null || value === undefined || value === false) return;
    if (name === "text") element.textContent = value;
    else if (name.indexOf("on") === 0) element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  });
  (children || []).forEach(function (child) {
    if (child === null || child === undefined || child === false) return;
    element.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return element;
}

let counter = 0;
function fieldId(name) { counter += 1; return "f-" + name + "-" + counter; }

function optionsOf(field) {
  return typeof field.choices === "string" ? choices(field.choices) : (field.choices || []);
}

function control(field, id, value) {
  const common = { id: id, name: field.name, "aria-describedby": id + "-help " + id + "-error" };
  if (field.type === "textarea") {
    const area = h("textarea", Object.assign({ rows: field.rows || 3, maxlength: field.max_length }, common));
    area.value = value || "";
    return area;
  }
  if (field.type === "select") {
    const select = h("select", common, [h("option", { value: "", text: field.empty || "—" })]
      .concat(optionsOf(field).map(function (choice) {
        return h("option", { value: choice[0], text: choice[1] });
      })));
    select.value = value === null || value === undefined ? "" : String(value);
    return select;
  }
  if (field.type === "checkbox") {
    const box = h("input", Object.assign({ type: "checkbox" }, common));
    box.checked = Boolean(value);
    return box;
  }
  const input = h("input", Object.assign({
    type: field.type || "text", inputmode: field.inputmode, autocomplete: field.autocomplete || "off",
    min: field.min, max: field.max, maxlength: field.max_length, step: field.step,
    placeholder: field.placeholder,
  }, common));
  input.value = value === null || value === undefined ? "" : String(value);
  return input;
}

function group(field, id, value) {
  // Radios and checkbox lists: a fieldset whose legend is the question.
  const selected = field.type === "checkboxes" ? (value || []).map(String) : [String(value)];
  const items = optionsOf(field).map(function (choice, index) {
    const optionId = id + "-" + index;
    const input = h("input", { type: field.type === "radio" ? "radio" : "checkbox",
      name: field.name, value: choice[0], id: optionId });
    input.checked = selected.indexOf(String(choice[0])) !== -1;
    return h("label", { class: "choice", for: optionId }, [input, " ", choice[1]]);
  });
  return h("fieldset", { class: "group", id: id, "aria-describedby": id + "-error" }, [
    h("legend", { text: field.label }),
    field.help ? h("p", { class: "help", id: id + "-help", text: field.help }) : null,
    h("div", { class: "choices" + (field.inline ? " inline" : "") }, items),
    h("p", { class: "error", id: id + "-error", hidden: true }),
  ]);
}

// A form from a list of field descriptions. ``values`` fills it (a draft, or a record being
// corrected); ``onSubmit(values, form)`` decides. Errors show beside each field and in a
// summary at the top; nothing typed is lost.
export function form(fields, values, options) {
  const ids = {};
  const summary = h("div", { class: "summary", role: "alert", tabindex: "-1", hidden: true });
  const body = fields.map(function (field) {
    if (field.type === "section") return h("h2", { text: field.label });
    if (field.type === "note") return h("p", { class: "help", text: field.label });
    if (field.type === "custom") { ids[field.name] = field.id; return field.element; }
    const id = fieldId(field.name);
    ids[field.name] = id;
    const value = values ? values[field.name] : field.initial;
    if (field.type === "radio" || field.type === "checkboxes") return h("div", { class: "field" }, [group(field, id, value)]);
    const input = control(field, id, value);
    const labelElement = h("label", { for: id, text: field.label });
    const help = field.help ? h("p", { class: "help", id: id + "-help", text: field.help }) : null;
    const error = h("p", { class: "error", id: id + "-error", hidden: true });
    if (field.type === "checkbox") {
      return h("div", { class: "field check" }, [h("div", { class: "line" }, [input, labelElement]), help, error]);
    }
    return h("div", { class: "field" }, [labelElement, help, input, error]);
  });
  const submit = h("button", { type: "submit", class: "primary", text: options.submit });
  const element = h("form", { novalidate: true, class: "record", "data-form": options.name }, [summary]
    .concat(body).concat([h("div", { class: "actions" }, [submit].concat(options.extra || []))]));

  function read() {
    const result = {};
    fields.forEach(function (field) {
      if (field.type === "section" || field.type === "note") return;
      if (field.type === "custom") { result[field.name] = field.read(); return; }
      if (field.type === "radio") {
        const checked = element.querySelector("input[name='" + field.name + "']:checked");
        result[field.name] = checked ? checked.value : "";
        return;
      }
      if (field.type === "checkboxes") {
        result[field.name] = Array.prototype.map.call(
          element.querySelectorAll("input[name='" + field.name + "']:checked"),
          function (box) { return box.value; });
        return;
      }
      const input = document.getElementById(ids[field.name]);
      if (field.type === "checkbox") result[field.name] = input.checked;
      else result[field.name] = input.value.trim();
    });
    return result;
  }

  function clear() {
    summary.hidden = true;
    summary.textContent = "";
    element.querySelectorAll(".error").forEach(function (error) { error.hidden = true; error.textContent = ""; });
    element.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
  }

  // errors: {field: [messages]}; messages for fields the form does not show go to the summary.
  function showErrors(errors) {
    clear();
    const names = Object.keys(errors || {});
    if (!names.length) return;
    const list = h("ul");
    names.forEach(function (name) {
      const messages = [].concat(errors[name]).map(String);
      const id = ids[name];
      const target = id ? document.getElementById(id + "-error") : null;
      if (target) {
        target.textContent = messages.join(" ");
        target.hidden = false;
        const input = document.getElementById(id);
        if (input) input.setAttribute("aria-invalid", "true");
        const field = fields.filter(function (f) { return f.name === name; })[0];
        list.appendChild(h("li", {}, [h("a", { href: "#" + id, onclick: function (event) {
          event.preventDefault();
          const focusable = input && (input.matches("input,select,textarea") ? input : input.querySelector("input,select,textarea"));
          if (focusable) focusable.focus();
        } }, [(field && field.label ? field.label + ": " : "") + messages.join(" ")])]));
      } else {
        list.appendChild(h("li", { text: messages.join(" ") }));
      }
    });
    summary.appendChild(h("p", { text: t("form_has_errors") }));
    summary.appendChild(list);
    summary.hidden = false;
    summary.focus();
  }

  // While a save is under way the button is disabled and a second tap does nothing: a double
  // tap must never record the same thing twice. A save that fails keeps what was typed.
  let busy = false;
  element.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;
    clear();
    const outcome = options.onSubmit(read(), { showErrors: showErrors, element: element });
    if (!outcome || typeof outcome.then !== "function") return;
    busy = true;
    submit.disabled = true;
    element.setAttribute("aria-busy", "true");
    outcome.then(function () {
      busy = false;
      submit.disabled = false;
      element.removeAttribute("aria-busy");
    }, function () {
      busy = false;
      submit.disabled = false;
      element.removeAttribute("aria-busy");
      showErrors({ __all__: [t("save_failed")] });
    });
  });
  return { element: element, read: read, showErrors: showErrors };
}

export function addError(errors, field, message) {
  (errors[field] = errors[field] || []).push(message);
}

export function normalise(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
}

// Every word typed is found in the text (accents and case ignored).
export function matches(query, text) {
  const words = normalise(query).split(/\s+/).filter(Boolean);
  const haystack = normalise(text);
  return words.every(function (word) { return haystack.indexOf(word) !== -1; });
}
