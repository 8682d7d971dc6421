// Drives the Amplify JS Events client (aws-amplify/data `events`) against an AppSync Events endpoint and
// prints one JSON line per observation; test_amplify_events.py starts the local server and reads them.
// Usage: node events_roundtrip.mjs <https endpoint .../event> <api key> <namespace>
import WebSocket from 'ws';
import { Amplify } from 'aws-amplify';
import { events } from 'aws-amplify/data';

// Node 20 has no global WebSocket (only behind --experimental-websocket); Amplify expects the browser one.
if (typeof globalThis.WebSocket === 'undefined') {
  globalThis.WebSocket = WebSocket;
}

const [endpoint, apiKey, namespace] = process.argv.slice(2);
const emit = (kind, data = {}) => console.log(JSON.stringify({ kind, ...data }));
const describe = (err) => (err instanceof Error ? `${err.name}: ${err.message}` : JSON.stringify(err));
const EXPECTED = 4; // one HTTP post, two events in one HTTP post, one WebSocket publish

Amplify.configure({
  API: { Events: { endpoint, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey } },
});

const watchdog = setTimeout(() => {
  emit('timeout');
  process.exit(2);
}, 20000);

const received = { exact: [], wildcard: [] };
let resolveAll;
const allReceived = new Promise((resolve) => (resolveAll = resolve));
const onEvent = (name) => ({
  next: (data) => {
    emit('received', { subscription: name, event: data.event });
    received[name].push(data.event);
    if (received.exact.length >= EXPECTED && received.wildcard.length >= EXPECTED) resolveAll();
  },
  error: (err) => emit('subscription_error', { subscription: name, error: describe(err) }),
});

const exact = await events.connect(`/${namespace}/a`);
const wildcard = await events.connect(`/${namespace}/*`);
emit('connected');
const exactSub = exact.subscribe(onEvent('exact'));
const wildcardSub = wildcard.subscribe(onEvent('wildcard'));
await Promise.all([exactSub.ready, wildcardSub.ready]);
emit('subscribed');

const failedOne = await events.post(`/${namespace}/a`, { via: 'http', n: 1 });
emit('posted', { failed: failedOne ?? [] });
const failedBatch = await events.post(`${namespace}/a`, [{ via: 'http-batch', n: 2 }, { via: 'http-batch', n: 3 }]);
emit('posted', { failed: failedBatch ?? [] });
await exact.publish({ via: 'websocket', n: 4 });
emit('published');

try {
  await events.post(`/${namespace}/a`, { via: 'http', n: 99 }, { apiKey: 'not-a-valid-key' });
  emit('post_with_bad_key_accepted');
} catch (err) {
  emit('post_with_bad_key_rejected', {
    error: describe(err),
    status: err?.response?.statusCode ?? err?.$metadata?.httpStatusCode ?? null,
    body: err?.response?.body ?? null,
  });
}

await allReceived;
exactSub.unsubscribe();
wildcardSub.unsubscribe();
exact.close();
wildcard.close();
await events.closeAll();
clearTimeout(watchdog);
emit('done');
process.exit(0);
