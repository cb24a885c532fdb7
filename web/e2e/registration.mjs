// Marvell is not stored: search shows it unstored, "Request data" queues it, the page shows
// PENDING, and fills in by itself when the worker (started by the Rust test once the request
// is stored) has ingested it: no reload.
import { BASE_URL, assert, withBrowser } from './lib.mjs';

await withBrowser('registration', async (page) => {
  // Every status the registration panel shows, in order, from the first render on.
  await page.addInitScript(() => {
    window.__statuses = [];
    new MutationObserver(() => {
      const status = document.querySelector('.registration')?.getAttribute('data-status');
      if (status && window.__statuses.at(-1) !== status) window.__statuses.push(status);
    }).observe(document, { subtree: true, childList: true, attributes: true });
  });
  await page.goto(`${BASE_URL}/`);
  await page.getByLabel('Symbol or name').fill('marvell');
  const marvell = page.getByRole('option').filter({ hasText: 'MRVL' });
  await marvell.waitFor();
  await marvell.getByRole('button', { name: 'Request data' }).click();
  await page.waitForURL(`${BASE_URL}/companies/MRVL`);
  await page.locator('.registration[data-status=PENDING]').waitFor();
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  await page.getByRole('heading', { name: /Marvell/i }).waitFor({ timeout: 60_000 });
  await page.locator('[data-kind=income] table').waitFor({ timeout: 60_000 });
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'filled in without a reload');
  const statuses = await page.evaluate(() => window.__statuses);
  assert.equal(statuses[0], 'PENDING', `statuses shown: ${statuses}`);
  assert.equal(await page.locator('.company-header [data-status]').getAttribute('data-status'), 'READY');
});
