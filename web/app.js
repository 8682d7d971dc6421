// The analyst console: sign in (demo analyst, pasted token or ?token=), subscribe to what the token grants,
// show the feed (recent history, then live; what arrived while offline), keep the read state on the server,
// and submit configurations for validation.

import { EventsConnection } from "./events-client.js";
import { channelsFor, decodeClaims, grantList } from "./grants.js";
import { Feed } from "./feed.js";
import { HistoryApi } from "./history-api.js";
import { HistorySync } from "./history-sync.js";
import { SubmitForm, newConfigurationId } from "./submit-form.js";

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
let submitForm = null;
let historySync = null;
let wasConnected = false;

function setStatus(state, detail) {
  if (state === "connected" && historySync) {
    // subscriptions are active: now the history can be read without a gap
    if (!wasConnected) historySync.start();
    else if ($("connection-status").dataset.state !== "connected") historySync.reconnected();
    wasConnected = true;
  } else if (state === "reconnecting" && historySync && wasConnected) {
    historySync.connectionLost();
  }
  const el = $("connection-status");
  el.dataset.state = state;
  el.className = `status status-${state}`;
  el.textContent = STATUS_TEXT[state] || state;
  el.title = detail || "";
  const expiredAt = state === "unauthorized" ? tokenExpiry() : null;
  if (expiredAt !== null && expiredAt <= Date.now()) {
    // The connection dropped and the token it reconnects with has expired since sign-in: say what to do.
    el.textContent = "Sign-in expired";
    el.title = `Your sign-in expired at ${new Date(expiredAt).toLocaleTimeString()}; sign out and sign in again.`;
    feed.toast("URGENT", `${el.title} Live notifications have stopped.`);
  }
}

/** When the signed-in token expires (ms since the epoch), or null: none, or no expiry. */
function tokenExpiry() {
  try {
    const exp = token ? decodeClaims(token, { allowExpired: true }).exp : undefined;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}

function showOffline(count, reason, more) {
  const el = $("offline-note");
  const many = `${count}${more ? "+" : ""} notification${count === 1 && !more ? "" : "s"}`;
  el.textContent = reason === "reconnect"
    ? `${many} arrived while the connection was down.`
    : `${many} arrived while you were away.`;
  el.dataset.count = String(count);
  el.dataset.reason = reason;
  el.hidden = false;
}

function showHistoryProblem(message) {
  const el = $("history-status");
  el.textContent = message;
  el.hidden = !message;
}

function showServerUnread(counts) {
  const el = $("server-unread");
  el.replaceChildren();
  for (const count of counts) {
    const chip = document.createElement("span");
    chip.className = "channel-unread";
    chip.dataset.channel = count.channel;
    chip.dataset.unread = String(count.unread);
    chip.textContent = `${count.channel}: ${count.unread}${count.capped ? "+" : ""} unread`;
    el.append(chip);
  }
  el.hidden = !counts.length;
}

function showError(message) {
  const el = $("sign-in-error");
  el.textContent = message;
  el.hidden = !message;
}

function apiUrl(path) {
  return new URL(path.replace(/^\//, ""), config.api.endsWith("/") ? config.api : `${config.api}/`).toString();
}

async function fetchJson(url, what) {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${what} could not be loaded (HTTP ${response.status}).`);
  return response.json();
}

async function loadAnalysts() {
  if (config.identity !== "local") return;
  const analysts = await fetchJson(apiUrl("/dev/users"), "The demo analysts");
  const list = $("analyst-list");
  list.replaceChildren();
  const grants = (values) => (values || []).join(", ") || "none";
  for (const analyst of analysts) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.user = analyst.id;
    button.textContent = `${analyst.name} \u2014 markets ${grants(analyst.markets)}, plants ${grants(analyst.plants)}`;
    button.addEventListener("click", () => signInAs(analyst.id));
    li.append(button);
    list.append(li);
  }
  $("demo-analysts").hidden = false;
}

async function signInAs(user) {
  let response;
  try {
    response = await fetch(apiUrl("/dev/token"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user }),
    });
  } catch (err) {
    return showError(`The local identity provider could not be reached (${err.message}); is vcn local up running?`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return showError(body.message || `The local identity provider refused ${user} (HTTP ${response.status}).`);
  signIn(body.token);
}

function signIn(newToken) {
  const bare = String(newToken || "").trim().replace(/^Bearer\s+/i, "");
  let claims;
  try {
    claims = decodeClaims(bare);
  } catch (err) {
    showError(`${err.message} Paste the whole token (three parts separated by dots).`);
    return;
  }
  showError("");
  if (connection) connection.close();
  if (historySync) historySync.close();
  token = bare;
  sessionStorage.setItem("vcn.token", token);
  $("sign-in").hidden = true;
  $("workspace").hidden = false;
  $("who").hidden = false;
  $("who").textContent = claims.name ? `${claims.name} (${claims.sub})` : claims.sub;
  $("sign-out").hidden = false;
  const channels = channelsFor(claims);
  $("subscriptions").textContent = `Subscribed to ${channels.join(", ")}`;
  feed.clear();
  $("offline-note").hidden = true;
  showHistoryProblem("");
  showServerUnread([]);
  historySync = new HistorySync({
    api: new HistoryApi({ url: apiUrl, token }),
    user: claims.sub,
    channels,
    feed,
    timing: (window.vcnConsoleTiming || {}).history || {},
    onOffline: showOffline,
    onUnread: showServerUnread,
    onProblem: showHistoryProblem,
  });
  wasConnected = false;
  const out = $("submit-result");
  out.replaceChildren();
  out.className = "submit-result";
  if (submitForm) {
    const problem = submitForm.setGrants(grantList(claims.markets));
    if (problem) out.textContent = problem;
  }
  connection = new EventsConnection({
    httpUrl: config.appsync.http,
    realtimeUrl: config.appsync.realtime,
    token,
    timing: window.vcnConsoleTiming || {}, // embedding pages and tests may shorten the timers
    onStatus: setStatus,
    onError: (message) => feed.toast("HIGH", message),
  });
  for (const channel of channels) connection.subscribe(channel, (event, ch) => historySync.deliver(event, ch));
  connection.connect();
  $("feed-title").focus();
}

function signOut() {
  if (connection) connection.close();
  connection = null;
  if (historySync) historySync.close();
  historySync = null;
  $("offline-note").hidden = true;
  showHistoryProblem("");
  showServerUnread([]);
  token = null;
  sessionStorage.removeItem("vcn.token");
  feed.clear();
  $("workspace").hidden = true;
  $("sign-in").hidden = false;
  $("who").hidden = true;
  $("sign-out").hidden = true;
  setStatus("offline");
}

function findingList(label, items, describe) {
  const fragment = document.createDocumentFragment();
  if (!items || !items.length) return fragment;
  const h = document.createElement("h3");
  h.textContent = `${label} (${items.length})`;
  const ul = document.createElement("ul");
  ul.className = label.toLowerCase();
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = describe(item);
    ul.append(li);
  }
  fragment.append(h, ul);
  return fragment;
}

function recommendationText(r) {
  const change =
    r.action === "REPLACE_OPTION" ? `Replace ${r.fromOption} with ${r.toOption}`
    : r.action === "ADD_OPTION" ? `Add ${r.toOption}`
    : `Remove ${r.fromOption}`;
  return `${change} (${r.reasonCode})`;
}

async function submitConfiguration(event) {
  event.preventDefault();
  const out = $("submit-result");
  out.className = "submit-result";
  const problem = submitForm.problem();
  if (problem) {
    out.className = "submit-result error";
    out.textContent = problem;
    return;
  }
  const body = submitForm.body();
  out.textContent = "Validating\u2026";
  let response;
  try {
    response = await fetch(apiUrl("/configurations/validate"), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  } catch (err) {
    out.className = "submit-result error";
    out.textContent = `The configuration API could not be reached (${err.message}); try again.`;
    return;
  }
  const result = await response.json().catch(() => ({}));
  out.replaceChildren();
  if (!response.ok) {
    out.className = "submit-result error";
    const hint = response.status === 401 ? " Your token was refused; sign out and sign in again." : "";
    const head = document.createElement("p");
    head.textContent = `Rejected (HTTP ${response.status}): ${result.message || "no reason given"}.${hint}`;
    out.append(head, findingList("Errors", result.errors, (e) => `${e.field} ${e.message}`));
    return;
  }
  out.className = `submit-result outcome-${String(result.outcome || "").toLowerCase()}`;
  out.dataset.outcome = result.outcome || "";
  const head = document.createElement("p");
  head.className = "outcome";
  head.textContent = `${result.configurationId}: ${String(result.outcome || "").replace(/_/g, " ")}`;
  const note = document.createElement("p");
  note.className = "hint";
  note.textContent = "Its notifications arrive in the live feed.";
  out.append(
    head,
    findingList("Violations", result.violations, (f) => `${f.message} (${f.code})`),
    findingList("Warnings", result.warnings, (f) => `${f.message} (${f.code})`),
    findingList("Recommendations", result.recommendations, recommendationText),
    note,
  );
  // the next submission is a new configuration unless the analyst edits the id again
  const el = $("submit-form").elements;
  el.configurationId.value = newConfigurationId(body.market, body.modelLine);
}

async function main() {
  feed = new Feed({
    list: $("feed"),
    empty: $("feed-empty"),
    unread: $("unread"),
    filterPriority: $("filter-priority"),
    filterType: $("filter-type"),
    toasts: $("toasts"),
    problems: $("feed-problems"),
    onRead: (eventId) => historySync && historySync.markRead(eventId),
  });
  $("mark-read").addEventListener("click", () => (historySync ? historySync.markAllRead() : feed.markAllRead()));
  $("offline-note").addEventListener("click", () => ($("offline-note").hidden = true));
  $("sign-out").addEventListener("click", signOut);
  $("submit-form").addEventListener("submit", submitConfiguration);
  $("reset-preset").addEventListener("click", () => submitForm && submitForm.applyPreset($("submit-form").elements.market.value));
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    signIn($("token-input").value);
  });
  try {
    config = await fetchJson("config.json", "config.json");
  } catch (err) {
    showError(`${err.message} The console needs it beside index.html.`);
    return;
  }
  try {
    submitForm = new SubmitForm($("submit-form"), await fetchJson("catalog.json", "The catalog"));
  } catch (err) {
    $("submit-result").textContent = err.message;
  }
  await loadAnalysts().catch((err) => showError(err.message));
  const fromUrl = new URLSearchParams(location.search).get("token");
  if (fromUrl) {
    history.replaceState(null, "", location.pathname); // keep the token out of the address bar and history
    signIn(fromUrl);
  } else if (sessionStorage.getItem("vcn.token")) {
    signIn(sessionStorage.getItem("vcn.token"));
  }
  document.body.dataset.ready = "true";
}

main();
