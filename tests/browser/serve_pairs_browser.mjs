// serve_pairs_browser.mjs URL TOKEN QID_150 QID_10 — the review page's pair
// view in headless Chromium (as serve_browser.mjs): focusing the card of
// row 150 shows it beside its duplicate, row 3, with the answer already
// given; on row 10 the key 1 answers "drop this, keep partner" and U undoes
// it. Prints "PASS name" / "FAIL name: why"; the shell test reads the
// answers back from SQLite. Exit status 1 on an unexpected error.
import { pass, fail, check, failed, launch } from './browser_lib.mjs';

const [url, tok, q150, q10] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(10000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url + '/?token=' + tok);
  await page.waitForSelector('#card-' + q150);
  await page.click('#card-' + q150 + ' .ex-id');
  await page.waitForSelector('#pair:not([hidden])');
  const sides = await page.textContent('#pair-sides');
  check('pair view: row 150 beside its partner, train row 3', sides.includes('row 150') && sides.includes('train row 3'), sides);
  const st = await page.textContent('#pair-state');
  check('pair view: the answer given over the API', st.includes('answered: keep by ann'), st);
  check('pair view: keep pressed', (await page.getAttribute('#pair button[data-choice=keep]', 'aria-pressed')) === 'true');
  check('card lists its issues', (await page.textContent('#card-' + q150)).includes('issues: exact_duplicate'));
  await page.click('#card-' + q10 + ' .ex-id');
  await page.waitForFunction(() => document.getElementById('pair-sides').textContent.includes('train row 152'));
  pass('focus moves the pair view to row 10 and 152');
  await page.keyboard.press('1');
  await page.waitForFunction(() => document.getElementById('msg').textContent.startsWith('pair saved'));
  check('key 1: drop this, keep partner', (await page.textContent('#pair-state')).includes('answered: drop by ann'));
  await page.keyboard.press('Shift+U');
  await page.waitForFunction(() => document.getElementById('msg').textContent.startsWith('pair answer undone'));
  check('key U: undone', (await page.textContent('#pair-state')).includes('not answered'));
  check('no script errors', errors.length === 0, errors.join('; '));
} catch (e) {
  fail('browser run', e);
} finally {
  await browser.close();
}
process.exit(failed() ? 1 : 0);
