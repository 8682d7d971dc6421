// Keeps the feed in step with the server's notification history: the newest notifications on sign-in and
// reload, what arrived while the console was closed or its connection was down, and the read state.
//
// Order matters, as for any client of the history: subscribe first, then read (a notification published in
// between is then either live or in the history), and read once more after the settle delay (the history only
// serves positions a couple of seconds old). The feed merges by eventId, so reading too much is harmless.
//
// The API reads oldest first, after a cursor or since N seconds ago (on the server's clock). Recent history is
// found by looking back in growing windows until a channel shows enough; the last cursor per channel is kept
// in localStorage, so a reload reads exactly what came after it. Events that arrived live and are not in the
// history yet are remembered too, so they are not counted as missed after a reload.

import { HistoryError } from "./history-api.js";

export const DEFAULT_HISTORY_TIMING = {
  settleMs: 3000, // the server's 2 s settle time plus the recorder's usual delay
  checkpointMs: 3500, // after live events go quiet, read once so the stored cursor keeps up
  retryMs: [1000, 3000, 10000, 30000], // when the history does not answer
};
const RECENT = 50; // newest notifications shown per channel on sign-in
const WINDOWS_S = [300, 3600, 86400, null]; // look back this far until a channel has RECENT (null: all kept)
const MAX_PAGES = 10;
const REMEMBERED_LIVE = 500;
const REMEMBERED_READ = 1000;
const UNREAD_PAGES = 5;

export class HistorySync {
  /**
   * @param {{api: import("./history-api.js").HistoryApi, user: string, channels: string[],
   *          feed: import("./feed.js").Feed, storage?: Storage, timing?: object,
   *          onOffline?: (count: number, reason: "away" | "reconnect", more: boolean) => void,
   *          onUnread?: (counts: {channel: string, unread: number, capped: boolean}[]) => void,
   *          onProblem?: (message: string) => void}} options
   */
  constructor({ api, user, channels, feed, storage = window.localStorage, timing = {}, onOffline = () => {},
                onUnread = () => {}, onProblem = () => {} }) {
    Object.assign(this, { api, user, channels, feed, storage, onOffline, onUnread, onProblem });
    this.timing = { ...DEFAULT_HISTORY_TIMING, ...timing };
    this.key = `vcn.history.${user}`;
    const saved = this.restore();
    this.previous = saved; // what the last visit left: read once, on load
    this.cursors = new Map(); // channel -> cursor of the newest history item seen
    this.coveredAt = new Map(); // channel -> Date.now() up to which an empty history was read
    this.live = new Set(saved.live); // eventIds delivered live and not yet seen in the history
    this.read = new Set(saved.read); // eventIds marked read from this console
    this.readUpTo = null;
    this.closed = false;
    this.episode = null; // {count, reason} while a load or a reconnect is being caught up
    this.timers = new Set();
  }

  // -- entry points ---------------------------------------------------------------------------------------
  /** Sign-in or reload, right after the subscriptions are active. */
  start() {
    // what the last visit received live, and had not seen in the history yet, was not missed
    this.episode = { count: 0, reason: "away", ids: new Set(this.previous.live) };
    this.attempt("load", () => this.load());
  }

  /** The connection dropped: whatever the history shows from now until the catch-up was missed. */
  connectionLost() {
    if (!this.episode || this.episode.reason !== "reconnect") {
      this.episode = { count: 0, reason: "reconnect", ids: new Set() };
    }
  }

  /** The connection is back and re-subscribed: read what was missed. */
  reconnected() {
    this.connectionLost();
    this.attempt("catch up", () => this.catchUpAll("recovered"), true);
  }

  /** A live notification. */
  deliver(event, channel) {
    // the feed refuses (and counts) an event that is no notification: null has no eventId to look up
    if (!this.feed.add(event, channel, { origin: "live", unread: !this.read.has(event?.eventId) })) return;
    if (event.eventId) {
      this.live.add(event.eventId);
      while (this.live.size > REMEMBERED_LIVE) this.live.delete(this.live.values().next().value);
    }
    this.later("checkpoint", this.timing.checkpointMs, () => this.checkpoint());
  }

  async markAllRead() {
    const ids = this.feed.unreadIds();
    this.feed.markAllRead();
    this.remember(ids);
    try {
      // the server keeps the furthest read position of those given; live ones without a cursor go by eventId
      for (const cursor of this.cursors.values()) await this.api.markReadUpTo(cursor);
      await this.api.markRead(ids);
    } catch (err) {
      this.problem("Mark all read could not be saved", err);
    }
    await this.refreshUnread().catch((err) => this.problem("Unread counts could not be loaded", err));
  }

  async markRead(eventId) {
    this.remember([eventId]);
    try {
      await this.api.markRead([eventId]);
    } catch (err) {
      this.problem("Marking it read could not be saved", err);
    }
    this.later("unread", 300, () => this.refreshUnread());
  }

  close() {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer.id);
    this.timers.clear();
  }

  // -- reading -------------------------------------------------------------------------------------------
  /** Returns what the analyst should know once it is done ("" for nothing). */
  async load() {
    const at = Date.now();
    const notes = await Promise.all(this.channels.map((channel) => this.loadChannel(channel)));
    this.report();
    this.save();
    await this.refreshUnread();
    this.later("settle", this.timing.settleMs - (Date.now() - at), () => this.settleRead());
    return notes.filter(Boolean).join(" ");
  }

  async loadChannel(channel) {
    const before = { cursor: this.previous.cursors[channel], coveredAt: this.previous.coveredAt[channel] };
    const recent = await this.recent(channel);
    for (const item of recent) this.add(item, "history");
    if (!before.cursor && !before.coveredAt) return ""; // first visit on this device: nothing to count as missed
    const query = before.cursor ? { after: before.cursor } : { sinceSeconds: (Date.now() - before.coveredAt) / 1000 + 1 };
    let read;
    try {
      read = await this.readAll(channel, query, Infinity, MAX_PAGES);
    } catch (err) {
      if (!(err instanceof HistoryError) || !err.fields.some((field) => field in query)) throw err;
      // A saved position the service refuses (edited by hand, or written by another version) would fail
      // every reload: the recent history read above stands in, and saving replaces the position.
      return `The saved history position of ${channel} was refused (${err.message}); its recent history is shown, without counting what arrived while you were away.`;
    }
    const { items, complete, last } = read;
    for (const item of items) {
      this.count(item);
      this.add(item, "history");
    }
    if (!complete && this.episode) this.episode.more = true;
    else if (last) this.cursors.set(channel, last.cursor); // everything up to the newest was read
    return "";
  }

  /** The newest RECENT of a channel: look back in growing windows (the API reads oldest first). A window
   * too busy to read to its end leaves the narrower one's answer, which does reach the newest. */
  async recent(channel) {
    let found = null;
    for (const window of WINDOWS_S) {
      const started = Date.now();
      const read = await this.readAll(channel, window ? { sinceSeconds: window } : {}, RECENT, MAX_PAGES);
      if (!read.complete && found) break;
      found = { ...read, started };
      if (read.items.length >= RECENT || !read.complete) break;
    }
    if (found.last) this.cursors.set(channel, found.last.cursor);
    else this.coveredAt.set(channel, found.started - 2000); // nothing kept at all: since when it was empty
    return found.items;
  }

  /** Pages from `query` on, up to `maxPages`: the last `keep` items, whether the end was reached, the last. */
  async readAll(channel, query, keep = Infinity, maxPages = Infinity) {
    const items = [];
    let last = null;
    let next = query;
    for (let pages = 0; pages < maxPages; pages += 1) {
      const page = await this.api.page(channel, next);
      for (const item of page.items) {
        this.live.delete(item.eventId); // the history has it now
        items.push(item);
        if (items.length > keep) items.shift();
        last = item;
      }
      if (!page.nextCursor) return { items, complete: true, last };
      next = { after: page.nextCursor };
    }
    return { items, complete: false, last };
  }

  async catchUpAll(origin) {
    const at = Date.now();
    await Promise.all(this.channels.map((channel) => this.catchUp(channel, origin)));
    this.report();
    this.save();
    if (origin === "recovered") {
      this.later("settle", this.timing.settleMs - (Date.now() - at), () => this.settleRead());
    }
    await this.refreshUnread();
  }

  /** Everything after the channel's cursor (or since its history was found empty). */
  async catchUp(channel, origin) {
    const started = Date.now();
    const cursor = this.cursors.get(channel);
    const covered = this.coveredAt.get(channel);
    const query = cursor ? { after: cursor } : covered ? { sinceSeconds: (Date.now() - covered) / 1000 + 1 } : {};
    const { items, last } = await this.readAll(channel, query);
    const missed = this.episode && this.episode.reason === "reconnect" ? "recovered" : origin;
    for (const item of items) {
      if (this.add(item, missed)) this.count(item);
    }
    if (last) this.cursors.set(channel, last.cursor);
    else if (!cursor) this.coveredAt.set(channel, Math.max(covered || 0, started - 2000));
  }

  async settleRead() {
    const episode = this.episode;
    await this.attempt("settle", () => this.catchUpAll("history"));
    if (this.episode === episode) this.episode = null; // that load or reconnect is caught up
  }

  async checkpoint() {
    await this.catchUpAll("history").catch((err) => this.problem("The history could not be read", err));
  }

  // -- read state ----------------------------------------------------------------------------------------
  async refreshUnread() {
    const counts = await Promise.all(this.channels.map((channel) => this.api.unreadCount(channel)));
    this.readUpTo = counts.find((c) => c.readUpTo)?.readUpTo || null;
    this.onUnread(counts);
    const unread = new Set();
    let everythingAfter = null; // a time: items at least this new are unread (more than we read)
    if (this.readUpTo) {
      for (const count of counts.filter((c) => c.unread > 0)) {
        const { items, complete } = await this.api.pages(count.channel, { after: this.readUpTo }, UNREAD_PAGES);
        for (const item of items) unread.add(item.eventId);
        if (!complete && items.length) everythingAfter = items[items.length - 1].time;
      }
    }
    this.feed.applyReadState((item) => {
      const id = item.dataset.eventId;
      if (this.read.has(id)) return false;
      if (!this.readUpTo || item.dataset.origin === "live") return true;
      return unread.has(id) || (everythingAfter !== null && item.dataset.time >= everythingAfter);
    });
  }

  // -- helpers -------------------------------------------------------------------------------------------
  add(item, origin) {
    const { channel, cursor, ...notification } = item;
    return this.feed.add(notification, channel, { origin, cursor, unread: !this.read.has(item.eventId) });
  }

  count(item) {
    const episode = this.episode;
    if (!episode || episode.ids.has(item.eventId)) return;
    episode.ids.add(item.eventId); // one notification on two channels is one notification, and counted once
    episode.count += 1;
  }

  report() {
    const episode = this.episode;
    if (episode && episode.count) this.onOffline(episode.count, episode.reason, Boolean(episode.more));
  }

  remember(ids) {
    for (const id of ids) this.read.add(id);
    while (this.read.size > REMEMBERED_READ) this.read.delete(this.read.values().next().value);
    this.save();
  }

  /** Run `work` now, retrying with backoff while the history does not answer; what it returns is shown. */
  async attempt(what, work, first = false, tries = 0) {
    if (this.closed) return;
    try {
      this.onProblem((await work()) || "");
    } catch (err) {
      const retry = this.timing.retryMs[tries];
      const transient = !(err instanceof HistoryError) || err.transient;
      if (!transient || retry === undefined || this.closed) {
        this.problem(`The history could not be read (${what})`, err);
        return;
      }
      this.onProblem(`History unavailable (${err.message}); live notifications still arrive. Retrying in ${Math.round(retry / 1000)} s.`);
      await new Promise((resolve) => this.later(`retry-${what}`, retry, resolve));
      await this.attempt(what, work, first, tries + 1);
    }
  }

  /** Run `work` in `ms`, replacing what was scheduled under the same name. */
  later(name, ms, work) {
    for (const timer of [...this.timers].filter((t) => t.name === name)) {
      clearTimeout(timer.id);
      this.timers.delete(timer);
    }
    const entry = { name };
    entry.id = setTimeout(() => {
      this.timers.delete(entry);
      if (!this.closed) Promise.resolve(work()).catch((err) => this.problem("The history could not be read", err));
    }, Math.max(0, ms));
    this.timers.add(entry);
  }

  problem(message, err) {
    this.onProblem(`${message}: ${err && err.message ? err.message : err}`);
  }

  restore() {
    try {
      const saved = JSON.parse(this.storage.getItem(this.key) || "{}");
      return { cursors: saved.cursors || {}, coveredAt: saved.coveredAt || {}, live: saved.live || [], read: saved.read || [] };
    } catch {
      return { cursors: {}, coveredAt: {}, live: [], read: [] };
    }
  }

  save() {
    const document = {
      cursors: Object.fromEntries(this.cursors),
      coveredAt: Object.fromEntries(this.coveredAt),
      live: [...this.live],
      read: [...this.read],
    };
    // channels this console does not follow now keep what an earlier visit saved
    const saved = this.restore();
    document.cursors = { ...saved.cursors, ...document.cursors };
    document.coveredAt = { ...saved.coveredAt, ...document.coveredAt };
    for (const channel of Object.keys(document.cursors)) delete document.coveredAt[channel];
    try {
      this.storage.setItem(this.key, JSON.stringify(document));
    } catch {
      // storage full or disabled: the next visit reads the recent history without a missed count
    }
  }
}
