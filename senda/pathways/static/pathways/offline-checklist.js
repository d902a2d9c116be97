// The "which documents do I need?" checklist without a connection. The service worker answers
// any checklist address it has not kept with this page; the script reads the answers in the
// address and shows the same screen or result the server would (senda/pathways/checklist.py).
// The evaluator below is a port of senda/pathways/eligibility.py: keep them in lock-step (the
// browser test tests/browser/test_offline_checklist.py compares both on many answers).
(function () {
  "use strict";
  var source = document.getElementById("offline-checklist-data");
  if (!source) return;
  var data = JSON.parse(source.textContent);
  var STEPS = data.steps.map(function (step) { return step.name; });
  var COUNTRY_ANSWERS = ["nationality", "current_country", "destination"];
  var DOCUMENTS_DONE = "documents_done";
  var CARRIED = ["via", "area"];
  var PLACEMENT_CODE = /^[0-9abcdefghjkmnpqrstvwxyz]{7}$/;
  var NEARBY_LIMIT = 5;
  var EARTH_RADIUS_KM = 6371.0088;
  var ALNUM = (function () {
    try { return new RegExp("^[\\p{L}\\p{N}]+$", "u"); } catch (e) { return /^[A-Za-z0-9]+$/; }
  })();

  function has(list, value) { return list.indexOf(value) !== -1; }

  // Python's "%(name)s" formatting, as gettext gives the sentences.
  function format(template, values) {
    return template.replace(/%(?:\((\w+)\)s|%)/g, function (match, name) {
      return name ? String(values[name]) : "%";
    });
  }

  // --- The address: Django's QueryDict and urlencode -----------------------------------------

  function decode(text) {
    try { return decodeURIComponent(text.replace(/\+/g, " ")); } catch (e) { return text; }
  }

  function Query(search) {
    var values = {};
    (search.charAt(0) === "?" ? search.slice(1) : search).split("&").forEach(function (pair) {
      if (!pair) return;
      var cut = pair.indexOf("=");
      var key = decode(cut === -1 ? pair : pair.slice(0, cut));
      var value = cut === -1 ? "" : decode(pair.slice(cut + 1));
      (values[key] = values[key] || []).push(value);
    });
    // QueryDict.get gives the last value of a repeated parameter.
    this.get = function (key) { var list = values[key]; return list ? list[list.length - 1] : null; };
    this.getList = function (key) { return (values[key] || []).slice(); };
  }

  function quote(text) {
    return encodeURIComponent(text).replace(/[!'()*]/g, function (c) {
      return "%" + c.charCodeAt(0).toString(16).toUpperCase();
    });
  }

  function urlencode(pairs) {
    return pairs.map(function (pair) {
      return quote(pair[0]).replace(/%20/g, "+") + "=" + quote(pair[1]).replace(/%20/g, "+");
    }).join("&");
  }

  function strip(value) { return (value || "").trim(); }

  // --- The six questions (checklist.parse, carried, next_screen) ------------------------------

  function stepOf(name) { return data.steps[STEPS.indexOf(name)]; }

  function validValues(name) { return stepOf(name).choices.map(function (c) { return c[0]; }); }

  function parse(query) {
    var answers = {};
    var errors = {};
    STEPS.forEach(function (name) {
      var valid = validValues(name);
      if (name === "documents_held") {
        var held = query.getList(name).filter(function (value) { return value; });
        if (held.some(function (value) { return !has(valid, value); })) {
          errors[name] = stepOf(name).missing;
        } else if (query.get(DOCUMENTS_DONE)) {
          answers[name] = held.filter(function (v, i) { return held.indexOf(v) === i; }).sort();
        }
        return;
      }
      var value = strip(query.get(name));
      if (has(COUNTRY_ANSWERS, name)) value = value.toUpperCase();
      if (has(valid, value)) {
        answers[name] = value;
      } else if (value || query.get("step") === name) {
        errors[name] = stepOf(name).missing;
      }
    });
    return { answers: answers, errors: errors };
  }

  function carried(query) {
    var pairs = [];
    CARRIED.forEach(function (name) {
      var value = strip(query.get(name));
      if (value && Array.from(value).length <= 40 && ALNUM.test(value.replace(/[-_]/g, ""))) {
        pairs.push([name, value]);
      }
    });
    return pairs;
  }

  function answerPairs(answers, skip) {
    var pairs = [];
    STEPS.forEach(function (name) {
      if (name === skip || !(name in answers)) return;
      if (name === "documents_held") {
        answers[name].forEach(function (slug) { pairs.push([name, slug]); });
        pairs.push([DOCUMENTS_DONE, "1"]);
      } else {
        pairs.push([name, answers[name]]);
      }
    });
    return pairs;
  }

  function nextScreen(query) {
    var parsed = parse(query);
    var answers = parsed.answers;
    var editing = query.get("edit") || "";
    var current = "";
    if (has(STEPS, editing)) {
      current = editing;
    } else {
      for (var i = 0; i < STEPS.length; i++) {
        if (!(STEPS[i] in answers)) { current = STEPS[i]; break; }
      }
    }
    if (!current) return null;
    var number = STEPS.indexOf(current) + 1;
    var extra = carried(query);
    var backQuery = "";
    if (number > 1) {
      backQuery = urlencode(answerPairs(answers).concat(extra, [["edit", STEPS[number - 2]]]));
    }
    var chosen = answers[current];
    var step = stepOf(current);
    return {
      name: current,
      number: number,
      question: step.question,
      choices: step.choices,
      multiple: current === "documents_held",
      selected: Array.isArray(chosen) ? chosen : chosen ? [chosen] : [],
      error: parsed.errors[current] || "",
      hidden: answerPairs(answers, current).concat(extra),
      backQuery: backQuery
    };
  }

  // --- Eligibility (eligibility.py: _condition, _evaluate, evaluate_outcome) ------------------

  function label(answer, code) {
    var names = data.labels;
    if (has(COUNTRY_ANSWERS, answer)) return names.countries[code] || code;
    if (answer === "documents_held") return names.documents[code] || code;
    if (answer === "purpose" || answer === "age_group") return names[answer][code] || code;
    return code;
  }

  function join(answer, values) {
    return values.map(function (value) { return label(answer, value); }).join(", ");
  }

  function condition(node, answers) {
    var reasons = data.reasons;
    var answer = node.answer;
    var operator = "in" in node ? "in" : "not_in";
    var values = node[operator];
    var allowed = join(answer, values);
    var fits;
    if (answer === "documents_held") {
      var held = answers.documents_held || [];
      var owned = values.filter(function (value) { return has(held, value); });
      var hasAny = owned.length > 0;
      fits = operator === "in" ? hasAny : !hasAny;
      var reason = hasAny
        ? format(reasons.have, { documents: join(answer, owned) })
        : format(reasons.have_none, { documents: allowed });
      return { fits: fits, reasons: [reason], matched: fits ? 1 : 0 };
    }
    var subject = reasons.subjects[answer];
    var given = answers[answer] || "";
    if (!given) {
      return { fits: false, reasons: [format(reasons.no_answer, { subject: subject })], matched: 0 };
    }
    var isIn = has(values, given);
    fits = operator === "in" ? isIn : !isIn;
    var text = format(isIn ? reasons.is_in : reasons.is_not_in, {
      subject: subject, value: label(answer, given), allowed: allowed
    });
    return { fits: fits, reasons: [text], matched: fits ? 1 : 0 };
  }

  function evaluateNode(node, answers) {
    if ("answer" in node) return condition(node, answers);
    if ("not" in node) {
      var inner = evaluateNode(node.not, answers);
      return { fits: !inner.fits, reasons: inner.reasons, matched: inner.fits ? 0 : inner.matched };
    }
    var every = "all" in node;
    var children = (every ? node.all : node.any).map(function (child) {
      return evaluateNode(child, answers);
    });
    var matched = children.reduce(function (sum, child) { return sum + child.matched; }, 0);
    var fits = every
      ? children.every(function (child) { return child.fits; })
      : children.some(function (child) { return child.fits; });
    // The children that decided the outcome: those that fit when it fits, the others when not.
    var deciding = children.filter(function (child) { return child.fits === fits; });
    if (!deciding.length) deciding = children;
    var reasons = [];
    deciding.forEach(function (child) { reasons = reasons.concat(child.reasons); });
    return { fits: fits, reasons: reasons, matched: matched };
  }

  // ``rule`` is null when the server found it invalid: shown as being reviewed, as online.
  function evaluateRule(rule, answers) {
    if (rule === null) return { fits: false, reasons: [data.reasons.reviewing], matched: 0 };
    if (Object.keys(rule).length === 0) {
      return { fits: true, reasons: [data.reasons.everyone], matched: 0 };
    }
    return evaluateNode(rule, answers);
  }

  // --- The result (checklist.build_result and the nearest information points) ----------------

  function compare(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  function buildResult(answers) {
    var held = answers.documents_held || [];
    var fits = data.channels.filter(function (channel) {
      return channel.country === answers.destination;
    }).map(function (channel, index) {
      var outcome = evaluateRule(channel.rule, answers);
      var missing = channel.documents.filter(function (link) { return !has(held, link[0]); });
      return {
        channel: channel, fits: outcome.fits, reasons: outcome.reasons,
        matched: outcome.matched, missing: missing.length, index: index
      };
    });
    var fitting = fits.filter(function (fit) { return fit.fits; }).sort(function (a, b) {
      return (b.matched - a.matched) || (a.missing - b.missing) ||
        compare(a.channel.name, b.channel.name) || (a.index - b.index);
    });
    var notFitting = fits.filter(function (fit) { return !fit.fits; });
    var documents = [];
    var bySlug = {};
    fitting.forEach(function (fit) {
      fit.channel.documents.forEach(function (link) {
        var slug = link[0];
        var item = bySlug[slug];
        if (!item) {
          var known = data.documents[slug] || { name: slug, description: "", sources: {} };
          var where = known.sources[answers.nationality];
          item = bySlug[slug] = {
            slug: slug, name: known.name, description: known.description,
            held: has(held, slug), sources: where ? [where] : [], notes: []
          };
          documents.push(item);
        }
        if (link[1] && !has(item.notes, link[1])) item.notes.push(link[1]);
      });
    });
    var labels = {};
    ["nationality", "current_country", "destination", "purpose", "age_group"].forEach(function (n) {
      labels[n] = label(n, answers[n]);
    });
    return { answers: answers, fitting: fitting, notFitting: notFitting, documents: documents, labels: labels };
  }

  function radians(degrees) { return degrees * (Math.PI / 180); }

  // geo.distance_from: the haversine distance in km, as the server measures "near".
  function distanceFrom(latitude, longitude) {
    var phi1 = radians(latitude);
    var cosPhi1 = Math.cos(phi1);
    return function (otherLatitude, otherLongitude) {
      var phi2 = radians(otherLatitude);
      var s1 = Math.sin((phi2 - phi1) / 2);
      var s2 = Math.sin(radians(otherLongitude - longitude) / 2);
      var a = s1 * s1 + cosPhi1 * Math.cos(phi2) * s2 * s2;
      return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
    };
  }

  // nearby.services_near: each service at its nearest place, nearest first (ties by service,
  // then place, then point; the lists are in id order, so positions compare as ids do).
  function informationPoints(countryCode, area) {
    var centre = data.places.countries[countryCode];
    var place = area ? data.places.areas[area] : null;
    if (place && place[0] === countryCode) centre = [place[1], place[2]];
    if (!centre) return [];
    var distance = distanceFrom(centre[0], centre[1]);
    var best = {};
    (data.points[countryCode] || []).forEach(function (row) {
      var km = distance(row[3], row[4]);
      var current = best[row[0]];
      if (current && (km > current.km || (km === current.km && row[1] >= current.place))) return;
      best[row[0]] = { km: km, service: row[0], place: row[1], point: row[2] };
    });
    return Object.keys(best).map(function (key) { return best[key]; }).sort(function (a, b) {
      return (a.km - b.km) || (a.service - b.service) || (a.place - b.place) || (a.point - b.point);
    }).slice(0, NEARBY_LIMIT).map(function (hit) {
      var service = data.services[hit.service];
      return { name: service[0], url: service[1], place: data.locations[hit.place], km: hit.km };
    });
  }

  // --- Rendering (checklist_step.html and checklist_result.html) ------------------------------

  var texts = data.texts;
  var urls = data.urls;

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === false || value === null || value === undefined) return;
      if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function renderStep(screen, root) {
    var total = STEPS.length;
    var form = el("form", { method: "get", action: urls.checklist, className: "checklist-step" });
    screen.hidden.forEach(function (pair) {
      form.appendChild(el("input", { type: "hidden", name: pair[0], value: pair[1] }));
    });
    form.appendChild(el("input", { type: "hidden", name: "step", value: screen.name }));
    if (screen.name === "documents_held") {
      form.appendChild(el("input", { type: "hidden", name: DOCUMENTS_DONE, value: "1" }));
    }
    var error = screen.error
      ? el("p", { className: "errorlist", id: "answer-error", role: "alert" }, [screen.error])
      : null;
    if (screen.choices.length > 8 && !screen.multiple) {
      var select = el("select", {
        id: "answer", name: screen.name,
        "aria-invalid": screen.error ? "true" : null,
        "aria-describedby": screen.error ? "answer-error" : null
      }, [el("option", { value: "" }, [texts.choose])]);
      screen.choices.forEach(function (choice) {
        select.appendChild(el("option", {
          value: choice[0], selected: has(screen.selected, choice[0])
        }, [choice[1]]));
      });
      form.appendChild(el("div", { className: "field" }, [
        el("label", { "for": "answer", className: "question" }, [screen.question]), error, select
      ]));
    } else {
      var fieldset = el("fieldset", { "aria-describedby": screen.error ? "answer-error" : null }, [
        el("legend", { className: "question" }, [screen.question]),
        screen.multiple ? el("p", { className: "small muted" }, [texts.tick_all]) : null,
        error
      ]);
      screen.choices.forEach(function (choice, index) {
        var id = "answer-" + (index + 1);
        fieldset.appendChild(el("label", { className: "check", "for": id }, [
          el("input", {
            type: screen.multiple ? "checkbox" : "radio", id: id, name: screen.name,
            value: choice[0], checked: has(screen.selected, choice[0])
          }),
          " " + choice[1]
        ]));
      });
      if (!screen.choices.length) {
        fieldset.appendChild(el("p", { className: "muted" }, [texts.no_options]));
      }
      form.appendChild(fieldset);
    }
    form.appendChild(el("p", {}, [el("button", { type: "submit" }, [
      screen.number === total ? texts.see_result : texts.next
    ])]));
    root.appendChild(el("h1", {}, [texts.title]));
    root.appendChild(el("p", { className: "muted" }, [
      format(texts.question_of, { number: screen.number, total: total })
    ]));
    root.appendChild(form);
    if (screen.backQuery) {
      root.appendChild(el("p", {}, [el("a", { href: urls.checklist + "?" + screen.backQuery }, [texts.back])]));
    }
    root.appendChild(el("p", { className: "small muted" }, [texts.not_stored]));
    document.title = screen.question + " · " + texts.title + " · Senda";
  }

  function reasonList(reasons, className) {
    return el("ul", { className: className }, reasons.map(function (reason) {
      return el("li", {}, [reason]);
    }));
  }

  function renderResult(query, root) {
    var answers = parse(query).answers;
    var result = buildResult(answers);
    var extra = carried(query);
    var via = "";
    var area = "";
    extra.forEach(function (pair) { if (pair[0] === "area") area = pair[1]; });
    var placement = strip(query.get("via")).toLowerCase();
    if (PLACEMENT_CODE.test(placement)) via = placement;
    var resultQuery = urlencode(answerPairs(answers).concat(extra));
    var resultUrl = location.origin + urls.checklist + "?" + resultQuery;
    var editPairs = [];
    CARRIED.forEach(function (name) {
      extra.forEach(function (pair) { if (pair[0] === name) editPairs.push(pair); });
    });
    var editQuery = urlencode(editPairs.concat([["edit", "nationality"]])) + "&" + resultQuery;
    var inquiryPairs = [["country", answers.current_country], ["topic", "pathways"]];
    if (via) inquiryPairs.push(["via", via]);
    var opportunityPairs = [["country", answers.current_country]];
    if (area) opportunityPairs.push(["area", area]);
    if (via) opportunityPairs.push(["via", via]);
    var labels = result.labels;

    root.appendChild(el("h1", {}, [texts.result_title]));
    root.appendChild(el("p", {}, [
      format(texts.summary, {
        nationality: labels.nationality, here: labels.current_country,
        destination: labels.destination, purpose: labels.purpose, age: labels.age_group
      }) + " ",
      el("a", { className: "no-print", href: urls.checklist + "?" + editQuery }, [texts.change])
    ]));
    root.appendChild(el("h2", {}, [texts.fitting]));
    result.fitting.forEach(function (fit, index) {
      var channel = fit.channel;
      var id = "fit-" + (index + 1);
      var href = urls.guides + channel.country + "/" + channel.slug + "/" + (via ? "?via=" + via : "");
      root.appendChild(el("section", { className: "card", "aria-labelledby": id }, [
        el("h3", { id: id }, [el("a", { href: href }, [channel.name])]),
        el("p", {}, [channel.summary]),
        el("p", { className: "small" }, [el("strong", {}, [texts.why])]),
        reasonList(fit.reasons, "small reasons"),
        channel.example ? el("p", { className: "example small" }, [texts.example]) : null
      ]));
    });
    if (!result.fitting.length) root.appendChild(el("p", {}, [texts.none_fit]));

    if (result.documents.length) {
      root.appendChild(el("h2", {}, [texts.gather]));
      root.appendChild(el("ul", { className: "gather" }, result.documents.map(function (item) {
        var children = [
          el("strong", {}, [el("span", { "aria-hidden": "true" }, [item.held ? "☑" : "☐"]), " " + item.name]),
          item.held ? " " : null,
          item.held ? el("span", { className: "small" }, ["(" + texts.have_it + ")"]) : null
        ];
        item.notes.forEach(function (note) {
          children.push(el("br"), el("span", { className: "small" }, [note]));
        });
        if (!item.held) {
          item.sources.forEach(function (where) {
            var line = texts.where + " " + where[0];
            if (where[1]) line += " · " + texts.cost + " " + where[1];
            if (where[2]) line += " · " + texts.time + " " + where[2];
            children.push(el("br"), el("span", { className: "small" }, [line]));
          });
          if (!item.sources.length) {
            children.push(el("br"), el("span", { className: "small muted" }, [texts.ask_where]));
          }
        }
        return el("li", { className: item.held ? "held" : "missing" }, children);
      })));
    }

    if (result.notFitting.length) {
      var details = el("details", { className: "no-print" }, [el("summary", {}, [texts.cannot])]);
      result.notFitting.forEach(function (fit) {
        details.appendChild(el("h3", {}, [fit.channel.name]));
        details.appendChild(reasonList(fit.reasons, "small"));
      });
      root.appendChild(details);
    }

    root.appendChild(el("h2", {}, [texts.points]));
    var points = informationPoints(answers.current_country, area);
    if (points.length) {
      root.appendChild(el("ul", { className: "list" }, points.map(function (hit) {
        return el("li", {}, [
          el("a", { href: hit.url }, [hit.name]),
          hit.place ? " " : null,
          hit.place ? el("span", { className: "small muted" }, ["— " + hit.place]) : null
        ]);
      })));
    } else {
      root.appendChild(el("p", { className: "muted" }, [texts.no_points]));
    }
    root.appendChild(el("p", { className: "no-print" }, [
      el("a", { href: urls.opportunities + "?" + urlencode(opportunityPairs) }, [texts.opportunities])
    ]));
    root.appendChild(el("aside", { className: "notice not-advice", "aria-label": texts.important }, [
      el("p", {}, [el("strong", {}, [texts.not_advice]), " " + texts.rules_change]),
      el("p", {}, [el("a", { href: urls.inquiry + "?" + urlencode(inquiryPairs) }, [texts.ask_help])])
    ]));
    root.appendChild(el("p", { className: "no-print" }, [
      el("a", { className: "button", href: "https://wa.me/?text=" + quote(resultUrl) }, [texts.share])
    ]));
    root.appendChild(el("p", { className: "small muted no-print" }, [texts.nothing_stored]));
    document.title = texts.result_title + " · Senda";
  }

  function render() {
    var root = document.getElementById("offline-checklist");
    var query = new Query(location.search);
    while (root.firstChild) root.removeChild(root.firstChild);
    var screen = nextScreen(query);
    if (screen) renderStep(screen, root); else renderResult(query, root);
    // The language switch leads to the same answers in the other language.
    var other = document.querySelector("nav.lang a[hreflang]");
    var target = other && urls.checklist_by_language[other.getAttribute("hreflang")];
    if (target) other.setAttribute("href", target + location.search);
  }

  // For the lock-step test with the server's evaluator (tests/browser/test_offline_checklist.py).
  window.sendaOfflineChecklist = {
    evaluateRule: evaluateRule,
    parse: function (search) { return parse(new Query(search)); },
    nextScreen: function (search) { return nextScreen(new Query(search)); },
    result: function (search) {
      var query = new Query(search);
      var result = buildResult(parse(query).answers);
      var area = "";
      carried(query).forEach(function (pair) { if (pair[0] === "area") area = pair[1]; });
      result.informationPoints = informationPoints(result.answers.current_country, area);
      return result;
    }
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
