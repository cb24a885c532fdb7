// Clear states for what the API answers, against a gateway that allows two new companies per
// minute: an unknown symbol (NOT_FOUND), an invalid one (BAD_USER_INPUT), a company whose
// ingestion FAILED (its reason, a button to ask again), and one new company too many
// (RATE_LIMITED, with the same button).
import { BASE_URL, assert, withBrowser } from './lib.mjs';

await withBrowser('states', async (page) => {
  await page.goto(`${BASE_URL}/companies/QQQQQX`);
  const notFound = page.locator('.registration[data-status=NOT_FOUND]');
  await notFound.waitFor();
  assert.match(await notFound.textContent(), /NOT_FOUND/);
  await page.screenshot({ path: `${process.env.OUT_DIR}/states-not-found.png` });

  await page.goto(`${BASE_URL}/companies/${encodeURIComponent('not a symbol!')}`);
  const invalid = page.locator('[role=alert][data-code=BAD_USER_INPUT]');
  await invalid.waitFor();
  await page.screenshot({ path: `${process.env.OUT_DIR}/states-bad-input.png` });

  await page.goto(`${BASE_URL}/companies/TSLA`);
  const failed = page.locator('.registration[data-status=FAILED]');
  await failed.waitFor();
  assert.match(await failed.textContent(), /the provider answered 503 three times/);
  await failed.getByRole('button', { name: 'Request registration' }).waitFor();
  await page.screenshot({ path: `${process.env.OUT_DIR}/states-failed.png` });

  await page.goto(`${BASE_URL}/companies/AMZN`);
  await page.locator('.registration[data-status=PENDING]').waitFor();
  await page.goto(`${BASE_URL}/companies/MSFT`);
  const limited = page.locator('.registration[data-status=RATE_LIMITED]');
  await limited.waitFor();
  await limited.getByRole('button', { name: 'Request registration' }).waitFor();

  // A path the app does not know (the gateway itself answers 404 for it): its own page.
  await page.evaluate(() => {
    history.pushState(null, '', '/no/such/page');
    dispatchEvent(new PopStateEvent('popstate'));
  });
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
});
