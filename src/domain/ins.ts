/**
 * The matricule INS (Identifiant National de Santé): the 13-character NIR-shaped number and its
 * 2-digit control key. A citizen's mailbox is `<matricule>@patient.mssante.fr`, and a health
 * document names its patient by the same matricule, so this check guards both.
 *
 * Layout: S YY MM DD CCC OOO KK
 *   S   sex: 1 or 2; 7 or 8 for a provisional number (NIA)
 *   YY  year of birth
 *   MM  month: 01–12, 20–42 (fictitious months), 50–99 (unknown month)
 *   DD  department of birth: 01–19, 20 (Corsica before 1976), 2A, 2B, 21–95, 97x/98x overseas
 *       (then CCC is 2 digits after that third department digit), 99 born abroad
 *   CCC commune (or country, for 99), OOO order number, KK key = 97 − (number mod 97),
 *   the number read with 2A as 19 and 2B as 18.
 */

export type InsProblem =
  | 'length'
  | 'characters'
  | 'sex'
  | 'month'
  | 'department'
  | 'commune'
  | 'order'
  | 'key';

export type InsCheck = { ok: true; ins: string } | { ok: false; problem: InsProblem; message: string };

const PROBLEM_TEXT: Record<InsProblem, string> = {
  length: 'a matricule INS has 15 characters (13 for the number, 2 for the key)',
  characters: 'only digits are allowed, and 2A or 2B in the department position',
  sex: 'the first digit must be 1 or 2 (or 7 or 8 for a provisional number)',
  month: 'the month (positions 4–5) must be 01–12, 20–42 or 50–99',
  department: 'the department of birth (positions 6–7) is not a valid code',
  commune: 'the commune or country code must not be 000',
  order: 'the order number (positions 11–13) must not be 000',
  key: 'the control key does not match the number',
};

function fail(problem: InsProblem, value: string): InsCheck {
  return { ok: false, problem, message: `invalid INS "${value}": ${PROBLEM_TEXT[problem]}` };
}

/** Key = 97 − (number mod 97), with the Corsican departments read as 19 (2A) and 18 (2B). */
export function insKey(number13: string): string {
  const numeric = number13.replace(/^(.{5})2A/, '$119').replace(/^(.{5})2B/, '$118');
  const key = 97 - Number(BigInt(numeric) % 97n);
  return String(key).padStart(2, '0');
}

function validMonth(mm: number): boolean {
  return (mm >= 1 && mm <= 12) || (mm >= 20 && mm <= 42) || (mm >= 50 && mm <= 99);
}

function validDepartment(dept: string, third: string): boolean {
  if (dept === '2A' || dept === '2B') return true;
  const n = Number(dept);
  if (n >= 1 && n <= 95) return true;
  // 97x: overseas departments (971–978); 98x: overseas collectivities and Monaco (984–988).
  if (n === 97) return third >= '1' && third <= '8';
  if (n === 98) return third >= '4' && third <= '8';
  return n === 99;
}

/** Checks a matricule INS fully; accepts upper- or lower-case 2a/2b, returns it normalised. */
export function checkIns(input: string): InsCheck {
  const value = input.trim().toUpperCase();
  if (value.length !== 15) return fail('length', input);
  if (!/^\d{5}(\d{2}|2A|2B)\d{8}$/.test(value)) return fail('characters', input);

  const sex = value[0]!;
  const month = Number(value.slice(3, 5));
  const dept = value.slice(5, 7);
  const commune = value.slice(7, 10);
  const order = value.slice(10, 13);
  const key = value.slice(13, 15);

  if (!'1278'.includes(sex)) return fail('sex', input);
  if (!validMonth(month)) return fail('month', input);
  if (!validDepartment(dept, commune[0]!)) return fail('department', input);
  if (commune === '000' || (dept === '97' || dept === '98' ? commune.slice(1) === '00' : false)) {
    return fail('commune', input);
  }
  if (order === '000') return fail('order', input);
  if (insKey(value.slice(0, 13)) !== key) return fail('key', input);
  return { ok: true, ins: value };
}
