// AppSync Events over the browser's WebSocket: connect with a bearer token, subscribe, keep-alive watchdog,
// reconnect with backoff and re-subscribe. The same protocol as the Python client (vcn.client).

const SUBPROTOCOL = "aws-appsync-event-ws";

export const DEFAULT_TIMING = {
  reconnectBaseMs: 500, // first retry after 0.25..0.5 s, doubling per attempt
  reconnectMaxMs: 15000, // analysts should not wait more than this after the service is back
  connectTimeoutMs: 10000, // no connection_ack within this: the attempt is abandoned and retried
  keepAliveMs: null, // null: the server's connectionTimeoutMs from connection_ack (AWS: 300000)
};

function base64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

function reasons(frame) {
  return (frame.errors || []).map((e) => [e.errorType, e.message].filter(Boolean).join(": ")).join("; ");
}

/**
 * States reported through onStatus: "connecting", "connected" (acknowledged and every subscription answered),
 * "reconnecting" (lost; a retry is scheduled or running), "unauthorized" (token refused: no retry), "offline".
 */
export class EventsConnection {
  /**
   * @param {{httpUrl: string, realtimeUrl: string, token: string, timing?: object,
   *          onStatus?: (state: string, detail?: string) => void,
   *          onError?: (message: string) => void}} options
   */
  constructor({ httpUrl, realtimeUrl, token, timing = {}, onStatus = () => {}, onError = () => {} }) {
    this.host = new URL(httpUrl).host;
    this.realtimeUrl = realtimeUrl;
    this.token = token;
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.onStatus = onStatus;
    this.onError = onError;
    this.subscriptions = new Map(); // id -> {channel, onEvent, state: "pending" | "active"}
    this.socket = null;
    this.closed = false;
    this.everConnected = false;
    this.attempt = 0;
    this.keepAliveMs = this.timing.keepAliveMs || 300000;
    this.watchdog = null;
    this.retryTimer = null;
    this.onOnline = () => this.retryNow();
    window.addEventListener("online", this.onOnline);
  }

  get authorization() {
    return { Authorization: this.token, host: this.host };
  }

  connect() {
    this.closed = false;
    this.retryTimer = null;
    this.report(this.everConnected ? "reconnecting" : "connecting", `attempt ${this.attempt + 1}`);
    let socket;
    try {
      socket = new WebSocket(this.realtimeUrl, [SUBPROTOCOL, `header-${base64Url(JSON.stringify(this.authorization))}`]);
    } catch (err) {
      this.scheduleReconnect(String(err));
      return;
    }
    this.socket = socket;
    this.acked = false;
    // a handshake that hangs (a frozen server) must not leave the console waiting forever
    this.armWatchdog(this.timing.connectTimeoutMs, "no connection_ack");
    socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
    socket.addEventListener("message", (msg) => {
      if (this.socket === socket) this.handleFrame(msg.data);
    });
    socket.addEventListener("close", (e) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopWatchdog();
      for (const sub of this.subscriptions.values()) sub.state = "pending";
      if (!this.closed) this.scheduleReconnect(`connection closed (code ${e.code})`);
    });
  }

  handleFrame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    // any frame proves the connection alive; AWS sends "ka" every minute even when there is no traffic
    if (this.acked) this.armWatchdog(this.keepAliveMs, "keep-alive missed");
    switch (frame.type) {
      case "connection_ack":
        this.keepAliveMs = this.timing.keepAliveMs || frame.connectionTimeoutMs || this.keepAliveMs;
        this.attempt = 0;
        this.acked = true;
        this.everConnected = true;
        this.armWatchdog(this.keepAliveMs, "keep-alive missed");
        for (const [id, sub] of this.subscriptions) this.sendSubscribe(id, sub);
        this.reportSubscriptions();
        break;
      case "data": {
        const sub = this.subscriptions.get(frame.id);
        if (!sub) return;
        let event = frame.event;
        try {
          event = typeof event === "string" ? JSON.parse(event) : event;
        } catch {
          event = { type: "unreadable", text: String(frame.event) };
        }
        sub.onEvent(event, sub.channel);
        break;
      }
      case "subscribe_success": {
        const sub = this.subscriptions.get(frame.id);
        if (sub) sub.state = "active";
        this.reportSubscriptions();
        break;
      }
      case "subscribe_error": {
        const sub = this.subscriptions.get(frame.id);
        this.onError(`Subscription to ${sub ? sub.channel : frame.id} refused (${reasons(frame) || "no reason given"})`);
        this.subscriptions.delete(frame.id); // refused for this token: retrying it would be refused again
        this.reportSubscriptions();
        break;
      }
      case "connection_error": {
        const reason = reasons(frame) || "no reason given";
        this.onError(`Connection refused: ${reason}. Sign in again.`);
        this.closed = true; // a rejected token does not get better by retrying
        this.stopWatchdog();
        this.report("unauthorized", reason);
        if (this.socket) this.socket.close();
        break;
      }
      case "error":
        this.onError(reasons(frame) || "The events service reported an error");
        break;
      default:
        break;
    }
  }

  reportSubscriptions() {
    const pending = [...this.subscriptions.values()].filter((s) => s.state !== "active").length;
    if (pending) this.report("connecting", `subscribing (${pending} pending)`);
    else this.report("connected", `${this.subscriptions.size} subscriptions`);
  }

  report(state, detail) {
    this.state = state;
    this.onStatus(state, detail);
  }

  armWatchdog(ms, reason) {
    this.stopWatchdog();
    // nothing heard within the allowed time: the socket is dead even if the browser has not noticed
    this.watchdog = setTimeout(() => {
      const socket = this.socket;
      this.socket = null;
      if (socket) socket.close();
      for (const sub of this.subscriptions.values()) sub.state = "pending";
      this.scheduleReconnect(reason);
    }, ms);
  }

  stopWatchdog() {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  scheduleReconnect(reason) {
    if (this.closed || this.retryTimer) return;
    this.attempt += 1;
    const { reconnectBaseMs, reconnectMaxMs } = this.timing;
    const ceiling = Math.min(reconnectMaxMs, reconnectBaseMs * 2 ** Math.min(this.attempt - 1, 16));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: many consoles must not retry in step
    this.report("reconnecting", `${reason}; retrying in ${(delay / 1000).toFixed(1)} s`);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  retryNow() {
    if (this.closed || !this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  subscribe(channel, onEvent) {
    const id = randomId();
    const sub = { channel, onEvent, state: "pending" };
    this.subscriptions.set(id, sub);
    if (this.socket && this.acked) this.sendSubscribe(id, sub);
    return id;
  }

  sendSubscribe(id, sub) {
    sub.state = "pending";
    this.socket.send(JSON.stringify({ type: "subscribe", id, channel: sub.channel, authorization: this.authorization }));
  }

  close() {
    this.closed = true;
    this.stopWatchdog();
    window.removeEventListener("online", this.onOnline);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
    this.report("offline");
  }
}
