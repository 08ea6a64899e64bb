import { describe, expect, it } from 'vitest';
import { answeredMessageIds, closingOf, normaliseMessageId, writersOf } from '../../src/domain/conversations.js';
import {
  decideAuthor,
  decideContent,
  decideRecipient,
  decideSender,
  type Party,
  type Place,
  type RecipientFacts,
  speaksForOrganisation,
  type AuthorFacts,
  type SenderFacts,
} from '../../src/domain/policy.js';
import { refusalText } from '../../src/domain/refusals.js';
import { candidateDomains, domainsOfName, speaksFor, type PeerFacts } from '../../src/domain/trust.js';
import { mayLogIn } from '../../src/domain/mailbox.js';

const doctor: Party = { role: 'professional', address: 'dr@hopital.fr', pharmacy: false };
const pharmacy: Party = { role: 'professional', address: 'officine@hopital.fr', pharmacy: true };
const jeanne: Party = { role: 'citizen', address: '184127645108946@patient.mssante.fr', ins: '184127645108946' };
const paul: Party = { role: 'citizen', address: '269054958815780@patient.mssante.fr', ins: '269054958815780' };
const open: Place = { where: 'local', state: 'open' };

const fromDoctor: SenderFacts = { origin: 'submission', party: doctor, place: open, authenticatedAs: doctor.address };
const fromJeanne: SenderFacts = { origin: 'webmail', party: jeanne, place: open, authenticatedAs: jeanne.address };
const to = (party: Party, place: Place = open): RecipientFacts => ({ party, place });
const wrote = (yes: boolean) => () => ({ professionalHasWritten: yes });

function code(decision: ReturnType<typeof decideRecipient>) {
  return decision.accepted ? decision.conditions : decision.refusal.code;
}

describe('the sender (rules 1 and 7)', () => {
  it('on the MX: a trusted operator, never one of our own addresses', () => {
    const mx = (place: Place): SenderFacts => ({ origin: 'mx', party: { ...doctor, address: 'x@lyon.fr' }, place });
    expect(decideSender(mx({ where: 'trusted' }))).toBeUndefined();
    expect(decideSender(mx({ where: 'outside' }))?.code).toBe('SENDER_NOT_TRUSTED');
    expect(decideSender(mx(open))?.code).toBe('SPOOFED_SENDER');
  });

  it('on the local doors: exactly the authenticated, open mailbox', () => {
    expect(decideSender(fromDoctor)).toBeUndefined();
    expect(decideSender({ ...fromDoctor, authenticatedAs: 'other@hopital.fr' })?.code).toBe('SPOOFED_SENDER');
    expect(decideSender({ ...fromDoctor, authenticatedAs: undefined })?.code).toBe('SPOOFED_SENDER');
    expect(decideSender({ ...fromDoctor, place: { where: 'local', state: 'closed' } })?.code).toBe('MAILBOX_UNAVAILABLE');
  });

  it('the From: header must be the sender too', () => {
    const authors = (...addresses: Array<[string, AuthorFacts['addresses'][number]['where']]>): AuthorFacts => ({
      fields: 1,
      addresses: addresses.map(([address, where]) => ({ address, where })),
    });
    expect(decideAuthor(fromDoctor, authors([doctor.address, 'local']))).toBeUndefined();
    expect(decideAuthor(fromDoctor, authors(['boss@hopital.fr', 'local']))?.code).toBe('SPOOFED_SENDER');
    expect(decideAuthor(fromDoctor, authors([doctor.address, 'local'], ['boss@hopital.fr', 'local']))?.code).toBe('SPOOFED_SENDER');
    expect(decideAuthor(fromDoctor, authors())?.code).toBe('INVALID_AUTHOR');
    const mx: SenderFacts = { origin: 'mx', party: doctor, place: { where: 'trusted' } };
    expect(decideAuthor(mx, authors(['x@lyon.fr', 'trusted']))).toBeUndefined();
    expect(decideAuthor(mx, authors(['dr@hopital.fr', 'local']))?.code).toBe('SPOOFED_SENDER');
    // rule 1 holds for the author too, not only the envelope
    expect(decideAuthor(mx, authors(['boss@gmail.com', 'outside']))?.code).toBe('SENDER_NOT_TRUSTED');
  });

  it('exactly one From: field, however it is written', () => {
    const one = { address: doctor.address, where: 'local' as const };
    expect(decideAuthor(fromDoctor, { fields: 2, addresses: [one] })?.code).toBe('INVALID_AUTHOR');
    expect(decideAuthor(fromDoctor, { fields: 0, addresses: [] })?.code).toBe('INVALID_AUTHOR');
  });
});

describe('a peer certificate (rule 7 on the MX)', () => {
  const lyon: PeerFacts = { names: ['mx.ch-lyon.mssante.fr'], attached: [] };
  const mx = (address: string, peer: PeerFacts = lyon): SenderFacts => ({
    origin: 'mx',
    party: { role: 'professional', address, pharmacy: false },
    place: { where: 'trusted' },
    peer,
  });

  it('speaks for its own domain and the one directly above a host name, nothing else', () => {
    expect(domainsOfName('mx.ch-lyon.mssante.fr')).toEqual(['mx.ch-lyon.mssante.fr', 'ch-lyon.mssante.fr']);
    expect(domainsOfName('ch-lyon.mssante.fr')).toEqual(['ch-lyon.mssante.fr', 'mssante.fr']);
    expect(domainsOfName('*.chu-nantes.fr')).toEqual(['chu-nantes.fr']);
    expect(domainsOfName('dr@ch-lyon.mssante.fr')).toEqual([]);
    expect(speaksFor(lyon, 'ch-lyon.mssante.fr')).toBe(true);
    expect(speaksFor(lyon, 'CH-LYON.mssante.fr')).toBe(true);
    expect(speaksFor(lyon, 'chu-nantes.mssante.fr')).toBe(false);
    expect(speaksFor(lyon, 'evil-ch-lyon.mssante.fr')).toBe(false);
    expect(speaksFor({ names: ['a.b.ch-lyon.mssante.fr'], attached: [] }, 'ch-lyon.mssante.fr')).toBe(false);
  });

  it('speaks for the domains the operator attached to it', () => {
    const hosting: PeerFacts = { names: ['mx.hebergeur.fr'], attached: ['clinique-nord.mssante.fr'] };
    expect(speaksFor(hosting, 'clinique-nord.mssante.fr')).toBe(true);
    expect(candidateDomains(hosting)).toEqual(['mx.hebergeur.fr', 'hebergeur.fr', 'clinique-nord.mssante.fr']);
  });

  it('bounds MAIL FROM and From: to those domains', () => {
    expect(decideSender(mx('dr.who@ch-lyon.mssante.fr'))).toBeUndefined();
    expect(decideSender(mx('dr.no@chu-nantes.mssante.fr'))?.code).toBe('DOMAIN_NOT_CERTIFIED');
    const author = (address: string): AuthorFacts => ({ fields: 1, addresses: [{ address, where: 'trusted' }] });
    expect(decideAuthor(mx('dr.who@ch-lyon.mssante.fr'), author('dr.who@ch-lyon.mssante.fr'))).toBeUndefined();
    expect(decideAuthor(mx('dr.who@ch-lyon.mssante.fr'), author('dr.no@chu-nantes.mssante.fr'))?.code).toBe('DOMAIN_NOT_CERTIFIED');
  });

  it("lets a bounce come from the peer's own mail system, no one else", () => {
    const bounce = mx('');
    expect(decideSender(bounce)).toBeUndefined();
    const daemon = (address: string): AuthorFacts => ({ fields: 1, addresses: [{ address, where: 'outside', hostOfTrusted: true }] });
    expect(decideAuthor(bounce, daemon('mailer-daemon@mx.ch-lyon.mssante.fr'))).toBeUndefined();
    expect(decideAuthor(bounce, daemon('mailer-daemon@mx.chu-nantes.mssante.fr'))?.code).toBe('DOMAIN_NOT_CERTIFIED');
    expect(decideAuthor(mx('dr.who@ch-lyon.mssante.fr'), daemon('mailer-daemon@mx.ch-lyon.mssante.fr'))?.code).toBe('SENDER_NOT_TRUSTED');
  });

  it("counts a Reply-To as having written only inside the sender's organisation", () => {
    expect(speaksForOrganisation(mx('dr.who@ch-lyon.mssante.fr'), 'secretariat@ch-lyon.mssante.fr')).toBe(true);
    expect(speaksForOrganisation(mx('dr.who@ch-lyon.mssante.fr'), 'pharmacie@hopital.mssante.fr')).toBe(false);
    const hosting = mx('dr@ch-lyon.mssante.fr', { names: ['mx.ch-lyon.mssante.fr'], attached: ['clinique-nord.mssante.fr'] });
    expect(speaksForOrganisation(hosting, 'accueil@clinique-nord.mssante.fr')).toBe(true);
    expect(speaksForOrganisation(fromDoctor, 'sec@hopital.fr')).toBe(true);
    expect(speaksForOrganisation(fromDoctor, 'officine@ailleurs.fr')).toBe(false);
    expect(speaksForOrganisation(mx(''), 'secretariat@ch-lyon.mssante.fr')).toBe(false);
  });
});

describe('a recipient (rules 2 to 6)', () => {
  it('professional → open citizen or professional: accepted without condition', () => {
    expect(code(decideRecipient(fromDoctor, to(jeanne), wrote(false)))).toEqual([]);
    expect(code(decideRecipient(fromDoctor, to(pharmacy), wrote(false)))).toEqual([]);
    expect(code(decideRecipient(fromDoctor, to(doctor, { where: 'trusted' }), wrote(false)))).toEqual([]);
  });

  it('a mailbox that is missing, opposed or closed cannot receive', () => {
    for (const state of ['missing', 'opposed', 'closed'] as const) {
      expect(code(decideRecipient(fromDoctor, to(jeanne, { where: 'local', state }), wrote(false)))).toBe('MAILBOX_UNAVAILABLE');
    }
  });

  it('outside the trust space, or relayed from another operator: refused', () => {
    expect(code(decideRecipient(fromDoctor, to(doctor, { where: 'outside' }), wrote(false)))).toBe('RECIPIENT_NOT_TRUSTED');
    const mx: SenderFacts = { origin: 'mx', party: doctor, place: { where: 'trusted' } };
    expect(code(decideRecipient(mx, to(doctor, { where: 'trusted' }), wrote(false)))).toBe('RELAY_DENIED');
  });

  it('citizen → citizen: refused', () => {
    expect(code(decideRecipient(fromJeanne, to(paul), wrote(true)))).toBe('CITIZEN_TO_CITIZEN');
  });

  it('citizen → professional: only after the professional wrote, and not in a closed conversation', () => {
    expect(code(decideRecipient(fromJeanne, to(doctor), wrote(false)))).toBe('NO_PRIOR_CONTACT');
    expect(code(decideRecipient(fromJeanne, to(doctor), wrote(true)))).toEqual(['open-conversation']);
  });

  it('citizen → pharmacy: without prior contact, only with a prescription', () => {
    expect(code(decideRecipient(fromJeanne, to(pharmacy), wrote(false)))).toEqual(['prescription']);
    expect(code(decideRecipient(fromJeanne, to(pharmacy), wrote(true)))).toEqual(['open-conversation']);
  });

  it('asks the ledger only when it matters', () => {
    let asked = 0;
    const history = () => (asked++, { professionalHasWritten: false });
    decideRecipient(fromDoctor, to(jeanne), history);
    decideRecipient(fromJeanne, to(paul), history);
    expect(asked).toBe(0);
  });
});

describe('the content settles the conditions', () => {
  it('a prescription for a pharmacy; an open conversation for a reply', () => {
    expect(decideContent(['prescription'], { hasPrescription: false }, 'p')?.code).toBe('PHARMACY_NEEDS_PRESCRIPTION');
    expect(decideContent(['prescription'], { hasPrescription: true }, 'p')).toBeUndefined();
    expect(decideContent(['open-conversation'], { hasPrescription: false, conversation: { closed: true } }, 'd')?.code).toBe(
      'CONVERSATION_CLOSED',
    );
    expect(decideContent(['open-conversation'], { hasPrescription: false, conversation: { closed: false } }, 'd')).toBeUndefined();
    expect(decideContent(['open-conversation'], { hasPrescription: false }, 'd')).toBeUndefined();
  });
});

describe('refusals', () => {
  it('say the rule in French, then English, then the particulars', () => {
    const r = decideContent(['prescription'], { hasPrescription: false }, 'officine@hopital.fr')!;
    expect(refusalText(r)).toBe(
      "Envoi refusé : un usager ne peut écrire à une pharmacie que pour lui transmettre une ordonnance / a citizen may write to a pharmacy only to send it a prescription (officine@hopital.fr)",
    );
  });
});

describe('conversations', () => {
  it('are closed by X-MSS-MES: FIN (this one) or a subject of exactly [FIN] (all with the citizen)', () => {
    expect(closingOf({ mssMes: 'FIN' })).toBe('this');
    expect(closingOf({ mssMes: ' fin ' })).toBe('this');
    expect(closingOf({ subject: '[FIN]' })).toBe('all-with-citizen');
    expect(closingOf({ subject: 'Re: [FIN]' })).toBeUndefined();
    expect(closingOf({ mssMes: 'SUITE', subject: 'Bonjour' })).toBeUndefined();
  });

  it('are found from In-Reply-To first, then References newest first', () => {
    expect(answeredMessageIds('<c@X.fr>', '<a@x.fr> <b@x.fr>')).toEqual(['<c@x.fr>', '<b@x.fr>', '<a@x.fr>']);
    expect(answeredMessageIds(undefined, ['<a@x.fr>', '<b@x.fr>'])).toEqual(['<b@x.fr>', '<a@x.fr>']);
    expect(normaliseMessageId('AbC@Host.FR')).toBe('<AbC@host.fr>');
  });

  it('count the sender and the Reply-To addresses the rule lets count as having written', () => {
    expect(writersOf('dr@h.fr', ['sec@h.fr', 'perso@gmail.com'], (a) => a.endsWith('@h.fr'))).toEqual(['dr@h.fr', 'sec@h.fr']);
  });
});

describe('logging in', () => {
  it('is for open mailboxes; citizens only through the webmail', () => {
    expect(mayLogIn({ state: 'open', kind: 'PER' }, 'submission')).toBe(true);
    expect(mayLogIn({ state: 'open', kind: 'ORG' }, 'imap')).toBe(true);
    expect(mayLogIn({ state: 'closed', kind: 'PER' }, 'submission')).toBe(false);
    expect(mayLogIn({ state: 'open', kind: 'CITIZEN' }, 'webmail')).toBe(true);
    expect(mayLogIn({ state: 'open', kind: 'CITIZEN' }, 'submission')).toBe(false);
    expect(mayLogIn({ state: 'open', kind: 'CITIZEN' }, 'imap')).toBe(false);
    expect(mayLogIn({ state: 'opposed', kind: 'CITIZEN' }, 'webmail')).toBe(false);
  });
});
