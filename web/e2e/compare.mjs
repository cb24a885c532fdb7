// Two companies side by side: headline metrics and one overlaid revenue chart.
import { BASE_URL, assert, canvasHasInk, withBrowser } from './lib.mjs';

await withBrowser('compare', async (page) => {
  await page.goto(`${BASE_URL}/compare?symbols=AAPL,SNOW`);
  const table = page.locator('table.comparison');
  await table.waitFor();
  const headers = await table.locator('thead th a').allTextContents();
  assert.deepEqual(headers, ['AAPL', 'SNOW']);
  assert.match(await table.textContent(), /TTM revenue/);
  const canvas = page.locator('.chart canvas').first();
  await canvas.waitFor();
  assert.ok(await canvasHasInk(canvas), 'the overlaid chart has drawn');
  const legend = await page.locator('.u-legend').textContent();
  assert.match(legend, /AAPL/);
  assert.match(legend, /SNOW/);

  // The form changes the deep link, and the link works on reload.
  await page.getByLabel(/Up to 5 symbols/).fill('snow aapl');
  await page.getByRole('button', { name: 'Compare' }).click();
  await page.waitForURL(`${BASE_URL}/compare?symbols=SNOW,AAPL`);
  await page.reload();
  await table.waitFor();
  assert.deepEqual(await table.locator('thead th a').allTextContents(), ['SNOW', 'AAPL']);
});
