/**
 * Text folded for searching: what a person types ("saint etienne", "pharmacie de l'eglise")
 * finds what the directory says ("Saint-Étienne", "Pharmacie de l'Église"). Case, accents and
 * ligatures go, and every run of punctuation or spacing becomes one space; the characters of an
 * address (letters, digits, `@`, `.`) stay, so an address still finds itself.
 */
const LIGATURES: Record<string, string> = { œ: 'oe', æ: 'ae', ß: 'ss' };

export function foldForSearch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[œæß]/g, (c) => LIGATURES[c]!)
    .replace(/[^\p{L}\p{N}@.]+/gu, ' ')
    .trim();
}
