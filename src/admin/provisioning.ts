/**
 * The operator's provisioning actions (mailboxes, domains, trust list, directory), shared by the
 * CLI and any future admin API. Each action validates its input and says exactly what is wrong
 * with a ValidationError; it writes an audit line for what it changed.
 */
import { citizenAddress, isDomainName, normaliseDomain, parseAddress } from '../domain/address.js';
import { checkIns } from '../domain/ins.js';
import { isProKind, type Mailbox, type ProKind } from '../domain/mailbox.js';
import { hashPassword, passwordProblem, randomPassword } from '../auth/passwords.js';
import { ValidationError } from '../errors.js';
import { StoreConflict, type DirectoryEntry, type Store } from '../store/types.js';

export interface Provisioning {
  store: Store;
  citizenDomain: string;
  /** who is acting, for the audit trail */
  actor: string;
}

function validIns(text: string): string {
  const check = checkIns(text);
  if (!check.ok) throw new ValidationError(check.message);
  return check.ins;
}

function validAddress(text: string): string {
  const check = parseAddress(text);
  if (!check.ok) throw new ValidationError(check.message);
  return check.value.address;
}

function validDomain(text: string): string {
  const domain = normaliseDomain(text);
  if (!isDomainName(domain)) throw new ValidationError(`"${text}" is not a valid domain name`);
  return domain;
}

function validPassword(password: string): string {
  const problem = passwordProblem(password);
  if (problem) throw new ValidationError(problem);
  return password;
}

function validKind(type: string | undefined): ProKind {
  const kind = (type ?? '').toUpperCase();
  if (!isProKind(kind)) throw new ValidationError(`--type must be PER, ORG or APP (got "${type ?? ''}")`);
  return kind;
}

function validRpps(rpps: string | undefined): string | null {
  if (rpps === undefined) return null;
  if (!/^\d{11}$/.test(rpps)) throw new ValidationError(`--rpps must be an 11-digit RPPS number (got "${rpps}")`);
  return rpps;
}

/** A town as a person writes it ("Saint-Étienne"): letters, spaces, hyphens, apostrophes, digits (arrondissements). */
function validTown(text: string | undefined): string | null {
  if (text === undefined) return null;
  const town = text.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (!town || town.length > 100 || !/^[\p{L}\p{N}][\p{L}\p{N} '’().-]*$/u.test(town)) {
    throw new ValidationError(`--town must be a town name of at most 100 characters, starting with a letter or a digit (got "${text}")`);
  }
  return town;
}

function pharmacyFlag(kind: ProKind, pharmacy: boolean | undefined): boolean {
  if (pharmacy && kind !== 'ORG') throw new ValidationError('only an ORG mailbox can be a pharmacy (--type ORG --pharmacy)');
  return pharmacy ?? false;
}

async function mustExist(p: Provisioning, address: string): Promise<Mailbox> {
  const mailbox = await p.store.mailboxes.byAddress(address);
  if (!mailbox) throw new ValidationError(`no mailbox ${address}`);
  return mailbox;
}

/** An address typed by the operator: a full address, or a citizen's bare INS. */
function addressOrIns(p: Provisioning, text: string): string {
  return text.includes('@') ? validAddress(text) : citizenAddress(validIns(text), p.citizenDomain);
}

export async function addPatient(
  p: Provisioning,
  insText: string,
  options: { email?: string; password?: string; name?: string },
): Promise<Mailbox> {
  const ins = validIns(insText);
  const email = options.email === undefined ? null : validAddress(options.email);
  const password = options.password === undefined ? undefined : validPassword(options.password);
  const existing = await p.store.mailboxes.byIns(ins);
  if (existing?.state === 'opposed') {
    throw new ValidationError(
      `the citizen with INS ${ins} has opposed the messaging service: no mailbox can be issued ` +
        `(only 'mailbox reactivate ${ins}', at the citizen's request, lifts the opposition)`,
    );
  }
  if (existing) throw new ValidationError(`the citizen with INS ${ins} already has the mailbox ${existing.address} (${existing.state})`);
  try {
    const mailbox = await p.store.mailboxes.create({
      address: citizenAddress(ins, p.citizenDomain),
      kind: 'CITIZEN',
      ins,
      displayName: options.name ?? null,
      personalEmail: email,
      passwordHash: password === undefined ? null : await hashPassword(password),
    });
    await p.store.audit.record({ actor: p.actor, action: 'mailbox.create', mailbox: mailbox.address, outcome: 'ok' });
    return mailbox;
  } catch (err) {
    if (err instanceof StoreConflict) throw new ValidationError(`the citizen with INS ${ins} already has a mailbox`);
    throw err;
  }
}

export async function addPro(
  p: Provisioning,
  addressText: string,
  options: { type?: string; pharmacy?: boolean; name?: string; rpps?: string; password?: string },
): Promise<Mailbox> {
  const address = validAddress(addressText);
  const kind = validKind(options.type);
  const pharmacy = pharmacyFlag(kind, options.pharmacy);
  const rpps = validRpps(options.rpps);
  const password = options.password === undefined ? undefined : validPassword(options.password);
  const domain = address.slice(address.indexOf('@') + 1);
  if (domain === p.citizenDomain) {
    throw new ValidationError(`${domain} is the citizens' domain: use 'mailbox add-patient <INS>'`);
  }
  if (!(await p.store.domains.isLocal(domain))) {
    throw new ValidationError(`${domain} is not a local professional domain (add it first: 'domain add-local ${domain}')`);
  }
  if (await p.store.mailboxes.byAddress(address)) throw new ValidationError(`the mailbox ${address} already exists`);
  const mailbox = await p.store.mailboxes.create({
    address,
    kind,
    pharmacy,
    displayName: options.name ?? null,
    rpps,
    passwordHash: password === undefined ? null : await hashPassword(password),
  });
  await p.store.directory.upsert({ address, kind, pharmacy, displayName: options.name ?? null, rpps, local: true });
  await p.store.audit.record({ actor: p.actor, action: 'mailbox.create', mailbox: address, outcome: 'ok', detail: kind });
  return mailbox;
}

/** The citizen opposes: an existing mailbox stops receiving, and none can be issued later. */
export async function oppose(p: Provisioning, insText: string): Promise<Mailbox> {
  const ins = validIns(insText);
  const existing = await p.store.mailboxes.byIns(ins);
  if (existing?.state === 'opposed') throw new ValidationError(`the citizen with INS ${ins} has already opposed`);
  let mailbox: Mailbox;
  if (existing) {
    await p.store.mailboxes.setState(existing.address, 'opposed');
    mailbox = { ...existing, state: 'opposed' };
  } else {
    mailbox = await p.store.mailboxes.create({
      address: citizenAddress(ins, p.citizenDomain),
      kind: 'CITIZEN',
      ins,
      state: 'opposed',
    });
  }
  await p.store.audit.record({ actor: p.actor, action: 'mailbox.oppose', mailbox: mailbox.address, outcome: 'ok' });
  return mailbox;
}

/** Lifts an opposition or re-opens a closed mailbox: always an explicit, separate act. */
export async function reactivate(p: Provisioning, text: string): Promise<Mailbox> {
  const mailbox = await mustExist(p, addressOrIns(p, text));
  if (mailbox.state === 'open') throw new ValidationError(`the mailbox ${mailbox.address} is already open`);
  await p.store.mailboxes.setState(mailbox.address, 'open');
  await p.store.audit.record({ actor: p.actor, action: 'mailbox.reactivate', mailbox: mailbox.address, outcome: 'ok', detail: `was ${mailbox.state}` });
  return { ...mailbox, state: 'open' };
}

export async function close(p: Provisioning, text: string): Promise<Mailbox> {
  const mailbox = await mustExist(p, addressOrIns(p, text));
  if (mailbox.state !== 'open') throw new ValidationError(`the mailbox ${mailbox.address} is already ${mailbox.state}`);
  await p.store.mailboxes.setState(mailbox.address, 'closed');
  await p.store.audit.record({ actor: p.actor, action: 'mailbox.close', mailbox: mailbox.address, outcome: 'ok' });
  return { ...mailbox, state: 'closed' };
}

/** Sets the given password, or a random one that is returned to be handed over. */
export async function setPassword(p: Provisioning, text: string, password?: string): Promise<{ mailbox: Mailbox; generated?: string }> {
  const mailbox = await mustExist(p, addressOrIns(p, text));
  if (mailbox.state === 'opposed') throw new ValidationError(`the mailbox ${mailbox.address} is opposed: it cannot be given a password`);
  const generated = password === undefined ? randomPassword() : undefined;
  const chosen = password === undefined ? generated! : validPassword(password);
  await p.store.mailboxes.setPasswordHash(mailbox.address, await hashPassword(chosen));
  await p.store.audit.record({ actor: p.actor, action: 'mailbox.passwd', mailbox: mailbox.address, outcome: 'ok' });
  return { mailbox: { ...mailbox, hasPassword: true }, generated };
}

export async function addLocalDomain(p: Provisioning, text: string): Promise<boolean> {
  const domain = validDomain(text);
  if (domain === p.citizenDomain) throw new ValidationError(`${domain} is the citizens' domain; it cannot hold professional mailboxes`);
  const added = await p.store.domains.addLocal(domain);
  if (added) await p.store.audit.record({ actor: p.actor, action: 'domain.add-local', target: domain, outcome: 'ok' });
  return added;
}

export async function trustDomain(p: Provisioning, text: string): Promise<boolean> {
  const domain = validDomain(text);
  const added = await p.store.trust.add(domain, 'manual');
  if (added) await p.store.audit.record({ actor: p.actor, action: 'trust.add', target: domain, outcome: 'ok' });
  return added;
}

export async function distrustDomain(p: Provisioning, text: string): Promise<void> {
  const domain = validDomain(text);
  if (!(await p.store.trust.remove(domain))) throw new ValidationError(`${domain} is not in the trust list`);
  await p.store.audit.record({ actor: p.actor, action: 'trust.remove', target: domain, outcome: 'ok' });
}

/**
 * Lets the peer certificate named `certificateName` (its CN or a DNS name) speak for a trusted
 * domain that it does not name itself: an operator hosting several organisations.
 */
export async function attachPeerDomain(p: Provisioning, certificateName: string, text: string): Promise<boolean> {
  const name = validDomain(certificateName.replace(/^\*\./, ''));
  const domain = validDomain(text);
  if (!(await p.store.trust.isTrusted(domain))) throw new ValidationError(`${domain} is not in the trust list: add it first (trust add)`);
  const added = await p.store.trust.attach(certificateName.startsWith('*.') ? `*.${name}` : name, domain);
  if (added) await p.store.audit.record({ actor: p.actor, action: 'trust.attach', target: domain, outcome: 'ok', detail: `certificate ${name}` });
  return added;
}

export async function detachPeerDomain(p: Provisioning, certificateName: string, text: string): Promise<void> {
  const domain = validDomain(text);
  const name = certificateName.trim().toLowerCase();
  if (!(await p.store.trust.detach(name, domain))) throw new ValidationError(`${domain} is not attached to the certificate ${name}`);
  await p.store.audit.record({ actor: p.actor, action: 'trust.detach', target: domain, outcome: 'ok', detail: `certificate ${name}` });
}

export async function importTrust(p: Provisioning, domains: string[], source: string): Promise<{ read: number; added: number }> {
  const valid = domains.map(validDomain);
  const added = await p.store.trust.addMany(valid, source);
  await p.store.audit.record({ actor: p.actor, action: 'trust.import', target: source, outcome: 'ok', detail: `${valid.length} read, ${added} new` });
  return { read: valid.length, added };
}

export async function addDirectoryEntry(
  p: Provisioning,
  addressText: string,
  options: { type?: string; pharmacy?: boolean; name?: string; rpps?: string; town?: string },
): Promise<DirectoryEntry> {
  const address = validAddress(addressText);
  const kind = validKind(options.type);
  const domain = address.slice(address.indexOf('@') + 1);
  if (domain === p.citizenDomain) throw new ValidationError('the directory lists professionals, not citizens');
  const local = await p.store.domains.isLocal(domain);
  if (!local && !(await p.store.trust.isTrusted(domain))) {
    throw new ValidationError(`${domain} is neither a local domain nor in the trust list ('trust add ${domain}' first)`);
  }
  const entry: DirectoryEntry = {
    address,
    kind,
    pharmacy: pharmacyFlag(kind, options.pharmacy),
    displayName: options.name ?? null,
    rpps: validRpps(options.rpps),
    // null keeps the town an earlier entry had (the upsert does not erase what is not given)
    town: validTown(options.town),
    local,
  };
  await p.store.directory.upsert(entry);
  await p.store.audit.record({ actor: p.actor, action: 'directory.add', target: address, outcome: 'ok' });
  return entry;
}
