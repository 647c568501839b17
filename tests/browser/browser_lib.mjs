// browser_lib.mjs — what the serve browser scripts share: the PASS / FAIL
// lines the shell tests read (and the count of failures for the exit
// status), and headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM,
// through playwright-core; no browser download).
import { chromium } from 'playwright-core';

let failures = 0;
export const pass = (n) => console.log('PASS ' + n);
export const fail = (n, why) => { failures++; console.log('FAIL ' + n + ': ' + String(why).replace(/\n/g, ' ')); };
export const check = (n, ok, why) => (ok ? pass(n) : fail(n, why || 'false'));
export const failed = () => failures;

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
