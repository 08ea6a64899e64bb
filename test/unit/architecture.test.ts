/**
 * The shape of the code, checked: no import cycles between modules (type imports included, so
 * that layers stay layers), and the messaging rules in src/domain/ import nothing of SMTP,
 * IMAP, HTTP or SQL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'";]*?from\s+'([^']+)'/gm)) found.push(m[1]!);
  for (const m of text.matchAll(/import\('([^']+)'\)/g)) found.push(m[1]!);
  return found;
}

const files = sources(SRC);
const graph = new Map<string, string[]>();
for (const file of files) {
  graph.set(
    file,
    importsOf(file)
      .filter((s) => s.startsWith('.'))
      .map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts')),
  );
}

describe('architecture', () => {
  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') {
          cycles.push(stack.slice(stack.indexOf(next)).concat(next).map((f) => path.relative(SRC, f)).join(' → '));
        } else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('keeps the rules free of protocols and storage engines', () => {
    const offenders = files
      .filter((f) => f.startsWith(path.join(SRC, 'domain') + path.sep))
      .flatMap((f) => importsOf(f).filter((s) => !s.startsWith('./')).map((s) => `${path.relative(SRC, f)} imports ${s}`));
    expect(offenders).toEqual([]);
  });
});
