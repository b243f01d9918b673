import type { RequestStore } from '../domain/ports.js';
import type { AccessRequest } from '../domain/request.js';

/** Later than any grant's end: every live grant ends before it. */
const END_OF_TIME = new Date('9999-12-31T00:00:00.000Z');

/**
 * Every live grant (APPROVED or ACTIVE), page by page through the live-by-end index (never a
 * scan), earliest end first. For the periodic passes that look at all of them.
 */
export async function* liveGrants(
  store: Pick<RequestStore, 'listLiveEndingBefore'>,
  pageSize = 500,
): AsyncGenerator<AccessRequest> {
  let cursor: string | undefined;
  do {
    const page = await store.listLiveEndingBefore(
      END_OF_TIME,
      cursor === undefined ? { limit: pageSize } : { limit: pageSize, cursor },
    );
    yield* page.items;
    cursor = page.cursor;
  } while (cursor);
}
