// A counsellor's live feed with graphql-ws, as the README's recipe has it: connectionParams is a
// function that brings a fresh access token to every (re)connection, and the subscription's own
// variables carry the last cursor seen, which graphql-ws sends again when it resubscribes.
// Usage: node feed.mjs <ws url> <http url> <refresh token>; prints one JSON line per event or state.
import WebSocket from "ws";
import { createClient } from "graphql-ws";
import { print } from "graphql";
import { operations } from "./operations.mjs";

const [wsUrl, httpUrl, firstRefreshToken] = process.argv.slice(2);
let refreshToken = firstRefreshToken;
const say = (line) => console.log(JSON.stringify(line));

async function freshAccessToken() {
  const response = await fetch(httpUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: print(operations.RefreshSession), variables: { refreshToken } }),
  });
  const session = (await response.json()).data.refreshSession.session;
  refreshToken = session.refreshToken;
  return session.accessToken;
}

const client = createClient({
  url: wsUrl,
  webSocketImpl: WebSocket,
  connectionParams: async () => ({ authorization: `Bearer ${await freshAccessToken()}` }),
  retryAttempts: 30,
  retryWait: async () => new Promise((resolve) => setTimeout(resolve, 500)),
  shouldRetry: () => true,
  on: {
    connected: () => say({ state: "connected" }),
    closed: (event) => say({ state: "closed", code: event?.code ?? null }),
  },
});

const payload = { query: print(operations.AlertEvents), variables: { after: null } };
client.subscribe(payload, {
  next: (result) => {
    const event = result.data?.wellbeingAlertEvents;
    if (result.errors || !event) {
      say({ state: "error-payload", errors: result.errors ?? null });
      return;
    }
    payload.variables.after = event.cursor; // a resubscription resumes right after this event
    say({ kind: event.kind, alert: event.alert.id, cursor: event.cursor });
  },
  error: (error) => say({ state: "failed", error: String(error?.code ?? error) }),
  complete: () => say({ state: "complete" }),
});
process.stdin.on("end", () => client.dispose().then(() => process.exit(0)));
process.stdin.resume();
