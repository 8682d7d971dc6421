// The analyst console: sign in (demo analyst, pasted token or ?token=), subscribe to what the token grants,
// show the live feed, and submit configurations for validation.

import { EventsConnection } from "./events-client.js";
import { channelsFor, decodeClaims } from "./grants.js";
import { Feed } from "./feed.js";

const $ = (id) => document.getElementById(id);
const STATUS_TEXT = {
  offline: "Offline",
  connecting: "Connecting\u2026",
  connected: "Connected",
  reconnecting: "Reconnecting\u2026",
  unauthorized: "Not authorized",
};

let config;
let connection = null;
let token = null;
let feed;

function setStatus(state, detail) {
  const el = $("connection-status");
  el.dataset.state = state;
  el.className = `status status-${state}`;
  el.textContent = STATUS_TEXT[state] || state;
  el.title = detail || "";
}

function showError(message) {
  const el = $("sign-in-error");
  el.textContent = message;
  el.hidden = !message;
}

function apiUrl(path) {
  return new URL(path.replace(/^\//, ""), config.api.endsWith("/") ? config.api : `${config.api}/`).toString();
}

async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status}).`);
  return response.json();
}

async function loadAnalysts() {
  if (config.identity !== "local") return;
  const response = await fetch(apiUrl("/dev/analysts"));
  if (!response.ok) return;
  const analysts = await response.json();
  const list = $("analyst-list");
  list.replaceChildren();
  for (const analyst of analysts) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.user = analyst.id;
    button.textContent = `${analyst.name} \u2014 markets ${(analyst.markets || []).join(", ") || "none"}, plants ${(analyst.plants || []).join(", ") || "none"}`;
    button.addEventListener("click", () => signInAs(analyst.id));
    li.append(button);
    list.append(li);
  }
  $("demo-analysts").hidden = false;
}

async function signInAs(user) {
  const response = await fetch(apiUrl("/dev/token"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user }),
  });
  if (!response.ok) return showError(`The local identity provider refused ${user} (HTTP ${response.status}).`);
  signIn((await response.json()).token);
}

function signIn(newToken) {
  let claims;
  try {
    claims = decodeClaims(newToken.trim().replace(/^Bearer\s+/i, ""));
  } catch (err) {
    showError(err.message);
    return;
  }
  showError("");
  token = newToken.trim().replace(/^Bearer\s+/i, "");
  sessionStorage.setItem("vcn.token", token);
  $("sign-in").hidden = true;
  $("workspace").hidden = false;
  $("who").hidden = false;
  $("who").textContent = claims.name ? `${claims.name} (${claims.sub})` : claims.sub;
  $("sign-out").hidden = false;
  const channels = channelsFor(claims);
  $("subscriptions").textContent = `Subscribed to ${channels.join(", ")}`;
  feed.clear();
  connection = new EventsConnection({
    httpUrl: config.appsync.http,
    realtimeUrl: config.appsync.realtime,
    token,
    onStatus: setStatus,
    onError: (message) => feed.toast("HIGH", message),
  });
  for (const channel of channels) connection.subscribe(channel, (event, ch) => feed.add(event, ch));
  connection.connect();
}

function signOut() {
  if (connection) connection.close();
  connection = null;
  token = null;
  sessionStorage.removeItem("vcn.token");
  $("workspace").hidden = true;
  $("sign-in").hidden = false;
  $("who").hidden = true;
  $("sign-out").hidden = true;
  setStatus("offline");
}

async function submitConfiguration(event) {
  event.preventDefault();
  const form = event.target;
  const data = Object.fromEntries(new FormData(form).entries());
  data.options = String(data.options || "").split(",").map((o) => o.trim()).filter(Boolean);
  const out = $("submit-result");
  out.textContent = "Validating\u2026";
  let response;
  try {
    response = await fetch(apiUrl("/configurations/validate"), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(data),
    });
  } catch (err) {
    out.textContent = `The configuration API could not be reached: ${err.message}`;
    return;
  }
  const body = await response.json().catch(() => ({}));
  out.replaceChildren();
  if (!response.ok) {
    out.className = "submit-result error";
    out.textContent = `Rejected (HTTP ${response.status}): ${body.message || JSON.stringify(body)}`;
    return;
  }
  out.className = `submit-result outcome-${String(body.outcome || "").toLowerCase()}`;
  const head = document.createElement("p");
  head.className = "outcome";
  head.textContent = `${body.configurationId || data.configurationId}: ${body.outcome}`;
  out.append(head);
  for (const [label, items] of [["Violations", body.violations], ["Warnings", body.warnings], ["Recommendations", body.recommendations]]) {
    if (!items || !items.length) continue;
    const h = document.createElement("h3");
    h.textContent = label;
    const ul = document.createElement("ul");
    for (const item of items) {
      const li = document.createElement("li");
      li.textContent = item.message || [item.code, item.action, item.fromOption, item.toOption, item.reasonCode].filter(Boolean).join(" ");
      ul.append(li);
    }
    out.append(h, ul);
  }
}

async function main() {
  feed = new Feed({
    list: $("feed"),
    empty: $("feed-empty"),
    unread: $("unread"),
    filterPriority: $("filter-priority"),
    filterType: $("filter-type"),
    toasts: $("toasts"),
  });
  $("mark-read").addEventListener("click", () => feed.markAllRead());
  $("sign-out").addEventListener("click", signOut);
  $("submit-form").addEventListener("submit", submitConfiguration);
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn($("token-input").value);
  });
  try {
    config = await loadConfig();
  } catch (err) {
    showError(err.message);
    return;
  }
  await loadAnalysts().catch(() => {});
  const fromUrl = new URLSearchParams(location.search).get("token");
  if (fromUrl) {
    history.replaceState(null, "", location.pathname); // keep the token out of the address bar and history
    signIn(fromUrl);
  } else if (sessionStorage.getItem("vcn.token")) {
    signIn(sessionStorage.getItem("vcn.token"));
  }
}

main();
