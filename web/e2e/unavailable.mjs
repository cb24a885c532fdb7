// With the database unreachable, the company page shows SERVICE_UNAVAILABLE and a retry.
import { BASE_URL, withBrowser } from './lib.mjs';

await withBrowser('unavailable', async (page) => {
  await page.goto(`${BASE_URL}/companies/AAPL`);
  const state = page.locator('[role=alert][data-code=SERVICE_UNAVAILABLE]');
  await state.waitFor();
  await state.getByRole('button', { name: 'Try again' }).waitFor();
});
