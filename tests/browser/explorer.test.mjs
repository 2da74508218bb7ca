// Browser test of the network explorer page (GET /), in headless Debian Chromium driven by playwright-core:
// first anonymously, then as a member who signs in with the code from a real e-mail, asks, replies, follows and
// signs out; then as a second member who follows a thread, hears of its replies in the header and the list of
// notifications, marks them read and chooses how to hear of them.
//
//   LKN_URL=http://127.0.0.1:PORT LKN_MAIL_DIR=... LKN_MEMBER_EMAIL=... node --test explorer.test.mjs
//
// Environment: LKN_URL (required: a running lkn-api, with the demo data seeded so there are public threads),
// LKN_MAIL_DIR (the SMTP catcher's folder: one JSON file per message, {to: [..], subject, text, html}) and
// LKN_MEMBER_EMAIL (a member's address; that lkn-api sends its mail to the catcher) and LKN_COLLEAGUE_TOKEN (another
// member's API token, who answers the member's question) for the signed-in part, LKN_FOLLOWER_EMAIL (a third
// member's address, with no notifications yet) for the notifications part,
// CHROMIUM (default /usr/bin/chromium), LKN_ARTIFACTS_DIR (default <repo>/target/browser-artifacts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.LKN_URL || '').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.LKN_ARTIFACTS_DIR
  || fileURLToPath(new URL('../../target/browser-artifacts/', import.meta.url));
const MAIL_DIR = process.env.LKN_MAIL_DIR || '';
const MEMBER_EMAIL = process.env.LKN_MEMBER_EMAIL || '';
const COLLEAGUE_TOKEN = process.env.LKN_COLLEAGUE_TOKEN || '';
const FOLLOWER_EMAIL = process.env.LKN_FOLLOWER_EMAIL || '';
const TIMEOUT_MS = 20_000;
const POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

if (!BASE) {
  throw new Error('LKN_URL is not set: start lkn-api and set LKN_URL=http://127.0.0.1:PORT');
}
const signInSkip = MAIL_DIR && MEMBER_EMAIL && COLLEAGUE_TOKEN
  ? false : 'LKN_MAIL_DIR, LKN_MEMBER_EMAIL and LKN_COLLEAGUE_TOKEN are not set';
const notifySkip = MAIL_DIR && FOLLOWER_EMAIL && COLLEAGUE_TOKEN
  ? false : 'LKN_MAIL_DIR, LKN_FOLLOWER_EMAIL and LKN_COLLEAGUE_TOKEN are not set';

let context;
let page;
let userDataDir;
const pageErrors = [];
const failedApiCalls = [];
const policyViolations = [];
/** API answers this test asks for (a refused token): not failures. */
let expectedRefusals = 0;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), 'lkn-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timeout: 60_000,
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('response', (res) => {
    if (!res.url().endsWith('/graphql') || res.status() < 400) return;
    if (res.status() === 401 && expectedRefusals > 0) expectedRefusals -= 1;
    else failedApiCalls.push(`${res.status()} ${res.url()}`);
  });
  // The browser reports what the Content-Security-Policy blocks on the console and as an event in the page.
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
  });
  await context.exposeBinding('lknPolicyViolation', (_source, what) => policyViolations.push(what));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.lknPolicyViolation(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
});

after(async () => {
  if (context) await context.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

/** The newest-threads list's first link, once the list has loaded. */
async function firstNewestThreadLink() {
  const link = page.locator('#newest-threads .thread-item .thread-title a').first();
  await link.waitFor({ state: 'visible' });
  return link;
}

/** The messages delivered to `to` so far, oldest first (the catcher names its files in arrival order). */
function mailTo(to) {
  return readdirSync(MAIL_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      try {
        return JSON.parse(readFileSync(join(MAIL_DIR, name), 'utf8'));
      } catch (_) {
        return null; // still being written
      }
    })
    .filter((mail) => mail && Array.isArray(mail.to) && mail.to.some((r) => r.toLowerCase() === to.toLowerCase()));
}

/** Waits for the `count`th message to `to` and returns it. */
async function waitForMail(to, count) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const mails = mailTo(to);
    if (mails.length >= count) return mails[count - 1];
    if (Date.now() > deadline) throw new Error(`${mails.length} message(s) to ${to} arrived, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The sign-in link in an e-mail's text: {public-url}/sign-in?code=…&email=… */
function signInLink(mail) {
  const link = /https?:\/\/\S+\/sign-in\?code=[^\s<>"]+/.exec(mail.text);
  assert.ok(link, `no sign-in link in: ${mail.text}`);
  return new URL(link[0]);
}

/** The session token the page keeps, if any. */
function storedToken() {
  return page.evaluate(() => window.localStorage.getItem('lkn.explorer.session'));
}

/** Sends one GraphQL request with `token` (if any) and returns its data, failing on errors. */
async function api(token, query, variables) {
  const res = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: Object.assign({ 'content-type': 'application/json' }, token ? { authorization: `Bearer ${token}` } : {}),
    body: JSON.stringify({ query, variables: variables || {} }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, `the API refused ${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** How many unread notifications the API counts for the member signed in on the page. */
async function unreadNow() {
  const data = await api(await storedToken(), '{ viewer { notifications(first: 1) { unreadCount } } }');
  return data.viewer.notifications.unreadCount;
}

/** Waits until the API counts `n` unread notifications for the member signed in on the page (fan-out is a job). */
async function waitForUnread(n) {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const count = await unreadNow();
    if (count === n) return;
    if (Date.now() > deadline) throw new Error(`the API counts ${count} unread notifications, not ${n}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The colleague replies to `threadId` through the API. */
async function colleagueReplies(threadId, body) {
  const data = await api(COLLEAGUE_TOKEN,
    'mutation($i: ReplyToThreadInput!) { replyToThread(input: $i) { reply { id } userErrors { message } } }',
    { i: { threadId, body } });
  assert.ok(data.replyToThread.reply, `the colleague could not reply: ${JSON.stringify(data.replyToThread)}`);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let signedInName = '';
const QUESTION_TITLE = `How do you run a Lego club for teenagers? (${Date.now().toString(36)})`;

test('the overview lists the partners by nation, with National Library of Wales under Wales', async () => {
  const response = await page.goto(`${BASE}/`, { waitUntil: 'domcontentloaded' });
  assert.equal(response.headers()['content-security-policy'], POLICY);
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
  await page.getByRole('heading', { level: 1, name: 'Living Knowledge Network' }).waitFor();
  for (const name of ['Network figures', 'Newest threads', 'Partners', 'Collaborations']) {
    await page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
  }

  const wales = page.locator('section.nation-group', {
    has: page.getByRole('heading', { level: 3, name: /^Wales\b/ }),
  });
  await wales.getByText('National Library of Wales', { exact: true }).waitFor();
  const england = page.locator('section.nation-group', {
    has: page.getByRole('heading', { level: 3, name: /^England\b/ }),
  });
  await england.getByText('British Library', { exact: true }).waitFor();
  assert.equal(await england.getByText('National Library of Wales', { exact: true }).count(), 0,
    'National Library of Wales must not be listed under England');

  // The figures and the newest threads have loaded, and nothing is left loading or in error.
  await firstNewestThreadLink();
  await page.locator('#figures .figure').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('.notice--loading'));
  assert.equal(await page.locator('.notice--error').count(), 0, 'no section shows an error');

  await page.screenshot({ path: join(ARTIFACTS, 'explorer.png'), fullPage: true });
});

test('a thread from the newest threads opens on its own page with its replies', async () => {
  const link = await firstNewestThreadLink();
  const title = (await link.textContent()).trim();
  assert.ok(title.length > 0);
  await link.click();
  await page.waitForURL(/#\/thread\//);
  await page.locator('article.thread h2', { hasText: title }).waitFor();
  await page.getByRole('heading', { level: 3, name: /^Replies\b/ }).waitFor();
  await page.locator('article.thread .thread-body').waitFor();
  const accepted = page.locator('.reply--accepted');
  if (await accepted.count() > 0) {
    await accepted.first().getByText('Accepted answer').waitFor();
  }
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-thread.png'), fullPage: true });

  // Back to the overview, by keyboard-reachable link.
  await page.getByRole('link', { name: /Back to the overview/ }).click();
  await page.waitForURL((url) => url.hash === '#/');
  await firstNewestThreadLink();
});

test('searching for the words of a thread title finds that thread', async () => {
  // Full-text search ranks title matches highest, so searching a thread's title finds it.
  const link = await firstNewestThreadLink();
  const title = (await link.textContent()).trim();
  const words = title.match(/[\p{L}\p{N}]{3,}/gu) || [];
  assert.ok(words.length > 0, `no searchable word in the title ${JSON.stringify(title)}`);

  const search = page.getByRole('searchbox', { name: 'Search threads' });
  await search.fill(words.join(' ').toUpperCase()); // search ignores case
  await search.press('Enter');
  await page.waitForURL(/#\/search\?q=/);
  const results = page.locator('#search-results');
  await results.getByRole('heading', { level: 2, name: 'Search results' }).waitFor();
  await results.locator('.thread-title a', { hasText: title }).first().waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-search.png'), fullPage: true });
});

test('switching to Welsh translates the page, sets <html lang="cy"> and is remembered', async () => {
  await page.goto(`${BASE}/#/`, { waitUntil: 'domcontentloaded' });
  await firstNewestThreadLink();
  await page.getByRole('button', { name: 'Cymraeg' }).click();
  await page.waitForFunction(() => document.documentElement.lang === 'cy');
  assert.equal(await page.getAttribute('html', 'lang'), 'cy');
  for (const name of ['Partneriaid', 'Ffigurau\u2019r rhwydwaith', 'Edafedd diweddaraf', 'Cydweithrediadau']) {
    await page.getByRole('heading', { level: 2, name, exact: true }).waitFor();
  }
  await page.getByRole('heading', { level: 3, name: /^Cymru\b/ }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Cymraeg' }).getAttribute('aria-pressed'), 'true');
  await page.waitForFunction(() => !document.querySelector('.notice--loading'));
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-cy.png'), fullPage: true });

  // The choice survives a reload.
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.getByRole('heading', { level: 2, name: 'Partneriaid', exact: true }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'cy');

  // Back to English for anything after this.
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { level: 2, name: 'Partners', exact: true }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
});

test('the page fits a 360px wide screen', async () => {
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto(`${BASE}/#/`, { waitUntil: 'domcontentloaded' });
  await firstNewestThreadLink();
  await page.waitForFunction(() => !document.querySelector('.notice--loading'));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 360px screen`);
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-360.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('a collaboration opens on its own page, where notifications about it lead', async () => {
  const data = await api(null, '{ collaborations(first: 1) { nodes { id title } } }');
  const [collaboration] = data.collaborations.nodes;
  assert.ok(collaboration, 'the demo data has a public collaboration');
  await page.goto(`${BASE}/#/collaboration/${encodeURIComponent(collaboration.id)}`, { waitUntil: 'domcontentloaded' });
  await page.getByRole('heading', { level: 2, name: collaboration.title, exact: true }).waitFor();
  await page.locator('article.collaboration .collab-reach').waitFor();
  await page.goto(`${BASE}/#/collaboration/not-an-id`, { waitUntil: 'domcontentloaded' });
  await page.getByRole('heading', { level: 2, name: 'This collaboration was not found, or it is not public.' }).waitFor();
});

test('a member signs in with the code from the e-mail', { skip: signInSkip }, async () => {
  await page.goto(`${BASE}/#/`, { waitUntil: 'domcontentloaded' });
  await firstNewestThreadLink();
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(/#\/sign-in$/);
  await page.getByRole('heading', { level: 2, name: 'Sign in' }).waitFor();
  await page.getByLabel('Your e-mail address').fill(MEMBER_EMAIL);
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await page.getByRole('heading', { level: 2, name: 'Check your e-mail' }).waitFor();
  await page.getByText(MEMBER_EMAIL, { exact: false }).first().waitFor();

  const mail = await waitForMail(MEMBER_EMAIL, 1);
  const code = signInLink(mail).searchParams.get('code');
  assert.match(code, /^[A-Z0-9]{6}$/);
  await page.getByLabel('The code from the e-mail').fill(code.toLowerCase()); // case does not matter
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-sign-in.png'), fullPage: true });
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();

  const notice = page.locator('#page-notice');
  await notice.getByText(/^You are signed in as /).waitFor();
  signedInName = (await notice.textContent()).replace(/^You are signed in as /, '').replace(/\.$/, '');
  assert.ok(signedInName.length > 0);
  await page.getByText(`Signed in as ${signedInName}`, { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  assert.ok(await storedToken(), 'the session token is kept');
  assert.ok(!page.url().includes(await storedToken()), 'the token is not in the address');
  await page.getByText('also shows what the network shares with its members only', { exact: false }).waitFor();
  await firstNewestThreadLink();
});

test('the member asks a question, seeing similar threads first', { skip: signInSkip }, async () => {
  // A title like one already in the network brings up similar threads while it is typed.
  const existing = (await (await firstNewestThreadLink()).textContent()).trim();
  await page.getByRole('link', { name: 'Ask or share' }).first().click();
  await page.waitForURL(/#\/new$/);
  await page.getByRole('heading', { level: 2, name: 'Ask a question or share' }).waitFor();
  const title = page.getByRole('textbox', { name: 'Title', exact: true });
  await title.pressSequentially(existing, { delay: 5 });
  const similar = page.locator('#similar-threads');
  await similar.getByRole('heading', { name: 'Similar threads already in the network' }).waitFor();
  await similar.locator('.thread-title a').first().waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-ask-similar.png'), fullPage: true });

  await title.fill(QUESTION_TITLE);
  await page.getByRole('textbox', { name: 'Details', exact: true }).fill('We have a box of bricks and a room on Saturdays. What worked for you?');
  await page.getByRole('textbox', { name: 'Tags', exact: true }).fill('lego, young-people');
  assert.equal(await page.getByLabel('Members of the network only').isChecked(), true, 'network-only by default');
  await page.getByRole('button', { name: 'Post', exact: true }).click();

  await page.waitForURL(/#\/thread\//);
  await page.locator('article.thread h2', { hasText: QUESTION_TITLE }).waitFor();
  await page.locator('#page-notice', { hasText: 'Your thread is posted.' }).waitFor();
  await page.locator('article.thread .badge--network-only', { hasText: 'Members only' }).waitFor();
  await page.locator('article.thread .thread-meta', { hasText: signedInName }).first().waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-asked.png'), fullPage: true });

  // A colleague answers (through the API, as the bot or their own frontend would); the asker accepts it.
  const threadId = decodeURIComponent(new URL(page.url()).hash.replace(/^#\/thread\//, ''));
  const answer = 'Ours meets fortnightly; the teens design the challenges themselves.';
  const replied = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${COLLEAGUE_TOKEN}` },
    body: JSON.stringify({
      query: 'mutation($i: ReplyToThreadInput!) { replyToThread(input: $i) { reply { id } userErrors { message } } }',
      variables: { i: { threadId, body: answer } },
    }),
  });
  assert.ok((await replied.json()).data.replyToThread.reply, 'the colleague replied');
  await page.getByRole('link', { name: /Back to the overview/ }).click();
  await firstNewestThreadLink();
  await page.goBack();
  const reply = page.locator('.reply-list .reply', { hasText: answer });
  await reply.waitFor(); // the thread, seen before, is loaded again on the way back
  await reply.getByRole('button', { name: 'Accept as the answer' }).click();
  await page.getByText('The reply is accepted as the answer.').waitFor();
  await reply.getByText('Accepted answer').waitFor();
  await page.locator('article.thread .badge--status-answered').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Accept as the answer' }).count(), 0);
});

test('the member replies to another thread, endorses and follows it', { skip: signInSkip }, async () => {
  await page.goto(`${BASE}/#/`, { waitUntil: 'domcontentloaded' });
  // The new network-only question leads the feed, marked as such.
  const own = page.locator('#newest-threads .thread-item', { hasText: QUESTION_TITLE });
  await own.locator('.badge--network-only').waitFor();
  await own.scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-member.png') });

  const other = page.locator('#newest-threads .thread-item').filter({ hasNotText: QUESTION_TITLE })
    .filter({ hasNotText: signedInName }).first();
  const otherTitle = (await other.locator('.thread-title a').textContent()).trim();
  await other.locator('.thread-title a').click();
  await page.locator('article.thread h2', { hasText: otherTitle }).waitFor();

  await page.getByRole('button', { name: 'Post reply' }).click(); // nothing written yet
  await page.locator('#reply-form').getByText('Write your reply first.').waitFor();

  const replyText = `We ran one at our branch: pair the older ones with younger ones (${Date.now().toString(36)}).`;
  await page.getByRole('textbox', { name: 'Reply', exact: true }).fill(replyText);
  await page.getByRole('button', { name: 'Post reply' }).click();
  await page.locator('#reply-form').getByText('Your reply is posted.').waitFor();
  await page.locator('.reply-list .reply', { hasText: replyText }).waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Reply', exact: true }).inputValue(), '', 'the reply field is emptied');

  await page.getByRole('button', { name: 'Endorse' }).click();
  await page.getByText('You endorse this thread.').waitFor();

  await page.getByRole('button', { name: 'Follow', exact: true }).click();
  await page.getByText('You follow this thread: you will hear of its new replies.').waitFor();
  await page.getByRole('button', { name: 'Stop following' }).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-replied.png'), fullPage: true });

  // The same in Welsh, and on a small screen.
  await page.getByRole('button', { name: 'Cymraeg' }).click();
  await page.getByRole('button', { name: 'Postio ateb' }).waitFor();
  await page.getByRole('button', { name: 'Peidio \u00e2 dilyn' }).waitFor();
  await page.getByText(`Wedi mewngofnodi fel ${signedInName}`, { exact: true }).waitFor();
  await page.setViewportSize({ width: 360, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the signed-in thread page is ${overflow}px wider than a 360px screen`);
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-member-cy-360.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('button', { name: 'Post reply' }).waitFor();
});

/** Whether the API has the profile mutation (built alongside this page; the test waits for it). */
async function profileApi() {
  const res = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __type(name: "UpdateProfileInput") { name } }' }),
  });
  return Boolean((await res.json()).data?.__type);
}

test('the member edits their profile', { skip: signInSkip }, async (t) => {
  if (!await profileApi()) {
    t.skip('the API has no updateProfile yet');
    return;
  }
  await page.locator('#profile-link').click();
  await page.getByRole('heading', { level: 2, name: 'Your profile' }).waitFor();
  const about = page.getByRole('textbox', { name: 'About you', exact: true });
  await about.fill('Children\u2019s librarian in Aberystwyth; I run the bilingual storytime.');
  await page.getByRole('checkbox', { name: 'Welsh' }).check();
  await page.getByRole('textbox', { name: 'Expertise', exact: true }).fill('storytime, bilingual-services');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.getByText('Your profile is saved.').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-profile.png'), fullPage: true });
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.getByRole('heading', { level: 2, name: 'Your profile' }).waitFor();
  assert.match(await page.getByRole('textbox', { name: 'About you', exact: true }).inputValue(), /bilingual storytime/);
  assert.equal(await page.getByRole('checkbox', { name: 'Welsh' }).isChecked(), true);
});

test('signing out forgets the session and hides network-only threads', { skip: signInSkip }, async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#page-notice', { hasText: 'You have signed out.' }).waitFor();
  await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
  assert.equal(await storedToken(), null);
  await firstNewestThreadLink();
  assert.equal(await page.locator('#newest-threads .thread-item', { hasText: QUESTION_TITLE }).count(), 0);
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-signed-out.png') });
});

test('the link in the sign-in e-mail signs in, and leaves no code in the address bar', { skip: signInSkip }, async () => {
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Your e-mail address').fill(MEMBER_EMAIL);
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await page.getByRole('heading', { level: 2, name: 'Check your e-mail' }).waitFor();
  const link = signInLink(await waitForMail(MEMBER_EMAIL, 2));
  assert.equal(link.pathname, '/sign-in');

  await page.goto(`${BASE}${link.pathname}${link.search}`, { waitUntil: 'domcontentloaded' });
  await page.locator('#page-notice', { hasText: `You are signed in as ${signedInName}.` }).waitFor();
  const address = new URL(page.url());
  assert.equal(address.search, '', 'the query with the code is gone');
  assert.ok(!page.url().includes(link.searchParams.get('code')));
  assert.ok(await storedToken());
});

test('a session the server no longer accepts signs the page out, saying why', { skip: signInSkip }, async () => {
  // The session ends elsewhere (signed out from another device): the page's next request is refused.
  const token = await storedToken();
  const ended = await fetch(`${BASE}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'mutation { signOut { ended } }' }),
  });
  assert.equal((await ended.json()).data.signOut.ended, true);

  expectedRefusals = 1;
  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.locator('#page-notice', { hasText: 'Your session has ended' }).waitFor();
  await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor();
  assert.equal(await storedToken(), null);
  await firstNewestThreadLink();
  await page.waitForFunction(() => !document.querySelector('.notice--loading'));
  assert.equal(await page.locator('.notice--error').count(), 0, 'the page goes on anonymously');
});

let followedThreadId = '';
let followedTitle = '';

test('a member follows a thread and hears of its reply: the header counts it, the list shows it, marking all read clears it', { skip: notifySkip }, async () => {
  // Nobody signed in: no notifications anywhere, and their page asks to sign in, then comes back.
  await page.goto(`${BASE}/#/`, { waitUntil: 'domcontentloaded' });
  await firstNewestThreadLink();
  assert.equal(await page.locator('#notifications-link').isVisible(), false, 'no notifications link for visitors');
  await page.goto(`${BASE}/#/notifications`, { waitUntil: 'domcontentloaded' });
  await page.getByText('Sign in to see your notifications.').waitFor();
  await page.locator('.sign-in-prompt a').click();
  await page.getByLabel('Your e-mail address').fill(FOLLOWER_EMAIL);
  await page.getByRole('button', { name: 'Send me a code' }).click();
  await page.getByRole('heading', { level: 2, name: 'Check your e-mail' }).waitFor();
  const code = signInLink(await waitForMail(FOLLOWER_EMAIL, 1)).searchParams.get('code');
  await page.getByLabel('The code from the e-mail').fill(code);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => url.hash === '#/notifications');
  await page.getByRole('heading', { level: 2, name: 'Notifications', exact: true }).waitFor();
  await page.getByText('You have no notifications yet.', { exact: false }).waitFor();
  const header = page.locator('#notifications-link');
  await page.getByRole('link', { name: 'Notifications', exact: true }).waitFor();
  assert.equal(await header.locator('.count-badge').count(), 0, 'nothing unread yet');

  // Follow someone else's thread from its page.
  await page.getByRole('link', { name: /Back to the overview/ }).click();
  const item = page.locator('#newest-threads .thread-item').filter({ hasNotText: QUESTION_TITLE }).first();
  await item.waitFor();
  followedTitle = (await item.locator('.thread-title a').textContent()).trim();
  await item.locator('.thread-title a').click();
  await page.locator('article.thread h2', { hasText: followedTitle }).waitFor();
  await page.getByRole('button', { name: 'Follow', exact: true }).click();
  await page.getByRole('button', { name: 'Stop following' }).waitFor();
  followedThreadId = decodeURIComponent(new URL(page.url()).hash.replace(/^#\/thread\//, ''));

  // A colleague replies; once the network has told the member, the next page they open counts it.
  await colleagueReplies(followedThreadId, 'We tried this at our branch: it worked best on Saturday mornings.');
  await waitForUnread(1);
  await page.getByRole('link', { name: /Back to the overview/ }).click();
  const counted = page.getByRole('link', { name: 'Notifications, 1 unread', exact: true });
  await counted.waitFor();
  assert.equal((await header.locator('.count-badge').textContent()).trim(), '1');
  await page.locator('.site-header').screenshot({ path: join(ARTIFACTS, 'explorer-notifications-badge.png') });

  await counted.click();
  await page.waitForURL((url) => url.hash === '#/notifications');
  await page.getByRole('heading', { level: 2, name: 'Notifications', exact: true }).waitFor();
  const entries = page.locator('#notification-list .notification');
  await entries.first().waitFor();
  assert.equal(await entries.count(), 1);
  const entry = entries.first();
  assert.equal(await entry.getAttribute('data-unread'), 'true', 'marked unread');
  await entry.locator('.badge--unread', { hasText: 'Unread' }).waitFor();
  // Screen readers hear "Unread:" before the headline, which names the thread.
  const headline = entry.getByRole('link', { name: new RegExp(`^Unread: .*${escapeRegExp(followedTitle)}`) });
  await headline.waitFor();
  assert.equal(await headline.getAttribute('href'), `#/thread/${encodeURIComponent(followedThreadId)}`);
  await entry.getByText('Replies on threads you follow').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-notifications.png'), fullPage: true });

  await page.getByRole('button', { name: 'Mark all as read' }).click();
  await page.locator('#inbox-done', { hasText: 'The notifications shown are marked as read.' }).waitFor();
  await page.getByRole('link', { name: 'Notifications', exact: true }).waitFor();
  assert.equal(await header.locator('.count-badge').count(), 0, 'the count is gone');
  assert.equal(await page.locator('#notification-list .notification--unread').count(), 0);
  assert.equal(await page.getByRole('button', { name: 'Mark all as read' }).count(), 0);
  assert.equal(await unreadNow(), 0, 'the API agrees');

  // Only unread ones: none left; then all again.
  await page.getByLabel('Show only unread').check();
  await page.getByText('You have no unread notifications.').waitFor();
  await page.getByLabel('Show only unread').uncheck();
  await entries.first().waitFor();
  assert.equal(await entries.count(), 1);
});

test('"Mark all as read" leaves unread what arrived since the list was shown, and opening a notification marks it read', { skip: notifySkip }, async () => {
  await colleagueReplies(followedThreadId, 'A second thought: ask the teenagers to run it.');
  await waitForUnread(1);
  // Already on the list: the header's link looks again.
  await page.getByRole('link', { name: /^Notifications/ }).click();
  const entries = page.locator('#notification-list .notification');
  await page.locator('#notification-list .notification--unread').first().waitFor();
  assert.equal(await entries.count(), 2);
  await page.getByRole('link', { name: 'Notifications, 1 unread', exact: true }).waitFor();

  // A third reply arrives while the list shows two: marking all read leaves it unread.
  await colleagueReplies(followedThreadId, 'And a third: keep the snacks away from the bricks.');
  await waitForUnread(2);
  await page.getByRole('button', { name: 'Mark all as read' }).click();
  await page.locator('#inbox-done').waitFor();
  await page.getByRole('link', { name: 'Notifications, 1 unread', exact: true }).waitFor();
  assert.equal(await unreadNow(), 1);

  // Looking again shows it on top, unread; opening it opens the thread in the page and marks it read.
  await page.getByRole('link', { name: /^Notifications/ }).click();
  await page.waitForFunction(() => document.querySelectorAll('#notification-list .notification').length === 3);
  const newest = entries.first();
  assert.equal(await newest.getAttribute('data-unread'), 'true');
  assert.equal(await page.locator('#notification-list .notification--unread').count(), 1);
  await page.evaluate(() => { window.lknSamePage = true; });
  await newest.getByRole('link').click();
  await page.waitForURL((url) => url.hash === `#/thread/${encodeURIComponent(followedThreadId)}`);
  await page.locator('article.thread h2', { hasText: followedTitle }).waitFor();
  assert.equal(await page.evaluate(() => window.lknSamePage), true, 'the thread opened in the page, not by loading it');
  await page.getByRole('link', { name: 'Notifications', exact: true }).waitFor();
  await waitForUnread(0);
});

test('the member chooses never to be e-mailed of replies on followed threads; Discord stays off until linked; the choice is kept', { skip: notifySkip }, async () => {
  await page.getByRole('link', { name: /^Notifications/ }).click();
  await page.getByRole('link', { name: 'Notification settings' }).click();
  await page.waitForURL((url) => url.hash === '#/settings/notifications');
  await page.getByRole('heading', { level: 2, name: 'Notification settings' }).waitFor();
  await page.getByText('By default: e-mail weekly digest; Discord at once for replies to your own threads.').waitFor();
  const email = page.getByRole('combobox', { name: 'E-mail: Replies on threads you follow', exact: true });
  const discord = page.getByRole('combobox', { name: 'Discord: Replies on threads you follow', exact: true });
  assert.equal(await email.inputValue(), 'WEEKLY', 'the default');
  assert.equal(await discord.isDisabled(), true, 'Discord is not linked');
  await page.getByText('Discord messages need a linked Discord account', { exact: false }).waitFor();
  assert.deepEqual(await email.locator('option').allTextContents(), ['At once', 'Daily digest', 'Weekly digest', 'Never']);
  assert.deepEqual(await discord.locator('option').allTextContents(), ['At once', 'Never']);

  await email.selectOption({ label: 'Never' });
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Your notification settings are saved.').waitFor();
  await page.locator('fieldset[data-kind="REPLY_ON_FOLLOWED_THREAD"]')
    .getByText('Off: you are not told of this at all.').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-notification-settings.png'), fullPage: true });

  await page.reload({ waitUntil: 'domcontentloaded' });
  await page.getByRole('heading', { level: 2, name: 'Notification settings' }).waitFor();
  await email.waitFor();
  assert.equal(await email.inputValue(), 'NEVER', 'the choice was kept');
  assert.equal(await discord.inputValue(), 'NEVER');
  assert.equal(await discord.isDisabled(), true);
  // Only the kind changed was sent: the others still follow the defaults.
  const prefs = (await api(await storedToken(), '{ viewer { notificationPreferences { kind email discord } } }'))
    .viewer.notificationPreferences;
  assert.deepEqual(prefs.find((p) => p.kind === 'REPLY_ON_FOLLOWED_THREAD'),
    { kind: 'REPLY_ON_FOLLOWED_THREAD', email: 'NEVER', discord: 'NEVER' });
  assert.deepEqual(prefs.find((p) => p.kind === 'REPLY_ON_YOUR_THREAD'),
    { kind: 'REPLY_ON_YOUR_THREAD', email: 'WEEKLY', discord: 'IMMEDIATELY' });

  // In Welsh, and on a small screen.
  await page.getByRole('button', { name: 'Cymraeg' }).click();
  await page.getByRole('heading', { level: 2, name: 'Gosodiadau hysbysiadau' }).waitFor();
  const welsh = page.getByRole('combobox', { name: 'E-bost: Atebion i edafedd rydych yn eu dilyn', exact: true });
  assert.equal(await welsh.inputValue(), 'NEVER');
  assert.equal((await welsh.locator('option:checked').textContent()).trim(), 'Byth');
  await page.getByRole('link', { name: 'Hysbysiadau', exact: true }).waitFor();
  await page.setViewportSize({ width: 360, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the settings page is ${overflow}px wider than a 360px screen`);
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-notification-settings-cy-360.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { level: 2, name: 'Notification settings' }).waitFor();

  // The profile page leads here too.
  await page.locator('#profile-link').click();
  await page.getByRole('heading', { level: 2, name: 'Your profile' }).waitFor();
  await page.getByRole('link', { name: 'Notification settings' }).click();
  await page.getByRole('heading', { level: 2, name: 'Notification settings' }).waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#page-notice', { hasText: 'You have signed out.' }).waitFor();
  assert.equal(await page.locator('#notifications-link').isVisible(), false);
});

test('every string of the page is in Welsh as well as English', async () => {
  const missing = await page.evaluate(() => {
    const { en, cy } = window.lknExplorer.catalogue;
    const gaps = [];
    for (const [key, value] of Object.entries(en)) {
      if (key.endsWith('_one')) continue; // Welsh counts take the _other form
      if (!(key in cy)) gaps.push(key);
      else if (value && typeof value === 'object' && !Array.isArray(value)) {
        for (const inner of Object.keys(value)) if (!(inner in cy[key])) gaps.push(`${key}.${inner}`);
      }
    }
    return gaps;
  });
  assert.deepEqual(missing, []);
});

test('an invitation link opens the joining form, without its code in the address bar', async () => {
  await page.goto(`${BASE}/join?code=NOT-A-REAL-CODE`, { waitUntil: 'domcontentloaded' });
  await page.getByRole('heading', { level: 2, name: 'Join the network' }).waitFor();
  assert.equal(new URL(page.url()).search, '');
  assert.equal(await page.getByLabel('Invitation code').inputValue(), 'NOT-A-REAL-CODE');
  await page.getByRole('button', { name: 'Join the network' }).click();
  await page.locator('.user-errors').waitFor(); // the API's own words on the code
  await page.getByRole('button', { name: 'Cymraeg' }).click();
  await page.getByRole('heading', { level: 2, name: 'Ymuno \u00e2\u2019r rhwydwaith' }).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-join-cy.png'), fullPage: true });
  await page.getByRole('button', { name: 'English' }).click();
});

test('the browser enforces the Content-Security-Policy: an inline style is refused, and noticed', async () => {
  const before = policyViolations.length;
  await page.evaluate(() => {
    const style = document.createElement('style');
    style.textContent = 'body { background: red; }';
    document.head.append(style);
  });
  await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor !== 'rgb(255, 0, 0)');
  for (let i = 0; i < 50 && policyViolations.length === before; i += 1) await page.waitForTimeout(50);
  const seen = policyViolations.splice(before);
  assert.ok(seen.some((v) => /style-src/.test(v)), `the inline style was not reported: ${JSON.stringify(seen)}`);
  assert.notEqual(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 0, 0)');
});

test('the page raised no script errors, broke no Content-Security-Policy and no API call failed', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(policyViolations, []);
  assert.deepEqual(failedApiCalls, []);
});
