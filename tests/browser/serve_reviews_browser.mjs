// serve_reviews_browser.mjs URL TOKEN_ADA TOKEN_BOB [SCREENSHOT] — a session
// of `labelaudit serve --reviews-per-item 2` in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core): Ada and Bob, each in their own
// browser context (own session cookie), review the same three cards. Bob's
// page shows nothing of Ada's answers until he has given his own; then it
// shows hers, and the card reads done. Prints "PASS name" / "FAIL name: why"
// lines and, last, "QIDS a b c" (the three cards) for the shell test, which
// runs consensus --db and clean --consensus over the answers.
import { pass, fail, check, failed, launch } from './browser_lib.mjs';

const url = process.argv[2];
const tokAda = process.argv[3];
const tokBob = process.argv[4];
const shot = process.argv[5] || '';
const browser = await launch();

// A reviewer's own browser context (cookie jar), signed in with ?token=.
async function signIn(tok, name) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(url + '/?token=' + tok);
  await page.waitForSelector('.card');
  await page.waitForFunction((n) => document.getElementById('reviewer').textContent === n, name);
  return { ctx, page };
}

// Presses key on the card with this qid (focused by a click) and waits for its new status.
async function answer(page, qid, key, status) {
  await page.click('#card-' + qid + ' .ex-id');
  await page.keyboard.press(key);
  await page.waitForSelector('#card-' + qid + '.s-' + status);
}

try {
  const ada = await signIn(tokAda, 'Ada');
  pass('Ada signed in');
  const qids = await ada.page.$$eval('.card', (cs) => cs.slice(0, 3).map((c) => Number(c.dataset.qid)));
  check('three cards to review', qids.length === 3 && qids.every((q) => q > 0), qids.join(','));
  check('session line shows R', /0 of \d+ examples done \(2 reviewers each\)/.test(await ada.page.textContent('#reviews')),
        await ada.page.textContent('#reviews'));
  check('before any answer: hidden', (await ada.page.textContent('#card-' + qids[0])).includes('hidden until you answer'));
  await answer(ada.page, qids[0], 'k', 'keep');
  await answer(ada.page, qids[1], 'r', 'relabel');
  await answer(ada.page, qids[2], 'r', 'relabel');
  pass('Ada answered the three cards (k, r, r)');
  check('Ada sees no other answer yet', (await ada.page.textContent('#card-' + qids[0])).includes('no other answer yet'),
        await ada.page.textContent('#card-' + qids[0]));

  const bob = await signIn(tokBob, 'Bob');
  pass('Bob signed in with his own session');
  const grid = await bob.page.textContent('#grid');
  check('Bob\'s page names Ada nowhere before he answers', !grid.includes('Ada'), grid.slice(0, 200));
  const c0 = await bob.page.textContent('#card-' + qids[0]);
  check('Bob: Ada\'s answer hidden until he answers', c0.includes('other answers are hidden until you answer'), c0);
  check('Bob: the card is still his to answer (pending, 1 of 2)', c0.includes('pending') && c0.includes('reviews: 1 of 2'), c0);
  check('Bob: no keep shown on the card Ada kept', (await bob.page.locator('#card-' + qids[0] + '.s-keep').count()) === 0);
  const dom = await bob.page.content();
  check('Ada\'s answer is not in Bob\'s document at all', !dom.includes('Ada'), 'found');

  await answer(bob.page, qids[0], 'r', 'relabel');
  const c0b = await bob.page.textContent('#card-' + qids[0]);
  check('after answering Bob sees Ada\'s answer', c0b.includes('Ada: keep'), c0b);
  check('and the card reads done', c0b.includes('reviews: 2 of 2 (done)'), c0b);
  const c1 = await bob.page.textContent('#card-' + qids[1]);
  check('Bob: the next card is still hidden', c1.includes('hidden until you answer') && !c1.includes('Ada'), c1);
  await answer(bob.page, qids[1], 'r', 'relabel');
  await answer(bob.page, qids[2], 'k', 'keep');
  pass('Bob answered the three cards (r, r, k)');
  check('Bob\'s session line: 3 done', /3 of \d+ examples done/.test(await bob.page.textContent('#reviews')),
        await bob.page.textContent('#reviews'));

  await ada.page.reload();
  await ada.page.waitForSelector('#card-' + qids[0]);
  const a0 = await ada.page.textContent('#card-' + qids[0]);
  check('Ada, after a reload, sees Bob\'s answer on the card she answered', /Bob: relabel/.test(a0), a0);
  if (shot) await bob.page.screenshot({ path: shot, fullPage: false });
  check('no script error in either page', ada.page.errors.length + bob.page.errors.length === 0,
        ada.page.errors.concat(bob.page.errors).join('|'));
  console.log('QIDS ' + qids.join(' '));
} catch (e) {
  fail('browser run', e && e.message ? e.message.split('\n')[0] : e);
} finally {
  await browser.close();
}
process.exit(failed() ? 1 : 0);
