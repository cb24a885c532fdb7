// Shared by the browser tests (tests/api/dashboard.rs runs each file with node): Debian's
// Chromium, headless, through playwright-core. Every page's console errors and uncaught
// exceptions fail the test; each test leaves a screenshot in OUT_DIR.

import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const BASE_URL = required('BASE_URL');
const OUT_DIR = required('OUT_DIR');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

/** Runs `body(page, context)` in a fresh browser and fails on any console error. */
export async function withBrowser(name, body, { viewport = { width: 1280, height: 900 } } = {}) {
  mkdirSync(OUT_DIR, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const problems = [];
  const graphqlRequests = [];
  try {
    const context = await browser.newContext({ viewport, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/graphql') graphqlRequests.push(request.url());
    });
    try {
      await body(page, { graphqlRequests });
    } finally {
      await page.screenshot({ path: join(OUT_DIR, `${name}.png`), fullPage: true });
    }
    assert.deepEqual(problems, [], 'no console errors on any page');
  } finally {
    await browser.close();
  }
}

/** Prints a figure for the test log (figures are reported, never asserted). */
export function figure(name, value) {
  const line = `figure: ${name} = ${value}`;
  console.log(line);
  appendFileSync(join(OUT_DIR, 'figures.txt'), `${new Date().toISOString()} ${line}\n`);
}

/** The rows of a table as text cells, or as `data-value` where a cell has one. */
export async function tableCells(locator) {
  return locator.evaluate((table) =>
    [...table.querySelectorAll('tr')].map((row) =>
      [...row.querySelectorAll('th, td')].map((cell) =>
        cell.hasAttribute('data-value') ? cell.getAttribute('data-value') : cell.querySelector('a')?.textContent ?? cell.textContent,
      ),
    ),
  );
}

/** Whether a canvas has any non-transparent pixel: the chart has drawn. */
export async function canvasHasInk(locator) {
  return locator.evaluate((canvas) => {
    const context = canvas.getContext('2d');
    if (!context || canvas.width === 0 || canvas.height === 0) return false;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
    return false;
  });
}

/** RFC 4180: rows of cells, quoted cells unquoted. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

export { assert };
