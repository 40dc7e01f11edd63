// Renders static/icon.svg to the PNG icons the web app manifest lists (192 and 512 px), in
// Debian's Chromium: `cd tests && node tools/icons.mjs`. Run again after editing the SVG.
import { readFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';

const svg = await readFile(new URL('../../static/icon.svg', import.meta.url), 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  for (const size of [192, 512]) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
    const out = new URL(`../../static/icon-${size}.png`, import.meta.url).pathname;
    await page.screenshot({ path: out, omitBackground: true });
    console.log(`icons: ${out}`);
    await page.close();
  }
} finally {
  await browser.close();
}
