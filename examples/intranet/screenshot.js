'use strict';
// Screenshots of the page for the README: search results for a Swedish
// question, and the write box's live suggestions for a draft (people,
// similar threads, tags).
//   node screenshot.js [URL] [OUT_DIR]
// Defaults: http://127.0.0.1:8080/ and docs/images (of the checkout).
// Needs the running page (server.js) and Chromium (CHROMIUM, default
// /usr/bin/chromium).

const path = require('path');
const { chromium } = require('playwright-core');

const url = process.argv[2] || 'http://127.0.0.1:8080/';
const out = process.argv[3] || path.join(__dirname, '..', '..', 'docs', 'images');

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(url);
    await page.fill('#query', 'Hur släpper jag en blockerad betalning?');
    await page.press('#query', 'Enter');
    await page.locator('#experts .expert').first().waitFor();
    await page.screenshot({ path: path.join(out, 'intranet-search.png') });

    await page.goto(url);
    await page.locator('#draft-title').pressSequentially('Fakturan är blockerad för betalning', { delay: 20 });
    await page.locator('#draft-body').pressSequentially('Leverantören väntar, hur släpper jag den i SAP?', { delay: 20 });
    await page.locator('#suggested-people .expert').first().waitFor();
    await page.waitForTimeout(800); // the last pause's answer
    await page.locator('#similar-threads .thread').first().waitFor();
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.locator('#write').screenshot({ path: path.join(out, 'intranet-suggestions.png') });
    console.log(`wrote ${out}/intranet-search.png and intranet-suggestions.png`);
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
