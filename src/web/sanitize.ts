/**
 * HTML mail made safe to show (sanitize-html): no script, style, form, frame or remote content
 * of any kind — a remote image is a tracking pixel until proven otherwise, so every image that
 * is not part of the message itself is dropped. Links open in a new tab without referrer and
 * show where they lead after their text, so a person sees a deceptive link for what it is.
 */
import sanitizeHtml from 'sanitize-html';

const TAGS = [
  'a', 'abbr', 'b', 'blockquote', 'br', 'caption', 'cite', 'code', 'dd', 'div', 'dl', 'dt', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'hr', 'i', 'img', 'li', 'ol', 'p', 'pre', 's', 'small', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th',
  'thead', 'tr', 'u', 'ul',
];

export interface SanitiseOptions {
  /** turns a `cid:` reference into the URL of that inline part, or undefined to drop the image */
  inlineImage?: (contentId: string) => string | undefined;
}

function contentIdOf(url: string): string {
  try {
    return decodeURIComponent(url.trim());
  } catch {
    return url.trim(); // a stray % that encodes nothing: the Content-ID as written
  }
}

export function sanitiseHtml(html: string, options: SanitiseOptions = {}): string {
  const clean = sanitizeHtml(html, {
    allowedTags: TAGS,
    allowedAttributes: {
      a: ['href', 'target', 'rel'],
      img: ['src', 'alt', 'width', 'height'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan', 'scope'],
      '*': ['title', 'lang', 'dir'],
    },
    allowedSchemesByTag: { a: ['http', 'https', 'mailto', 'tel'], img: [] },
    allowedSchemesAppliedToAttributes: ['href', 'src'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    // Their text is code or styling, not content.
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'template', 'iframe', 'object'],
    transformTags: {
      a: (tagName, attribs) => {
        const kept: Record<string, string> = attribs.href ? { href: attribs.href, target: '_blank', rel: 'noopener noreferrer nofollow' } : {};
        return { tagName, attribs: kept };
      },
      img: (tagName, attribs) => {
        const src = attribs.src ?? '';
        // RFC 2392: a cid: URL is the Content-ID %-encoded (Outlook writes `image001.png%4001DA…`).
        const inline = /^cid:/i.test(src) ? options.inlineImage?.(contentIdOf(src.slice(4))) : undefined;
        // Dropped (no src) unless it is a part of this very message.
        // Without a source of our own it is removed below (exclusiveFilter).
        return { tagName, attribs: inline ? { ...attribs, src: inline } : {} };
      },
    },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  });
  // The sanitised output quotes and escapes every attribute and nests no link in a link: the
  // target can be read back and shown after the link's text when the text does not say it.
  return clean.replace(/<a href="([^"]*)" target="_blank" rel="noopener noreferrer nofollow">([\s\S]*?)<\/a>/g, (whole, href: string, text: string) => {
    const shown = href.replace(/^mailto:/i, '');
    const plain = text.replace(/<[^>]*>/g, '').trim();
    // `href` is already escaped by the sanitiser: it goes back into the HTML as it is.
    return plain === href || plain === shown ? whole : `${whole} <span class="link-target">(${shown})</span>`;
  });
}
