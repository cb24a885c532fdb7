// An urql client set up as a front-end team would (graphcache, automatic persisted queries
// over GET, no schema given), against the gateway at BASE_URL with Apple stored: the cache
// normalizes companies and statements by `id`, and a document is sent by hash alone once the
// gateway knows it (tests/api/graphql_over_http.rs runs this).

import assert from 'node:assert/strict';
import { Client, fetchExchange, gql } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { persistedExchange } from '@urql/exchange-persisted';

const url = `${process.env.BASE_URL}/graphql`;

/** Every request the client sends: its method and whether it carried the document. */
const sent = [];
async function recordingFetch(input, init = {}) {
  const method = (init.method ?? 'GET').toUpperCase();
  const withDocument =
    method === 'GET'
      ? new URL(String(input)).searchParams.has('query')
      : Boolean(JSON.parse(String(init.body)).query);
  sent.push({ method, withDocument });
  return fetch(input, init);
}

function client() {
  return new Client({
    url,
    fetch: recordingFetch,
    exchanges: [
      cacheExchange({ keys: { PageInfo: () => null } }),
      persistedExchange({ preferGetForPersistedQueries: true }),
      fetchExchange,
    ],
  });
}

const WITH_FIGURES = gql`
  query WithFigures {
    company(symbol: "AAPL") { id symbol incomeStatements(last: 2) { id fiscalYear revenue } }
  }
`;
const NEWEST_ID = gql`
  query NewestId {
    company(symbol: "AAPL") { id incomeStatements(last: 1) { id fiscalYear } }
  }
`;
const NEWEST_WITH_REVENUE = gql`
  query NewestWithRevenue {
    company(symbol: "AAPL") { id incomeStatements(last: 1) { id fiscalYear revenue } }
  }
`;

async function run(urql, document, requestPolicy = 'network-only') {
  const result = await urql.query(document, {}, { requestPolicy }).toPromise();
  assert.equal(result.error, undefined, String(result.error));
  return result;
}

// Normalized by id: the newest statement read with its revenue, then by another query
// without it, is one entity; so a third query asking for both is answered from the cache.
const first = client();
const figures = await run(first, WITH_FIGURES);
const [newest] = figures.data.company.incomeStatements;
assert.deepEqual([newest.fiscalYear, newest.revenue], [2025, '416161000000']);
const ids = await run(first, NEWEST_ID);
assert.equal(ids.data.company.incomeStatements[0].id, newest.id);
const before = sent.length;
const cached = await run(first, NEWEST_WITH_REVENUE, 'cache-only');
assert.equal(sent.length, before, 'answered without a request');
assert.deepEqual(cached.data.company.incomeStatements[0], newest);

// Persisted queries: the first client's first request was the hash alone over GET; the
// gateway did not know it, so the document followed. A new client's first request of the
// same document is the hash alone, and it is answered.
assert.deepEqual(sent[0], { method: 'GET', withDocument: false });
assert.ok(sent[1].withDocument, 'the document follows an unknown hash');
const second = client();
const from = sent.length;
const again = await run(second, WITH_FIGURES);
assert.deepEqual(again.data, figures.data);
assert.deepEqual(sent.slice(from), [{ method: 'GET', withDocument: false }]);
console.log(`urql: ${sent.length} requests, normalized cache and persisted queries as expected`);
