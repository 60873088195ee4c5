// The project's client operations (clients/operations), one document per operation with the
// fragments it uses, as the apps' build makes them.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, separateOperations } from "graphql";

const folder = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "clients", "operations");

export const operations = Object.assign(
  {},
  ...readdirSync(folder)
    .filter((name) => name.endsWith(".graphql"))
    .map((name) => separateOperations(parse(readFileSync(join(folder, name), "utf8")))),
);

/** fetch that records what was sent, so that the tests can see how a client spoke. */
export function recordingFetch(log) {
  return async (url, init = {}) => {
    const method = init.method ?? "GET";
    const body = typeof init.body === "string" ? JSON.parse(init.body) : null;
    const query = method === "GET" ? new URL(url).searchParams : null;
    log.push({
      method,
      hasQuery: Boolean(body?.query ?? query?.get("query")),
      hasHash: Boolean(body?.extensions?.persistedQuery ?? query?.get("extensions")),
      accept: new Headers(init.headers).get("accept"),
    });
    const response = await fetch(url, init);
    log[log.length - 1].status = response.status;
    return response;
  };
}
