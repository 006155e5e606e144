// Herald's web UI: a few pages over Herald's API (Alertmanager's v2 and Herald's own), routed by the URL's
// fragment so that Alertmanager's links (`#/alerts?receiver=…`) open the matching page. Data is written with
// textContent only, never as markup.
"use strict";

const main = document.getElementById("main");
const TOKEN_KEY = "herald.token";

/** An element with attributes and children (strings become text). */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Asks for the API token; resolves to it, or to null when cancelled. */
function askToken() {
  const dialog = document.getElementById("token-dialog");
  const input = document.getElementById("token");
  input.value = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const token = dialog.returnValue === "ok" ? input.value.trim() : null;
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      resolve(token);
    }, { once: true });
    dialog.showModal();
    input.focus();
  });
}

/** Calls the API (relative to the page, so a route prefix works), asking for a token on a 401. */
async function api(path, options = {}) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = { "Accept": "application/json", ...(options.headers || {}) };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers["Authorization"] = "Bearer " + token;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(new URL(path, document.baseURI), {
      method: options.method || "GET",
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    if (response.status === 401 && attempt === 0 && (await askToken())) continue;
    const text = await response.text();
    const isJson = (response.headers.get("Content-Type") || "").includes("json");
    const body = !text ? null : isJson ? JSON.parse(text) : text;
    if (!response.ok) {
      const detail = body && (body.detail || body.message || body) || response.statusText;
      throw new Error(`${response.status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
    }
    return body;
  }
  throw new Error("401: a token is needed");
}

/** The query parameters of the fragment (`#/alerts?receiver=x&filter=a="b"`). */
function fragmentQuery() {
  const hash = location.hash.slice(1);
  const at = hash.indexOf("?");
  return new URLSearchParams(at < 0 ? "" : hash.slice(at + 1));
}

function labelChips(labels) {
  return el("div", { class: "labels" }, Object.entries(labels || {}).sort().map(([k, v]) => el("span", { class: "label" }, `${k}="${v}"`)));
}

function showError(error) {
  main.replaceChildren(el("p", { class: "error", role: "alert" }, String(error.message || error)));
}

const pages = {
  async alerts() {
    const query = fragmentQuery();
    const filter = el("input", { type: "search", "aria-label": "Matchers, as amtool takes them", placeholder: 'alertname="Disk", severity=~"crit.*"', value: query.getAll("filter").join(", ") });
    const receiver = el("input", { type: "search", "aria-label": "Receiver (a regex)", placeholder: "receiver", value: query.get("receiver") || "" });
    const silenced = el("input", { type: "checkbox", id: "silenced", checked: query.get("silenced") === "true" });
    const inhibited = el("input", { type: "checkbox", id: "inhibited", checked: query.get("inhibited") === "true" });
    const list = el("div", { "aria-live": "polite" });
    const load = async () => {
      const params = new URLSearchParams();
      for (const matcher of splitMatchers(filter.value)) params.append("filter", matcher);
      if (receiver.value) params.set("receiver", receiver.value);
      params.set("silenced", silenced.checked);
      params.set("inhibited", inhibited.checked);
      try {
        const alerts = await api("api/v2/alerts?" + params);
        list.replaceChildren(
          el("p", { class: "muted" }, `${alerts.length} alert${alerts.length === 1 ? "" : "s"}`),
          ...alerts.map((alert) => el("div", { class: "card" },
            el("h3", {}, el("span", { class: "state-" + alert.status.state }, alert.status.state), " ", alert.labels.alertname || ""),
            labelChips(alert.labels),
            el("p", { class: "muted" }, "since ", new Date(alert.startsAt).toLocaleString(), " · ",
              el("a", { href: "#/silences/new?" + new URLSearchParams(Object.entries(alert.labels).map(([k, v]) => ["filter", `${k}="${v}"`])) }, "Silence")),
          )),
        );
      } catch (error) {
        list.replaceChildren(el("p", { class: "error", role: "alert" }, error.message));
      }
    };
    for (const input of [filter, receiver]) input.addEventListener("change", load);
    for (const box of [silenced, inhibited]) box.addEventListener("change", load);
    main.replaceChildren(el("h1", {}, "Alerts"), el("div", { class: "toolbar" }, filter, receiver,
      el("label", {}, silenced, " silenced"), el("label", {}, inhibited, " inhibited")), list);
    await load();
  },

  async groups() {
    const page = await api("api/herald/groups");
    const groups = page.groups || page;
    const byReceiver = new Map();
    for (const group of groups) {
      if (!byReceiver.has(group.receiver)) byReceiver.set(group.receiver, []);
      byReceiver.get(group.receiver).push(group);
    }
    const card = (group) => {
      const acked = group.acknowledgement;
      const escalation = group.escalation;
      const toggle = el("button", { type: "button", onclick: async () => {
        try {
          if (acked) await api(`api/herald/groups/${group.id}/ack`, { method: "DELETE" });
          else await api(`api/herald/groups/${group.id}/ack`, { method: "POST", body: { by: "web UI", duration: "1h" } });
          route();
        } catch (error) { showError(error); }
      } }, acked ? "Withdraw acknowledgement" : "Acknowledge for 1h");
      return el("div", { class: "card" },
        el("h3", {}, Object.entries(group.labels || {}).map(([k, v]) => `${k}="${v}"`).join(", ") || "(all alerts)"),
        el("p", { class: "muted" }, `${(group.alerts || []).length} alert(s)`,
          acked ? ` · acknowledged by ${acked.by}${acked.expiresAt ? " until " + new Date(acked.expiresAt).toLocaleString() : ""}` : "",
          escalation && escalation.level ? ` · escalation level ${escalation.level}` : "",
          escalation && escalation.next ? ` · next: ${escalation.next.receiver} at ${new Date(escalation.next.at).toLocaleString()}` : ""),
        el("ul", {}, (group.alerts || []).map((alert) => el("li", {}, el("span", { class: "state-" + alert.status.state }, alert.status.state), " ", labelChips(alert.labels)))),
        el("p", {}, toggle, " ", el("a", { href: `#/history?group=${group.id}` }, "Notification history")));
    };
    main.replaceChildren(el("h1", {}, "Groups"), ...(groups.length ? [] : [el("p", { class: "muted" }, "No groups.")]),
      ...[...byReceiver.entries()].flatMap(([receiver, list]) => [el("h2", {}, receiver), ...list.map(card)]));
  },

  async silences() {
    const silences = await api("api/v2/silences");
    const rows = silences.map((silence) => el("tr", {},
      el("td", {}, el("span", { class: silence.status.state === "active" ? "state-active" : "muted" }, silence.status.state)),
      el("td", {}, silence.matchers.map((m) => `${m.name}${m.isEqual === false ? "!" : ""}${m.isRegex ? "=~" : "="}"${m.value}"`).join(", ")),
      el("td", {}, silence.createdBy, el("br"), el("span", { class: "muted" }, silence.comment)),
      el("td", {}, new Date(silence.endsAt).toLocaleString()),
      el("td", {}, silence.status.state === "expired" ? "" : [
        el("a", { href: `#/silences/new?id=${silence.id}` }, "Edit"), " ",
        el("button", { type: "button", onclick: async () => {
          try { await api(`api/v2/silence/${silence.id}`, { method: "DELETE" }); route(); } catch (error) { showError(error); }
        } }, "Expire")]),
    ));
    main.replaceChildren(el("h1", {}, "Silences"), el("p", {}, el("a", { href: "#/silences/new" }, "New silence")),
      el("table", {}, el("thead", {}, el("tr", {}, ["State", "Matchers", "Created by", "Ends", ""].map((h) => el("th", {}, h)))), el("tbody", {}, rows)));
  },

  async routes() {
    const { routes } = await api("api/herald/routes");
    const labels = el("input", { type: "search", "aria-label": "Labels to route", placeholder: 'alertname="Disk", team="db"' });
    const result = el("div", { "aria-live": "polite" });
    const test = async () => {
      const set = {};
      for (const matcher of splitMatchers(labels.value)) {
        const parsed = parseMatcher(matcher);
        if (!parsed || parsed.isRegex || !parsed.isEqual) {
          result.replaceChildren(el("p", { class: "error" }, `not a label: ${matcher}`));
          return;
        }
        set[parsed.name] = parsed.value;
      }
      try {
        const answer = await api("api/herald/routes/test", { method: "POST", body: { labels: set } });
        const matches = answer.routes || answer;
        result.replaceChildren(el("ul", {}, matches.map((m) => el("li", {}, `${m.path || m.route}: ${m.receiver}`))));
      } catch (error) {
        result.replaceChildren(el("p", { class: "error" }, error.message));
      }
    };
    labels.addEventListener("change", test);
    main.replaceChildren(
      el("h1", {}, "Routes"),
      el("div", { class: "toolbar" }, labels, el("button", { type: "button", onclick: test }, "Test")), result,
      el("ul", { class: "tree" }, routes.map((route) => el("li", { style: false, "data-depth": route.depth },
        el("details", { open: route.depth < 2 },
          el("summary", {}, `${"· ".repeat(route.depth)}${route.receiver} `, el("span", { class: "muted" }, route.matchers.join(", ") || "(every alert)"),
            ` — ${route.activeAlerts} active`),
          el("p", { class: "muted" }, `group by ${route.groupBy.join(", ") || "nothing"} · wait ${route.groupWait} · interval ${route.groupInterval} · repeat ${route.repeatInterval}${route.continue ? " · continue" : ""} · ${route.path}`),
          el("ul", {}, (route.alerts || []).map((alert) => el("li", {}, labelChips(alert.labels)))),
          route.activeAlerts > (route.alerts || []).length ? el("p", { class: "muted" }, `and ${route.activeAlerts - route.alerts.length} more`) : "",
        )))),
    );
  },

  async history() {
    const query = fragmentQuery();
    const params = new URLSearchParams();
    for (const key of ["receiver", "group", "status"]) if (query.get(key)) params.set(key, query.get(key));
    const page = await api("api/herald/notifications?" + params);
    main.replaceChildren(el("h1", {}, "Notification history"), el("table", {},
      el("thead", {}, el("tr", {}, ["At", "Receiver", "Integration", "Attempt", "Outcome", "Status", "Error"].map((h) => el("th", {}, h)))),
      el("tbody", {}, (page.notifications || []).map((n) => el("tr", {},
        el("td", {}, new Date(n.at).toLocaleString()), el("td", {}, n.receiver), el("td", {}, n.integration),
        el("td", {}, n.attempt), el("td", { class: n.outcome === "delivered" ? "state-ok" : "state-active" }, n.outcome + (n.reason ? ` (${n.reason})` : "")),
        el("td", {}, n.status ?? ""), el("td", {}, n.error || ""))))));
  },

  async config() {
    // Newest first; each row compares with the one below it.
    const versions = (await api("api/herald/config/versions")).slice().reverse();
    const diff = el("pre", { "aria-live": "polite" });
    const picked = [];
    const compare = el("button", { type: "button", disabled: true, onclick: async () => {
      const [a, b] = [...picked].sort((x, y) => x - y);
      try { diff.textContent = await api(`api/herald/config/diff?from=${a}&to=${b}`); } catch (error) { showError(error); }
    } }, "Compare the two chosen");
    const pick = (number) => el("input", { type: "checkbox", "aria-label": `Choose version ${number}`, onchange: (event) => {
      if (event.target.checked) picked.push(number); else picked.splice(picked.indexOf(number), 1);
      while (picked.length > 2) {
        const dropped = picked.shift();
        const box = main.querySelector(`input[aria-label="Choose version ${dropped}"]`);
        if (box) box.checked = false;
      }
      compare.disabled = picked.length !== 2;
    } });
    main.replaceChildren(el("h1", {}, "Config versions"), el("p", {}, compare), el("table", {},
      el("thead", {}, el("tr", {}, ["", "Version", "At", "By", "Source", "Comment", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, (versions || []).map((v, i, all) => el("tr", {},
        el("td", {}, pick(v.number)),
        el("td", {}, v.number, v.live ? " (live)" : ""), el("td", {}, new Date(v.at).toLocaleString()), el("td", {}, v.author || ""),
        el("td", {}, v.source), el("td", {}, v.comment || ""),
        el("td", {},
          i + 1 < all.length ? el("button", { type: "button", onclick: async () => {
            try { diff.textContent = await api(`api/herald/config/diff?from=${all[i + 1].number}&to=${v.number}`); } catch (error) { showError(error); }
          } }, "Diff with previous") : "",
          " ",
          v.live ? "" : el("button", { type: "button", onclick: async () => {
            if (!confirm(`Roll back to version ${v.number}?`)) return;
            try { await api(`api/herald/config/versions/${v.number}/rollback?author=web+UI`, { method: "POST" }); route(); } catch (error) { showError(error); }
          } }, "Roll back")))))), diff);
  },

  async "silences/new"() {
    const query = fragmentQuery();
    // Editing: the silence's matchers, author, comment and what remains of it.
    const editing = query.get("id") ? await api(`api/v2/silence/${encodeURIComponent(query.get("id"))}`) : null;
    const written = editing
      ? editing.matchers.map((m) => `${m.name}${m.isEqual === false ? "!" : ""}${m.isRegex ? "=~" : "="}"${m.value.replace(/["\\]/g, "\\$&")}"`).join(", ")
      : query.getAll("filter").join(", ");
    const matchers = el("input", { type: "text", id: "matchers", "aria-describedby": "matchers-check", value: written, required: true });
    const check = el("p", { id: "matchers-check", class: "muted", "aria-live": "polite" });
    const remaining = editing ? Math.max(1, Math.round((new Date(editing.endsAt) - Date.now()) / 60e3)) : 0;
    const duration = el("input", { type: "text", id: "duration", value: editing ? `${Math.floor(remaining / 60)}h${remaining % 60}m` : "2h", "aria-label": "Duration" });
    const author = el("input", { type: "text", id: "author", value: editing ? editing.createdBy : localStorage.getItem("herald.author") || "", required: true });
    const comment = el("input", { type: "text", id: "comment", value: editing ? editing.comment : "", required: true });
    const validate = () => {
      const list = splitMatchers(matchers.value);
      const bad = list.filter((m) => !parseMatcher(m));
      check.className = bad.length || !list.length ? "error" : "muted";
      check.textContent = !list.length ? "at least one matcher" : bad.length ? `not a matcher: ${bad.join(", ")}` : `${list.length} matcher${list.length > 1 ? "s" : ""}`;
      return !bad.length && list.length > 0;
    };
    matchers.addEventListener("input", validate);
    validate();
    const form = el("form", { onsubmit: async (event) => {
      event.preventDefault();
      if (!validate()) return;
      const hours = parseDuration(duration.value);
      if (!hours) { check.className = "error"; check.textContent = "duration: like 2h or 30m"; return; }
      localStorage.setItem("herald.author", author.value);
      const now = new Date();
      try {
        await api("api/v2/silences", { method: "POST", body: {
          ...(editing ? { id: editing.id } : {}),
          matchers: splitMatchers(matchers.value).map(parseMatcher),
          startsAt: now.toISOString(), endsAt: new Date(now.getTime() + hours * 3600e3).toISOString(),
          createdBy: author.value, comment: comment.value,
        } });
        location.hash = "#/silences";
      } catch (error) { check.className = "error"; check.textContent = error.message; }
    } },
      el("p", {}, el("label", { for: "matchers" }, "Matchers"), el("br"), matchers), check,
      el("p", {}, el("label", { for: "duration" }, "Duration"), el("br"), duration),
      el("p", {}, el("label", { for: "author" }, "Created by"), el("br"), author),
      el("p", {}, el("label", { for: "comment" }, "Comment"), el("br"), comment),
      el("button", { type: "submit" }, editing ? "Update silence" : "Create silence"));
    main.replaceChildren(el("h1", {}, editing ? "Edit silence" : "New silence"), form);
    matchers.focus();
  },

  async status() {
    const status = await api("api/v2/status");
    const versions = await api("api/herald/config/versions").catch(() => []);
    const live = versions.find((v) => v.live);
    main.replaceChildren(el("h1", {}, "Status"), el("table", {}, el("tbody", {},
      el("tr", {}, el("th", {}, "Uptime since"), el("td", {}, new Date(status.uptime).toLocaleString())),
      el("tr", {}, el("th", {}, "Version"), el("td", {}, status.versionInfo && status.versionInfo.version)),
      el("tr", {}, el("th", {}, "Cluster"), el("td", {}, status.cluster && status.cluster.status, " (replicas: ", String((status.cluster && status.cluster.peers || []).length || 1), ")")),
      el("tr", {}, el("th", {}, "Config"), el("td", {}, live ? `version ${live.number}, hash ${live.hash.slice(0, 12)}` : "")),
    )), el("h2", {}, "Config"), el("pre", {}, status.config && status.config.original));
  },
};

/** A matcher (`name="value"`, `=~`, `!=`, `!~`, the value quoted or not) as the API's object, or null. */
function parseMatcher(text) {
  const match = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s,]*))\s*$/.exec(text);
  if (!match) return null;
  const value = match[3] !== undefined ? match[3].replace(/\\(.)/g, "$1") : match[4];
  const isRegex = match[2].endsWith("~");
  if (isRegex) { try { new RegExp(value); } catch { return null; } }
  return { name: match[1], value, isRegex, isEqual: !match[2].startsWith("!") };
}

/** Hours in `2h`, `30m`, `1d`, `1h30m`; 0 when not a duration. */
function parseDuration(text) {
  const match = /^\s*(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?\s*$/.exec(text);
  if (!match || !text.trim()) return 0;
  return (Number(match[1] || 0) * 24) + Number(match[2] || 0) + Number(match[3] || 0) / 60;
}

/** Matchers separated by commas outside quotes. */
function splitMatchers(text) {
  const out = [];
  let current = "", quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) { if (current.trim()) out.push(current.trim()); current = ""; continue; }
    current += c;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

async function route() {
  const path = location.hash.slice(2).split("?")[0];
  const name = path === "silences/new" ? path : (path.split("/")[0] || "alerts");
  for (const link of document.querySelectorAll("nav a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === "#/" + name);
    if (link.getAttribute("href") === "#/" + name) link.setAttribute("aria-current", "page");
  }
  const page = pages[name] || pages.alerts;
  try { await page(); } catch (error) { showError(error); }
}

document.getElementById("theme").addEventListener("click", () => {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === "dark"
    : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.dataset.theme = dark ? "light" : "dark";
  localStorage.setItem("herald.theme", document.documentElement.dataset.theme);
});
const savedTheme = localStorage.getItem("herald.theme");
if (savedTheme) document.documentElement.dataset.theme = savedTheme;
window.addEventListener("hashchange", route);
route();
