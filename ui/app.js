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
    const body = text ? JSON.parse(text) : null;
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
    main.replaceChildren(el("h1", {}, "Groups"), ...groups.map((group) => {
      const acked = group.acknowledgement;
      const toggle = el("button", { type: "button", onclick: async () => {
        try {
          if (acked) await api(`api/herald/groups/${group.id}/ack`, { method: "DELETE" });
          else await api(`api/herald/groups/${group.id}/ack`, { method: "POST", body: { by: "web UI", duration: "1h" } });
          route();
        } catch (error) { showError(error); }
      } }, acked ? "Withdraw acknowledgement" : "Acknowledge for 1h");
      return el("div", { class: "card" },
        el("h3", {}, group.receiver, " · ", Object.entries(group.labels || {}).map(([k, v]) => `${k}="${v}"`).join(", ")),
        el("p", { class: "muted" }, `${(group.alerts || []).length} alert(s)`, acked ? ` · acknowledged by ${acked.by}` : ""),
        toggle);
    }));
  },

  async silences() {
    const silences = await api("api/v2/silences");
    const rows = silences.map((silence) => el("tr", {},
      el("td", {}, el("span", { class: silence.status.state === "active" ? "state-active" : "muted" }, silence.status.state)),
      el("td", {}, silence.matchers.map((m) => `${m.name}${m.isEqual === false ? "!" : ""}${m.isRegex ? "=~" : "="}"${m.value}"`).join(", ")),
      el("td", {}, silence.createdBy, el("br"), el("span", { class: "muted" }, silence.comment)),
      el("td", {}, new Date(silence.endsAt).toLocaleString()),
      el("td", {}, silence.status.state === "expired" ? "" : el("button", { type: "button", onclick: async () => {
        try { await api(`api/v2/silence/${silence.id}`, { method: "DELETE" }); route(); } catch (error) { showError(error); }
      } }, "Expire")),
    ));
    main.replaceChildren(el("h1", {}, "Silences"), el("p", {}, el("a", { href: "#/silences/new" }, "New silence")),
      el("table", {}, el("thead", {}, el("tr", {}, ["State", "Matchers", "Created by", "Ends", ""].map((h) => el("th", {}, h)))), el("tbody", {}, rows)));
  },

  async status() {
    const status = await api("api/v2/status");
    main.replaceChildren(el("h1", {}, "Status"), el("table", {}, el("tbody", {},
      el("tr", {}, el("th", {}, "Uptime since"), el("td", {}, new Date(status.uptime).toLocaleString())),
      el("tr", {}, el("th", {}, "Version"), el("td", {}, status.versionInfo && status.versionInfo.version)),
      el("tr", {}, el("th", {}, "Cluster"), el("td", {}, status.cluster && status.cluster.status)),
    )), el("h2", {}, "Config"), el("pre", {}, status.config && status.config.original));
  },
};

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
  const name = (location.hash.slice(2).split(/[/?]/)[0]) || "alerts";
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
