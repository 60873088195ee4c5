// urql 6 with its defaults (queries by GET within the URL limit, its document cache adding __typename).
// Usage: node urql.mjs <http url> <access token>
import { cacheExchange, Client, fetchExchange } from "@urql/core";
import { operations, recordingFetch } from "./operations.mjs";

const [url, token] = process.argv.slice(2);
const sent = [];
const client = new Client({
  url,
  exchanges: [cacheExchange, fetchExchange],
  fetch: recordingFetch(sent),
  fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
});
const viewer = await client.query(operations.Viewer, {}).toPromise();
const inbox = await client.query(operations.Inbox, { first: 5 }).toPromise();
const marked = await client.mutation(operations.MarkNotificationsRead, { all: true }).toPromise();
console.log(JSON.stringify({
  viewer: viewer.data?.viewer?.displayName ?? null,
  viewerError: viewer.error?.message ?? null,
  inboxError: inbox.error?.message ?? null,
  unread: marked.data?.markNotificationsRead?.unreadCount ?? null,
  markError: marked.error?.message ?? null,
  sent,
}));
