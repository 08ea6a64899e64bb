/**
 * The activity history in French (src/domain/activity.ts): every action the gateway writes has
 * its own sentence, a person's own acts are said with "Vous", documents are named by title,
 * nothing of a message's content appears, and lines about a document hidden from the patient
 * are not shown.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { activityLabel, LABELLED_ACTIONS, shownInHistory, type ActivityContext, type ActivityLine } from '../../src/domain/activity.js';

const SRC = path.resolve(import.meta.dirname, '../../src');
const CITIZEN = '184127645108946@patient.mssante.fr';
const DOCTOR = 'dr.house@hopital.mssante.fr';

const context: ActivityContext = {
  viewer: CITIZEN,
  who: (address) => (address === DOCTOR ? `Dr House (${DOCTOR})` : address),
  document: (id) => (id === 'doc^1' ? { title: 'Ordonnance', categoryLabel: 'Ordonnances et soins' } : undefined),
};

const line = (over: Partial<ActivityLine>): ActivityLine => ({ actor: DOCTOR, action: 'login', target: null, outcome: 'ok', detail: null, ...over });
const label = (over: Partial<ActivityLine>) => activityLabel(line(over), context);

/** Every action string the source writes: `action: '…'` (ternaries too) and the record filer's note('…'). */
function writtenActions(): string[] {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const found = new Set<string>();
  for (const file of files(SRC)) {
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (!/\baction:|\bnote\('/.test(text)) continue;
      for (const m of text.matchAll(/'([a-z]+(?:[.-][a-z]+)*)'/g)) {
        if (m[1]!.includes('.') || ['login', 'logout-everywhere'].includes(m[1]!)) found.add(m[1]!);
      }
    }
  }
  return [...found].sort();
}

describe('activity labels', () => {
  it('has a sentence of its own for every action written anywhere in src/', () => {
    const actions = writtenActions();
    expect(actions).toEqual(expect.arrayContaining(['login', 'message.deliver', 'message.relay', 'record.file', 'record.replace', 'record.visibility', 'record.refuse']));
    expect(actions.filter((a) => !LABELLED_ACTIONS.includes(a))).toEqual([]);
  });

  it('says the webmail’s own lines', () => {
    expect(label({ action: 'login', actor: CITIZEN, detail: 'webmail' })).toBe('Connexion au webmail');
    expect(label({ action: 'logout-everywhere', actor: CITIZEN })).toBe('Déconnexion de tous vos appareils');
    expect(label({ action: 'settings.personal-email', actor: CITIZEN, outcome: 'set' })).toBe('Adresse e-mail de notification enregistrée');
    expect(label({ action: 'settings.personal-email', actor: CITIZEN, outcome: 'removed' })).toBe('Notifications par e-mail désactivées');
  });

  it('names who wrote, never what they wrote', () => {
    const received = label({ action: 'message.deliver', target: CITIZEN, outcome: 'accepted', detail: 'submission <abc@h> with 1 document(s)' });
    expect(received).toBe(`Message reçu de Dr House (${DOCTOR})`);
    expect(label({ action: 'message.read', actor: CITIZEN, target: '12', detail: DOCTOR })).toBe(`Vous avez lu un message de Dr House (${DOCTOR})`);
    expect(label({ action: 'receipt.sent', actor: CITIZEN, target: DOCTOR })).toBe(`Accusé de lecture envoyé à Dr House (${DOCTOR})`);
    expect(label({ action: 'message.attachment.download', actor: CITIZEN, target: '12/0', detail: 'CR.pdf' })).toBe('Vous avez téléchargé la pièce jointe « CR.pdf »');
  });

  it('says why a message of the citizen was refused in the rule’s own words, not the sender’s', () => {
    const refused = label({ action: 'message.refuse', actor: CITIZEN, target: DOCTOR, outcome: 'NO_PRIOR_CONTACT', detail: 'webmail: anything the sender wrote' });
    expect(refused).toBe(`Message à Dr House (${DOCTOR}) non envoyé : un usager ne peut écrire qu'à un professionnel qui lui a déjà écrit`);
    expect(refused).not.toContain('anything the sender wrote');
    expect(label({ action: 'message.refuse', actor: CITIZEN, target: DOCTOR, outcome: 'SOMETHING_NEW' })).toBe(`Message à Dr House (${DOCTOR}) non envoyé`);
  });

  it('names the document and its category when the record holds it', () => {
    expect(label({ action: 'record.file', target: 'doc^1', outcome: 'filed' })).toBe(`Le document « Ordonnance » classé dans Ordonnances et soins par Dr House (${DOCTOR})`);
    expect(label({ action: 'record.file', actor: CITIZEN, target: 'doc^1', outcome: 'filed' })).toBe('Vous avez classé le document « Ordonnance » dans Ordonnances et soins');
    expect(label({ action: 'record.file', target: 'doc^1', outcome: 'visibility-ignored' })).toBe(`Le document « Ordonnance » reçu à nouveau de Dr House (${DOCTOR}) : il était déjà dans votre dossier`);
    expect(label({ action: 'record.replace', target: 'doc^1', outcome: 'replaced' })).toBe('Le document « Ordonnance » a été remplacé par une nouvelle version');
    expect(label({ action: 'record.visibility', target: 'doc^1', outcome: 'updated', detail: 'N → N MASQUE_PS' })).toBe(`Visibilité du document « Ordonnance » modifiée par Dr House (${DOCTOR})`);
    expect(label({ action: 'record.visibility', target: 'doc^9', outcome: 'updated' })).toBe(`Visibilité d’un document modifiée par Dr House (${DOCTOR})`);
    expect(label({ action: 'record.read', actor: CITIZEN, target: 'doc^1' })).toBe('Vous avez consulté le document « Ordonnance »');
    expect(label({ action: 'record.download', actor: CITIZEN, target: 'doc^1', detail: 'pdf' })).toBe('Vous avez téléchargé le document « Ordonnance » (PDF)');
  });

  it('says "un document" for one the record does not hold (refused), with the rule', () => {
    expect(label({ action: 'record.refuse', target: 'doc^9', outcome: 'RECORD_NOT_OWNER', detail: 'version 2 of set …' })).toBe(
      `Un document envoyé par Dr House (${DOCTOR}) n’a pas été classé dans votre dossier : seul l’organisme qui a classé ce document peut le remplacer`,
    );
    expect(label({ action: 'record.file', target: 'doc^9', outcome: 'filed' })).toBe(`Un document classé par Dr House (${DOCTOR})`);
    expect(label({ action: 'record.refuse', actor: CITIZEN, target: '12/0', outcome: 'WRONG_PATIENT', detail: 'paul.xml' })).toBe(
      'Pièce jointe « paul.xml » non classée dans votre dossier : le document ne concerne pas le patient destinataire',
    );
  });

  it('gives an action it does not know a generic sentence, naming nothing', () => {
    expect(label({ action: 'something.new', target: 'secret', detail: 'secret detail' })).toBe('Opération enregistrée sur votre messagerie');
  });
});

describe('shownInHistory', () => {
  const hidden = (id: string) => id === 'doc^hidden';
  it('leaves out the lines about a document hidden from the patient', () => {
    expect(shownInHistory(line({ action: 'record.file', target: 'doc^hidden' }), hidden)).toBe(false);
    expect(shownInHistory(line({ action: 'record.visibility', target: 'doc^hidden' }), hidden)).toBe(false);
    expect(shownInHistory(line({ action: 'record.file', target: 'doc^1' }), hidden)).toBe(true);
  });

  it('keeps every other line, a target that happens to have the same text included', () => {
    expect(shownInHistory(line({ action: 'message.deliver', target: 'doc^hidden' }), hidden)).toBe(true);
    expect(shownInHistory(line({ action: 'login', target: null }), hidden)).toBe(true);
  });
});
