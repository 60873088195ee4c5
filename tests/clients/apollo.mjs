// Apollo Client 4 as the apps use it: a normalised cache (which adds __typename to every
// selection) and persisted queries, from a manifest (ids by operation name) or automatic (APQ).
// Usage: node apollo.mjs <http url> <manifest.json> <manifest|apq> <phone> <password>
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { generatePersistedQueryIdsFromManifest } from "@apollo/persisted-query-lists";
import { operations, recordingFetch } from "./operations.mjs";

const [url, manifestPath, mode, phone, password] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const sent = [];

function client(token) {
  const persisted = mode === "manifest"
    ? new PersistedQueryLink(generatePersistedQueryIdsFromManifest({ loadManifest: () => manifest }))
    : new PersistedQueryLink({ sha256: (text) => createHash("sha256").update(text).digest("hex") });
  const http = new HttpLink({
    uri: url,
    fetch: recordingFetch(sent),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return new ApolloClient({ link: ApolloLink.from([persisted, http]), cache: new InMemoryCache() });
}

const anonymous = client(null);
const login = await anonymous.mutate({ mutation: operations.Login, variables: { phone, password } });
const session = login.data.login.session;
const parent = client(session.accessToken);
const home = await parent.query({ query: operations.ParentHome, fetchPolicy: "network-only" });
const again = await parent.query({ query: operations.ParentHome, fetchPolicy: "network-only" });
const refused = await anonymous.mutate({
  mutation: operations.RefreshSession, variables: { refreshToken: "not-a-token" },
});
console.log(JSON.stringify({
  loginErrors: login.data.login.userErrors,
  viewer: login.data.login.viewer.displayName,
  typename: home.data.viewer.__typename,
  children: home.data.viewer.children.map((child) => child.displayName),
  sameAnswerTwice: JSON.stringify(home.data) === JSON.stringify(again.data),
  refreshErrors: refused.data.refreshSession.userErrors.map((e) => e.code),
  sent,
}));
