/**
 * How SEARCH compares strings (RFC 3501 §6.4.4: substring, case-insensitive): both sides are
 * folded the same way — compatibility decomposition (NFKD, as the i;unicode-casemap comparator
 * of RFC 5051 does), lower case, and every run of white space as one space, so that a phrase
 * still matches where a mailer wrapped the line or HTML put a newline. Accents stay: "resultat"
 * does not find "résultat", but "e" finds "é" (its decomposition starts with "e").
 */

export function fold(text: string): string {
  return text.normalize('NFKD').toLowerCase().replace(/\s+/g, ' ');
}

export function contains(haystack: string, foldedNeedle: string): boolean {
  return foldedNeedle === '' || fold(haystack).includes(foldedNeedle);
}

/**
 * A substring search over text that arrives in pieces, in bounded memory: only the last
 * `needle.length - 1` folded characters are kept between pieces, enough for a match that
 * straddles two of them.
 */
export class StreamMatcher {
  private tail = '';
  private found: boolean;

  constructor(private readonly needle: string) {
    this.found = needle === '';
  }

  get matched(): boolean {
    return this.found;
  }

  /** true once the needle has been seen */
  write(piece: string): boolean {
    if (this.found || piece === '') return this.found;
    let folded = fold(piece);
    // White space split across two pieces is still one space.
    if (folded.startsWith(' ') && this.tail.endsWith(' ')) folded = folded.slice(1);
    const text = this.tail + folded;
    if (text.includes(this.needle)) {
      this.found = true;
      this.tail = '';
    } else {
      this.tail = text.slice(Math.max(0, text.length - (this.needle.length - 1)));
    }
    return this.found;
  }
}
