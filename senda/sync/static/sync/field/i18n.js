// Every sentence the app shows comes from the page (translated by Django in the page's
// language, see senda/sync/app_views.py): none is written in the scripts.

const source = document.getElementById("field-app-data");
export const config = source ? JSON.parse(source.textContent) : { strings: {}, choices: {} };

// Python's "%(name)s" / "%(name)d" formatting, as gettext gives the sentences.
export function format(template, values) {
  return String(template).replace(/%(?:\((\w+)\)[sd]|%)/g, function (match, name) {
    return name ? String(values[name]) : "%";
  });
}

// A sentence with a count is a pair [one, other] (both languages of the app have two forms).
export function t(key, values) {
  let text = config.strings[key];
  if (text === undefined) return key;
  if (Array.isArray(text)) text = values && Number(values.count) === 1 ? text[0] : text[1];
  return values ? format(text, values) : text;
}

// [[value, label], ...] of a list of choices (sex, age groups, vaccines...).
export function choices(name) { return config.choices[name] || []; }

export function label(name, value) {
  const found = choices(name).filter(function (choice) { return choice[0] === value; })[0];
  return found ? found[1] : (value === undefined || value === null ? "" : String(value));
}

export function formatDate(value) {
  if (!value) return "";
  const date = value instanceof Date ? value : new Date(value.length === 10 ? value + "T12:00:00" : value);
  if (isNaN(date.getTime())) return String(value);
  return date.toLocaleDateString(config.language, { day: "numeric", month: "short", year: "numeric" });
}

export function formatDateTime(value) {
  if (!value) return "";
  const date = value instanceof Date ? value : new Date(value);
  if (isNaN(date.getTime())) return String(value);
  return date.toLocaleString(config.language, {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
}
