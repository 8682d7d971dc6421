// The feed: newest first by notification time, deduplicated by eventId (one event can reach a user on two
// channels, and live and from the history), priority colours and labels, icons by type, relative times,
// filters, unread counter and toasts (for live notifications only: history is not news).

const ICONS = {
  ConfigurationValidated: "\u2611", // ballot box with check
  SpecAdjustmentRecommended: "\u270E", // pencil
  SupplyConstraintRaised: "\u26A0", // warning sign
  SupplyConstraintCleared: "\u2713", // light check
};

const LABELS = {
  ConfigurationValidated: "Configuration validated",
  SpecAdjustmentRecommended: "Spec adjustment recommended",
  SupplyConstraintRaised: "Supply constraint raised",
  SupplyConstraintCleared: "Supply constraint cleared",
};

const MAX_ITEMS = 500;

/** Whether a published event can be shown as a notification: a JSON object (not null, an array, a string...). */
export function isNotification(event) {
  return typeof event === "object" && event !== null && !Array.isArray(event);
}

/** A field's value as text, "?" when the event lacks it (never "undefined"). */
function shown(value) {
  return value === undefined || value === null || value === "" ? "?" : String(value);
}

/** `count` of a plural noun, or nothing when the event lacks the count. */
function counted(count, noun) {
  return count === undefined || count === null ? "" : `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** Title, one-line detail and the labelled fields that matter for each notification type. */
export function summarize(n) {
  switch (n.type) {
    case "ConfigurationValidated":
      return [
        `${shown(n.configurationId)} \u2014 ${String(n.outcome || "?").replace(/_/g, " ")}`,
        [counted(n.violationCount, "violation"), counted(n.warningCount, "warning")].filter(Boolean).join(", "),
        [["Market", n.market], ["Model line", n.modelLine], ["Plant", n.plant], ["By", n.submittedBy]],
      ];
    case "SpecAdjustmentRecommended": {
      const change =
        n.action === "REPLACE_OPTION" ? `replace ${shown(n.fromOption)} \u2192 ${shown(n.toOption)}`
        : n.action === "ADD_OPTION" ? `add ${shown(n.toOption)}`
        : `remove ${shown(n.fromOption)}`;
      return [
        `${shown(n.configurationId)} \u2014 ${change}`,
        n.reasonCode ? `reason ${n.reasonCode}` : "",
        [["Market", n.market], ["Model line", n.modelLine], ["By", n.submittedBy]],
      ];
    }
    case "SupplyConstraintRaised":
    case "SupplyConstraintCleared":
      return [
        `${shown(n.partNumber)} at ${shown(n.plant)}`,
        `${n.type === "SupplyConstraintRaised" ? "severity" : "was"} ${shown(n.severity)}`,
        [["Plant", n.plant], ["Constraint", n.constraintId]],
      ];
    default:
      return [n.type || "notification", "", Object.entries(n).filter(([k]) => !["type", "eventId", "time", "priority"].includes(k))];
  }
}

export function relativeTime(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const s = Math.round((now - t) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleString();
}

export class Feed {
  constructor({ list, empty, unread, filterPriority, filterType, toasts, problems, onRead = () => {} }) {
    Object.assign(this, { list, empty, unread, filterPriority, filterType, toasts, problems, onRead });
    this.seen = new Map(); // eventId (or the JSON of an event without one) -> its list item
    this.unshown = new Map(); // channel -> how many of its events were not notifications
    this.unreadCount = 0;
    filterPriority.addEventListener("change", () => this.applyFilters());
    filterType.addEventListener("change", () => this.applyFilters());
    setInterval(() => this.refreshTimes(), 15000);
  }

  /**
   * Add a notification unless its eventId is in the feed already; true if added.
   * origin: "live" (just delivered), "recovered" (missed while offline) or "history" (read on sign-in).
   */
  add(n, channel, { origin = "live", unread = true, cursor = null } = {}) {
    if (!isNotification(n)) {
      this.unshowable(n, channel);
      return false;
    }
    const key = n.eventId || JSON.stringify(n);
    const known = this.seen.get(key);
    if (known) {
      if (cursor && !known.dataset.cursor) known.dataset.cursor = cursor;
      return false;
    }
    const item = document.createElement("li");
    this.seen.set(key, item);
    const priority = String(n.priority || "NORMAL").toUpperCase();
    item.className = `note priority-${priority.toLowerCase()}${unread ? " unread" : ""}`;
    item.dataset.priority = priority;
    item.dataset.type = n.type || "";
    item.dataset.eventId = n.eventId || "";
    item.dataset.origin = origin;
    item.dataset.time = n.time || "";
    if (cursor) item.dataset.cursor = cursor;
    if (n.outcome) item.dataset.outcome = n.outcome;
    item.tabIndex = 0;
    const [title, detail, fields] = summarize(n);
    const icon = document.createElement("span");
    icon.className = "icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = ICONS[n.type] || "\u2022";
    const body = document.createElement("div");
    body.className = "body";
    const head = document.createElement("div");
    head.className = "head";
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = priority;
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = LABELS[n.type] || n.type;
    const time = document.createElement("time");
    time.dateTime = n.time || "";
    time.textContent = relativeTime(n.time);
    time.title = n.time || "";
    head.append(badge, kind, time);
    const t = document.createElement("div");
    t.className = "title";
    t.textContent = title;
    const d = document.createElement("div");
    d.className = "detail";
    d.textContent = detail;
    const facts = document.createElement("dl");
    facts.className = "facts";
    for (const [label, value] of fields) {
      if (value === undefined || value === null || value === "") continue;
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = String(value);
      facts.append(dt, dd);
    }
    const via = document.createElement("div");
    via.className = "via";
    via.textContent = `via ${channel}${origin === "recovered" ? " \u2014 arrived while offline" : ""}`;
    body.append(head, t, d, facts, via);
    item.append(icon, body);
    item.addEventListener("click", () => this.markRead(item));
    item.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && this.markRead(item));
    this.place(item);
    while (this.list.children.length > MAX_ITEMS) this.forget(this.list.lastElementChild);
    this.applyFilters();
    this.renderUnread();
    if (origin === "live" && (priority === "HIGH" || priority === "URGENT")) {
      this.toast(priority, `${LABELS[n.type] || n.type}: ${title}`);
    }
    return true;
  }

  /** An event that is no notification: said on the page (counted per channel) and in the browser's console. */
  unshowable(event, channel) {
    this.unshown.set(channel, (this.unshown.get(channel) || 0) + 1);
    console.warn(`not a notification, not shown (on ${channel}):`, String(JSON.stringify(event)).slice(0, 200));
    if (!this.problems) return;
    const parts = [...this.unshown].map(([ch, n]) => `${n} on ${ch}`);
    this.problems.textContent = `Not shown, as they are not notifications: ${parts.join(", ")}.`;
    this.problems.hidden = false;
  }

  /** Newest first by notification time; among equal times the later arrival goes first. */
  place(item) {
    const time = item.dataset.time;
    let before = this.list.firstElementChild;
    while (before && before.dataset.time > time) before = before.nextElementSibling;
    this.list.insertBefore(item, before);
  }

  forget(item) {
    for (const [key, known] of this.seen) if (known === item) this.seen.delete(key);
    item.remove();
  }

  markRead(item) {
    if (!item.classList.contains("unread")) return;
    item.classList.remove("unread");
    this.renderUnread();
    if (item.dataset.eventId) this.onRead(item.dataset.eventId);
  }

  markAllRead() {
    for (const item of this.list.querySelectorAll(".unread")) item.classList.remove("unread");
    this.renderUnread();
  }

  /** eventIds of the notifications shown unread. */
  unreadIds() {
    return [...this.list.querySelectorAll(".unread")].map((item) => item.dataset.eventId).filter(Boolean);
  }

  /** Style each notification read or unread as `isUnread(item)` says (the server's read state). */
  applyReadState(isUnread) {
    for (const item of this.list.children) item.classList.toggle("unread", Boolean(isUnread(item)));
    this.renderUnread();
  }

  renderUnread() {
    this.unreadCount = this.list.querySelectorAll(".unread").length;
    this.unread.textContent = String(this.unreadCount);
    this.unread.dataset.count = String(this.unreadCount);
    this.unread.setAttribute("aria-label", `${this.unreadCount} unread notifications`);
    document.title = this.unreadCount ? `(${this.unreadCount}) Vehicle configuration notifications` : "Vehicle configuration notifications";
  }

  applyFilters() {
    const p = this.filterPriority.value;
    const t = this.filterType.value;
    let visible = 0;
    for (const item of this.list.children) {
      const show = (!p || item.dataset.priority === p) && (!t || item.dataset.type === t);
      item.hidden = !show;
      if (show) visible += 1;
    }
    this.empty.hidden = visible > 0;
  }

  refreshTimes() {
    for (const time of this.list.querySelectorAll("time")) time.textContent = relativeTime(time.dateTime);
  }

  toast(priority, text) {
    const el = document.createElement("div");
    el.className = `toast priority-${priority.toLowerCase()}`;
    el.textContent = text;
    el.title = "Click to dismiss";
    el.addEventListener("click", () => el.remove());
    this.toasts.append(el);
    while (this.toasts.children.length > 4) this.toasts.firstElementChild.remove(); // a burst must not cover the page
    setTimeout(() => el.remove(), 8000);
  }

  clear() {
    this.list.replaceChildren();
    this.seen.clear();
    this.unshown.clear();
    if (this.problems) this.problems.hidden = true;
    this.renderUnread();
    this.applyFilters();
  }
}
