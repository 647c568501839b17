// report_browser.mjs EXPECT.json — the static HTML report in headless Chromium
// (Debian's /usr/bin/chromium through playwright-core; no browser download).
// EXPECT.json (written by report_browser.sh from the database and the
// probabilities) names three reports and what a known example must show:
//   image:   {dir, db, run, first: {given, p_given, top, p_top}, ci: [lo, hi], classes: [...]}
//   tabular: {dir, features: [full names]}
//   big:     {dir, flagged}
//   shots:   a directory for the contact-sheet screenshots, or ""
// Checks each item of issue 22 in the DOM: the bars' values, the reason, the
// typical examples, the next-steps commands naming the run, the intervals in
// the tiles, full names in titles, feature names wrapping only at separators;
// keyboard focus, alt text and an axe-core audit (WCAG 2 A/AA) of every kind of
// page; page weight and render time of a sheet of a 100,000-example run.
// Prints "PASS name" / "FAIL name: why" / "INFO ..." lines; exit 1 on an
// unexpected error.
import { chromium } from 'playwright-core';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const exp = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let failed = 0;
const pass = (n) => console.log('PASS ' + n);
const fail = (n, why) => { failed++; console.log('FAIL ' + n + ': ' + String(why).replace(/\n/g, ' ')); };
const check = (n, ok, why) => (ok ? pass(n) : fail(n, why || 'false'));
const info = (s) => console.log('INFO ' + s);
const near = (a, b) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
const pct = (p) => { // report.c's fmt_pct
  const v = 100 * p;
  if (!(v > 0)) return '0%';
  if (v >= 9.95) return v.toFixed(0) + '%';
  if (v >= 0.05) return v.toFixed(1) + '%';
  return '<0.1%';
};

let axeSource = null;
try {
  const require = createRequire(import.meta.url);
  axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
} catch (e) { axeSource = null; }

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// bypassCSP: the pages forbid scripts; the audit injects axe-core all the same
const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
const page = await ctx.newPage();
page.setDefaultTimeout(20000);
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
const url = (dir, f) => 'file://' + dir + '/' + f;

async function axe(name) {
  if (!axeSource) { info('axe-core not installed: accessibility audit of ' + name + ' skipped'); return; }
  await page.addScriptTag({ content: axeSource });
  const r = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const bad = r.violations.map((v) => v.id + ' (' + v.impact + ', ' + v.nodes.length + ': ' +
    v.nodes.slice(0, 2).map((n) => n.target.join(' ')).join(' | ') + ')');
  check('axe-core WCAG 2 A/AA: no violations on ' + name + ' (' + r.passes.length + ' rules pass)',
        r.violations.length === 0, bad.join('; '));
}

try {
  // ---- the image contact sheet ------------------------------------------------
  const im = exp.image;
  await page.goto(url(im.dir, 'issues-1.html'));
  const card = page.locator('figure.card').first();
  const bars = await card.locator('.pr').evaluateAll((els) => els.map((e) => ({
    cls: e.dataset.class, p: Number(e.dataset.p), role: e.className,
    shown: e.querySelector('.pv').textContent, width: e.querySelector('.pbar i').style.width,
    title: e.title })));
  const g = bars.find((b) => b.cls === im.first.given);
  check('card 1: a bar for the given label with p(given) = ' + im.first.p_given,
        g && near(g.p, im.first.p_given) && / g$|^pr g/.test(g.role), JSON.stringify(bars));
  check('card 1: the given bar reads ' + pct(im.first.p_given), g && g.shown === pct(im.first.p_given), g && g.shown);
  const t = bars.find((b) => b.cls === im.first.top);
  check('card 1: a bar for the top class ' + im.first.top + ' = ' + im.first.p_top,
        t && near(t.p, im.first.p_top), JSON.stringify(bars));
  check('card 1: the bar length is the probability',
        t && Math.abs(parseFloat(t.width) - 100 * im.first.p_top) < 0.06, t && t.width);
  check('card 1: three classes and the given label at most', bars.length >= 3 && bars.length <= 4, bars.length);
  const why = await card.locator('.why').textContent();
  const wantWhy = 'The model gives the given label ' + pct(im.first.p_given) +
    (im.first.top !== im.first.given ? ', ' + im.first.top + ' ' + pct(im.first.p_top) : '');
  check('card 1: the reason in plain words', why.startsWith(wantWhy), why + ' vs ' + wantWhy);
  const rank = await card.locator('.rank').evaluate((e) => ({ text: e.textContent, title: e.title }));
  check('card 1: rank 1 of the flagged, the score in its tooltip',
        rank.text === '#1 of ' + im.flagged && /score [0-9.e+-]+$/.test(rank.title), JSON.stringify(rank));
  check('cards: no bare "score" text', !(await page.locator('figcaption').allTextContents()).some((s) => /score\s*[0-9]/.test(s)));
  const typ = await card.locator('.typ img').evaluateAll((els) => els.map((e) => ({ w: e.naturalWidth, alt: e.alt })));
  check('card 1: typical examples of both classes, loaded, with alt text',
        typ.length >= 2 && typ.every((x) => x.w > 0 && x.alt.startsWith('typical ')), JSON.stringify(typ));
  const labels = await card.locator('.typ .tl').allTextContents();
  check('card 1: the strips name the suggested and the given class',
        labels.some((s) => s.includes('typical suggested')) && labels.some((s) => s.includes('typical given: ' + im.first.given)),
        labels.join(' | '));
  const note = await page.locator('#decide').textContent();
  check('sheet: says decisions are made in serve, with the command',
        note.includes('labelaudit serve --db ' + im.db + ' --run ' + im.run), note);
  const imgs = await page.locator('img').evaluateAll((els) => els.filter((e) => !e.alt).length);
  check('sheet: every image has alt text', imgs === 0, imgs + ' without');
  if (exp.shots) {
    await page.screenshot({ path: exp.shots + '/image-sheet.png', clip: { x: 0, y: 0, width: 1280, height: 900 } });
    info('wrote ' + exp.shots + '/image-sheet.png');
  }
  await axe('an image contact sheet');

  // keyboard: Tab reaches the pager, the serve command and the image links
  const seen = new Set();
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    seen.add(await page.evaluate(() => {
      const a = document.activeElement;
      return a.tagName + (a.className ? '.' + a.className : '') + (a.getAttribute('rel') ? '[' + a.getAttribute('rel') + ']' : '');
    }));
  }
  check('keyboard: Tab reaches the serve command and the links', seen.has('CODE.cmd') && [...seen].some((s) => s.startsWith('A')),
        [...seen].join(', '));
  const before = page.url();
  await page.keyboard.press('Enter');   // the focus is on a link: Enter follows it
  await page.waitForURL((u) => u.toString() !== before);
  pass('keyboard: Enter follows the focused link (' + page.url().split('/').pop() + ')');

  // ---- the image summary page ---------------------------------------------------
  await page.goto(url(im.dir, 'index.html'));
  const cmds = await page.locator('#next code.cmd').allTextContents();
  for (const c of ['serve', 'review', 'decisions', 'clean', 'retrain', 'report']) {
    const want = 'labelaudit ' + c + ' --db ' + im.db + ' --run ' + im.run;
    check('next steps: ' + c + ' for this run', cmds.some((s) => s.startsWith(want)), cmds.join(' | '));
  }
  const sel = await page.locator('#next code.cmd').first().evaluate((e) => getComputedStyle(e).userSelect);
  check('next steps: one click selects a whole command', sel === 'all', sel);
  const tiles = await page.locator('.kpi').evaluateAll((els) => els.map((e) => e.textContent));
  const ciText = '95% interval ' + (100 * im.ci[0]).toFixed(2) + '%..' + (100 * im.ci[1]).toFixed(2) + '%';
  check('tiles: the error-rate tile shows the interval the text summary prints (' + ciText + ')',
        tiles.some((s) => s.includes(ciText) && s.includes('est. label-error rate')), tiles.join(' | '));
  check('tiles: the error-count tile has an interval',
        tiles.some((s) => /95% interval \d+\.\.\d+est\. label errors/.test(s)), tiles.join(' | '));
  const heatTitles = await page.locator('svg.heat text > title').allTextContents();
  const missing = im.classes.filter((c) => !heatTitles.includes(c));
  check('heatmaps: every class\'s full name in a label title', missing.length === 0, 'missing ' + missing.join(', '));
  const cellTitles = await page.locator('svg.heat g > title').allTextContents();
  check('noise matrix: every cell says how many examples its rate rests on',
        cellTitles.filter((s) => / rests on \d+ of \d+ examples counted as true /.test(s)).length === im.classes.length ** 2,
        cellTitles.slice(0, 2).join(' | '));
  await axe('the summary page');
  check('no script errors', errors.length === 0, errors.join('; '));

  // ---- the tabular contact sheet ----------------------------------------------------
  const tb = exp.tabular;
  await page.goto(url(tb.dir, 'issues-1.html'));
  const names = await page.locator('.ft .fn').evaluateAll((els) => els.map((e) => {
    // each text node is one word and its separator (the <wbr>s split them): one
    // line each when no word breaks
    const broken = [...e.childNodes].filter((n) => n.nodeType === 3).some((n) => {
      const r = document.createRange();
      r.selectNodeContents(n);
      const lines = new Set([...r.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.top)));
      return lines.size > 1;
    });
    return { title: e.title, text: e.textContent, broken, over: e.scrollWidth > e.clientWidth + 1 };
  }));
  check('tabular: features shown with their full name as title', names.length > 0 && names.every((n) => tb.features.includes(n.title)),
        JSON.stringify(names.slice(0, 3)));
  check('tabular: no feature name breaks inside a word', names.every((n) => !n.broken), JSON.stringify(names.filter((n) => n.broken)));
  check('tabular: no feature name overflows its column', names.every((n) => !n.over), JSON.stringify(names.filter((n) => n.over)));
  const long = names.find((n) => n.title.includes('/') || n.title.split('_').length > 2);
  info('longest-looking name on page 1: ' + (long ? long.title : 'none'));
  const scales = await page.locator('.ft svg.scale').count();
  check('tabular: every feature has its scale against both classes', scales === names.length, scales + ' of ' + names.length);
  const z = await page.locator('.ft .z').first().textContent();
  check('tabular: z-scores against the given and the suggested class', /^z [+-]\d+\.\d given · [+-]\d+\.\d sugg\.$/.test(z), z);
  const st = await page.locator('.ft svg.scale title').first().textContent();
  check('tabular: the scale\'s title gives both classes\' mean and sd', /given class mean .* ± .* suggested class mean .* ± /.test(st), st);
  if (exp.shots) {
    await page.screenshot({ path: exp.shots + '/tabular-sheet.png', clip: { x: 0, y: 0, width: 1280, height: 900 } });
    info('wrote ' + exp.shots + '/tabular-sheet.png');
  }
  await axe('a tabular contact sheet');

  // ---- 100,000 flagged examples: weight and render time of a sheet -------------------
  const bg = exp.big;
  const sheet = bg.dir + '/issues-1.html';
  const bytes = statSync(sheet).size;
  const times = [];
  for (let i = 0; i < 3; i++) {
    await page.goto(url(bg.dir, 'issues-1.html'), { waitUntil: 'load' });
    times.push(await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return n.loadEventEnd - n.startTime;
    }));
  }
  times.sort((a, b) => a - b);
  const cards = await page.locator('figure.card').count();
  const lastPage = await page.locator('nav.pages a').evaluateAll((els) => Math.max(...els.map((e) => Number(e.textContent) || 0)));
  info(`big run: ${bg.flagged} flagged, sheet 1 ${(bytes / 1024).toFixed(0)} KiB with ${cards} cards, ` +
       `render median ${times[1].toFixed(0)} ms (${times.map((x) => x.toFixed(0)).join(', ')}), ${lastPage} pages`);
  check('big run: 100,000+ flagged on paginated sheets of 200 cards', bg.flagged >= 100000 && cards === 200 &&
        lastPage === Math.ceil(bg.flagged / 200), cards + ' cards, ' + lastPage + ' pages');
  check('big run: a sheet weighs under 1 MiB', bytes < 1 << 20, bytes);
  check('big run: a sheet renders in under 3 s (loaded machine)', times[1] < 3000, times.join(','));
  const ib = statSync(bg.dir + '/index.html').size;
  info(`big run: index.html ${(ib / 1024).toFixed(0)} KiB`);
  check('big run: the summary weighs under 1 MiB', ib < 1 << 20, ib);
} catch (e) {
  fail('browser script', e.stack || e);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
