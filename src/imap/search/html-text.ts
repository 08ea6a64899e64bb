/**
 * The readable text of HTML arriving in pieces, for BODY/TEXT searches of text/html parts: what
 * a reader sees is what a search should find. Tags, comments and the contents of <script> and
 * <style> go; character references are decoded; block-level tags become a space so that words
 * of two paragraphs do not run together. Not an HTML parser: a small state machine that keeps
 * at most one tag name or reference between pieces.
 */

/** The named references French mail actually uses; others are kept as written. */
const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', euro: '€', laquo: '«', raquo: '»',
  rsquo: '’', lsquo: '‘', ldquo: '“', rdquo: '”', hellip: '…', ndash: '–', mdash: '—', deg: '°',
  agrave: 'à', aacute: 'á', acirc: 'â', auml: 'ä', ccedil: 'ç', egrave: 'è', eacute: 'é', ecirc: 'ê',
  euml: 'ë', icirc: 'î', iuml: 'ï', ocirc: 'ô', ouml: 'ö', ugrave: 'ù', ucirc: 'û', uuml: 'ü',
  oelig: 'œ', aelig: 'æ', Agrave: 'À', Aacute: 'Á', Acirc: 'Â', Ccedil: 'Ç', Egrave: 'È', Eacute: 'É',
  Ecirc: 'Ê', Euml: 'Ë', Icirc: 'Î', Iuml: 'Ï', Ocirc: 'Ô', Ugrave: 'Ù', Ucirc: 'Û', OElig: 'Œ',
};

const BLOCK = /^\/?(p|br|div|li|ul|ol|tr|td|th|table|h[1-6]|blockquote|hr|section|article|header|footer)$/;
const RAW_TEXT = new Set(['script', 'style']);

function reference(body: string): string | undefined {
  if (body.startsWith('#x') || body.startsWith('#X')) {
    const code = parseInt(body.slice(2), 16);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  if (body.startsWith('#')) {
    const code = parseInt(body.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
  }
  return NAMED[body];
}

type State = 'text' | 'tag' | 'comment' | 'reference';

export class HtmlText {
  private state: State = 'text';
  /** the tag name being read, lower-cased, or the reference after `&` */
  private buffer = '';
  private nameDone = false;
  private quote = '';
  /** inside <script> or <style>: text is skipped until its end tag */
  private rawText = '';
  /** the last characters of a comment, to see `-->` across pieces */
  private commentTail = '';

  write(piece: string): string {
    let out = '';
    for (let i = 0; i < piece.length; i++) {
      const c = piece[i]!;
      switch (this.state) {
        case 'text':
          if (c === '<') {
            this.state = 'tag';
            this.buffer = '';
            this.nameDone = false;
            this.quote = '';
          } else if (this.rawText) {
            // skipped
          } else if (c === '&') {
            this.state = 'reference';
            this.buffer = '';
          } else out += c;
          break;
        case 'reference':
          if (c === ';') {
            out += reference(this.buffer) ?? `&${this.buffer};`;
            this.state = 'text';
          } else if (/[A-Za-z0-9#]/.test(c) && this.buffer.length < 10) {
            this.buffer += c;
          } else {
            out += `&${this.buffer}`;
            this.state = 'text';
            i--; // read this character again as text
          }
          break;
        case 'tag':
          if (c === '<' && (this.rawText || !this.quote)) {
            // `a < b` in a script, or a stray `<`: a tag starts again here
            this.buffer = '';
            this.nameDone = false;
            this.quote = '';
          } else if (this.quote) {
            if (c === this.quote) this.quote = '';
          } else if (c === '>') {
            out += this.endTag();
          } else if (!this.nameDone) {
            if (this.buffer === '!-' && c === '-') {
              this.state = 'comment';
              this.commentTail = '';
            } else if (/[\s/]/.test(c) && this.buffer !== '' && this.buffer !== '/') this.nameDone = true;
            else if (this.buffer.length < 16) this.buffer += c.toLowerCase();
          } else if ((c === '"' || c === "'") && !this.rawText) {
            this.quote = c;
          }
          break;
        case 'comment':
          this.commentTail = (this.commentTail + c).slice(-3);
          if (this.commentTail.endsWith('-->')) this.state = 'text';
          break;
      }
    }
    return out;
  }

  /** whatever a piece left pending: an unfinished reference is text */
  end(): string {
    const rest = this.state === 'reference' ? `&${this.buffer}` : '';
    this.state = 'text';
    return rest;
  }

  private endTag(): string {
    this.state = 'text';
    const name = this.buffer;
    if (this.rawText) {
      if (name === `/${this.rawText}`) this.rawText = '';
      return '';
    }
    if (RAW_TEXT.has(name)) this.rawText = name;
    return BLOCK.test(name) ? ' ' : '';
  }
}
