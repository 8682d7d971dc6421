// AppSync Events over the browser's WebSocket: connect with a bearer token, subscribe, keep-alive watchdog,
// reconnect with backoff and re-subscribe. The same protocol as the Python client (vcn.client).

const SUBPROTOCOL = "aws-appsync-event-ws";

function base64Url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomId() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

export class EventsConnection {
  /**
   * @param {{httpUrl: string, realtimeUrl: string, token: string,
   *          onStatus?: (state: string, detail?: string) => void,
   *          onError?: (message: string) => void}} options
   */
  constructor({ httpUrl, realtimeUrl, token, onStatus = () => {}, onError = () => {} }) {
    this.host = new URL(httpUrl).host;
    this.realtimeUrl = realtimeUrl;
    this.token = token;
    this.onStatus = onStatus;
    this.onError = onError;
    this.subscriptions = new Map(); // id -> {channel, onEvent}
    this.socket = null;
    this.closed = false;
    this.attempt = 0;
    this.keepAliveMs = 300000;
    this.watchdog = null;
    this.retryTimer = null;
  }

  get authorization() {
    return { Authorization: this.token, host: this.host };
  }

  connect() {
    this.closed = false;
    this.onStatus(this.attempt === 0 ? "connecting" : "reconnecting", `attempt ${this.attempt + 1}`);
    let socket;
    try {
      socket = new WebSocket(this.realtimeUrl, [SUBPROTOCOL, `header-${base64Url(JSON.stringify(this.authorization))}`]);
    } catch (err) {
      this.scheduleReconnect(String(err));
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
    socket.addEventListener("message", (msg) => this.handleFrame(msg.data));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.stopWatchdog();
      if (!this.closed) this.scheduleReconnect("connection closed");
    });
  }

  handleFrame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    switch (frame.type) {
      case "connection_ack":
        this.keepAliveMs = frame.connectionTimeoutMs || this.keepAliveMs;
        this.attempt = 0;
        this.armWatchdog();
        this.onStatus("connected");
        for (const [id, sub] of this.subscriptions) this.sendSubscribe(id, sub.channel);
        break;
      case "ka":
        this.armWatchdog();
        break;
      case "data": {
        const sub = this.subscriptions.get(frame.id);
        if (!sub) return;
        let event = frame.event;
        try {
          event = typeof event === "string" ? JSON.parse(event) : event;
        } catch {
          /* a non-JSON event is shown as text */
        }
        sub.onEvent(event, sub.channel);
        break;
      }
      case "subscribe_success": {
        const sub = this.subscriptions.get(frame.id);
        if (sub) sub.active = true;
        this.onStatus("connected");
        break;
      }
      case "subscribe_error": {
        const sub = this.subscriptions.get(frame.id);
        const reason = (frame.errors || []).map((e) => e.errorType + (e.message ? `: ${e.message}` : "")).join("; ");
        this.onError(`Subscription to ${sub ? sub.channel : frame.id} refused (${reason || "unknown"})`);
        this.subscriptions.delete(frame.id);
        break;
      }
      case "connection_error": {
        const reason = (frame.errors || []).map((e) => e.message || e.errorType).join("; ");
        this.onError(`Connection refused: ${reason}`);
        this.onStatus("unauthorized", reason);
        this.closed = true; // a rejected token will not get better by retrying
        break;
      }
      case "error":
        this.onError((frame.errors || []).map((e) => e.message || e.errorType).join("; "));
        break;
      default:
        break;
    }
  }

  armWatchdog() {
    this.stopWatchdog();
    // no keep-alive within the announced timeout: the socket is dead even if the browser has not noticed
    this.watchdog = setTimeout(() => {
      this.onStatus("reconnecting", "keep-alive missed");
      if (this.socket) this.socket.close();
    }, this.keepAliveMs);
  }

  stopWatchdog() {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  scheduleReconnect(reason) {
    if (this.closed) return;
    this.attempt += 1;
    const base = Math.min(30000, 500 * 2 ** Math.min(this.attempt - 1, 6));
    const delay = base / 2 + Math.random() * (base / 2);
    this.onStatus("reconnecting", `${reason}; retrying in ${(delay / 1000).toFixed(1)} s`);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  subscribe(channel, onEvent) {
    const id = randomId();
    this.subscriptions.set(id, { channel, onEvent, active: false });
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.sendSubscribe(id, channel);
    return id;
  }

  sendSubscribe(id, channel) {
    this.socket.send(JSON.stringify({ type: "subscribe", id, channel, authorization: this.authorization }));
  }

  close() {
    this.closed = true;
    this.stopWatchdog();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close();
    this.socket = null;
    this.onStatus("offline");
  }
}
