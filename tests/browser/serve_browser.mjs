// serve_browser.mjs URL TOKEN_ADA TOKEN_BOB [SCREENSHOT] — drives the review
// page of `labelaudit serve` in headless Chromium (Debian's /usr/bin/chromium
// through playwright-core; no browser download): is refused without a token,
// signs in once with ?token= (session cookie, token gone from the address),
// decides with the keyboard and the mouse, undoes, meets a conflict made by a
// second reviewer (Bob, with his own token), filters, reloads.
// Prints "PASS name" / "FAIL name: why" lines; the shell test then reads the
// decisions back from SQLite. Exit status 1 on an unexpected error.
import { pass, fail, check, failed, launch } from './browser_lib.mjs';

const url = process.argv[2];
const tokAda = process.argv[3];
const tokBob = process.argv[4];
const shot = process.argv[5] || '';
const browser = await launch();
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  const dialogs = [];
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });

  // No token, no page: a session is never open to every local user.
  const anon = await page.goto(url + '/');
  check('no token: 401', anon.status() === 401, anon.status());
  // Signing in: ?token= once, then the session cookie; the token leaves the address bar.
  await page.goto(url + '/?token=' + tokAda);
  check('token dropped from the address', page.url() === url + '/', page.url());
  const cookies = await ctx.cookies();
  const port = new URL(url).port;
  const sc = cookies.find((c) => c.name === 'la_session_' + port);
  check('session cookie named after the port', !!sc, cookies.map((c) => c.name).join(','));
  check('session cookie HttpOnly and SameSite=Strict', sc && sc.httpOnly && sc.sameSite === 'Strict', JSON.stringify(sc));
  check('cookie does not hold the token', sc && sc.value !== tokAda);
  await page.waitForSelector('.card');
  await page.waitForFunction(() => document.getElementById('reviewer').textContent === 'Ada');
  pass('signed in as Ada (from the token, not typed)');
  check('tiny score readable', (await page.textContent('#card-1 dl')).includes('4.6e-8'), await page.textContent('#card-1 dl'));
  const n = await page.locator('.card').count();
  check('60 cards on the page', n === 60, n);
  check('progress shown', /0 of 60 decided/.test(await page.textContent('#overall')), await page.textContent('#overall'));

  // Hostile class names are text, never markup.
  const html = await page.content();
  check('hostile name rendered as text', html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  check('no injected script element', (await page.locator('script').count()) === 1);
  check('quotes in names intact', (await page.textContent('#grid')).includes('Bob\'s "best", boot'));
  await page.waitForFunction(() => { const i = document.querySelector('.card img'); return i && i.complete; });
  const img = await page.locator('.card img').first().evaluate((e) => e.naturalWidth);
  check('thumbnail loads from /img/', img === 28, img);

  // Keyboard: k keep card 1, r relabel card 2 to its suggestion, arrow past
  // card 3, d drop card 4.
  await page.keyboard.press('k');
  await page.waitForSelector('#card-1.s-keep');
  pass('k keeps the focused card');
  await page.keyboard.press('r');
  await page.waitForSelector('#card-2.s-relabel');
  pass('r relabels to the suggested class');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('d');
  await page.waitForSelector('#card-4.s-drop');
  pass('arrow moves, d drops');
  check('focus advanced after a decision', await page.locator('#card-5.focus').count() === 1);

  // Mouse: skip on card 6; choose class 0 for card 7 and click relabel.
  await page.fill('#card-6 input.note', 'blurry <b>bold</b>');
  await page.click('#card-6 .b-skip');
  await page.waitForSelector('#card-6.s-skip');
  pass('mouse: skip button');
  check('note shown on the card as text', (await page.textContent('#card-6 dl')).includes('blurry <b>bold</b>'));
  await page.selectOption('#card-7 select.pick', '0');
  await page.click('#card-7 .b-pick');
  await page.waitForSelector('#card-7.s-relabel');
  pass('mouse: relabel to a chosen class');

  // u undoes Ada's last decision (card 7) only.
  await page.keyboard.press('u');
  await page.waitForSelector('#card-7.s-pending');
  pass('u undoes the last decision');
  check('undo leaves earlier decisions', await page.locator('#card-6.s-skip').count() === 1);

  // A second reviewer decides card 8 behind Ada's back; Ada's keep on the
  // stale card must be reported as a conflict, not saved.
  // The page polls /api/state every 5 s; hold those answers during this step
  // so the card stays stale (as it would between two polls).
  await page.route('**/api/state**', (route) => route.fulfill({ status: 503, body: '{}' }));
  const bob = await launch();
  const bctx = await bob.newContext();
  const r = await bctx.request.post(url + '/api/decide', {
    headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + tokBob },
    data: JSON.stringify({ qid: 8, version: 0, decision: 'drop' }),
  });
  check('second reviewer decides card 8', r.status() === 200, r.status());
  const forged = await bctx.request.post(url + '/api/undo', {
    headers: { 'Content-Type': 'application/json', 'Authorization': 'Bearer ' + tokBob },
    data: JSON.stringify({ reviewer: 'Ada' }),
  });
  check('Bob cannot undo as Ada', forged.status() === 403, forged.status());
  await bob.close();
  await page.click('#card-8 .ex-id');
  await page.keyboard.press('k');
  await page.waitForSelector('#card-8.has-conflict');
  const conflict = await page.textContent('#card-8 .conflict');
  check('conflict shown on the card', /Bob/.test(conflict) && /drop/.test(conflict), conflict);
  check('conflict in the status line', /conflict/.test(await page.textContent('#msg')));
  await page.unroute('**/api/state**');

  const overall = await page.textContent('#overall');
  check('progress updated (skip is not a decision)', /4 of 60 decided/.test(overall) && /skipped for later 1/.test(overall), overall);

  // Filters: pending only.
  await page.selectOption('#f-status', 'pending');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('.card').length === 55);
  const statuses = await page.locator('.card .status').allTextContents();
  check('status filter shows only pending', statuses.every((s) => s === 'pending'), statuses.join(','));
  await page.selectOption('#f-status', '');
  await page.selectOption('#f-class', '1');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('.card').length === 20);
  pass('class filter shows that class');
  await page.fill('#f-min', '0.5');
  await page.fill('#f-max', '0.7');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('.card').length < 20);
  pass('score range filter narrows the sheet');

  // Reload: same state, still signed in.
  await page.reload();
  await page.waitForSelector('#card-1');
  await page.waitForFunction(() => document.getElementById('reviewer').textContent === 'Ada');
  pass('still signed in after a reload');
  check('decisions survive a reload', await page.locator('#card-1.s-keep, #card-2.s-relabel, #card-4.s-drop').count() === 3);
  if (shot) await page.screenshot({ path: shot, fullPage: false });

  // Verdict keys: f twice clears, e marks card 30 a genuine label error (its
  // button pressed), k keeps it with that verdict; the card shows it stored.
  await page.click('#card-30 .ex-id');
  await page.keyboard.press('f');
  await page.waitForSelector('#card-30 .v-false_alarm[aria-pressed=true]');
  await page.keyboard.press('f');
  await page.waitForSelector('#card-30 .v-false_alarm[aria-pressed=false]');
  pass('a verdict key marks the verdict, pressed again clears it');
  await page.keyboard.press('e');
  await page.waitForSelector('#card-30 .v-error[aria-pressed=true]');
  await page.keyboard.press('k');
  await page.waitForSelector('#card-30.s-keep');
  check('the stored verdict is shown on the card', (await page.textContent('#card-30 dl')).includes('verdict: error'),
        await page.textContent('#card-30 dl'));
  check('verdict buttons are plain buttons with titles', await page.locator('#card-31 .verdicts button[title]').count() === 3);

  check('no alert/confirm dialog ever opened', dialogs.length === 0, dialogs.join('|'));
  check('no script error in the page', errors.length === 0, errors.join('|'));
  check('no request left the server', external.length === 0, external.join(' '));
} catch (e) {
  fail('browser run', e && e.message ? e.message.split('\n')[0] : e);
} finally {
  await browser.close();
}
process.exit(failed() ? 1 : 0);
