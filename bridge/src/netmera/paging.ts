import { NetmeraApiError } from "../core/errors.js";
import {
  endpointOf,
  type NetmeraClient,
  type NetmeraRequest,
  type NetmeraResponse,
} from "./http-client.js";
import type { PullJournal } from "./journal.js";

export interface Page {
  items: unknown[];
  next: NetmeraRequest | null;
}

/** Turns one response into its items and the request for the following page, if any. */
export type PageReader = (response: NetmeraResponse, request: NetmeraRequest) => Page;

/**
 * `nextPage` style, used by getDeviceTokens (numeric offset), getSegmentUsers and
 * getPushResult (opaque offset): the response links to the next page and the link is called as
 * it is (https://user.netmera.com/netmera-developer-guide/api-documentation/api-reference/segments-and-targeting/list-segment-users).
 * The documentation does not say how the last page is marked, so a missing, null or empty
 * `nextPage` ends the list, and so does a page without items.
 */
export function nextPageReader(client: NetmeraClient, itemsField: string): PageReader {
  return (response, request) => {
    const items = itemsOf(response, request, itemsField);
    const link = (response.body as Record<string, unknown> | null)?.nextPage;
    if (items.length === 0 || typeof link !== "string" || link.trim() === "") {
      return { items, next: null };
    }

    const url = client.resolveNextPage(link, response.url);
    if (url === response.url) {
      throw new NetmeraApiError(
        endpointOf(request.method, new URL(response.url)),
        response.status,
        undefined,
        `Netmera ${endpointOf(request.method, new URL(response.url))} returned a nextPage link to the page just read (${link}); stopping to avoid an endless loop`,
      );
    }

    return { items, next: { method: "GET", url } };
  };
}

/**
 * Cursor style of inbox/getAllInbox: the request body carries `prms.index`, the pushInstanceId
 * of the last message received, and the last page comes without `prms`
 * (https://user.netmera.com/netmera-developer-guide/api-documentation/rest-api/inbox-feature.md).
 */
export function inboxCursorReader(): PageReader {
  return (response, request) => {
    const items = itemsOf(response, request, "msgs");
    const prms = (response.body as Record<string, unknown> | null)?.prms as
      Record<string, unknown> | undefined;
    const index = prms?.index;
    if (items.length === 0 || index === undefined || index === null) {
      return { items, next: null };
    }

    const body = { ...(request.body as Record<string, unknown>), prms: { index } };
    return { items, next: { method: "POST", url: request.url, body } };
  };
}

function itemsOf(response: NetmeraResponse, request: NetmeraRequest, field: string): unknown[] {
  if (response.body === null) {
    return [];
  }

  const items = (response.body as Record<string, unknown>)[field];
  if (items === undefined || items === null) {
    return [];
  }

  if (!Array.isArray(items)) {
    const endpoint = endpointOf(request.method, new URL(response.url));
    throw new NetmeraApiError(
      endpoint,
      response.status,
      undefined,
      `Netmera ${endpoint} returned "${field}" that is not a list`,
    );
  }

  return items;
}

/**
 * Fetch every page of a list into the journal, starting where an interrupted pull stopped.
 * `onPage` runs inside the page's transaction.
 */
export async function fetchList(
  client: NetmeraClient,
  journal: PullJournal,
  name: string,
  first: NetmeraRequest,
  read: PageReader,
  onPage?: (items: unknown[], body: unknown) => void,
): Promise<void> {
  const state = journal.listState(name);
  if (state?.done) {
    return;
  }

  let request: NetmeraRequest | null = state?.next ?? first;
  let seq = state?.pages ?? 0;
  while (request !== null) {
    const response = await client.request(request);
    const page = read(response, request);
    seq += 1;
    journal.commitPage(name, seq, page.items, page.next, () => onPage?.(page.items, response.body));
    request = page.next;
  }
}
