/**
 * The trust space between operators: a peer's certificate is trusted when one of its names is a
 * trusted domain or a host inside one (mx.ch-lyon.mssante.fr for ch-lyon.mssante.fr).
 */
export async function certificateTrusted(names: string[], isTrusted: (domain: string) => Promise<boolean>): Promise<boolean> {
  for (const name of names) {
    const labels = name.replace(/^\*\./, '').split('.');
    // Every suffix of at least two labels: a.b.c.fr → a.b.c.fr, b.c.fr, c.fr.
    for (let i = 0; i <= labels.length - 2; i++) {
      if (await isTrusted(labels.slice(i).join('.'))) return true;
    }
  }
  return false;
}
