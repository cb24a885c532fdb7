// The GraphQL-over-HTTP spec's reference audit (graphql-http's auditServer) against the
// gateway at BASE_URL: every MUST and SHOULD must pass (tests/api/graphql_over_http.rs runs it).

import { auditServer } from 'graphql-http';

const url = `${process.env.BASE_URL}/graphql`;
const results = await auditServer({ url, fetchFn: fetch });
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) {
  counts[result.status] += 1;
  if (result.status !== 'ok') {
    const response = result.response ? await describe(result.response) : '';
    console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}: ${result.reason}${response}`);
  }
}
console.log(
  `audit: ${counts.ok} ok, ${counts.notice} notices, ${counts.warn} warnings, ${counts.error} errors`,
);
process.exit(counts.warn + counts.error === 0 ? 0 : 1);

async function describe(response) {
  const body = await response.clone().text().catch(() => '');
  return `\n    -> ${response.status} ${response.headers.get('content-type')} ${body.slice(0, 200)}`;
}
