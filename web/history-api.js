// The notification history HTTP API (same origin as the configuration API, bearer token):
//   GET  /notifications?channel=&after=&limit=&sinceSeconds=  -> {items: [...oldest first, each with cursor], nextCursor}
//   GET  /notifications/unread-count?channel=                 -> {channel, unread, capped, readUpTo}
//   POST /notifications/read  {eventIds: [...]} | {upTo: cursor} -> {marked, readUpTo}

export const MAX_PAGE = 100;
export const MAX_MARK = 100; // eventIds per POST /notifications/read

export class HistoryError extends Error {
  constructor(status, message, fields = []) {
    super(message);
    this.status = status; // 0: no answer
    this.fields = fields; // the request's parameters the service named as wrong (a 400's field errors)
  }

  /** Asking again may work (no answer, throttled, the service's own trouble); a 4xx means the request is wrong. */
  get transient() {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** The service's refusal: its message, then each field it names and what is wrong with it
 * ("Invalid request: fix after: after is not a cursor ..."), as the Python client words it. */
function refusal(status, answer) {
  const errors = (Array.isArray(answer.errors) ? answer.errors : []).filter((e) => e && typeof e === "object");
  const message = answer.message || `HTTP ${status}`;
  const detail = errors.map((e) => `${e.field} ${e.message}`).join("; ");
  return new HistoryError(status, detail ? `${message}: ${detail}` : message, errors.map((e) => e.field));
}

export class HistoryApi {
  /** @param {{url: (path: string) => string, token: string}} options */
  constructor({ url, token }) {
    this.url = url;
    this.token = token;
  }

  async request(method, path, body) {
    let response;
    try {
      response = await fetch(this.url(path), {
        method,
        cache: "no-store",
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new HistoryError(0, `the history could not be reached (${err.message})`);
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw refusal(response.status, answer);
    return answer;
  }

  /** One page, oldest first: {items, nextCursor}. */
  page(channel, { after = null, sinceSeconds = null, limit = MAX_PAGE } = {}) {
    const query = new URLSearchParams({ channel, limit: String(limit) });
    if (after) query.set("after", after);
    if (sinceSeconds) query.set("sinceSeconds", String(Math.max(1, Math.ceil(sinceSeconds))));
    return this.request("GET", `/notifications?${query}`);
  }

  /** Every page from the query on, up to `maxPages`: {items, complete}. */
  async pages(channel, query = {}, maxPages = 20) {
    const items = [];
    let next = { ...query };
    for (let n = 0; n < maxPages; n += 1) {
      const page = await this.page(channel, next);
      items.push(...page.items);
      if (!page.nextCursor) return { items, complete: true };
      next = { after: page.nextCursor };
    }
    return { items, complete: false };
  }

  unreadCount(channel) {
    return this.request("GET", `/notifications/unread-count?${new URLSearchParams({ channel })}`);
  }

  markReadUpTo(cursor) {
    return this.request("POST", "/notifications/read", { upTo: cursor });
  }

  async markRead(eventIds) {
    for (let first = 0; first < eventIds.length; first += MAX_MARK) {
      await this.request("POST", "/notifications/read", { eventIds: eventIds.slice(first, first + MAX_MARK) });
    }
  }
}
