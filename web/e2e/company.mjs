// Apple's page: the 10-K's FY2023 revenue, charts drawn, four FY2023 quarters, CSV = table,
// usable at 375 px; prints the figures of the first paint.
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { BASE_URL, assert, canvasHasInk, figure, parseCsv, tableCells, withBrowser } from './lib.mjs';

await withBrowser('company', async (page, { graphqlRequests }) => {
  await page.goto(`${BASE_URL}/companies/AAPL`);
  await page.getByRole('heading', { name: /Apple Inc\./ }).waitFor();
  const canvas = page.locator('.chart canvas').first();
  await canvas.waitFor();
  await page.waitForFunction(() => performance.getEntriesByName('first-chart').length > 0);
  const firstChart = await page.evaluate(() => performance.getEntriesByName('first-chart')[0].startTime);
  const graphqlTime = await page.evaluate(
    () => performance.getEntriesByType('resource').find((e) => e.name.endsWith('/graphql'))?.duration,
  );
  figure('navigation to first chart drawn, cold cache (ms)', firstChart.toFixed(0));
  figure('of which the CompanyPage GraphQL request (ms)', graphqlTime.toFixed(0));
  figure('GraphQL requests for the first paint', graphqlRequests.length);
  assert.ok(await canvasHasInk(canvas), 'the chart has drawn');

  // Facts and headline cards.
  const facts = await page.locator('.facts').textContent();
  assert.match(facts, /0000320193/);
  assert.match(facts, /Fiscal year ends\s*Sep \d+/);
  await page.getByRole('region', { name: 'Trailing twelve months' }).waitFor();

  // FY2023 revenue as in the 10-K: $383,285 million.
  const income = page.locator('[data-kind=income] table');
  const annual = await tableCells(income);
  const fy2023 = annual[0].indexOf('FY2023');
  assert.ok(fy2023 > 0, `FY2023 column in ${annual[0]}`);
  const revenueRow = annual.find((row) => row[0] === 'Revenue');
  assert.equal(revenueRow[fy2023], '383285000000');
  assert.match(await income.locator('tbody tr').first().locator('td').nth(fy2023 - 1).textContent(), /^383,285,000,000$/);
  const fy2023Header = income.locator('thead th').nth(fy2023);
  const accession = (await fy2023Header.locator('.filing').textContent()).match(/\d{10}-\d{2}-\d{6}/)[0];
  assert.match(await fy2023Header.textContent(), /10-K/);
  assert.equal(
    await fy2023Header.locator('a').getAttribute('href'),
    `https://www.sec.gov/Archives/edgar/data/320193/${accession.replaceAll('-', '')}/${accession}-index.htm`,
  );

  // CSV download of the table shown equals the table.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('button[data-csv=income]').click(),
  ]);
  const csv = parseCsv(await readFile(await download.path(), 'utf8'));
  assert.deepEqual(csv, annual.map((row) => row.map((cell) => cell ?? '')));

  // Quarterly: four FY2023 quarters, Q4 marked computed.
  await page.getByRole('button', { name: 'Quarterly' }).click();
  await page.locator('[data-kind=income] thead th', { hasText: 'Q1 FY2023' }).waitFor();
  const quarterly = (await tableCells(income))[0].filter((label) => /FY2023$/.test(label));
  assert.deepEqual(quarterly.sort(), ['Q1 FY2023', 'Q2 FY2023', 'Q3 FY2023', 'Q4 FY2023']);
  assert.ok(await canvasHasInk(page.locator('.chart canvas').first()), 'the quarterly chart has drawn');

  // TTM switch.
  await page.getByRole('button', { name: 'TTM' }).click();
  await page.locator('[data-kind=income] thead th', { hasText: /^TTM / }).first().waitFor();
  assert.equal(graphqlRequests.length, 1, 'switching periods sends no request');

  // The same page again: the gateway's read cache is warm, the bundle is in the browser cache.
  await page.reload();
  await page.waitForFunction(() => performance.getEntriesByName('first-chart').length > 0);
  figure(
    'navigation to first chart drawn, warm (ms)',
    (await page.evaluate(() => performance.getEntriesByName('first-chart')[0].startTime)).toFixed(0),
  );

  // Bundle size, as a browser downloads it (gzip).
  const html = await (await fetch(`${BASE_URL}/`)).text();
  let gzipped = gzipSync(html).length;
  for (const [, path] of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
    gzipped += gzipSync(Buffer.from(await (await fetch(`${BASE_URL}${path}`)).arrayBuffer())).length;
  }
  figure('bundle size gzipped (KB)', (gzipped / 1024).toFixed(1));
});

// 375 px wide: nothing but the tables' own scroll areas is wider than the screen.
await withBrowser(
  'company-375px',
  async (page) => {
    await page.goto(`${BASE_URL}/companies/AAPL`);
    await page.locator('.chart canvas').first().waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `page is ${width} px wide at 375 px`);
    // Keyboard: Tab reaches the period switch, Enter/Space press it.
    await page.getByRole('button', { name: 'Quarterly' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-kind=income] thead th', { hasText: 'Q1 FY2023' }).waitFor();
  },
  { viewport: { width: 375, height: 800 } },
);
