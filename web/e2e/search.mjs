// Typeahead search finds Apple, by keyboard, and opens its page.
import { BASE_URL, assert, withBrowser } from './lib.mjs';

await withBrowser('search', async (page) => {
  await page.goto(`${BASE_URL}/`);
  const input = page.getByLabel('Symbol or name');
  await input.fill('apple');
  const apple = page.getByRole('option').filter({ hasText: 'AAPL' });
  await apple.waitFor();
  assert.match(await apple.textContent(), /Apple Inc\./);
  assert.equal(await apple.locator('[data-status]').getAttribute('data-status'), 'READY');
  // Keyboard: the first result is active; arrows move to Apple, Enter opens it.
  const options = await page.getByRole('option').allTextContents();
  const index = options.findIndex((text) => text.includes('AAPL'));
  for (let i = 0; i < index; i += 1) await input.press('ArrowDown');
  assert.match(await page.locator('[role=option][aria-selected=true]').textContent(), /AAPL/);
  await input.press('Enter');
  await page.waitForURL(`${BASE_URL}/companies/AAPL`);
  await page.getByRole('heading', { name: /Apple Inc\./ }).waitFor();
  // Recent companies remember it.
  await page.goto(`${BASE_URL}/`);
  await page.getByRole('heading', { name: 'Recent companies' }).waitFor();
  assert.equal(await page.locator('.recent a').first().textContent(), 'AAPL');
});
